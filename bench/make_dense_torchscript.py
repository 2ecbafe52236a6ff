"""Writes the dense fp32 TorchScript files the footprint benchmark compares against.

    /usr/bin/python3 bench/make_dense_torchscript.py <out-folder>

resnet18.pt: torchvision.models.resnet18() (random initialisation; no download), torch.jit.script.
lenet5.pt:   LeNet-5 for 1x28x28 inputs with CondensaPS's lenet5 layer names, torch.jit.script.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, model in (("resnet18", torchvision.models.resnet18()), ("lenet5", LeNet5())):
        path = os.path.join(out, name + ".pt")
        torch.jit.script(model.eval()).save(path)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
