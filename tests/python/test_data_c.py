"""The C data layer's images, folders and transforms against Pillow and
torchvision (Debian's python3-pil, python3-torchvision 0.14), through the
private ctorch._C bindings (python/csrc/bind_data_image.c). Every file is
written by the test itself into a temporary folder."""
import os
import struct
import zlib

import numpy as np
import pytest

import ctorch

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
C = ctorch._C


def to_np(t):
    return np.asarray(t.numpy())


def from_np(a):
    return ctorch.tensor(a)


def rgb(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def smooth(h, w, seed=0):
    """A smooth image (JPEG-friendly)."""
    y, x = np.mgrid[0:h, 0:w]
    r = (127 + 120 * np.sin(x / 5.0 + seed)).astype(np.uint8)
    g = (127 + 120 * np.cos(y / 7.0)).astype(np.uint8)
    b = ((x * 3 + y * 5 + seed * 11) % 256).astype(np.uint8)
    return np.stack([r, g, b], -1)


def pillow(path, mode):
    a = np.asarray(Image.open(path).convert(mode))
    return a[..., None] if a.ndim == 2 else a


MODES = [(3, "RGB"), (1, "L"), (4, "RGBA"), (2, "LA")]


# ------------------------------------------------------------------ decoding
@pytest.mark.parametrize("kind", ["RGB", "L", "RGBA", "LA", "P", "Prgba", "1", "I16"])
def test_png_pixels_equal_pillow(tmp_path, kind):
    a = rgb(13, 21, 1)
    if kind == "RGB":
        im = Image.fromarray(a)
    elif kind == "L":
        im = Image.fromarray(a[..., 0])
    elif kind == "RGBA":
        im = Image.fromarray(np.concatenate([a, a[..., :1]], -1))
    elif kind == "LA":
        im = Image.fromarray(a[..., :2].copy(), "LA")
    elif kind == "P":
        im = Image.fromarray(a).quantize(17)
    elif kind == "Prgba":
        im = Image.fromarray(np.concatenate([a, a[..., :1]], -1)).quantize(9)
    elif kind == "1":
        im = Image.fromarray(a[..., 0] > 128)
    else:
        im = Image.fromarray((a[..., 0].astype(np.uint16) * 7)).convert("I;16")
    p = str(tmp_path / f"x_{kind}.png")
    im.save(p)
    for mode, pm in MODES:
        got = to_np(C._image_read(p, mode))
        ref = pillow(p, pm)
        assert got.shape == ref.shape, (kind, pm)
        assert np.array_equal(got, ref), (kind, pm)


def test_png_16bit_rgb_and_interlaced(tmp_path):
    a = (np.random.default_rng(3).integers(0, 65536, (9, 11, 3))).astype(">u2")
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    p = str(tmp_path / "rgb16.png")
    with open(p, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    for mode, pm in MODES[:3]:
        assert np.array_equal(to_np(C._image_read(p, mode)), pillow(p, pm))
    q = str(tmp_path / "inter.png")
    Image.fromarray(rgb(19, 7, 4)).save(q, interlace=1)
    assert np.array_equal(to_np(C._image_read(q, 3)), pillow(q, "RGB"))


@pytest.mark.parametrize("gray", [False, True])
@pytest.mark.parametrize("sub", [0, 2])
def test_jpeg_pixels_equal_pillow(tmp_path, gray, sub):
    a = smooth(37, 29, 2)
    im = Image.fromarray(a[..., 1] if gray else a)
    p = str(tmp_path / "x.jpg")
    im.save(p, quality=85, subsampling=sub)
    for mode, pm in MODES:
        got = to_np(C._image_read(p, mode))
        ref = pillow(p, pm)
        # the same libjpeg-turbo with the same settings: exact
        assert np.array_equal(got, ref), pm
    q = str(tmp_path / "prog.jpg")
    im.save(q, quality=70, progressive=True)
    assert np.array_equal(to_np(C._image_read(q, 3)), pillow(q, "RGB"))


def test_decode_bytes_equals_read(tmp_path):
    p = str(tmp_path / "x.png")
    Image.fromarray(rgb(5, 6)).save(p)
    with open(p, "rb") as f:
        data = f.read()
    assert np.array_equal(to_np(C._image_decode(data, 3)), to_np(C._image_read(p, 3)))


def test_corrupt_images_raise(tmp_path):
    p = str(tmp_path / "x.jpg")
    Image.fromarray(smooth(40, 40)).save(p, quality=90)
    data = open(p, "rb").read()
    for cut in (2, 3, 20, 200, len(data) // 2, len(data) - 2):
        with pytest.raises(Exception, match="image"):
            C._image_decode(data[:cut])
    bad = bytearray(data)
    bad[len(bad) // 2: len(bad) // 2 + 64] = b"\xff" * 64
    try:  # corrupt entropy data: libjpeg may recover (a warning), never crash
        C._image_decode(bytes(bad))
    except ValueError:
        pass
    q = str(tmp_path / "x.png")
    Image.fromarray(rgb(30, 30)).save(q)
    png = open(q, "rb").read()
    with pytest.raises(Exception, match="cannot identify"):
        C._image_decode(b"\x89PNX" + png[4:])
    for cut in (10, 30, 60, len(png) - 20):
        with pytest.raises(ValueError, match="bad PNG"):
            C._image_decode(png[:cut])
    flipped = bytearray(png)
    flipped[40] ^= 0xFF  # inside IDAT: CRC error
    with pytest.raises(ValueError, match="bad PNG"):
        C._image_decode(bytes(flipped))


def test_huge_declared_dimensions_raise_before_allocating():
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
    with pytest.raises(ValueError, match="decompression bomb"):
        C._image_decode(png + chunk(b"IDAT", zlib.compress(b"\x00" * 100)))
    # a JPEG SOF0 declaring 65000 x 65000
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 65000, 65000, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    jpg = b"\xff\xd8" + sof + b"\xff\xd9"
    with pytest.raises(ValueError):
        C._image_decode(jpg)


# ------------------------------------------------------------------ ImageFolder
def test_image_folder_matches_torchvision(tmp_path):
    tv = pytest.importorskip("torchvision")
    root = tmp_path / "root"
    files = ["b_cls/z.png", "b_cls/a.JPG", "b_cls/sub/m.png", "b_cls/sub-x/k.png", "a_cls/x.jpeg",
             "a_cls/y.txt", "A_up/q.png", "c cls/n.ppm.png", "a_cls/deep/er/e.png"]
    for i, f in enumerate(files):
        path = root / f
        path.parent.mkdir(parents=True, exist_ok=True)
        if f.endswith(".txt"):
            path.write_text("not an image")
        else:
            Image.fromarray(smooth(8 + i, 9, i)).save(str(path), format="PNG" if ".png" in f.lower() else "JPEG")
    ref = tv.datasets.ImageFolder(str(root))
    classes, samples = C._image_folder(str(root))
    assert classes == ref.classes
    assert samples == [(p, t) for p, t in ref.samples]
    for p, t in samples:
        assert np.array_equal(to_np(C._image_read(p, 3)), np.asarray(ref.loader(p)))
    with pytest.raises(FileNotFoundError) as ref_err:
        tv.datasets.DatasetFolder(str(root), ref.loader, extensions=(".jpeg",))
    with pytest.raises(FileNotFoundError) as err:
        C._image_folder(str(root), [".jpeg"])
    assert str(err.value) == str(ref_err.value)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        C._image_folder(str(root / "a_cls" / "deep" / "er"))


# ------------------------------------------------------------------ functional ops vs torchvision
def tvF():
    return pytest.importorskip("torchvision.transforms.functional")


def imgs(seed=0):
    """uint8 and float32 CHW images, and a batch."""
    a = np.ascontiguousarray(rgb(23, 31, seed).transpose(2, 0, 1))
    return [a, (a / 255.0).astype(np.float32), np.stack([a, a[:, ::-1].copy()]).astype(np.float64) / 255.0]


def check(ours, ref, arr):
    ours = to_np(ours)
    ref = ref.numpy()
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    if arr.dtype == np.uint8:
        d = np.abs(ours.astype(int) - ref.astype(int))
        # float rounding at .5 or at integer boundaries before truncation
        assert d.max() <= 1 and (d > 0).mean() < 0.005
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("size", [(11, 17), (40, 50), (23, 31), (5, 60)])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_matches_torchvision(size, antialias):
    F = tvF()
    for a in imgs(1):
        ref = F.resize(torch.from_numpy(a), list(size), antialias=antialias)
        check(C._vision_resize(from_np(a), size, "bilinear", antialias), ref, a)
    a = imgs(2)[0]
    ref = F.resize(torch.from_numpy(a), list(size), interpolation=F.InterpolationMode.NEAREST)
    assert np.array_equal(to_np(C._vision_resize(from_np(a), size, "nearest")), ref.numpy())


def test_resize_transform_shorter_side_and_max_size():
    T = pytest.importorskip("torchvision.transforms")
    a = imgs(3)[1]
    for size, max_size in [(10, None), ([16], None), ((12, 9), None), (10, 12)]:
        ref = T.Resize(size, max_size=max_size)(torch.from_numpy(a))
        got = C._transform_resize(from_np(a), size, max_size=max_size)
        check(got, ref, a)


@pytest.mark.parametrize("size", [(10, 10), (23, 31), (8, 31), (30, 40), (24, 30), (1, 1)])
def test_center_crop_matches_torchvision(size):
    F = tvF()
    for a in imgs(4):
        ref = F.center_crop(torch.from_numpy(a), list(size))
        assert np.array_equal(to_np(C._vision_center_crop(from_np(a), size)), ref.numpy())


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [3, (2, 5), (1, 0, 4, 2), (-2, 3, 1, -1)])
def test_pad_matches_torchvision(mode, padding):
    F = tvF()
    for a in imgs(5):
        ref = F.pad(torch.from_numpy(a), padding if isinstance(padding, int) else list(padding), fill=7 if a.dtype == np.uint8 else 0.25, padding_mode=mode)
        got = C._vision_pad(from_np(a), padding, 7 if a.dtype == np.uint8 else 0.25, mode)
        assert np.array_equal(to_np(got), ref.numpy())


def test_crop_and_flips_match_torchvision():
    F = tvF()
    for a in imgs(6):
        t = torch.from_numpy(a)
        for box in [(2, 3, 10, 12), (-3, -2, 8, 9), (20, 25, 10, 10), (0, 0, 23, 31)]:
            assert np.array_equal(to_np(C._vision_crop(from_np(a), *box)), F.crop(t, *box).numpy())
        assert np.array_equal(to_np(C._vision_hflip(from_np(a))), F.hflip(t).numpy())
        assert np.array_equal(to_np(C._vision_vflip(from_np(a))), F.vflip(t).numpy())


def test_color_functions_match_torchvision():
    F = tvF()
    for a in imgs(7):
        t = torch.from_numpy(a)
        x = from_np(a)
        for f in (0.0, 0.4, 1.0, 1.7):
            check(C._vision_adjust_brightness(x, f), F.adjust_brightness(t, f), a)
            check(C._vision_adjust_contrast(x, f), F.adjust_contrast(t, f), a)
            check(C._vision_adjust_saturation(x, f), F.adjust_saturation(t, f), a)
        for h in (-0.5, -0.2, 0.0, 0.13, 0.5):
            check(C._vision_adjust_hue(x, h), F.adjust_hue(t, h), a)
        for k in (1, 3):
            check(C._vision_rgb_to_grayscale(x, k), F.rgb_to_grayscale(t, k), a)
    with pytest.raises(ValueError, match="hue_factor"):
        C._vision_adjust_hue(from_np(imgs()[1]), 0.7)
    with pytest.raises(Exception, match="channel"):
        C._vision_adjust_hue(from_np(np.zeros((2, 4, 4), np.float32)), 0.1)


# ------------------------------------------------------------------ random transforms: same draws as torchvision
def test_random_transforms_draw_like_torchvision():
    T = pytest.importorskip("torchvision.transforms")
    a = imgs(8)[0]
    t = torch.from_numpy(a)
    cases = [
        (lambda: T.RandomResizedCrop((14, 12))(t), lambda: C._transform_random_resized_crop(from_np(a), (14, 12))),
        (lambda: T.RandomResizedCrop(9, scale=(0.5, 0.9), ratio=(0.2, 5.0))(t),
         lambda: C._transform_random_resized_crop(from_np(a), 9, (0.5, 0.9), (0.2, 5.0))),
        (lambda: T.RandomCrop((12, 20), padding=3, padding_mode="reflect")(t),
         lambda: C._transform_random_crop(from_np(a), (12, 20), 3, padding_mode="reflect")),
        (lambda: T.RandomCrop((30, 40), pad_if_needed=True, fill=9)(t),
         lambda: C._transform_random_crop(from_np(a), (30, 40), None, True, 9)),
        (lambda: T.RandomHorizontalFlip()(t), lambda: C._transform_random_horizontal_flip(from_np(a))),
        (lambda: T.RandomVerticalFlip(0.3)(t), lambda: C._transform_random_vertical_flip(from_np(a), 0.3)),
        (lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1)(t), lambda: C._transform_color_jitter(from_np(a), 0.4, 0.4, 0.4, 0.1)),
        (lambda: T.ColorJitter(brightness=(0.5, 0.9), hue=0.3)(t),
         lambda: C._transform_color_jitter(from_np(a), brightness=(0.5, 0.9), hue=0.3)),
    ]
    for k, (ref_fn, our_fn) in enumerate(cases):
        for seed in range(6):
            torch.manual_seed(seed)
            ref = ref_fn()
            ctorch.manual_seed(seed)
            got = our_fn()
            check(got, ref, a)
            # the generators advanced alike
            assert torch.rand(1).item() == ctorch.rand(1).item(), k


def test_random_resized_crop_statistics():
    a = imgs(9)[1]
    x = from_np(a)
    ctorch.manual_seed(0)
    flips = 0
    for _ in range(200):
        y = to_np(C._transform_random_resized_crop(x, (7, 5)))
        assert y.shape == (3, 7, 5) and y.min() >= 0 and y.max() <= 1
        flips += np.array_equal(to_np(C._transform_random_horizontal_flip(x, 0.25)), to_np(C._vision_hflip(x)))
    assert 25 <= flips <= 75


# ------------------------------------------------------------------ DistributedSampler
@pytest.mark.parametrize("n,rep,shuffle,drop", [(10, 3, True, False), (10, 3, True, True), (11, 4, False, False),
                                                (7, 2, False, True), (2, 4, True, False), (100, 8, True, True)])
def test_distributed_sampler_equals_torch(n, rep, shuffle, drop):
    from torch.utils.data import DistributedSampler
    for rank in range(rep):
        for epoch in (0, 3):
            s = DistributedSampler(range(n), num_replicas=rep, rank=rank, shuffle=shuffle, seed=5, drop_last=drop)
            s.set_epoch(epoch)
            assert C._distributed_sampler_indices(n, rep, rank, shuffle, 5, drop, epoch) == list(s), (rank, epoch)


def test_csv_read(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c\n1,2.5,-3e2\n\n4, 5 ,\"6\"\r\n")
    got = to_np(C._csv_read(str(p), ",", True))
    assert np.array_equal(got, np.array([[1, 2.5, -300], [4, 5, 6]], np.float32))
    p.write_text("1,2\n3,x\n")
    with pytest.raises(ValueError, match=r"d.csv:2: column 2: 'x' is not a number"):
        C._csv_read(str(p))
