// SPDX-License-Identifier: Apache-2.0
#include "platform/run/testbench.h"

#include <stdexcept>

#include "platform/config/config_reader.h"
#include "platform/report/golden.h"
#include "platform/scenario/scenario.h"
#include "platform/report/sim_report.h"
#include "platform/soc/soc.h"
#include "platform/config/version.h"

namespace smmu::testbench {

nlohmann::json load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  return platform::load_scenario_document(path, overrides);
}

nlohmann::json with_overrides(nlohmann::json scenario, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) platform::apply_override(scenario, o);
  return scenario;
}

nlohmann::json run_scenario(const nlohmann::json& scenario) {
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw std::logic_error("run_scenario: SystemC has already run in this process (one scenario per process)");
  const platform::Scenario sc = platform::read_scenario(scenario);
  platform::Soc soc("soc", sc);
  soc.run();
  nlohmann::json report = platform::build_report(soc);
  report["scenario"] = scenario;
  report["version"] = platform::kVersion;
  report["schema_version"] = platform::kReportSchemaVersion;
  if (soc.driver() && !soc.driver()->error().empty())
    throw std::runtime_error("run_scenario: the driver's set-up failed: " + soc.driver()->error());
  return report;
}

std::vector<platform::ReportDifference> compare_with_golden(const nlohmann::json& report,
                                                            const std::string& golden_path) {
  const platform::Golden g = platform::read_golden(golden_path);
  nlohmann::json compared = report;
  compared.erase("version");  // the golden's own
  return platform::compare_reports(g.expected(), compared, g.rules);
}

nlohmann::json golden_scenario(const std::string& golden_path) { return platform::read_golden(golden_path).scenario; }

}  // namespace smmu::testbench
