"""Writes the UCI 8x8 handwritten digits (as Debian's python3-sklearn ships them) as MNIST-style IDX files.

Source: /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz (1,797 digits, 64 pixels of 0..16 and a
label per line). Pixels are scaled to 0..255 (v * 255 // 16) and the digits split with a fixed permutation
(numpy-free, seed 20240601) into 1,000 training, 297 validation and 500 test digits under data/uci-digits/.
Run: /usr/bin/python3 bench/label-preserving/make_uci_digits.py
"""
import gzip
import os
import random
import struct
import sys

SOURCE = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "uci-digits")


def write_idx(path, rows, labels):
    with gzip.GzipFile(path + "-images-idx3-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">IIII", 0x00000803, len(rows), 8, 8))
        for r in rows:
            f.write(bytes(v * 255 // 16 for v in r))
    with gzip.GzipFile(path + "-labels-idx1-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">II", 0x00000801, len(labels)))
        f.write(bytes(labels))


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    with gzip.open(source, "rt") as f:
        lines = [list(map(int, line.strip().split(","))) for line in f if line.strip()]
    assert len(lines) == 1797 and all(len(l) == 65 for l in lines), "unexpected digits.csv.gz"
    order = list(range(len(lines)))
    random.Random(20240601).shuffle(order)
    splits = {"train": order[:1000], "val": order[1000:1297], "test": order[1297:]}
    os.makedirs(ROOT, exist_ok=True)
    for name, idx in splits.items():
        write_idx(os.path.join(ROOT, name), [lines[i][:64] for i in idx], [lines[i][64] for i in idx])
        print(name, len(idx))


if __name__ == "__main__":
    main()
