#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Slurm engine of smmu-sweep against a real single-node Slurm, on its own: installs
# slurm-wlm and munge when missing (with the rest of setup.sh's packages), builds
# smmu-sim and runs tests/sweep/slurm_test.sh (daemons on loopback, started and stopped
# by it). scripts/test.sh runs the same test inside ctest as sweep.slurm.
set -euo pipefail
SMMU_EXTRA_PACKAGES="${SMMU_EXTRA_PACKAGES:-} slurm-wlm munge" SMMU_SETUP_BUILD=0 \
  source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
smmu_build_quietly smmu-sim
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
exec bash "$SMMU_ROOT/tests/sweep/slurm_test.sh" "$SMMU_BUILD/bin/smmu-sim"
