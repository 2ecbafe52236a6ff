#!/usr/bin/env bash
# Which strided 1x1 convolutions kill the process in their oneDNN backward pass (libtorch 2.10, CPU)?
#   bench/pointwise-crash-scan/scan.sh [stride] [height=width] [batch]
# Builds the probe, runs one process per (in, out) channel pair and prints a table: "." completed, "X" died.
set -u
cd "$(dirname "$0")"
stride=${1:-2}; size=${2:-16}; batch=${3:-4}
channels=(64 128 192 256 320 384 448 512 640 768 896 1024 2048)
dotnet build -c Release -v q -nologo >/dev/null || { echo "build failed" >&2; exit 1; }
probe=bin/Release/net10.0/CondensaPS.PointwiseCrashScan.dll
echo "1x1 convolution backward, stride $stride, ${size}x${size} input, batch $batch: rows in channels, columns out channels"
printf '%6s' "in\\out"; for c in "${channels[@]}"; do printf '%6s' "$c"; done; echo
crashes=0
for cin in "${channels[@]}"; do
  printf '%6s' "$cin"
  for cout in "${channels[@]}"; do
    if [ "$(dotnet "$probe" "$cin" "$cout" "$stride" "$size" "$batch" 2>/dev/null)" = "ok" ]; then mark=.; else mark=X; crashes=$((crashes + 1)); fi
    printf '%6s' "$mark"
  done
  echo
done
echo "$crashes of $(( ${#channels[@]} * ${#channels[@]} )) shapes died"
