#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs the whole test suite.
# Extra arguments go to ctest (e.g. `scripts/test.sh -R Walker`).
set -euo pipefail
# Slurm (slurm-wlm, munge) for the sweep.slurm test, which starts its own daemons on
# loopback; SMMU_SKIP_SLURM=1 leaves it uninstalled (the test then skips, saying why).
[[ "${SMMU_SKIP_SLURM:-0}" == 1 ]] || SMMU_EXTRA_PACKAGES="${SMMU_EXTRA_PACKAGES:-} slurm-wlm munge"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cd "$SMMU_BUILD"
ctest --output-on-failure -j "${SMMU_JOBS:-$(nproc)}" "$@"
# The package: installed into a temporary prefix, and a user's platform
# (examples/minimal_platform) configured with find_package, built and run against it.
if (($# == 0)) && [[ "${SMMU_SKIP_PACKAGE:-0}" != 1 ]]; then
  echo "test: install into a temporary prefix and build examples/minimal_platform against it"
  pkg_tmp="$(mktemp -d)"
  trap 'rm -rf "$pkg_tmp"' EXIT
  cmake --install "$SMMU_BUILD" --prefix "$pkg_tmp/install" >/dev/null
  cmake -S "$SMMU_ROOT/examples/minimal_platform" -B "$pkg_tmp/build" \
        -DCMAKE_PREFIX_PATH="$pkg_tmp/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$pkg_tmp/build" -j "${SMMU_JOBS:-$(nproc)}" >/dev/null
  "$pkg_tmp/build/minimal_platform"
  # The same main.cpp by pkg-config alone (smmuv3_tlm.pc, relocated with the prefix).
  pc_dir="$(dirname "$(find "$pkg_tmp/install" -name smmuv3_tlm.pc | head -n 1)")"
  # shellcheck disable=SC2046  # the flags are words
  g++ -O1 "$SMMU_ROOT/examples/minimal_platform/main.cpp" -o "$pkg_tmp/minimal_platform_pc" \
      $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs smmuv3_tlm)
  grep -q '^transactions 2, faults 1$' <<<"$("$pkg_tmp/minimal_platform_pc")" ||
    { echo "test: the pkg-config build of minimal_platform: unexpected output" >&2; exit 1; }
  # A user's C++ golden test (GoogleTest) against the same installation.
  cmake -S "$SMMU_ROOT/examples/golden_test" -B "$pkg_tmp/golden" \
        -DCMAKE_PREFIX_PATH="$pkg_tmp/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$pkg_tmp/golden" -j "${SMMU_JOBS:-$(nproc)}" >/dev/null
  ctest --test-dir "$pkg_tmp/golden" --output-on-failure
  # The same platform with smmuv3-tlm built from source inside the user's project, by
  # add_subdirectory and by FetchContent: it must not bring its tests (GoogleTest) along.
  for how in add_subdirectory FetchContent; do
    echo "test: examples/minimal_platform through $how (examples/subdirectory_consumer)"
    cmake -S "$SMMU_ROOT/examples/subdirectory_consumer" -B "$pkg_tmp/$how" -DSMMUV3_TLM_SOURCE_DIR="$SMMU_ROOT" \
          -DSMMUV3_TLM_CONSUME="$how" -DCMAKE_BUILD_TYPE=Release >/dev/null
    # (grep -c reads all of it: with -q, pipefail could hide a match behind SIGPIPE.)
    if [[ "$(cmake --build "$pkg_tmp/$how" --target help | grep -ci 'gtest\|_test')" != 0 ]]; then
      echo "test: $how: the consumer's build has smmuv3-tlm's test targets" >&2
      exit 1
    fi
    cmake --build "$pkg_tmp/$how" -j "${SMMU_JOBS:-2}" --target minimal_platform >/dev/null
    out="$("$pkg_tmp/$how/minimal_platform")"
    echo "$out"
    grep -q '^transactions 2, faults 1$' <<<"$out" || { echo "test: $how: unexpected output" >&2; exit 1; }
  done
fi
# With arguments (a subset of the tests) the sanitizer run is skipped.
if (($# == 0)) && [[ "${SMMU_SKIP_ASAN:-0}" != 1 ]]; then
  echo "test: the whole suite again under AddressSanitizer, UBSan and LeakSanitizer"
  smmu_build_asan
  cd "$SMMU_ASAN_BUILD"
  # use_stacks=0: see tests/support/sc_gtest_main.cpp (LeakSanitizer's tracer and
  # SystemC's coroutine stacks). The fuzz targets below keep stacks as roots.
  LSAN_OPTIONS="${LSAN_OPTIONS:-use_stacks=0}" \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure -j "${SMMU_JOBS:-$(nproc)}"
fi
# The libFuzzer targets (scenario reader, guest memory) for a short fixed time each.
if (($# == 0)) && [[ "${SMMU_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "test: the fuzz targets, $(( ${SMMU_FUZZ_SHORT_SECONDS:-45} )) s each (scripts/fuzz.sh --short)"
  "$SMMU_ROOT/scripts/fuzz.sh" --short
fi
