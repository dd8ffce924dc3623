#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Coverage-guided fuzzing (libFuzzer, clang 14, ASan + UBSan) of the scenario reader
# (fuzz_scenario) and of guest memory and registers against one SMMU (fuzz_guest); see
# tests/fuzz/. Installs clang and its runtime when missing, builds in build-fuzz/.
#   scripts/fuzz.sh --short   each target for SMMU_FUZZ_SHORT_SECONDS (default 45) s
#   scripts/fuzz.sh           each target for SMMU_FUZZ_SECONDS (default 600) s
#   scripts/fuzz.sh TARGET... only those targets (with either mode)
# Both modes first replay the seed corpus of the repository (tests/fuzz/corpus/<target>)
# and what earlier runs found (build-fuzz/corpus/<target>). Exits non-zero when a target
# crashes, hangs (a single input over 10 s), leaks or trips a sanitizer; the reproducer is
# build-fuzz/artifacts/<target>-crash-* (replay: build-fuzz/fuzz/<target> FILE).
set -euo pipefail
SMMU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${SMMU_FUZZ_SECONDS:-600}"
targets=()
seed=()  # --short: a fixed seed (SMMU_FUZZ_SEED), so that test.sh explores the same way each run
for a in "$@"; do
  case "$a" in
    --short) seconds="${SMMU_FUZZ_SHORT_SECONDS:-45}"; seed=(-seed="${SMMU_FUZZ_SEED:-1}") ;;
    fuzz_scenario|fuzz_guest) targets+=("$a") ;;
    *) echo "fuzz.sh: unknown argument '$a' (--short, fuzz_scenario, fuzz_guest)" >&2; exit 2 ;;
  esac
done
((${#targets[@]})) || targets=(fuzz_scenario fuzz_guest)

SMMU_SETUP_BUILD=0 SMMU_EXTRA_PACKAGES="clang-14 libclang-rt-14-dev" \
  source "$SMMU_ROOT/scripts/setup.sh"
build="${SMMU_FUZZ_BUILD:-$SMMU_ROOT/build-fuzz}"
# -O1 with line tables: quick to compile, fast enough to fuzz, readable stack traces.
# CXX picks the compiler of a new build dir (an existing one keeps its clang).
CXX="${SMMU_FUZZ_CXX:-clang++-14}" cmake -S "$SMMU_ROOT" -B "$build" -DSMMU_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  >/dev/null
cmake --build "$build" -j "${SMMU_JOBS:-$(nproc)}" --target "${targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Not use_stacks=0 (as scripts/test.sh): libFuzzer checks for leaks while its driver
# still holds objects on the stack, which would then count as leaked.
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts"
  extra=()
  [[ $t == fuzz_scenario ]] && extra+=(-dict="$SMMU_ROOT/tests/fuzz/scenario.dict")
  echo "fuzz: $t for $seconds s"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -max_len=4096 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "${seed[@]}" "${extra[@]}" "$build/corpus/$t" "$SMMU_ROOT/tests/fuzz/corpus/$t" \
      > "$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED (log: $build/$t.log)" >&2
    grep -E "ERROR|SUMMARY|Test unit written|fuzz_(guest|scenario):" "$build/$t.log" >&2 || true
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|cov: " \
    "$build/$t.log" | tail -n 4
done
exit "$status"
