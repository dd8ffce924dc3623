// SPDX-License-Identifier: Apache-2.0
// The driver system-test SoC (tests/support/driver_soc.h) itself: several SMMUs brought
// up by one CPU and used from another, each SMMU's interrupts on their own irq numbers,
// and each SMMU's upstream devices aborting on streams nothing attached.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/driver_soc.h"

using namespace smmu;
using driver::SmmuStatus;
using driver::SyncCompletion;
using test::DriverSoc;
using test::DriverSocConfig;
using sc_core::sc_time;
using Op = arch::Opcode;
namespace r = arch::reg;

namespace {

constexpr unsigned kSmmus = 4;
constexpr uint64_t kMs = 1'000'000;

const std::vector<arch::Command> kTlbiNhAll{arch::Command(Op::kTlbiNhAll)};

bool enabled(DriverSoc& soc, unsigned i) {
  const uint32_t cr0 = static_cast<uint32_t>(soc.smmu(i).registers().cr0().encode());
  const uint32_t want = r::cr0::kSmmuEn.mask() | r::cr0::kCmdqEn.mask() | r::cr0::kEvtqEn.mask();
  return (cr0 & want) == want;
}

}  // namespace

// CPU 0 brings up four SMMUs (MSI completion) and invalidates on each; CPU 1 then does
// the same through the shared driver objects. Every SMMU answers every CMD_SYNC, and as
// the SMMUs are identical and idle, each one takes exactly as long as the others, from
// either CPU.
TEST(DriverSoc, FourSmmusBroughtUpByOneCpuAnswerBothCpus) {
  DriverSocConfig cfg;
  cfg.smmus = kSmmus;
  cfg.cpus = 2;
  DriverSoc soc(cfg);
  bool up = false, cpu0_done = false;
  SmmuStatus st[2][kSmmus];
  uint64_t took_ns[2][kSmmus] = {};
  uint64_t syncs_at_up[kSmmus] = {};
  unsigned cpu_of_issue[2] = {99, 99};
  for (auto& row : st)
    for (auto& s : row) s = SmmuStatus::kNotProbed;
  auto invalidate_all = [&](driver::Os& os, unsigned c) {
    cpu_of_issue[c] = soc.os().cpu_id();
    for (unsigned i = 0; i < kSmmus; ++i) {
      const uint64_t t0 = os.now_ns();
      st[c][i] = soc.device(i).cmdq().issue_and_wait(kTlbiNhAll);
      took_ns[c][i] = os.now_ns() - t0;
    }
  };
  soc.cpu(0).add_program([&](driver::Os& os) {
    up = soc.bring_up(SyncCompletion::kMsi);
    if (!up) return;
    for (unsigned i = 0; i < kSmmus; ++i) syncs_at_up[i] = soc.smmu_stats(i).syncs;
    invalidate_all(os, 0);
    cpu0_done = true;
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    while (!cpu0_done && os.now_ns() < 10 * kMs) os.delay_ns(1000);
    if (cpu0_done) invalidate_all(os, 1);
  });
  soc.run(sc_time(20, sc_core::SC_MS));

  ASSERT_TRUE(up);
  EXPECT_TRUE(soc.cpu(0).finished());
  EXPECT_TRUE(soc.cpu(1).finished());
  EXPECT_EQ(cpu_of_issue[0], 0u);  // the machine's Os follows the running CPU
  EXPECT_EQ(cpu_of_issue[1], 1u);
  ASSERT_EQ(soc.iommu().smmus().size(), kSmmus);
  for (unsigned i = 0; i < kSmmus; ++i) {
    SCOPED_TRACE("smmu " + std::to_string(i));
    EXPECT_EQ(soc.iommu().smmus()[i], &soc.device(i));
    EXPECT_TRUE(soc.device(i).enabled());
    EXPECT_TRUE(enabled(soc, i));
    EXPECT_EQ(soc.device(i).completion(), SyncCompletion::kMsi);
    EXPECT_EQ(soc.device(i).options().evtq_irq, 3 * i);
    EXPECT_EQ(soc.device(i).options().gerror_irq, 3 * i + 1);
    EXPECT_EQ(soc.device(i).options().cmd_sync_irq, 3 * i + 2);
    EXPECT_EQ(st[0][i], SmmuStatus::kOk);
    EXPECT_EQ(st[1][i], SmmuStatus::kOk);
    EXPECT_EQ(soc.opcode_count(i, Op::kTlbiNhAll), 2u);
    EXPECT_EQ(soc.smmu_stats(i).syncs, syncs_at_up[i] + 2);
    EXPECT_EQ(soc.smmu_stats(i).errors_ill + soc.smmu_stats(i).errors_abt, 0u);
    EXPECT_EQ(soc.device(i).cmdq().stats().sync_timeouts, 0u);
    EXPECT_GT(took_ns[0][i], 0u);
    EXPECT_EQ(took_ns[0][i], took_ns[0][0]);
    EXPECT_EQ(took_ns[1][i], took_ns[0][i]);  // nor does it matter which CPU issues
  }
  EXPECT_EQ(soc.cpu(1).stats().irq_waits, 0u);  // MSI completion: no interrupt waits
}

