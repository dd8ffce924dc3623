#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs smmu-sim on its embedded default scenario.
# Extra arguments go to smmu-sim (see `scripts/run.sh --help`). Builds only smmu-sim, and
# quietly: the output is the report (the build's log is shown only when it fails).
set -euo pipefail
SMMU_SETUP_BUILD=0 source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
smmu_build_quietly smmu-sim
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
exec "$SMMU_BUILD/bin/smmu-sim" "$@"
