"""Writes freshly initialised batch-norm CNNs for 1x8x8 inputs (the UCI digits) as TorchScript, one per seed.

conv 1->32, BN, ReLU; conv 32->64, BN, ReLU, max-pool 2; conv 64->128, BN, ReLU; global average pool; linear 128->10
(about 94,000 parameters). torch.jit.script, so batch norm trains (a traced model would freeze it).
Run: /usr/bin/python3 bench/label-preserving/make_bn_cnn.py OUTPUT_FOLDER SEED [SEED ...]
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class DigitsBnCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 128, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    for seed in map(int, sys.argv[2:]):
        torch.manual_seed(seed)
        path = os.path.join(folder, "bn-cnn-8x8-s%d.pt" % seed)
        torch.jit.script(DigitsBnCnn()).save(path)
        print(path)


if __name__ == "__main__":
    main()