// Interrupt completion: a CMD_SYNC on SMMU 2 is waited for on irq 8 (3 * 2 + 2). The
// driver's poll interval equals its timeout, so only that interrupt can end the wait
// within the timeout: one wait, no timeout, and only SMMU 2 saw the SYNC.
TEST(DriverSoc, IrqCompletionWaitsOnSmmu2CmdSyncIrq) {
  DriverSocConfig cfg;
  cfg.smmus = kSmmus;
  cfg.cpus = 2;
  cfg.device.sync_timeout_ns = kMs;
  cfg.device.poll_ns = kMs;
  DriverSoc soc(cfg);
  bool up = false;
  SmmuStatus st = SmmuStatus::kNotProbed;
  uint64_t took_ns = 0, waits0 = 0, timeouts0 = 0, polls0 = 0;
  uint64_t syncs0[kSmmus] = {};
  bool pending_before = true;
  soc.cpu(0).add_program([&](driver::Os& os) {
    up = soc.bring_up(SyncCompletion::kIrq);
    if (!up) return;
    for (unsigned i = 0; i < kSmmus; ++i) syncs0[i] = soc.smmu_stats(i).syncs;
    waits0 = soc.cpu(0).stats().irq_waits;
    timeouts0 = soc.cpu(0).stats().irq_timeouts;
    polls0 = soc.device(2).cmdq().stats().sync_polls;
    pending_before = soc.cpu(0).irq_pending(8);
    const uint64_t t0 = os.now_ns();
    st = soc.device(2).cmdq().issue_and_wait(kTlbiNhAll);
    took_ns = os.now_ns() - t0;
  });
  soc.run(sc_time(100, sc_core::SC_MS));

  ASSERT_TRUE(up);
  ASSERT_TRUE(soc.cpu(0).finished());
  EXPECT_EQ(soc.device(2).completion(), SyncCompletion::kIrq);
  EXPECT_EQ(soc.device(2).options().cmd_sync_irq, 8u);
  EXPECT_FALSE(pending_before);  // the bring-up's waits consumed their interrupts
  EXPECT_EQ(st, SmmuStatus::kOk);
  EXPECT_EQ(soc.cpu(0).stats().irq_waits - waits0, 1u);
  EXPECT_EQ(soc.cpu(0).stats().irq_timeouts - timeouts0, 0u);
  EXPECT_EQ(soc.device(2).cmdq().stats().sync_polls - polls0, 1u);
  EXPECT_LT(took_ns, kMs);  // woken by the interrupt, not by the end of the poll step
  EXPECT_FALSE(soc.cpu(0).irq_pending(8));
  EXPECT_TRUE(soc.cpu(1).irq_pending(8));  // every CPU sees the pulse; CPU 1 never waited
  EXPECT_EQ(soc.cpu(1).stats().irq_waits, 0u);
  for (unsigned i = 0; i < kSmmus; ++i) {
    SCOPED_TRACE("smmu " + std::to_string(i));
    EXPECT_EQ(soc.smmu_stats(i).syncs - syncs0[i], i == 2 ? 1u : 0u);
    EXPECT_EQ(soc.opcode_count(i, Op::kTlbiNhAll), i == 2 ? 1u : 0u);
    EXPECT_EQ(soc.device(i).cmdq().stats().sync_timeouts, 0u);
  }
}

