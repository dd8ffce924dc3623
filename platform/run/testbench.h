// SPDX-License-Identifier: Apache-2.0
// The public testbench API: what a user's own timing regression test needs, without
// smmu-sim's command line and without taking over sc_main. Build the SoC of a
// scenario, run it to its end, read the report; compare the report with a golden.
//
// SystemC elaborates and runs one kernel per process, so a test runs one scenario per
// process: with GoogleTest, register the cases through gtest_discover_tests (each case
// then runs in its own process) and call run_scenario once per case
// (examples/golden_test does). A second call in one process throws std::logic_error.
//
// Stable: these functions and the golden format (golden.h) change only with the
// version's minor number.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/report/report_compare.h"

namespace smmu::testbench {

// The scenario document (as smmu-sim reads it: a file's JSON) with overrides applied,
// in order, as smmu-sim's --set KEY=VALUE. Throws platform::ConfigError naming the key.
nlohmann::json load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// scenario with overrides applied, in order (smmu-sim's --set KEY=VALUE).
nlohmann::json with_overrides(nlohmann::json scenario, const std::vector<std::string>& overrides);

// Runs the scenario to its end and returns its report, as smmu-sim --json writes it
// (the scenario under "scenario"). Throws platform::ConfigError for a bad scenario,
// std::runtime_error when the driver's set-up failed, std::logic_error when SystemC
// has already run in this process.
nlohmann::json run_scenario(const nlohmann::json& scenario);

// The differences between a golden file (smmu-sim --write-golden) and a report, with
// the golden's compare/ignore lists; empty when they match. Throws platform::ConfigError
// for an unreadable golden.
std::vector<platform::ReportDifference> compare_with_golden(const nlohmann::json& report,
                                                            const std::string& golden_path);

// One figure of a report by its path, as the report and --set name it
// ("smmus[0].main_tlb.hits", "devices[1].latency_ns.p99"), converted to T. Throws
// std::out_of_range naming the path when the report has no such key, and
// nlohmann::json::type_error when it is not a T.
template <typename T>
T report_value(const nlohmann::json& report, const std::string& path) {
  const nlohmann::json* v = platform::find_report_value(report, path);
  if (!v) throw std::out_of_range("report has no key " + path);
  return v->get<T>();
}

// The golden's scenario (to rerun exactly what it holds).
nlohmann::json golden_scenario(const std::string& golden_path);

}  // namespace smmu::testbench
