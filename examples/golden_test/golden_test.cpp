// SPDX-License-Identifier: Apache-2.0
// A user's golden test: the default scenario must match its golden to the last key, and
// a change of the main TLB's ways must move the TLB figures (and be listed).
#include <string>

#include <gtest/gtest.h>
#include <systemc>

#include "platform/run/testbench.h"

using namespace smmu;

namespace {

std::string listed(const std::vector<platform::ReportDifference>& diffs) {
  std::string s;
  for (const auto& d : diffs) s += platform::format_difference(d) + "\n";
  return s;
}

}  // namespace

TEST(UserGolden, TheGoldensScenarioMatchesIt) {
  const nlohmann::json report = testbench::run_scenario(testbench::golden_scenario(GOLDEN));
  const auto diffs = testbench::compare_with_golden(report, GOLDEN);
  EXPECT_TRUE(diffs.empty()) << listed(diffs);
}

TEST(UserGolden, TwoWaysMoveTheTlbFigures) {
  const nlohmann::json scenario =
      testbench::with_overrides(testbench::golden_scenario(GOLDEN), {"smmus[0].main_tlb.ways=2"});
  const nlohmann::json report = testbench::run_scenario(scenario);
  // Figures by path, typed.
  EXPECT_GT(testbench::report_value<uint64_t>(report, "smmus[0].main_tlb.evictions"), 0u);
  EXPECT_EQ(testbench::report_value<uint64_t>(report, "dma.faults"), 0u);
  const auto diffs = testbench::compare_with_golden(report, GOLDEN);
  const std::string text = listed(diffs);
  EXPECT_NE(text.find("scenario.smmus[0].main_tlb.ways: (absent) -> 2"), std::string::npos) << text;
  EXPECT_NE(text.find("smmus[0].main_tlb.misses:"), std::string::npos) << text;
}

// libsystemc's main calls sc_main: run GoogleTest from it.
int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
