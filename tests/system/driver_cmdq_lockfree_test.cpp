// SPDX-License-Identifier: Apache-2.0
// The command queue's designs under many CPUs (command_queue.h: kLocked, kCasLoop,
// kFetchAdd): randomized bursts of commands from 8 CPUs at once, many seeds. Each CPU's
// commands carry (CPU, sequence number) in their ASID field; the queue is large enough
// that the ring keeps its whole history, so afterwards the test reads the order the SMMU
// saw. It must hold every CPU's commands once each, in that CPU's order, and every
// CMD_SYNC a CPU waited for must have completed after that CPU's commands before it
// (CONS, read when the wait returned, is past them). Run again under ASan by
// scripts/test.sh.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <tuple>

#include "support/cmdq_bursts.h"
#include "support/driver_soc.h"

using namespace smmu;
using driver::CmdqDesign;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr unsigned kCpus = 8;

DriverSocConfig many_cpus(CmdqDesign design) {
  DriverSocConfig cfg;
  cfg.cpus = kCpus;
  cfg.smmu.features.cmdq_log2_entries = 12;
  cfg.device.cmdq_log2 = 12;
  cfg.device.cmdq_design = design;
  return cfg;
}

struct Outcome : test::CmdqBurstRun {
  driver::CommandQueueStats stats;
};

// Every CPU's bursts on the one command queue (test::run_cmdq_bursts).
Outcome run_bursts(DriverSoc& soc, unsigned seed) {
  Outcome out;
  static_cast<test::CmdqBurstRun&>(out) =
      test::run_cmdq_bursts(soc, seed, [&](unsigned) -> driver::CommandQueue& { return soc.device(0).cmdq(); });
  if (out.all_done) out.stats = soc.device(0).cmdq().stats();
  return out;
}

using Param = std::tuple<CmdqDesign, unsigned>;

class CmdqDesigns : public ::testing::TestWithParam<Param> {};

}  // namespace

TEST_P(CmdqDesigns, EveryCpusCommandsArriveOnceInOrderAndItsSyncsCompleteAfterThem) {
  const auto [design, seed] = GetParam();
  DriverSoc soc(many_cpus(design));
  const Outcome out = run_bursts(soc, seed);
  ASSERT_TRUE(out.all_done);
  EXPECT_EQ(out.failures, 0u);
  test::check_cmdq_bursts(soc, out, {&soc.device(0).cmdq()}, [](unsigned) { return 0u; });
  // The SMMU ran everything (the last CMD_SYNCs waited for it).
  unsigned total = 0;
  for (unsigned n : out.issued) total += n;
  EXPECT_GE(soc.opcode_count(0, Op::kTlbiNhAsid), total);
  if (design != CmdqDesign::kLocked) {
    EXPECT_GE(out.stats.publishes, out.stats.owner_gathers);
    EXPECT_GE(out.stats.reservations, out.stats.owner_gathers);
  }
  if (design == CmdqDesign::kFetchAdd) {
    EXPECT_EQ(out.stats.cas_attempts, 0u);
  }
}

// Eight CPUs starting together contend: the CAS loop loses some compare-and-swaps, an
// owner publishes for several CPUs, and the fetch-and-add design never retries.
TEST(CmdqContention, CasLoopLosesAndOwnersGatherOthers) {
  DriverSoc soc(many_cpus(CmdqDesign::kCasLoop));
  const Outcome out = run_bursts(soc, 1);
  ASSERT_TRUE(out.all_done);
  EXPECT_GT(out.stats.cas_failures, 0u);
  EXPECT_GT(out.stats.cas_attempts, out.stats.reservations - 1);
  EXPECT_LT(out.stats.owner_gathers, out.stats.reservations);
  std::printf("reservations %llu cas %llu/%llu failed, gathers %llu, publishes %llu, full waits %llu\n",
              (unsigned long long)out.stats.reservations, (unsigned long long)out.stats.cas_failures,
              (unsigned long long)out.stats.cas_attempts, (unsigned long long)out.stats.owner_gathers,
              (unsigned long long)out.stats.publishes, (unsigned long long)out.stats.full_waits);
}

// A 32-entry queue for eight CPUs' bursts of up to 13 entries: CPUs wait for room all
// the time, and every burst still goes through (the fetch-and-add design reserves
// before it checks room, so a waiter must refresh CONS itself: CMD_SYNC waiters may be
// waiting for its slots).
TEST_P(CmdqDesigns, AFullQueueDelaysButNeverStops) {
  const auto [design, seed] = GetParam();
  DriverSocConfig cfg = many_cpus(design);
  cfg.smmu.features.cmdq_log2_entries = 5;
  cfg.device.cmdq_log2 = 5;
  DriverSoc soc(cfg);
  const Outcome out = run_bursts(soc, seed);
  ASSERT_TRUE(out.all_done);
  EXPECT_EQ(out.failures, 0u);
  EXPECT_GT(out.stats.full_waits, 0u);
  unsigned total = 0;
  for (unsigned n : out.issued) total += n;
  EXPECT_GE(soc.opcode_count(0, Op::kTlbiNhAsid), total);
}

INSTANTIATE_TEST_SUITE_P(Seeds, CmdqDesigns,
                         ::testing::Combine(::testing::Values(CmdqDesign::kLocked, CmdqDesign::kCasLoop,
                                                              CmdqDesign::kFetchAdd),
                                            ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u)),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return std::string(driver::to_string(std::get<0>(i.param))) + "_seed" +
                                  std::to_string(std::get<1>(i.param));
                         });
