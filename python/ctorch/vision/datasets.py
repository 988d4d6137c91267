"""torchvision.datasets for ctorch: MNIST, FashionMNIST, KMNIST (IDX files,
plain or gzip), CIFAR10 and CIFAR100 (the binary version, or torchvision's
python version when that is what root holds), ImageFolder / DatasetFolder
(JPEG and PNG decoded in C).

Items are (image, target) as in torchvision, with the image a uint8 tensor
([28, 28] for the MNIST family, [32, 32, 3] HWC for CIFAR, [H, W, 3] RGB for
ImageFolder) instead of a PIL image; target is a Python int. Nothing is downloaded: ctorch has no network
access; download=True with missing files raises an error naming the files.
"""
import os

import ctorch
from ctorch.utils.data.dataset import Dataset
from ctorch.vision.transforms.transforms import c_transforms


class VisionDataset(Dataset):
    _repr_indent = 4

    def __init__(self, root, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _c_from_tensors(self, data, targets):
        """The C dataset of (data[i], targets[i]) with the image transform in C,
        or None when a transform has no C form."""
        if self.transforms is not None or self.target_transform is not None:
            return None
        chain = []
        if self.transform is not None:
            chain = c_transforms(self.transform)
            if chain is None:
                return None
        base = ctorch._C._tensor_dataset([data, targets])
        return ctorch._C._transformed_dataset(base, 0, chain) if chain else base

    def extra_repr(self):
        return ""

    def __repr__(self):
        head = "Dataset " + self.__class__.__name__
        body = ["Number of datapoints: {}".format(self.__len__())]
        if self.root is not None:
            body.append("Root location: {}".format(self.root))
        body += self.extra_repr().splitlines()
        if self.transform is not None:
            body += ["Transform: " + l if i == 0 else " " * 11 + l
                     for i, l in enumerate(repr(self.transform).splitlines())]
        if self.target_transform is not None:
            body += ["Target transform: " + l if i == 0 else " " * 18 + l
                     for i, l in enumerate(repr(self.target_transform).splitlines())]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)


def _no_download(cls, places, names):
    return RuntimeError(
        "{}: dataset not found: none of {} holds {}. ctorch does not download datasets "
        "(no network access); put the files there (on Debian, the package "
        "dataset-fashion-mnist installs Fashion-MNIST in /usr/share/datasets/fashion-mnist)."
        .format(cls, places, ", ".join(names)))


class MNIST(VisionDataset):
    """MNIST-format IDX files. Looked up in root/<ClassName>/raw (torchvision's
    layout) and then in root itself (e.g. /usr/share/datasets/fashion-mnist),
    each file plain or with .gz."""

    resources_stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        prefix = "train" if train else "t10k"
        stems = [prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"]
        found = [self._find(s) for s in stems]
        if None in found:
            raise _no_download(self.__class__.__name__, [self.raw_folder, self.root], stems)
        self.data = ctorch._C._idx_read(found[0])
        labels = ctorch._C._idx_read(found[1])
        if self.data.dim() != 3 or labels.dim() != 1 or self.data.dtype != ctorch.uint8:
            raise RuntimeError("{}: {} and {} are not an idx3 uint8 images file and an idx1 "
                               "labels file".format(self.__class__.__name__, *found))
        if labels.size(0) != self.data.size(0):
            raise RuntimeError("{}: {} images but {} labels".format(
                self.__class__.__name__, self.data.size(0), labels.size(0)))
        self.targets = labels.long()
        self._c = None

    def _find(self, stem):
        for d in (self.raw_folder, self.root):
            for name in (stem, stem + ".gz"):
                p = os.path.join(d, name)
                if os.path.isfile(p):
                    return p
        return None

    @property
    def raw_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self):
        return {_class: i for i, _class in enumerate(self.classes)}

    @property
    def train_labels(self):
        return self.targets

    @property
    def test_labels(self):
        return self.targets

    @property
    def train_data(self):
        return self.data

    @property
    def test_data(self):
        return self.data

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def _c_dataset(self):
        return self._c_from_tensors(self.data, self.targets)

    def extra_repr(self):
        return "Split: {}".format("Train" if self.train is True else "Test")


