"""Writes the dense fp32 TorchScript files the footprint benchmark compares against.

    /usr/bin/python3 bench/footprint/make_dense_torchscript.py <out-folder>

resnet18.pt:       torchvision.models.resnet18() (random initialisation; no download), torch.jit.script.
lenet5.pt:         LeNet-5 for 1x28x28 inputs with CondensaPS's lenet5 layer names, torch.jit.script.
lenet5-caffe.pt:   Caffe's LeNet-5 (CondensaPS's lenet5-caffe), torch.jit.script.
resnet18-digits.pt: torchvision.models.resnet18(num_classes=10) with a 1-channel first convolution, as CondensaPS's
                   resnet18 for 1x32x32 digits, torch.jit.script.
"""
import os
import sys

import torch
import torchvision


sys.dont_write_bytecode = True  # never leave __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from torch_lenet5 import LeNet5, LeNet5Caffe  # noqa: E402


def resnet18_digits():
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, model in (("resnet18", torchvision.models.resnet18()), ("lenet5", LeNet5()), ("lenet5-caffe", LeNet5Caffe()),
                        ("resnet18-digits", resnet18_digits())):
        path = os.path.join(out, name + ".pt")
        torch.jit.script(model.eval()).save(path)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
