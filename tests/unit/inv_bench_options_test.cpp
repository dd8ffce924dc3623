// SPDX-License-Identifier: Apache-2.0
// smmu-inv-bench's command line (platform/bench/inv_bench_options.h): --tbus and
// --dti-latency, the points they give, and bad values named by their option.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/config/cli.h"
#include "platform/bench/inv_bench_options.h"

using namespace smmu::platform;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

InvBenchOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "smmu-inv-bench");
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  return parse_inv_bench_options(static_cast<int>(args.size()), argv.data());
}

// The CliError message, or "accepted".
std::string error_of(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const CliError& e) {
    return e.what();
  }
  return "accepted";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST(InvBenchOptions, WithoutTbusEverySmmuCountRunsBothModesOnTheDefaultLayout) {
  const InvBenchOptions o = parse({});
  EXPECT_TRUE(o.tbus.empty());
  const std::vector<InvBenchPoint> pts = inv_bench_points(o);
  ASSERT_EQ(pts.size(), 8u);  // 1, 2, 4, 8 SMMUs x 2 modes
  EXPECT_EQ(pts[0].smmus, 1u);
  EXPECT_EQ(pts[0].tbus, 0u);
  EXPECT_FALSE(pts[0].all_then_wait);
  EXPECT_TRUE(pts[1].all_then_wait);
  EXPECT_EQ(pts[7].smmus, 8u);
}

TEST(InvBenchOptions, TbusRunOneSmmuOncePerCount) {
  const InvBenchOptions o = parse({"--tbus", "1,4,16", "--dti-latency", "20ns"});
  EXPECT_EQ(o.tbus, (std::vector<unsigned>{1, 4, 16}));
  EXPECT_EQ(o.smmus, (std::vector<unsigned>{1}));
  EXPECT_EQ(o.params.dti_latency, sc_time(20, SC_NS));
  const std::vector<InvBenchPoint> pts = inv_bench_points(o);
  ASSERT_EQ(pts.size(), 3u);
  for (unsigned k = 0; k < 3; ++k) {
    EXPECT_EQ(pts[k].smmus, 1u);
    EXPECT_EQ(pts[k].tbus, o.tbus[k]);
    EXPECT_FALSE(pts[k].all_then_wait);
  }
  // Several SMMUs: both modes for each TBU count.
  const std::vector<InvBenchPoint> two = inv_bench_points(parse({"--tbus", "2,3", "--smmus", "2"}));
  ASSERT_EQ(two.size(), 4u);
  EXPECT_EQ(two[1].tbus, 2u);
  EXPECT_TRUE(two[1].all_then_wait);
  EXPECT_EQ(two[2].tbus, 3u);
  // --dti-latency alone: one TBU at that latency; --tbus alone: 8 ns.
  EXPECT_EQ(parse({"--dti-latency", "1.5 us"}).tbus, (std::vector<unsigned>{1}));
  EXPECT_EQ(parse({"--dti-latency", "1.5 us"}).params.dti_latency, sc_time(1500, SC_NS));
  EXPECT_EQ(parse({"--tbus", "2"}).params.dti_latency, sc_time(8, SC_NS));
}

TEST(InvBenchOptions, BadValuesNameTheOption) {
  const struct {
    std::vector<std::string> args;
    const char* error;
  } cases[] = {
      {{"--tbus", "0"}, "--tbus: expected a positive integer"},
      {{"--tbus", "65"}, "--tbus: at most 64 TBUs, got 65"},
      {{"--tbus", "1,,4"}, "--tbus: expected a positive integer"},
      {{"--tbus", "1,4,"}, "--tbus: expected a list like 1,2,4,8"},
      {{"--tbus", "four"}, "--tbus: expected a positive integer"},
      {{"--tbus", ""}, "--tbus"},
      {{"--tbus", "2", "--ats"}, "--tbus: inv_scaling: 'tbus' (2) with 'ats'"},
      {{"--dti-latency", "20"}, "--dti-latency: bad time"},
      {{"--dti-latency", "-1ns"}, "--dti-latency: bad time"},
      {{"--dti-latency", "2 ms"}, "--dti-latency: at most 1 ms"},
      {{"--smmus", "65"}, "--smmus: at most 64 SMMUs"},
  };
  for (const auto& c : cases) EXPECT_PRED2(starts_with, error_of(c.args), c.error) << c.args[0] << " " << c.args[1];
  EXPECT_EQ(error_of({"--tbus", "1", "--ats"}), "accepted");  // one TBU: the endpoint's
}
