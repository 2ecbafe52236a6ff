#!/usr/bin/env bash
# Global magnitude pruning of ResNet-50 (ratio 0.8, 2 threads): CondensaPS next to PyTorch's
# torch.nn.utils.prune.global_unstructured, printed side by side in one run. Needs /usr/bin/python3 with torch
# and torchvision (Debian: apt-get install python3-torch python3-torchvision).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project bench/CondensaPS.Bench -- --threads "${THREADS:-2}" --runs "${RUNS:-7}" "$@"
