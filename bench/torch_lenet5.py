"""LeNet-5 in PyTorch with CondensaPS's built-in lenet5 layer names (conv1, conv2, fc1-fc3), and Caffe's LeNet-5
(built-in lenet5-caffe), for the benchmarks' PyTorch side. One definition, imported by
bench/footprint/make_dense_torchscript.py and bench/retrain/retrain_bench.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F


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


class LeNet5Caffe(nn.Module):
    """Caffe's MNIST LeNet-5, the one Deep Compression compressed (431,080 parameters): conv1 20@5x5, pool, conv2
    50@5x5, pool, fc1 800->500 with ReLU, fc2 500->10; no padding, no ReLU after the convolutions."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))
