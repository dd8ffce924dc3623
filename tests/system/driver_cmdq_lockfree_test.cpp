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
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support/driver_soc.h"

using namespace smmu;
using driver::CmdqDesign;
using driver::SmmuStatus;
using test::DriverSoc;
using test::DriverSocConfig;
using Op = arch::Opcode;

namespace {

constexpr unsigned kCpus = 8, kRounds = 12, kMaxBatch = 12;

struct Burst {
  unsigned cpu = 0;
  unsigned first_seq = 0, count = 0;
  uint64_t consumed_after_wait = 0;  // CONS as a count when the CPU's wait returned (0: no wait)
};

DriverSocConfig many_cpus(CmdqDesign design) {
  DriverSocConfig cfg;
  cfg.cpus = kCpus;
  cfg.smmu.features.cmdq_log2_entries = 12;
  cfg.device.cmdq_log2 = 12;
  cfg.device.cmdq_design = design;
  return cfg;
}

arch::Command tagged(unsigned cpu, unsigned seq) {
  arch::Command c(Op::kTlbiNhAsid);
  c.set_asid(static_cast<uint16_t>(cpu << 8 | seq));
  return c;
}

struct Outcome {
  std::vector<Burst> bursts;
  std::vector<unsigned> issued;  // per CPU
  unsigned failures = 0;
  driver::CommandQueueStats stats;
  bool all_done = false;
};

// Every CPU runs kRounds bursts: a random pause (none before the first, so that they
// all start together), 0..kMaxBatch commands, and a CMD_SYNC three times in four.
Outcome run_bursts(DriverSoc& soc, unsigned seed) {
  Outcome out;
  out.issued.assign(kCpus, 0);
  bool ready = false;
  unsigned finished = 0;
  soc.cpu(0).add_program([&](driver::Os&) {
    ready = soc.bring_up();
  });
  for (unsigned cpu = 0; cpu < kCpus; ++cpu) {
    soc.cpu(cpu).add_program([&, cpu](driver::Os& os) {
      while (!ready) os.delay_ns(1000);
      std::mt19937 rng(seed * 100 + cpu);
      driver::CommandQueue& q = soc.device(0).cmdq();
      for (unsigned round = 0; round < kRounds; ++round) {
        if (round) os.delay_ns(rng() % 400);
        const unsigned n = rng() % (kMaxBatch + 1);
        const bool sync = rng() % 4 != 0;
        std::vector<arch::Command> cmds;
        for (unsigned i = 0; i < n; ++i) cmds.push_back(tagged(cpu, out.issued[cpu] + i));
        Burst b{cpu, out.issued[cpu], n, 0};
        out.issued[cpu] += n;
        driver::SyncTicket t;
        if (q.issue(cmds.data(), cmds.size(), sync, &t) != SmmuStatus::kOk) ++out.failures;
        if (sync) {
          if (q.wait(t) != SmmuStatus::kOk) ++out.failures;
          b.consumed_after_wait = q.consumed_from(os.mmio_read32(test::kDriverSmmuBase + arch::reg::kCmdqCons));
        }
        out.bursts.push_back(b);
      }
      ++finished;
    });
  }
  soc.run(sc_core::sc_time(20, sc_core::SC_MS));
  out.all_done = ready && finished == kCpus;
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

  const driver::CommandQueue& q = soc.device(0).cmdq();
  const uint64_t produced = q.produced();
  ASSERT_LT(produced, q.entries()) << "the ring must keep the whole history";
  const std::vector<arch::Command> history = soc.queued_commands(0, 0, produced);
  // (cpu, seq) -> position in the queue.
  std::map<std::pair<unsigned, unsigned>, uint64_t> pos;
  std::vector<unsigned> next(kCpus, 0);
  unsigned bootstrap = 0;
  for (uint64_t p = 0; p < history.size(); ++p) {
    const arch::Command& c = history[p];
    if (c.opcode() != Op::kTlbiNhAsid) continue;
    const unsigned cpu = c.asid() >> 8, seq = c.asid() & 0xff;
    if (cpu >= kCpus) {
      ++bootstrap;
      continue;
    }
    EXPECT_EQ(seq, next[cpu]) << "CPU " << cpu << " at entry " << p;
    next[cpu] = seq + 1;
    pos[{cpu, seq}] = p;
  }
  for (unsigned cpu = 0; cpu < kCpus; ++cpu) EXPECT_EQ(next[cpu], out.issued[cpu]) << "CPU " << cpu;
  for (const Burst& b : out.bursts) {
    if (!b.consumed_after_wait || !b.count) continue;
    const uint64_t last = pos.at({b.cpu, b.first_seq + b.count - 1});
    EXPECT_GT(b.consumed_after_wait, last) << "CPU " << b.cpu << " burst at seq " << b.first_seq;
  }
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
