#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Host instructions per transaction of each smmu-bench phase, counted by callgrind
# (repeatable where wall clock is not). Each phase runs alone (--phases) twice, with N and
# 2N transactions (the walk phase runs a tenth of them); the difference of the two totals
# over the extra transactions cancels set-up, warm-up and report.
#   scripts/bench_instructions.sh [BENCH] [N]   BENCH default build/bin/smmu-bench,
#                                                N default 20000
# Prints "phase instructions/transaction". Needs valgrind.
set -euo pipefail
SMMU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${1:-$SMMU_ROOT/build/bin/smmu-bench}"
n="${2:-20000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
total() {  # instructions of one run: phase, transactions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bench" --phases "$1" \
    --transactions "$2" >/dev/null 2>&1
  sed -n 's/^summary: //p' "$out/cg"
}
for phase in router tlb_hit random_micro_tlb_hit main_tlb_hit dmi walk; do
  extra="$n"
  [ "$phase" = walk ] && extra=$((n / 10))
  a="$(total "$phase" "$n")"
  b="$(total "$phase" $((2 * n)))"
  awk -v p="$phase" -v a="$a" -v b="$b" -v e="$extra" 'BEGIN { printf "%-22s %8.1f\n", p, (b - a) / e }'
done
