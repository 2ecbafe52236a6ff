"""Writes the dense fp32 TorchScript files the footprint benchmark compares against.

    /usr/bin/python3 bench/make_dense_torchscript.py <out-folder>

resnet18.pt: torchvision.models.resnet18() (random initialisation; no download), torch.jit.script.
lenet5.pt:   LeNet-5 for 1x28x28 inputs with CondensaPS's lenet5 layer names, torch.jit.script.
"""
import os
import sys

import torch
import torchvision


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_lenet5 import LeNet5  # noqa: E402


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
