// SPDX-License-Identifier: Apache-2.0
// Golden simulated times of command-queue work with the default parameters (1 GHz SMMU
// clock, 50 ns memory). Each figure is the sum of the configured parts, spelt out, so a
// change in timing shows up here as an exact difference.
#include <gtest/gtest.h>

#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using arch::Command;
using arch::Opcode;
using sc_core::sc_time;
using sc_core::SC_NS;
namespace r = arch::reg;

namespace {

// Publishes N single-page TLBIs and a CMD_SYNC with an MSI at t = 0; returns the time
// at which the MSI word was written and the SYNC latency the SMMU measured.
std::pair<sc_time, sc_time> sync_after_tlbis(unsigned n, Opcode op = Opcode::kTlbiNhVa) {
  SmmuTestbench tb;
  tb.enable_cmdq(7);
  tb.set_reg(r::kCr0, tb.reg(r::kCr0) | r::cr0::kSmmuEn.mask());
  const uint64_t msi = 0x3000000;
  tb.mem.write32(msi, 1);
  std::vector<Command> cmds;
  for (unsigned i = 0; i < n; ++i)
    cmds.push_back(op == Opcode::kTlbiNhVa ? Command(op).set_asid(1).set_addr(0x1000 * (i + 1))
                                           : Command(op).set_vmid(1));
  cmds.push_back(Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq).set_msiaddr(msi));
  tb.submit(cmds);
  sc_time written = sc_core::SC_ZERO_TIME;
  for (unsigned t = 1; t < 20000 && written == sc_core::SC_ZERO_TIME; ++t) {
    tb.run(sc_time(1, SC_NS));
    if (tb.mem.read32(msi) == 0) written = sc_core::sc_time_stamp();
  }
  tb.run(sc_time(1, sc_core::SC_US));
  EXPECT_EQ(tb.cmdq_cons(), tb.cmdq_prod());
  return {written, tb.smmu.command_stats().sync_latency_max};
}

constexpr unsigned kDtiSync = 2 * 8;

}  // namespace

// Fetches of up to 8 commands (50 ns each) interleave with execution; a TLBI by VA is
// 2 cycles + 1 page probe; the SYNC is 2 cycles, then the DTI sync with the TBU the
// TLBIs were sent to (its 8 ns link both ways: kDtiSync), then its 50 ns MSI write. The
// MSI word is seen written 1 ns after it is issued (the poll step).
TEST(CmdSyncGolden, OneTlbi) {
  auto [written, latency] = sync_after_tlbis(1);
  EXPECT_EQ(latency, ns(50 + 3 + 2 + kDtiSync + 50));
  EXPECT_EQ(written, ns(50 + 3 + 2 + kDtiSync + 1));
}

TEST(CmdSyncGolden, EightTlbis) {
  auto [written, latency] = sync_after_tlbis(8);
  EXPECT_EQ(latency, ns(2 * 50 + 8 * 3 + 2 + kDtiSync + 50));
  EXPECT_EQ(written, ns(2 * 50 + 8 * 3 + 2 + kDtiSync + 1));
}

TEST(CmdSyncGolden, SixtyThreeTlbis) {
  auto [written, latency] = sync_after_tlbis(63);
  EXPECT_EQ(latency, ns(8 * 50 + 63 * 3 + 2 + kDtiSync + 50));
  (void)written;
}

TEST(CmdSyncGolden, FourVmidScans) {
  // By-VMID invalidation scans the main TLB: 512 sets at one cycle per set.
  auto [written, latency] = sync_after_tlbis(4, Opcode::kTlbiS12Vmall);
  EXPECT_EQ(latency, ns(50 + 4 * (2 + 512) + 2 + kDtiSync + 50));
  (void)written;
}
