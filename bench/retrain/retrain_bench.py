# PyTorch eager side of bench/retrain: the same training loops as the CondensaPS "retrain" step (cross-entropy,
# SGD lr 0.01 momentum 0.9, seeded shuffling, batches built from uint8 samples and normalised per batch, a loss
# .item() per step), on the same architectures, batch sizes and thread count. Prints "key value" lines.
# Usage: /usr/bin/python3 retrain_bench.py THREADS STEPS REPO_ROOT lenet5|resnet18|resnet18_64|rss [lean]
# The training loop is PyTorch 1.13's documented one (opt.zero_grad() fills the gradients with zeros, SGD loops over
# the parameters); with "lean" it drops the gradients instead (zero_grad(set_to_none=True)) and SGD uses its foreach
# kernels: the leanest loop PyTorch 1.13 offers. CondensaPS's retrain step drops its gradients the same way (its SGD is
# TorchSharp's, a loop over the parameters).
import gzip, os, resource, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

threads, steps, root, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
lean = len(sys.argv) > 5 and sys.argv[5] == "lean"
torch.set_num_threads(threads)
torch.manual_seed(1)


# The shared LeNet-5 definition lives in REPO_ROOT/bench (this script runs from the benchmark's output folder).
sys.path.insert(0, os.path.join(root, "bench"))
from torch_lenet5 import LeNet5  # noqa: E402


def resnet18_cifar():
    # torchvision's ResNet-18 (CondensaPS's built-in uses the same layers and names) for 10 classes.
    return torchvision.models.resnet18(num_classes=10)


def mnist():
    with gzip.open(os.path.join(root, "data", "mnist", "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(root, "data", "mnist", "train-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy()), 0.1307, 0.3081


def epoch(model, opt, x, y, mean, std, batch, max_steps=None):
    order = torch.randperm(len(y))
    n = 0
    start = time.perf_counter()
    for i, b in enumerate(range(0, len(y), batch)):
        if max_steps is not None and i >= max_steps:
            break
        idx = order[b:b + batch]
        xb = (x[idx].float() / 255 - mean) / std
        yb = y[idx]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=lean)
        loss.backward()
        opt.step()
        loss.item()
        n += len(idx)
    return n / (time.perf_counter() - start)


def throughput(model, x, y, mean, std, batch, epochs):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, foreach=True if lean else None)
    rates = [epoch(model, opt, x, y, mean, std, batch) for _ in range(epochs)]
    return sum(rates[1:]) / len(rates[1:])


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


x, y, mean, std = mnist()
if mode == "lenet5":
    print("lenet5", throughput(LeNet5(), x, y, mean, std, 64, 3), flush=True)
elif mode == "resnet18":
    g = torch.Generator().manual_seed(1)
    cx = torch.randint(0, 256, (512, 3, 32, 32), dtype=torch.uint8, generator=g)
    cy = torch.arange(512) % 10
    print("resnet18", throughput(resnet18_cifar(), cx, cy, 0.5, 0.25, 32, 4), flush=True)
elif mode == "resnet18_64":
    # The same kind of images at 64x64 (CondensaPS resizes its 32x32 ones; the pixel values do not matter here).
    g = torch.Generator().manual_seed(1)
    cx = torch.randint(0, 256, (384, 3, 64, 64), dtype=torch.uint8, generator=g)
    cy = torch.arange(384) % 10
    print("resnet18_64", throughput(resnet18_cifar(), cx, cy, 0.5, 0.25, 32, 4), flush=True)
else:
    model = LeNet5().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    per_epoch = (len(y) + 63) // 64
    done, warm = 0, None
    while done < steps:
        take = min(per_epoch, steps - done)
        epoch(model, opt, x, y, mean, std, 64, take)
        done += take
        if warm is None and done >= steps // 10:
            warm = rss_mb()
    end = rss_mb()
    print("rss_warm", warm)
    print("rss_end", end)
    print("rss_growth", (end - warm) / warm)
