#!/usr/bin/env bash
# Makes a TorchScript ResNet-50 (98 MB) with Debian's PyTorch, then measures the archive check against the load.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 bench/resnet50-replay/make_resnet50.py "$dir/r50.pt"
dotnet run -c Release --project bench/archive-check -- "$dir/r50.pt" "${1:-7}"
