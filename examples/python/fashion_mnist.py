"""Fashion-MNIST with a small CNN: the Python twin of the C demo (demo/fashion_mnist.c).

    python3 examples/python/fashion_mnist.py [--epochs 3] [--limit N] ...

Same model, data and recipe as the C demo: conv 1->32 3x3, relu, maxpool 2,
conv 32->64 3x3, relu, maxpool 2, linear 3136->128, relu, linear 128->10;
Adam (lr 1e-3) halved after each epoch (StepLR gamma 0.5), batches of 64
shuffled by a 2-worker DataLoader, inputs normalised with mean 0.2860, std
0.3530.

Plain PyTorch code but for the first line: it runs unchanged with
`import torch` (then torchvision reads the data). It reads Fashion-MNIST from
/usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package),
trains with a live progress bar per epoch (loss, accuracy, samples/s, ETA),
prints the test accuracy, saves the weights (fashion_mnist_cnn.pt) and, when
matplotlib is installed, the loss and accuracy curves (fashion_mnist_curves.png).
--limit N trains and tests on the first N samples only (a quick check).
"""
import argparse
import gzip
import importlib
import os
import shutil
import sys
import tempfile
import time

import ctorch as torch

nn, F = torch.nn, torch.nn.functional

vision = importlib.import_module("ctorch.vision" if torch.__name__ == "ctorch" else "torchvision")
datasets, transforms = vision.datasets, vision.transforms

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's training-set pixel mean and std


class CNN(nn.Module):
    """conv 3x3 (32) - relu - maxpool 2 - conv 3x3 (64) - relu - maxpool 2 -
    linear 128 - relu - linear 10: the C demo's model."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def torchvision_root(root):
    """torchvision wants root/FashionMNIST/raw/<plain files>; Debian ships a
    flat folder of .gz files: unpack them into a temporary root."""
    tmp = tempfile.mkdtemp(prefix="fashion_mnist_")
    raw = os.path.join(tmp, "FashionMNIST", "raw")
    os.makedirs(raw)
    for name in os.listdir(root):
        src = os.path.join(root, name)
        if name.endswith(".gz"):
            with gzip.open(src, "rb") as f, open(os.path.join(raw, name[:-3]), "wb") as g:
                shutil.copyfileobj(f, g)
        else:
            shutil.copy(src, raw)
    return tmp


def fmt_time(s):
    s = int(s + 0.5)
    return "%d:%02d" % (s // 60, s % 60)


class Progress:
    """One line per epoch, redrawn in place on a terminal (every 10% else)."""

    def __init__(self, epoch, epochs, total):
        self.head = "epoch %d/%d" % (epoch, epochs)
        self.total = total
        self.tty = sys.stdout.isatty()
        self.t0 = time.perf_counter()
        self.last = -1.0
        self.next_pct = 10

    def update(self, done, loss, acc, final=False):
        now = time.perf_counter()
        el = max(now - self.t0, 1e-9)
        rate = done / el
        eta = (self.total - done) / rate if rate > 0 else 0.0
        width = 30
        fill = int(width * done / self.total)
        line = "%s [%s%s] %d/%d loss %.4f acc %5.1f%% %6.0f samples/s %s %s" % (
            self.head, "=" * fill, "." * (width - fill), done, self.total, loss, 100 * acc, rate,
            "time" if final else "ETA", fmt_time(el if final else eta))
        if self.tty:
            if final or now - self.last > 0.1:
                sys.stdout.write("\r" + line + ("\n" if final else ""))
                sys.stdout.flush()
                self.last = now
        elif final or (done < self.total and 100 * done >= self.next_pct * self.total):
            print(line, flush=True)
            self.next_pct = 100 * done // self.total + 10


def evaluate(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            n += y.shape[0]
    model.train()
    return correct / max(n, 1)


def save_curves(path, losses, steps_per_epoch, train_acc, test_acc):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no curves written")
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    k = max(1, len(losses) // 200)  # smooth over k steps
    sm = [sum(losses[i:i + k]) / len(losses[i:i + k]) for i in range(0, len(losses), k)]
    a.plot([(i * k + k / 2) / steps_per_epoch for i in range(len(sm))], sm)
    a.set_xlabel("epoch")
    a.set_ylabel("training loss")
    ep = list(range(1, len(train_acc) + 1))
    b.plot(ep, [100 * v for v in train_acc], "o-", label="train")
    b.plot(ep, [100 * v for v in test_acc], "s-", label="test")
    b.set_xticks(ep)
    b.set_xlabel("epoch")
    b.set_ylabel("accuracy (%)")
    b.legend()
    fig.suptitle("Fashion-MNIST CNN (%s)" % torch.__name__)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("curves written to", path)


def main():
    quick = "PYTEST_CURRENT_TEST" in os.environ and len(sys.argv) == 1  # the examples test
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=1 if quick else 3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--gamma", type=float, default=0.5, help="lr factor after each epoch")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--limit", type=int, default=256 if quick else 0,
                   help="use only the first N training and test samples")
    p.add_argument("--out", default=tempfile.gettempdir() if quick else ".",
                   help="folder for the saved model and the curves")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    if not os.path.isdir(args.root):
        sys.exit("no Fashion-MNIST in %s (Debian: apt install dataset-fashion-mnist)" % args.root)
    root = args.root if torch.__name__ == "ctorch" else torchvision_root(args.root)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    train = datasets.FashionMNIST(root, train=True, transform=tf)
    test = datasets.FashionMNIST(root, train=False, transform=tf)
    if args.limit:
        train = torch.utils.data.Subset(train, range(min(args.limit, len(train))))
        test = torch.utils.data.Subset(test, range(min(args.limit, len(test))))
    g = torch.Generator().manual_seed(args.seed)
    train_loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True,
                                               num_workers=args.workers, generator=g)
    test_loader = torch.utils.data.DataLoader(test, batch_size=1000, num_workers=args.workers)

    model = CNN()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=args.gamma)
    print("%s %s: %d training / %d test images, %d threads, %d parameters" % (
        torch.__name__, torch.__version__, len(train), len(test), torch.get_num_threads(),
        sum(q.numel() for q in model.parameters())))
    losses, train_acc, test_acc = [], [], []
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        bar = Progress(epoch, args.epochs, len(train))
        seen = correct = 0
        loss_sum = 0.0
        for x, y in train_loader:
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            b = y.shape[0]
            lv = loss.item()
            losses.append(lv)
            loss_sum += lv * b
            correct += (out.argmax(1) == y).sum().item()
            seen += b
            bar.update(seen, loss_sum / seen, correct / seen)
        bar.update(seen, loss_sum / max(seen, 1), correct / max(seen, 1), final=True)
        sched.step()
        train_acc.append(correct / max(seen, 1))
        test_acc.append(evaluate(model, test_loader))
        print("epoch %d: test accuracy %.2f%%" % (epoch, 100 * test_acc[-1]))
    print("test accuracy %.2f%% after %d epochs in %s" % (
        100 * test_acc[-1], args.epochs, fmt_time(time.perf_counter() - t_start)))

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "fashion_mnist_cnn.pt")
    torch.save(model.state_dict(), path)
    print("model saved to", path)
    save_curves(os.path.join(args.out, "fashion_mnist_curves.png"), losses,
                max(1, len(train_loader)), train_acc, test_acc)
    if root != args.root:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
