#!/usr/bin/python3
"""PyTorch's side of train_epoch.ps1: torchvision's resnet18, vgg16_bn and vgg19_bn (1 input channel, 10 classes; the
VGGs with a 1x1 pool and 512-wide hidden layers) trained with SGD and cross-entropy on the same MNIST digits resized
to 32x32 (bilinear), batch by batch as CondensaPS does. Prints "architecture images-per-second" per line: the mean
over the epochs after the first."""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def digits(path, count):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    images = np.frombuffer(raw, dtype=np.uint8, offset=16)[: count * 28 * 28].reshape(count, 1, 28, 28)
    with gzip.open(path.replace("images-idx3", "labels-idx1"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:count]
    x = torch.from_numpy(images.astype(np.float32) / 255)
    x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    return (x - 0.1307) / 0.3081, torch.from_numpy(labels.astype(np.int64))


def model(name):
    m = getattr(torchvision.models, name)(num_classes=10)
    if name.startswith("resnet"):
        m.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    else:
        m.features[0] = nn.Conv2d(1, 64, 3, padding=1)
        m.avgpool = nn.AdaptiveAvgPool2d(1)
        m.classifier[0] = nn.Linear(512, 512)
        m.classifier[3] = nn.Linear(512, 512)
        m.classifier[6] = nn.Linear(512, 10)
    return m


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=1024)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--architectures", default="resnet18,vgg16_bn,vgg19_bn")
    p.add_argument("--digits", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x, y = digits(a.digits, a.images)
    for name in a.architectures.split(","):
        m = model(name).train()
        sgd = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
        rates = []
        for epoch in range(a.epochs):
            order = torch.randperm(len(x))
            start = time.perf_counter()
            for i in range(0, len(x), a.batch_size):
                rows = order[i:i + a.batch_size]
                loss = F.cross_entropy(m(x[rows]), y[rows])
                sgd.zero_grad(set_to_none=True)
                loss.backward()
                sgd.step()
            rates.append(len(x) / (time.perf_counter() - start))
        print(name, sum(rates[1:]) / max(1, len(rates) - 1))


if __name__ == "__main__":
    main()
