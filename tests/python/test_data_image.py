"""ctorch.vision's image layer (ImageFolder, image transforms in C) against
torchvision 0.14 on a small folder of PNG and JPEG files written here."""
import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as TT

import ctorch
import ctorch.utils.data as cud

pytestmark = pytest.mark.skipif(not hasattr(ctorch._C, "_ctransform"),
                                reason="the C image layer is not merged yet")

if hasattr(ctorch._C, "_ctransform"):
    from ctorch.vision import datasets as CD, transforms as CT

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("imgs")
    for c, cls in enumerate(["cat", "dog", "emu"]):
        d = root / cls
        (d / "sub").mkdir(parents=True)
        for k in range(3):
            h, w = 20 + 3 * k, 24 + 2 * c
            img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            PIL.fromarray(img).save(d / f"{k}.png")
        PIL.fromarray(rng.integers(0, 256, size=(17, 19, 3), dtype=np.uint8)).save(
            d / "sub" / "x.jpg", quality=95)
        (d / "notes.txt").write_text("not an image")
    return str(root)


def test_image_folder_equals_torchvision(folder):
    tv = torchvision.datasets.ImageFolder(folder)
    ds = CD.ImageFolder(folder)
    assert ds.classes == tv.classes and ds.class_to_idx == tv.class_to_idx
    assert ds.samples == tv.samples and ds.targets == tv.targets and len(ds) == len(tv) == 12
    for i in range(len(ds)):
        (a, ya), (b, yb) = ds[i], tv[i]
        want = np.array(b)
        assert a.dtype == ctorch.uint8 and list(a.shape) == list(want.shape) and ya == yb
        if ds.samples[i][0].endswith(".png"):
            assert a.tolist() == want.tolist()
        else:  # JPEG: libjpeg-turbo in both; allow IDCT rounding
            assert np.abs(a.numpy().astype(int) - want.astype(int)).max() <= 2
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        CD.ImageFolder(folder + "/cat/sub")


def test_deterministic_transforms_equal_torchvision():
    rng = np.random.default_rng(1)
    x8 = rng.integers(0, 256, size=(3, 21, 30), dtype=np.uint8)
    xf = rng.random((3, 21, 30)).astype(np.float32)
    cases = [lambda m: m.Resize((10, 13)), lambda m: m.Resize(12),
             lambda m: m.Resize(9, interpolation=m.InterpolationMode.NEAREST),
             lambda m: m.CenterCrop(11), lambda m: m.CenterCrop((25, 8)),
             lambda m: m.Pad(2), lambda m: m.Pad((1, 2, 3, 4), fill=7, padding_mode="constant"),
             lambda m: m.Pad(3, padding_mode="reflect"), lambda m: m.Pad(2, padding_mode="edge"),
             lambda m: m.Grayscale(), lambda m: m.Grayscale(3)]
    for f in cases:
        for x in (x8, xf):
            want = f(TT)(torch.from_numpy(x))
            got = f(CT)(ctorch.from_numpy(x))
            assert str(got.dtype) == str(want.dtype) and list(got.shape) == list(want.shape), f(TT)
            np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64),
                                       atol=1 if x is x8 else 1e-5, err_msg=repr(f(TT)))


def test_random_transforms_draw_like_torchvision():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, size=(3, 24, 28), dtype=np.uint8)
    cases = [lambda m: m.RandomCrop(16), lambda m: m.RandomCrop((20, 10), padding=3),
             lambda m: m.RandomHorizontalFlip(), lambda m: m.RandomVerticalFlip(0.7),
             lambda m: m.RandomResizedCrop(12), lambda m: m.RandomResizedCrop((8, 14), scale=(0.5, 1.0)),
             lambda m: m.ColorJitter(0.4, 0.4, 0.4, 0.1)]
    for f in cases:
        for seed in range(4):
            torch.manual_seed(seed)
            want = f(TT)(torch.from_numpy(x))
            ctorch.manual_seed(seed)
            got = f(CT)(ctorch.from_numpy(x))
            assert list(got.shape) == list(want.shape), f(TT)
            assert np.abs(got.numpy().astype(int) - want.numpy().astype(int)).max() <= 1, f(TT)


def test_pil_first_pipeline_and_c_loader(folder):
    """torchvision's PIL-first pipeline written unchanged: crop/flip on the
    HWC image, then ToTensor and Normalize; the same values through the
    Python path and through the C loader (random draws aside)."""
    tfm = lambda m: m.Compose([m.CenterCrop(16), m.ToTensor(), m.Normalize((0.5, 0.4, 0.3), (0.2, 0.2, 0.2))])
    tv = torchvision.datasets.ImageFolder(folder, transform=tfm(TT))
    ds = CD.ImageFolder(folder, transform=tfm(CT))
    png = [i for i, (p, _) in enumerate(ds.samples) if p.endswith(".png")]
    for i in png:
        np.testing.assert_allclose(ds[i][0].numpy(), tv[i][0].numpy(), rtol=1e-5, atol=1e-5)
    for nw in (0, 2):
        dl = cud.DataLoader(cud.Subset(ds, png), batch_size=4, num_workers=nw)
        it = iter(dl)
        assert type(it).__name__ == "_CLoaderIter"
        xs = [b[0] for b in it]
        got = ctorch.cat(xs).numpy()
        want = np.stack([tv[i][0].numpy() for i in png])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # random augmentation in the C loader: same batches whatever num_workers
    aug = CT.Compose([CT.RandomResizedCrop(12), CT.RandomHorizontalFlip(), CT.ToTensor()])
    ds = CD.ImageFolder(folder, transform=aug)
    runs = []
    for nw in (0, 1, 2):
        dl = cud.DataLoader(ds, batch_size=5, shuffle=True, num_workers=nw,
                            generator=ctorch.Generator().manual_seed(3))
        assert type(iter(dl)).__name__ == "_CLoaderIter"
        runs.append([(b[0].numpy(), b[1].tolist()) for b in dl])
    for r in runs[1:]:
        assert [y for _, y in r] == [y for _, y in runs[0]]
        for (a, _), (b, _) in zip(r, runs[0]):
            np.testing.assert_array_equal(a, b)
    assert sorted(sum((y for _, y in runs[0]), [])) == sorted(ds.targets)
