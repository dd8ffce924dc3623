// SPDX-License-Identifier: Apache-2.0
// smmu-dma-bench's command line (platform/bench/dma_bench_options.h): defaults, the points
// they give, and bad values named by their option.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/config/cli.h"
#include "platform/bench/dma_bench_options.h"

using namespace smmu;
using namespace smmu::platform;

namespace {

DmaBenchOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "smmu-dma-bench");
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  return parse_dma_bench_options(static_cast<int>(args.size()), argv.data());
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const CliError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(DmaBenchOptions, DefaultsGiveEveryCurveTheIssueAsksFor) {
  const DmaBenchOptions o = parse({});
  EXPECT_EQ(o.cpus, (std::vector<unsigned>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(o.queues, (std::vector<unsigned>{1, 8}));
  // 7 CPU counts x 2 designs x 2 policies x 2 queue counts.
  EXPECT_EQ(dma_bench_points(o).size(), 56u);
  EXPECT_EQ(o.params.fq.entries, 256u);
  EXPECT_EQ(o.params.fq.timeout_ns, 10'000'000u);
}

TEST(DmaBenchOptions, ParsesEveryOption) {
  const DmaBenchOptions o =
      parse({"--cpus", "2,4", "--designs", "locked,fetch_add", "--policies", "lazy", "--queues", "1,4",
             "--devices", "2", "--buffer", "8KiB", "--ops", "50", "--warmup", "5", "--io-ns", "100",
             "--cas-retry-ns", "20", "--line-transfer", "60ns", "--fq-entries", "16", "--fq-timeout", "1ms",
             "--cmdq-log2", "10", "--command-cycles", "7", "--sync-timeout", "2ms", "--jobs", "2"});
  const std::vector<DmaBenchParams> pts = dma_bench_points(o);
  ASSERT_EQ(pts.size(), 8u);
  EXPECT_EQ(pts[0].cpus, 2u);
  EXPECT_EQ(pts[0].design, driver::CmdqDesign::kLocked);
  EXPECT_EQ(pts[1].design, driver::CmdqDesign::kFetchAdd);
  EXPECT_EQ(pts[2].queues, 4u);
  EXPECT_EQ(pts[7].cpus, 4u);
  EXPECT_EQ(pts[0].policy, driver::DmaInvPolicy::kLazy);
  const DmaBenchParams& p = pts[0];
  EXPECT_EQ(p.devices, 2u);
  EXPECT_EQ(p.buffer, 8192u);
  EXPECT_EQ(p.ops, 50u);
  EXPECT_EQ(p.warmup, 5u);
  EXPECT_EQ(p.io_ns, 100u);
  EXPECT_EQ(p.cas_retry_ns, 20u);
  EXPECT_EQ(p.line_transfer, sc_core::sc_time(60, sc_core::SC_NS));
  EXPECT_EQ(p.fq.entries, 16u);
  EXPECT_EQ(p.fq.timeout_ns, 1'000'000u);
  EXPECT_EQ(p.cmdq_log2, 10u);
  EXPECT_EQ(p.smmu.timing.command_cycles, 7u);
  EXPECT_EQ(p.sync_timeout_ns, 2'000'000u);
  EXPECT_EQ(o.jobs, 2u);
}

TEST(DmaBenchOptions, BadValuesNameTheirOption) {
  EXPECT_NE(error_of({"--cpus", "0"}).find("--cpus"), std::string::npos);
  EXPECT_NE(error_of({"--cpus", "65"}).find("--cpus"), std::string::npos);
  EXPECT_NE(error_of({"--queues", "3"}).find("--queues"), std::string::npos);
  EXPECT_NE(error_of({"--designs", "spin"}).find("--designs"), std::string::npos);
  EXPECT_NE(error_of({"--policies", "eager"}).find("--policies"), std::string::npos);
  EXPECT_NE(error_of({"--buffer", "100"}).find("--buffer"), std::string::npos);
  EXPECT_NE(error_of({"--line-transfer", "abc"}).find("--line-transfer"), std::string::npos);
  EXPECT_NE(error_of({"--fq-timeout", "0ns"}).find("--fq-timeout"), std::string::npos);
  EXPECT_NE(error_of({"--cmdq-log2", "20"}).find("--cmdq-log2"), std::string::npos);
  EXPECT_EQ(error_of({"--cmdq-log2", "1"}), "--cmdq-log2: 2..19");
  EXPECT_NE(error_of({"--bogus"}).find("bogus"), std::string::npos);
  EXPECT_EQ(error_of({"--cpus", "1,2"}), "accepted");
}
