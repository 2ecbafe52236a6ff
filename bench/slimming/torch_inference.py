#!/usr/bin/python3
"""PyTorch's side of bench/slimming: inference throughput of two TorchScript files, as torch.jit.load runs them.

    torch_inference.py THREADS ITERATIONS WARMUP C,H,W BATCH DENSE.pt SLIM.pt

WARMUP untimed passes of each, then ITERATIONS timed forward passes of each, alternating dense and slimmed so both
see the same machine load (eval mode, torch.no_grad, one seeded random batch). Prints one line per file:
"<dense|slim> <images/s from the fastest pass> <images/s from the median pass>".
"""
import statistics
import sys
import time

import torch


def main(argv):
    threads, iterations, warmup = int(argv[0]), int(argv[1]), int(argv[2])
    shape = [int(s) for s in argv[3].split(",")]
    batch = int(argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    models = {"dense": torch.jit.load(argv[5]).eval(), "slim": torch.jit.load(argv[6]).eval()}
    x = torch.randn(batch, *shape)
    times = {k: [] for k in models}
    with torch.no_grad():
        for i in range(warmup + iterations):
            for key, model in models.items():
                start = time.perf_counter()
                model(x)
                elapsed = time.perf_counter() - start
                if i >= warmup:
                    times[key].append(elapsed)
    for key, t in times.items():
        print("%s %.3f %.3f" % (key, batch / min(t), batch / statistics.median(t)))


if __name__ == "__main__":
    main(sys.argv[1:])
