// SPDX-License-Identifier: Apache-2.0
// Golden reports for timing regression tests (`smmu-sim --write-golden` / `--expect`).
// A golden file is JSON:
//   {"format": "smmu-sim golden 1", "version": "0.14.0",
//    "scenario": {...the scenario as run, after every --set...},
//    "compare": [patterns], "ignore": [patterns],   (optional; report_compare.h)
//    "report": {...the report, without its scenario...}}
// so that it can be rerun (`smmu-sim --expect FILE` runs its scenario) and compared:
// the scenario and the report are held to the golden key by key, exactly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "platform/report/report_compare.h"

namespace smmu::platform {

constexpr const char* kGoldenFormat = "smmu-sim golden 1";

struct Golden {
  std::string version;
  nlohmann::json scenario;
  nlohmann::json report;  // without "scenario"
  CompareRules rules;
  // What a run is compared with: the report with the scenario under "scenario".
  nlohmann::json expected() const;
};

// From a report as smmu-sim writes it (with "scenario").
nlohmann::json make_golden(const nlohmann::json& report_with_scenario);

// Throws ConfigError naming the file and key (unreadable, not a golden, bad patterns).
Golden read_golden(const std::string& path);

}  // namespace smmu::platform
