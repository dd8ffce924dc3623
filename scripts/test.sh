#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
# Extra arguments go to ctest (e.g. `scripts/test.sh -R Walker`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cd "$SMMU_BUILD"
exec ctest --output-on-failure -j "${SMMU_JOBS:-$(nproc)}" "$@"
