#!/usr/bin/env bash
# Installs what is missing, builds, and runs smmu-sim on its embedded default scenario.
# Extra arguments go to smmu-sim (see `scripts/run.sh --help`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
exec "$SMMU_BUILD/platform/smmu-sim" "$@"
