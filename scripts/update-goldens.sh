#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rewrites the golden reports of examples/regressions from the current model (after a
# change that moves timing on purpose: review `git diff examples/regressions` before
# committing it). Builds smmu-sim first, quietly.
set -euo pipefail
SMMU_SETUP_BUILD=0 source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
smmu_build_quietly smmu-sim
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cd "$SMMU_ROOT"
while read -r name scenario; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  args=(-q --write-golden "examples/regressions/$name.golden.json")
  [[ "$scenario" == "-" ]] || args+=("$scenario")
  "$SMMU_BUILD/bin/smmu-sim" "${args[@]}"
  echo "update-goldens: examples/regressions/$name.golden.json"
done < examples/regressions/regressions.txt
