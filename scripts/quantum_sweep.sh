#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How far contention results move with the quantum: runs each scenario at a quantum of
# 10 us, 1 us, 100 ns, 10 ns and 1 ns and prints a Markdown table (translation latency
# mean and p99, DMA throughput, slot stalls and waits). The README's "Timing model"
# table comes from this script.
#   scripts/quantum_sweep.sh [SCENARIO.json ...]   (default: scenarios/tlb_thrash.json
#                                                    scenarios/walk_slot_contention.json)
#   SMMU_SIM=path/to/smmu-sim to measure another build (default: build/bin/smmu-sim)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sim="${SMMU_SIM:-$root/build/bin/smmu-sim}"
[[ -x "$sim" ]] || { echo "quantum_sweep.sh: no smmu-sim at $sim (build it, or set SMMU_SIM)" >&2; exit 2; }
(( $# )) || set -- "$root/scenarios/tlb_thrash.json" "$root/scenarios/walk_slot_contention.json"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "| scenario | quantum | mean ns | p99 ns | GB/s | translation-slot stalls | wait ns | walk-slot stalls | wait ns |"
echo "|---|---|---|---|---|---|---|---|---|"
for scenario in "$@"; do
  for q in "10 us" "1 us" "100 ns" "10 ns" "1 ns"; do
    "$sim" -q --set "quantum=\"$q\"" --json "$out" "$scenario"
    python3 - "$out" "$(basename "$scenario" .json)" "$q" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["translation"]["latency_ns"]
s = r["smmus"][0]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {lat['mean']:.1f} | {lat['p99']:.0f} | "
      f"{r['dma']['gbytes_per_s']:.3f} | {s['translation_slot_stalls']} | "
      f"{s['translation_slot_wait_ns']:.0f} | {s['walk_slot_stalls']} | {s['walk_slot_wait_ns']:.0f} |")
PY
  done
done
