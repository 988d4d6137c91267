"""ctorch.vision against torchvision 0.14 (Debian) on small files written
here: same pixels and labels, same ToTensor/Normalize output, same batches
through the DataLoader."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as TT

import ctorch
import ctorch.utils.data as cud
from ctorch.vision import datasets as CD, transforms as CT


def write_idx(path, arr, gz=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    head = struct.pack(">HBB", 0, codes[arr.dtype.type], arr.ndim)
    head += b"".join(struct.pack(">I", s) for s in arr.shape)
    data = head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(data)


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    """root/<Name>/raw/ with plain files (torchvision's layout) for MNIST and
    FashionMNIST, and a flat directory of .gz files (Debian's layout)."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("mnist")
    flat = tmp_path_factory.mktemp("flat")
    sets = {}
    for split, n in (("train", 50), ("t10k", 20)):
        imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        sets[split] = (imgs, labels)
        for name in ("MNIST", "FashionMNIST", "KMNIST"):
            raw = root / name / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            write_idx(raw / f"{split}-images-idx3-ubyte", imgs)
            write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
        write_idx(flat / f"{split}-images-idx3-ubyte.gz", imgs, gz=True)
        write_idx(flat / f"{split}-labels-idx1-ubyte.gz", labels, gz=True)
    return str(root), str(flat), sets


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_items_equal_torchvision(mnist_root, name, train):
    root, flat, sets = mnist_root
    tv = getattr(torchvision.datasets, name)(root, train=train)
    for r in (root, flat):
        ds = getattr(CD, name)(r, train=train)
        assert len(ds) == len(tv) and ds.classes == tv.classes
        assert ds.data.tolist() == tv.data.tolist() and ds.targets.tolist() == tv.targets.tolist()
        assert str(ds.targets.dtype) == str(tv.targets.dtype)
        for i in (0, 7, len(tv) - 1):
            (a, ya), (b, yb) = ds[i], tv[i]
            assert a.dtype == ctorch.uint8 and list(a.shape) == [28, 28]
            assert a.tolist() == np.array(b).tolist() and ya == yb and type(ya) is int


def test_mnist_transforms_and_loader_equal_torchvision(mnist_root):
    root, flat, _ = mnist_root
    tv = torchvision.datasets.FashionMNIST(
        root, transform=TT.Compose([TT.ToTensor(), TT.Normalize((0.286,), (0.353,))]))
    ds = CD.FashionMNIST(flat, transform=CT.Compose([CT.ToTensor(), CT.Normalize((0.286,), (0.353,))]))
    for i in (0, 3):
        np.testing.assert_allclose(ds[i][0].numpy(), tv[i][0].numpy(), rtol=1e-6, atol=1e-6)
    for nw in (0, 2):
        a = torch.utils.data.DataLoader(tv, batch_size=16, shuffle=True,
                                        generator=torch.Generator().manual_seed(1))
        b = cud.DataLoader(ds, batch_size=16, shuffle=True, num_workers=nw,
                           generator=ctorch.Generator().manual_seed(1))
        it = iter(b)
        assert type(it).__name__ == "_CLoaderIter"  # C transforms: the C loader
        got = list(it)
        want = list(a)
        assert len(got) == len(want) == 4
        for (x, y), (xw, yw) in zip(got, want):
            assert list(x.shape) == list(xw.shape) and str(x.dtype) == str(xw.dtype)
            np.testing.assert_allclose(x.numpy(), xw.numpy(), rtol=1e-6, atol=1e-6)
            assert y.tolist() == yw.tolist() and str(y.dtype) == str(yw.dtype)
    # a Python transform: the Python path, same values
    ds2 = CD.FashionMNIST(flat, transform=CT.Compose([CT.ToTensor(), CT.Lambda(lambda x: x * 2)]),
                          target_transform=lambda y: y + 1)
    b = cud.DataLoader(ds2, batch_size=16, num_workers=2)
    assert type(iter(b)).__name__ == "_ThreadedDataLoaderIter"
    x, y = next(iter(b))
    np.testing.assert_allclose(x.numpy(), (tv.data[:16].float() / 255 * 2).unsqueeze(1).numpy(),
                               rtol=1e-6)
    assert y.tolist() == (tv.targets[:16] + 1).tolist()


def test_to_tensor_normalize_equal_torchvision():
    rng = np.random.default_rng(1)
    for shape in [(5, 7), (5, 7, 3), (4, 4, 1)]:
        img = rng.integers(0, 256, size=shape, dtype=np.uint8)
        want = TT.ToTensor()(img)
        for x in (img, ctorch.from_numpy(img)):
            got = CT.ToTensor()(x)
            assert str(got.dtype) == "torch.float32" and list(got.shape) == list(want.shape)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    f = rng.random((6, 5, 3))  # float64 ndarray: only transposed
    np.testing.assert_array_equal(CT.ToTensor()(f).numpy(), TT.ToTensor()(f).numpy())
    x = rng.random((3, 4, 5)).astype(np.float32)
    for mean, std in [((0.1, 0.2, 0.3), (0.5, 0.25, 2.0)), ([0.5], [0.5])]:
        want = TT.Normalize(mean, std)(torch.from_numpy(x))
        got = CT.Normalize(mean, std)(ctorch.from_numpy(x))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
        xb = np.stack([x, x])  # batched: through tensor ops
        np.testing.assert_allclose(CT.Normalize(mean, std)(ctorch.from_numpy(xb)).numpy(),
                                   TT.Normalize(mean, std)(torch.from_numpy(xb)).numpy(),
                                   rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="float tensor"):
        CT.Normalize((0.5,), (0.5,))(ctorch.zeros(1, 2, 2, dtype=ctorch.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        CT.Normalize((0.5,), (0.0,))(ctorch.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="pic should be"):
        CT.ToTensor()([1, 2])
    assert CT.Lambda(lambda v: v + 1)(1) == 2


def test_cifar_binary_and_python(tmp_path):
    rng = np.random.default_rng(2)
    for cls, folder, files, lb, ncls in [
            (CD.CIFAR10, "cifar-10-batches-bin", ["data_batch_%d.bin" % i for i in range(1, 6)], 1, 10),
            (CD.CIFAR100, "cifar-100-binary", ["train.bin"], 2, 100)]:
        d = tmp_path / folder
        d.mkdir()
        pix, labels = [], []
        for j, f in enumerate(files):
            n = 3 + j
            p = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
            lab = rng.integers(0, ncls, size=(n, lb), dtype=np.uint8)
            (d / f).write_bytes(np.concatenate([lab, p], axis=1).tobytes())
            pix.append(p)
            labels += lab[:, -1].tolist()
        ds = cls(str(tmp_path), train=True)
        want = np.concatenate(pix).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        assert len(ds) == len(want) and ds.targets == labels
        np.testing.assert_array_equal(ds.data, want)
        img, y = ds[len(ds) - 1]
        assert img.tolist() == want[-1].tolist() and y == labels[-1] and type(y) is int
        # ToTensor gives torchvision's CHW float for the same HWC image
        np.testing.assert_array_equal(CT.ToTensor()(img).numpy(), TT.ToTensor()(want[-1]).numpy())
        dsT = cls(str(tmp_path), train=True, transform=CT.ToTensor())
        x, yb = next(iter(cud.DataLoader(dsT, batch_size=len(ds), num_workers=1)))
        np.testing.assert_array_equal(x.numpy(), want.transpose(0, 3, 1, 2) / np.float32(255))
        assert yb.tolist() == labels
    with pytest.raises(RuntimeError, match="not a whole number"):
        (tmp_path / "cifar-100-binary" / "test.bin").write_bytes(b"\0" * 100)
        CD.CIFAR100(str(tmp_path), train=False)
    # torchvision's python pickles (the same arrays)
    pyd = tmp_path / "py" / "cifar-10-batches-py"
    pyd.mkdir(parents=True)
    data = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
    with open(pyd / "test_batch", "wb") as f:
        pickle.dump({"data": data, "labels": [1, 2, 3, 4]}, f)
    ds = CD.CIFAR10(str(tmp_path / "py"), train=False)
    np.testing.assert_array_equal(ds.data, data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RuntimeError, match="does not download"):
        CD.MNIST(str(tmp_path), download=True)
    with pytest.raises(RuntimeError, match="dataset not found"):
        CD.CIFAR10(str(tmp_path))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03\0\0\0\x09")
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\0\0\x08\x01\0\0\0\x01\x05")
    with pytest.raises(RuntimeError, match="idx"):
        CD.MNIST(str(tmp_path))


def test_fashion_mnist_system_dataset():
    root = "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(root):
        pytest.skip("dataset-fashion-mnist is not installed")
    ds = CD.FashionMNIST(root, train=False)
    assert len(ds) == 10000 and ds[0][0].shape == (28, 28) and 0 <= ds[0][1] < 10


@pytest.mark.parametrize("nw", [0, 2])
def test_c_loader_error_names_item(mnist_root, nw):
    """A C transform failing in the C loader's workers: the item is named."""
    root, _, sets = mnist_root
    # 2 channels of mean/std for 1-channel images: an error when applied
    ds = CD.MNIST(root, transform=CT.Compose([CT.ToTensor(), CT.Normalize((0.5, 0.5), (1, 1))]))
    dl = cud.DataLoader(ds, batch_size=4, sampler=[17, 3], num_workers=nw)
    assert type(iter(dl)).__name__ == "_CLoaderIter"
    with pytest.raises(RuntimeError, match=r"DataLoader: item 17: Normalize: 2 mean/std values"):
        next(iter(dl))


def test_transform_changed_between_epochs(mnist_root):
    root, _, sets = mnist_root
    ds = CD.MNIST(root, transform=CT.ToTensor())
    dl = cud.DataLoader(ds, batch_size=50, collate_fn=cud.default_collate)
    x0 = next(iter(dl))[0]
    assert type(iter(dl)).__name__ == "_CLoaderIter"  # default_collate given explicitly
    ds.transform = CT.Compose([CT.ToTensor(), CT.Normalize((0.5,), (0.5,))])
    x1 = next(iter(dl))[0]
    np.testing.assert_allclose(x1.numpy(), (x0.numpy() - 0.5) / 0.5, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x0.numpy()[:, 0] * 255, sets["train"][0].astype(np.float32))
