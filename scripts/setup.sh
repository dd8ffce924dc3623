#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared set-up for run.sh and test.sh: install the Debian packages that are missing,
# then configure and build in build/ (Release). Sourced, not run. SMMU_SETUP_BUILD=0
# stops after the packages (fuzz.sh builds elsewhere); SMMU_EXTRA_PACKAGES adds to them.
# python3-matplotlib and parallel are smmu-sweep's (plots, --engine parallel).
set -euo pipefail

# Test discovery at build time runs the test programs: keep the SystemC banner out.
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
SMMU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMMU_BUILD="${SMMU_BUILD:-$SMMU_ROOT/build}"
SMMU_PACKAGES=(g++ cmake make pkg-config libsystemc-dev libboost-dev
               libboost-program-options-dev nlohmann-json3-dev libgtest-dev
               python3 python3-matplotlib parallel ${SMMU_EXTRA_PACKAGES:-})

smmu_install_missing() {
  local missing=()
  for p in "${SMMU_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "setup: installing ${missing[*]}" >&2
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

smmu_build() {
  local jobs="${SMMU_JOBS:-$(nproc)}"
  cmake -S "$SMMU_ROOT" -B "$SMMU_BUILD" -DCMAKE_BUILD_TYPE="${SMMU_BUILD_TYPE:-Release}" >/dev/null
  cmake --build "$SMMU_BUILD" -j "$jobs"
}

# Builds only the named targets with the build's output in $SMMU_BUILD/quiet-build.log:
# nothing is printed unless the build fails, then the log's end (the error) is shown.
smmu_build_quietly() {
  local jobs="${SMMU_JOBS:-$(nproc)}" log="$SMMU_BUILD/quiet-build.log"
  mkdir -p "$SMMU_BUILD"
  if ! { cmake -S "$SMMU_ROOT" -B "$SMMU_BUILD" -DCMAKE_BUILD_TYPE="${SMMU_BUILD_TYPE:-Release}" &&
         cmake --build "$SMMU_BUILD" -j "$jobs" --target "$@"; } >"$log" 2>&1; then
    echo "setup: the build failed (whole log: $log):" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

# The whole tree built a second time with AddressSanitizer, UBSan and LeakSanitizer.
# Debug (-O0 -g, asserts on): the compile is most of the cost and -O0 needs a third of
# the compiler time of -O2 -g, which more than pays for the slower tests.
SMMU_ASAN_BUILD="${SMMU_ASAN_BUILD:-$SMMU_ROOT/build-asan}"
smmu_build_asan() {
  local jobs="${SMMU_JOBS:-$(nproc)}"
  cmake -S "$SMMU_ROOT" -B "$SMMU_ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DSMMU_SANITIZE=ON >/dev/null
  cmake --build "$SMMU_ASAN_BUILD" -j "$jobs"
}

smmu_install_missing
if [[ "${SMMU_SETUP_BUILD:-1}" == 1 ]]; then
  smmu_build
fi