// Streams with an STE but no attached domain abort (no event, no memory access), on
// every SMMU and through every kind of upstream device: both plain masters and the ATS
// endpoint (ATS still disabled, so its access goes untranslated). SMMU 3's endpoint has
// a StreamID set by the test.
TEST(DriverSoc, UnattachedStreamsAbortOnEverySmmu) {
  DriverSocConfig cfg;
  cfg.smmus = kSmmus;
  cfg.plain_masters = 2;
  cfg.ats_endpoints = 1;
  cfg.endpoint_sids[{3, 0}] = 0x3f0;
  DriverSoc soc(cfg);
  constexpr uint64_t kPa = 0x2000'0040, kWord = 0x0123'4567'89ab'cdefull;
  soc.write64(kPa, kWord);
  bool up = false;
  std::vector<test::Master::Result> reads, writes;
  std::vector<model::DmaOutcome> ats;
  std::vector<uint64_t> aborted_after(kSmmus);
  soc.cpu(0).add_program([&](driver::Os&) {
    up = soc.bring_up();
    if (!up) return;
    for (unsigned i = 0; i < kSmmus; ++i) {
      const uint32_t sid = 0x20 + i;
      ASSERT_EQ(soc.device(i).ensure_ste(sid), SmmuStatus::kOk);
      ASSERT_EQ(soc.device(i).ensure_ste(soc.endpoint(i, 0).sid()), SmmuStatus::kOk);
      reads.push_back(soc.dma(i, 0, sid, kPa));
      writes.push_back(soc.dma(i, 1, sid, kPa, true, 0xdead));
      ats.push_back(soc.ats_dma(i, 0, kPa, true));
      aborted_after[i] = soc.smmu(i).stats().aborted;
    }
  });
  soc.run(sc_time(20, sc_core::SC_MS));

  ASSERT_TRUE(up);
  ASSERT_TRUE(soc.cpu(0).finished());
  ASSERT_EQ(reads.size(), kSmmus);
  EXPECT_EQ(soc.endpoint(2, 0).sid(), DriverSoc::endpoint_sid(2, 0));
  EXPECT_EQ(soc.endpoint(2, 0).sid(), 0x120u);
  EXPECT_EQ(soc.endpoint(3, 0).sid(), 0x3f0u);
  for (unsigned i = 0; i < kSmmus; ++i) {
    SCOPED_TRACE("smmu " + std::to_string(i));
    EXPECT_EQ(reads[i].status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(writes[i].status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(ats[i].status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_FALSE(ats[i].translation_requested);
    EXPECT_FALSE(ats[i].ats_translated);
    // Each SMMU aborted its own three accesses, and nothing arrived afterwards.
    EXPECT_EQ(aborted_after[i], 3u);
    EXPECT_EQ(soc.smmu(i).stats().aborted, 3u);
    EXPECT_EQ(soc.smmu(i).stats().events, 0u);
  }
  EXPECT_EQ(soc.read64(kPa), kWord);  // no write reached memory
}

TEST(DriverSoc, BadConfigurationNamesTheKey) {
  auto message = [](const DriverSocConfig& cfg) -> std::string {
    try {
      DriverSoc soc(cfg);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  DriverSocConfig no_cpu;
  no_cpu.cpus = 0;
  EXPECT_NE(message(no_cpu).find("'cpus'"), std::string::npos);
  DriverSocConfig no_smmu;
  no_smmu.smmus = 0;
  EXPECT_NE(message(no_smmu).find("'smmus'"), std::string::npos);
  DriverSocConfig dma_outside;
  dma_outside.mem_size = 0x1000'0000;  // the DMA memory starts where DRAM ends
  EXPECT_NE(message(dma_outside).find("'dma_base'"), std::string::npos);
  DriverSocConfig bad_endpoint;
  bad_endpoint.ats_endpoints = 1;
  bad_endpoint.endpoint_sids[{1, 0}] = 7;  // there is only SMMU 0
  EXPECT_NE(message(bad_endpoint).find("'endpoint_sids'"), std::string::npos);
}
