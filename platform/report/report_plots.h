// SPDX-License-Identifier: Apache-2.0
// smmu-sim --plot DIR: the report's plots (each device's latency histogram, the cache hit
// rates) drawn by tools/report/plot_report.py with Debian's python3-matplotlib. The
// script is found through $SMMU_PLOT_SCRIPT, next to an installed smmu-sim
// (PREFIX/share/smmuv3_tlm/tools/report), or in the source tree this was built from.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace smmu::platform {

// The plot script's path, or "" when none is found.
std::string find_plot_script();

// Creates `dir` (and its parents) or throws CliError naming --plot: checked before the
// run, so a bad folder costs no simulation.
void prepare_plot_dir(const std::string& dir);

// Writes dir/report.json and runs the script on it; the files it wrote are listed on
// `err`. false (with the reason on `err`) when the script is missing or fails.
bool write_report_plots(const nlohmann::json& file_report, const std::string& dir, std::ostream& err);

}  // namespace smmu::platform
