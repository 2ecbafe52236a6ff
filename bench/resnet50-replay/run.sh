#!/usr/bin/env bash
# Makes r50.pt with Debian's PyTorch, then runs replay.ps1 through the condensa host.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 bench/resnet50-replay/make_resnet50.py "$dir/r50.pt"
dotnet run --project src/CondensaPS.Host -- bench/resnet50-replay/replay.ps1 "$dir/r50.pt" "$dir"