class FashionMNIST(MNIST):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class CIFAR10(VisionDataset):
    """CIFAR-10 from the binary version (root/cifar-10-batches-bin/
    data_batch_{1..5}.bin, test_batch.bin: records of 1 label byte and 3072
    pixel bytes) or torchvision's python version (root/cifar-10-batches-py).
    .data is a uint8 NumPy array [N, 32, 32, 3] and .targets a list of ints,
    as in torchvision."""

    bin_folder = "cifar-10-batches-bin"
    base_folder = "cifar-10-batches-py"
    train_bin = ["data_batch_{}.bin".format(i) for i in range(1, 6)]
    test_bin = ["test_batch.bin"]
    train_list = ["data_batch_{}".format(i) for i in range(1, 6)]
    test_list = ["test_batch"]
    meta_bin = "batches.meta.txt"
    meta_py = ("batches.meta", "label_names")
    label_bytes = 1

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        import numpy as np
        self.train = train
        bdir = os.path.join(self.root, self.bin_folder)
        pdir = os.path.join(self.root, self.base_folder)
        bnames = self.train_bin if train else self.test_bin
        pnames = self.train_list if train else self.test_list
        if all(os.path.isfile(os.path.join(bdir, n)) for n in bnames):
            self.data, self.targets = self._read_bin([os.path.join(bdir, n) for n in bnames], np)
            self.classes = self._meta_bin(bdir)
        elif all(os.path.isfile(os.path.join(pdir, n)) for n in pnames):
            self.data, self.targets = self._read_py([os.path.join(pdir, n) for n in pnames], np)
            self.classes = self._meta_py(pdir)
        else:
            raise _no_download(self.__class__.__name__, [bdir, pdir], bnames)
        self.class_to_idx = {_class: i for i, _class in enumerate(self.classes)}

    def _read_bin(self, paths, np):
        rec = self.label_bytes + 3072
        data, targets = [], []
        for p in paths:
            raw = np.fromfile(p, dtype=np.uint8)
            if raw.size == 0 or raw.size % rec:
                raise RuntimeError("{}: {}: {} bytes is not a whole number of {}-byte records"
                                   .format(self.__class__.__name__, p, raw.size, rec))
            raw = raw.reshape(-1, rec)
            targets.append(raw[:, self.label_bytes - 1].astype(np.int64))
            data.append(raw[:, self.label_bytes:].reshape(-1, 3, 32, 32))
        data = np.vstack(data).transpose((0, 2, 3, 1)).copy()
        targets = np.concatenate(targets)
        if targets.max(initial=0) >= self.num_classes:
            raise RuntimeError("{}: label {} is out of range [0, {})".format(
                self.__class__.__name__, int(targets.max()), self.num_classes))
        return data, targets.tolist()

    def _read_py(self, paths, np):
        import pickle
        data, targets = [], []
        for p in paths:
            with open(p, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data.append(entry["data"])
            targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1)).copy()
        return data, list(targets)

    def _meta_bin(self, d):
        p = os.path.join(d, self.meta_bin)
        if not os.path.isfile(p):
            return [str(i) for i in range(self.num_classes)]
        with open(p) as f:
            names = [line.strip() for line in f if line.strip()]
        return names

    def _meta_py(self, d):
        import pickle
        p = os.path.join(d, self.meta_py[0])
        if not os.path.isfile(p):
            return [str(i) for i in range(self.num_classes)]
        with open(p, "rb") as f:
            return pickle.load(f, encoding="latin1")[self.meta_py[1]]

    num_classes = 10

    def __getitem__(self, index):
        img, target = ctorch.from_numpy(self.data[index]), self.targets[index]
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def _c_dataset(self):
        return self._c_from_tensors(ctorch.from_numpy(self.data),
                                    ctorch.tensor(self.targets, dtype=ctorch.int64))

    def extra_repr(self):
        return "Split: {}".format("Train" if self.train is True else "Test")


class CIFAR100(CIFAR10):
    """CIFAR-100: root/cifar-100-binary/{train,test}.bin (records of coarse
    label, fine label, 3072 pixels; the target is the fine label) or
    torchvision's root/cifar-100-python."""

    bin_folder = "cifar-100-binary"
    base_folder = "cifar-100-python"
    train_bin = ["train.bin"]
    test_bin = ["test.bin"]
    train_list = ["train"]
    test_list = ["test"]
    meta_bin = "fine_label_names.txt"
    meta_py = ("meta", "fine_label_names")
    label_bytes = 2
    num_classes = 100


IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def default_loader(path):
    """An image file (JPEG or PNG) as uint8 [H, W, 3] RGB, decoded in C
    (torchvision's default_loader gives the same pixels as a PIL RGB image)."""
    return ctorch._C._image_read(os.fspath(path), 3)


def has_file_allowed_extension(filename, extensions):
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def is_image_file(filename):
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """Sorted class folder names and their indices (torchvision's rule)."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {cls_name: i for i, cls_name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None):
    """[(path, class index)] in torchvision's order: class by class, then
    os.walk order with folders and files sorted."""
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    both_none = extensions is None and is_valid_file is None
    both_something = extensions is not None and is_valid_file is not None
    if both_none or both_something:
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(x):
            return has_file_allowed_extension(x, extensions)
    instances = []
    available_classes = set()
    for target_class in sorted(class_to_idx.keys()):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available_classes.add(target_class)
    empty_classes = set(class_to_idx.keys()) - available_classes
    if empty_classes:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty_classes))}. "
        if extensions is not None:
            msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
        raise FileNotFoundError(msg)
    return instances


class DatasetFolder(VisionDataset):
    """Samples arranged as root/<class>/.../<file>; items (loader(path), class index)."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None):
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions=extensions,
                            is_valid_file=is_valid_file)

    def find_classes(self, directory):
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._apply(self.loader(path), target)

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """root/<class>/<image>: items (uint8 [H, W, 3] RGB image, class index).
    With the default loader and no is_valid_file, the C DataLoader reads,
    decodes (libjpeg-turbo, libpng) and transforms the images in its worker
    threads without the GIL."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file)
        self.imgs = self.samples
        self._c_base = None  # the C ImageFolder, made on first use
        self._c_plain = loader is default_loader and is_valid_file is None and \
            type(self).find_classes is DatasetFolder.find_classes

    def _c_dataset(self):
        if not self._c_plain:
            return None
        if self.transforms is not None or self.target_transform is not None:
            return None
        if self._c_base is None:
            root = os.fspath(self.root)
            # the C folder walk must list the same samples in the same order
            same = [tuple(s) for s in ctorch._C._image_folder(root, list(IMG_EXTENSIONS))[1]] \
                == [tuple(s) for s in self.samples]
            self._c_base = (ctorch._C._image_folder_dataset(root, list(IMG_EXTENSIONS))
                            if same else False)
        cds = self._c_base
        if cds is False:
            return None
        chain = []
        if self.transform is not None:
            chain = c_transforms(self.transform)
            if chain is None:
                return None
        return ctorch._C._transformed_dataset(cds, 0, chain) if chain else cds
