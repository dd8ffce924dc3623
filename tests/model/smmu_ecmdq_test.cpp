// SPDX-License-Identifier: Apache-2.0
// Enhanced Command queues (IHI 0070 §3.5.6): the ID registers and the control page, the
// EN/ENACK handshake and the access rules of SMMU_ECMDQ_BASE/PROD/CONS (§6.3.107-109),
// the command engine serving the CMDQ and the ECMDQs round robin with each queue's own
// CONS, and errors that stop only their queue until ERRACK is toggled (§3.5.6.3).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rtl_model/smmu/log.h"
#include "tests/support/smmu_testbench.h"

namespace smmu::test {
namespace {

namespace r = arch::reg;
using arch::Command;
using arch::Opcode;
using sc_core::sc_time;

model::SmmuParams ecmdq_params(unsigned n, unsigned batch = 8) {
  model::SmmuParams p;
  p.features.ecmdqs = n;
  p.timing.command_fetch_batch = batch;
  return p;
}

// Drives ECMDQs of a testbench as software would, through the register file.
class Ecmdqs {
 public:
  explicit Ecmdqs(SmmuTestbench& tb) : tb_(tb) {
    // The control page from CMDQ_CONTROL_PAGE_BASE0 (an offset from page 0) and the
    // spacing of the interfaces from IDR6 (§6.2.5).
    page_ = r::cmdq_control_page_base::kAddr.address(tb.reg(r::kCmdqControlPageBase0, 8));
    log2numq_ = static_cast<unsigned>(r::idr6::kLog2NumQ.get(tb.reg(r::kIdr6)));
  }
  uint64_t reg(unsigned n, uint64_t off) const { return page_ + n * r::ecmdq_stride(log2numq_) + off; }
  uint32_t prod(unsigned n) { return static_cast<uint32_t>(tb_.reg(reg(n, r::kEcmdqProd))); }
  uint32_t cons(unsigned n) { return static_cast<uint32_t>(tb_.reg(reg(n, r::kEcmdqCons))); }
  uint32_t rd(unsigned n) { return cons(n) & r::queue_wrap_index_mask(log2_); }
  void set_prod(unsigned n, uint32_t v) { tb_.set_reg(reg(n, r::kEcmdqProd), v); }

  // A ring of 2^log2 entries for queue n, programmed while disabled, then enabled.
  void enable(unsigned n, unsigned log2 = 4) {
    log2_ = log2;
    ring_.resize(std::max<size_t>(ring_.size(), n + 1));
    ring_[n] = tb_.alloc.alloc(uint64_t{r::kCommandBytes} << log2, 4096);
    r::QueueBase qb;
    qb.addr = ring_[n];
    qb.log2size = static_cast<uint8_t>(log2);
    tb_.set_reg(reg(n, r::kEcmdqBase), qb.encode(), 8);
    tb_.set_reg(reg(n, r::kEcmdqCons), 0);
    set_prod(n, 0);
    set_prod(n, static_cast<uint32_t>(r::ecmdq_prod::kEn.mask()));
  }
  uint64_t slot(unsigned n, uint32_t index) const { return ring_[n] + uint64_t{index} * r::kCommandBytes; }
  // Writes the commands at PROD and publishes them with one PROD write (EN and ERRACK
  // kept as they are).
  void submit(unsigned n, const std::vector<Command>& cmds) {
    const uint32_t p = prod(n);
    uint32_t wr = p & r::queue_wrap_index_mask(log2_);
    for (const Command& c : cmds) {
      tb_.mem.write64(slot(n, r::queue_index(wr, log2_)), c.dw[0]);
      tb_.mem.write64(slot(n, r::queue_index(wr, log2_)) + 8, c.dw[1]);
      wr = r::queue_increment(wr, log2_);
    }
    set_prod(n, (p & ~r::queue_wrap_index_mask(log2_)) | wr);
  }

 private:
  SmmuTestbench& tb_;
  uint64_t page_ = 0;
  unsigned log2numq_ = 0, log2_ = 4;
  std::vector<uint64_t> ring_;
};

Command sync_none() { return Command(Opcode::kSync).set_cs(arch::SyncCs::kNone); }
Command bad_command() { return Command::from_words(0x7f, 0); }  // unknown opcode

uint32_t active_gerrors(SmmuTestbench& tb) {
  return r::gerror_active(static_cast<uint32_t>(tb.reg(r::kGerror)),
                          static_cast<uint32_t>(tb.reg(r::kGerrorN)));
}

TEST(SmmuEcmdq, WithoutEcmdqsTheRegistersAreRes0) {
  SmmuTestbench tb;  // the default: no ECMDQ
  EXPECT_FALSE(r::Idr1::decode(static_cast<uint32_t>(tb.reg(r::kIdr1))).ecmdq);
  EXPECT_EQ(tb.reg(r::kIdr6), 0u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageBase0, 8), 0u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageCfg0), 0u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageStatus0), 0u);
  tb.set_reg(r::kEcmdqPage0 + r::kEcmdqProd, 0x80000001u);
  EXPECT_EQ(tb.reg(r::kEcmdqPage0 + r::kEcmdqProd), 0u);
  EXPECT_EQ(tb.reg(r::kEcmdqPage0 + r::kEcmdqCons), 0u);
  tb.set_reg(r::kGerrorN, 0xffffffffu);
  EXPECT_EQ(tb.reg(r::kGerrorN), r::gerror::kAll);  // CMDQP_ERR is RES0
}

TEST(SmmuEcmdq, IdrAndControlPageEncodeTheQueues) {
  SmmuTestbench tb(ecmdq_params(4));
  const auto idr1 = r::Idr1::decode(static_cast<uint32_t>(tb.reg(r::kIdr1)));
  EXPECT_TRUE(idr1.ecmdq);
  EXPECT_FALSE(idr1.queues_preset);  // must be 0 with ECMDQs (§6.3.2)
  const auto idr0 = r::Idr0::decode(static_cast<uint32_t>(tb.reg(r::kIdr0)));
  EXPECT_TRUE(idr0.cohacc && idr0.msi);
  const auto idr6 = r::Idr6::decode(static_cast<uint32_t>(tb.reg(r::kIdr6)));
  EXPECT_EQ(idr6.log2nump, 0u);  // one control page
  EXPECT_EQ(idr6.log2numq, 2u);  // of four queues
  // Control page 0 at +128 KiB from page 0, 64 KiB granule, implemented as registers.
  EXPECT_EQ(tb.reg(r::kCmdqControlPageBase0, 8), 0x20000u | (1u << 1) | 1u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageBase0 + 4), 0u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageCfg0), 1u);     // EN is RES1
  EXPECT_EQ(tb.reg(r::kCmdqControlPageStatus0), 1u);  // ENACK is RES1
  // All read-only.
  tb.set_reg(r::kCmdqControlPageBase0, 0, 8);
  tb.set_reg(r::kCmdqControlPageCfg0, 0);
  tb.set_reg(r::kIdr6, 0);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageBase0, 8), 0x20003u);
  EXPECT_EQ(tb.reg(r::kCmdqControlPageCfg0), 1u);
  EXPECT_EQ(r::Idr6::decode(static_cast<uint32_t>(tb.reg(r::kIdr6))).log2numq, 2u);
  // No second control page.
  EXPECT_EQ(tb.reg(r::kCmdqControlPageBase0 + r::kCmdqControlPageStride, 8), 0u);
  // Four interfaces 16 KiB apart; the space between and beyond them is RES0.
  const uint64_t q3 = r::kEcmdqPage0 + 3 * 0x4000;
  tb.set_reg(q3 + r::kEcmdqProd, 5);
  EXPECT_EQ(tb.reg(q3 + r::kEcmdqProd), 1u);  // LOG2SIZE 0: just the wrap bit
  tb.set_reg(q3 + 0x10, 5);
  EXPECT_EQ(tb.reg(q3 + 0x10), 0u);
  EXPECT_EQ(tb.reg(r::kEcmdqPage0 + r::kEcmdqProd), 0u);  // queue 0 is another queue
  tb.set_reg(r::kGerrorN, 0xffffffffu);
  EXPECT_EQ(tb.reg(r::kGerrorN), r::gerror::kAllEcmdq);
}

TEST(SmmuEcmdq, EnableHandshakeAndAccessRules) {
  SmmuTestbench tb(ecmdq_params(2));
  Ecmdqs q(tb);
  const uint64_t base = q.reg(1, r::kEcmdqBase);
  // Disabled: BASE is RW, LOG2SIZE clamped to IDR1.CMDQS (8), RES0 bits read 0.
  tb.set_reg(base, ~uint64_t{0}, 8);
  EXPECT_EQ(tb.reg(base, 8), (uint64_t{1} << 62) | arch::field_mask(51, 5) | 8u);
  r::QueueBase qb;
  qb.addr = 0x1000000;
  qb.log2size = 2;
  tb.set_reg(base, qb.encode(), 8);
  // WR and RD are masked to index + wrap bit of LOG2SIZE; PROD bits [30:24] and
  // [22:20] and CONS's ENACK are not software's.
  q.set_prod(1, 0x7fffffffu);
  EXPECT_EQ(q.prod(1), 0x00800007u);
  tb.set_reg(q.reg(1, r::kEcmdqCons), 0xffffffffu);
  EXPECT_EQ(q.cons(1), 0x07800007u);  // ERR_REASON, ERR, RD; ENACK stays 0
  tb.set_reg(q.reg(1, r::kEcmdqCons), 0);
  q.set_prod(1, 0);
  // EN: acknowledged in ENACK.
  q.set_prod(1, 0x80000000u);
  EXPECT_EQ(q.cons(1), 0x80000000u);
  EXPECT_TRUE(tb.smmu.registers().ecmdq_enabled(1));
  EXPECT_FALSE(tb.smmu.registers().ecmdq_enabled(0));
  // Enabled: BASE and CONS are read-only, PROD is RW.
  tb.set_reg(base, 0, 8);
  EXPECT_EQ(tb.reg(base, 8), qb.encode());
  tb.set_reg(q.reg(1, r::kEcmdqCons), 3);
  EXPECT_EQ(q.cons(1), 0x80000000u);
  // CR1's queue attributes are read-only while an ECMDQ is enabled (§3.5.6.1).
  tb.set_reg(r::kCr1, 0xfff);
  EXPECT_EQ(tb.reg(r::kCr1), 0xfc0u);
  // Disabled again (the engine is idle): ENACK follows at once.
  q.set_prod(1, 0);
  EXPECT_EQ(q.cons(1), 0u);
  tb.set_reg(base, 0, 8);
  EXPECT_EQ(tb.reg(base, 8), 0u);
  tb.set_reg(r::kCr1, 0xfff);
  EXPECT_EQ(tb.reg(r::kCr1), 0xfffu);
}

TEST(SmmuEcmdq, CommandsAreConsumedAndConsAdvancesPerCommand) {
  SmmuTestbench tb(ecmdq_params(2));
  Ecmdqs q(tb);
  q.enable(1);
  q.submit(1, {sync_none(), sync_none(), sync_none()});
  // One fetch (50 ns), then 2 cycles (2 ns) per command; CONS moves as each completes.
  tb.run(ns(51));
  EXPECT_EQ(q.rd(1), 0u);
  tb.run(ns(2));  // 53
  EXPECT_EQ(q.rd(1), 1u);
  tb.run(ns(2));  // 55
  EXPECT_EQ(q.rd(1), 2u);
  tb.run(ns(2));  // 57
  EXPECT_EQ(q.rd(1), 3u);
  EXPECT_TRUE(r::ecmdq_enack(q.cons(1)));
  const auto& cs = tb.smmu.command_stats();
  EXPECT_EQ(cs.executed, 3u);
  EXPECT_EQ(cs.syncs, 3u);
  ASSERT_EQ(cs.by_queue.size(), 3u);
  EXPECT_EQ(cs.by_queue[0], 0u);
  EXPECT_EQ(cs.by_queue[1], 0u);
  EXPECT_EQ(cs.by_queue[2], 3u);
  EXPECT_EQ(tb.cmdq_cons(), 0u);  // the CMDQ was not involved
  // The latency of a SYNC counts from the PROD write that published it.
  EXPECT_EQ(cs.sync_latency_max, ns(56));
}

TEST(SmmuEcmdq, TwoQueuesAreServedRoundRobinOneBatchATurn) {
  SmmuTestbench tb(ecmdq_params(2, /*batch=*/2));
  Ecmdqs q(tb);
  q.enable(0);
  q.enable(1);
  q.submit(0, {sync_none(), sync_none(), sync_none()});
  q.submit(1, {sync_none(), sync_none(), sync_none()});
  // Queue 0: fetch [0, 50), commands done at 52, 54. Queue 1: fetch [54, 104), 106,
  // 108. Queue 0: fetch [108, 158), 160. Queue 1: fetch [160, 210), 212.
  struct Step {
    double t;
    uint32_t rd0, rd1;
  };
  const Step steps[] = {{51, 0, 0},  {53, 1, 0},  {55, 2, 0},  {105, 2, 0}, {107, 2, 1},
                        {109, 2, 2}, {159, 2, 2}, {161, 3, 2}, {211, 3, 2}, {213, 3, 3}};
  double now = 0;
  for (const Step& s : steps) {
    tb.run(ns(s.t - now));
    now = s.t;
    EXPECT_EQ(q.rd(0), s.rd0) << "at " << s.t << " ns";
    EXPECT_EQ(q.rd(1), s.rd1) << "at " << s.t << " ns";
  }
  EXPECT_EQ(tb.smmu.command_stats().fetches, 4u);
}

TEST(SmmuEcmdq, CmdqAndEcmdqTakeTurns) {
  SmmuTestbench tb(ecmdq_params(1, /*batch=*/1));
  tb.enable_cmdq(4);
  Ecmdqs q(tb);
  q.enable(0);
  tb.submit({sync_none(), sync_none()});
  q.submit(0, {sync_none(), sync_none()});
  // CMDQ [0, 52), ECMDQ [52, 104), CMDQ [104, 156), ECMDQ [156, 208).
  tb.run(ns(53));
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 1u);
  EXPECT_EQ(q.rd(0), 0u);
  tb.run(ns(52));  // 105
  EXPECT_EQ(q.rd(0), 1u);
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 1u);
  tb.run(ns(104));  // 209
  EXPECT_EQ(r::queue_index(tb.cmdq_cons(), 4), 2u);
  EXPECT_EQ(q.rd(0), 2u);
  EXPECT_EQ(tb.smmu.command_stats().by_queue[0], 2u);
  EXPECT_EQ(tb.smmu.command_stats().by_queue[1], 2u);
}

TEST(SmmuEcmdq, IllegalCommandStopsOnlyItsQueueUntilErrack) {
  SmmuTestbench tb(ecmdq_params(2));
  tb.set_reg(r::kIrqCtrl, r::irq_ctrl::kGerrorIrqEn.mask());
  Ecmdqs q(tb);
  q.enable(0);
  q.enable(1);
  q.submit(0, {sync_none(), bad_command(), sync_none()});
  q.submit(1, {sync_none(), sync_none()});
  tb.run(ns(1000));
  // Queue 0: RD at the failing command, ERR toggled, ERR_REASON = CERROR_ILL.
  EXPECT_EQ(q.rd(0), 1u);
  EXPECT_TRUE(r::ecmdq_err(q.cons(0)));
  EXPECT_EQ(r::ecmdq_err_reason(q.cons(0)), r::CmdqError::kIll);
  EXPECT_TRUE(r::ecmdq_enack(q.cons(0)));  // still enabled
  // Queue 1 went on.
  EXPECT_EQ(q.rd(1), 2u);
  EXPECT_FALSE(r::ecmdq_err(q.cons(1)));
  // GERROR.CMDQP_ERR, not CMDQ_ERR, and its interrupt.
  EXPECT_EQ(active_gerrors(tb), r::gerror::kCmdqpErr.mask());
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 1u);
  EXPECT_EQ(tb.smmu.command_stats().errors_ill, 1u);
  // Still stopped: new commands wait; queue 1 keeps running.
  q.submit(0, {sync_none()});
  q.submit(1, {sync_none()});
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 1u);
  EXPECT_EQ(q.rd(1), 3u);
  // Acknowledging GERROR alone does not restart the queue (§3.5.6.3).
  tb.set_reg(r::kGerrorN, tb.reg(r::kGerror));
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 1u);
  // Software replaces the command with a CMD_SYNC and toggles ERRACK to match ERR.
  const Command s = sync_none();
  tb.mem.write64(q.slot(0, 1), s.dw[0]);
  tb.mem.write64(q.slot(0, 1) + 8, s.dw[1]);
  q.set_prod(0, q.prod(0) | static_cast<uint32_t>(r::ecmdq_prod::kErrAck.mask()));
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 4u);
  EXPECT_EQ(tb.smmu.command_stats().by_queue[1], 4u);
  EXPECT_EQ(tb.smmu.command_stats().by_queue[2], 3u);
  // A second error toggles ERR back; ERRACK = 0 acknowledges it.
  q.submit(0, {bad_command()});
  tb.run(ns(1000));
  EXPECT_FALSE(r::ecmdq_err(q.cons(0)));
  EXPECT_TRUE(r::ecmdq_error_pending(q.prod(0), q.cons(0)));
  EXPECT_EQ(active_gerrors(tb), r::gerror::kCmdqpErr.mask());
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 2u);
  EXPECT_EQ(q.rd(0), 4u);
}

// smmuv3/queue at SC_HIGH names the queue that stopped and why; with the SMMU's own
// module level at none, nothing.
std::vector<std::string> g_queue_messages;
void capture_queue_messages(const sc_core::sc_report& rep, const sc_core::sc_actions&) {
  if (std::string(rep.get_msg_type()) == model::log::kQueue) g_queue_messages.push_back(rep.get_msg());
}

TEST(SmmuEcmdq, QueueErrorIsLoggedAtHighForItsModule) {
  SmmuTestbench tb(ecmdq_params(2));
  Ecmdqs q(tb);
  q.enable(0);
  q.enable(1);
  sc_core::sc_report_handler::set_handler(capture_queue_messages);
  sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_HIGH);
  model::log::set_module_level(tb.smmu.name(), sc_core::SC_NONE);
  q.submit(1, {bad_command()});
  tb.run(ns(1000));
  EXPECT_TRUE(g_queue_messages.empty());
  model::log::clear_module_levels();
  q.submit(0, {sync_none(), bad_command()});
  tb.run(ns(1000));
  ASSERT_EQ(g_queue_messages.size(), 1u);
  EXPECT_NE(g_queue_messages[0].find("ECMDQ stopped: error ILL (ECMDQ 0)"), std::string::npos) << g_queue_messages[0];
}

TEST(SmmuEcmdq, CmdqpErrIsReportedOnceWhileActive) {
  SmmuTestbench tb(ecmdq_params(2));
  tb.set_reg(r::kIrqCtrl, r::irq_ctrl::kGerrorIrqEn.mask());
  Ecmdqs q(tb);
  q.enable(0);
  q.enable(1);
  q.submit(0, {bad_command()});
  q.submit(1, {bad_command()});
  tb.run(ns(1000));
  EXPECT_TRUE(r::ecmdq_error_pending(q.prod(0), q.cons(0)));
  EXPECT_TRUE(r::ecmdq_error_pending(q.prod(1), q.cons(1)));
  EXPECT_EQ(active_gerrors(tb), r::gerror::kCmdqpErr.mask());
  EXPECT_EQ(tb.smmu.stats().gerror_irqs, 1u);  // the second found CMDQP_ERR active
  EXPECT_EQ(tb.smmu.command_stats().errors_ill, 2u);
}

TEST(SmmuEcmdq, FetchAbortIsCerrorAbt) {
  SmmuTestbench tb(ecmdq_params(1));
  Ecmdqs q(tb);
  q.enable(0);
  tb.mem.add_error_range(q.slot(0, 0), 0x100);
  q.submit(0, {sync_none()});
  tb.run(ns(1000));
  EXPECT_EQ(r::ecmdq_err_reason(q.cons(0)), r::CmdqError::kAbt);
  EXPECT_EQ(q.rd(0), 0u);
  EXPECT_EQ(active_gerrors(tb), r::gerror::kCmdqpErr.mask());
  EXPECT_EQ(tb.smmu.command_stats().errors_abt, 1u);
}

TEST(SmmuEcmdq, DisabledQueueIsNotConsumedAndDisableWaitsForTheCommand) {
  SmmuTestbench tb(ecmdq_params(1));
  Ecmdqs q(tb);
  q.enable(0);
  q.set_prod(0, 0);  // disabled again
  q.submit(0, {sync_none(), sync_none()});  // PROD written while disabled
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 0u);
  EXPECT_EQ(tb.smmu.command_stats().fetches, 0u);
  // Enabled with two commands pending: they run.
  q.set_prod(0, q.prod(0) | static_cast<uint32_t>(r::ecmdq_prod::kEn.mask()));
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 2u);
  // Disable while the engine is inside the queue (after the fetch, during the first
  // command): ENACK stays 1 and PROD is read-only until that command has completed,
  // then consumption stops with RD stable.
  q.submit(0, {sync_none(), sync_none(), sync_none()});
  tb.run(ns(51));
  const uint32_t p = q.prod(0);
  q.set_prod(0, p & ~static_cast<uint32_t>(r::ecmdq_prod::kEn.mask()));
  EXPECT_TRUE(r::ecmdq_enack(q.cons(0)));
  q.set_prod(0, p);  // ignored: the transition is not acknowledged yet
  EXPECT_FALSE(r::ecmdq_en(q.prod(0)));
  tb.run(ns(2));  // 53: the command in flight completed
  EXPECT_FALSE(r::ecmdq_enack(q.cons(0)));
  EXPECT_EQ(q.rd(0), 3u);
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 3u);
  // Disabled: CONS is software's again.
  tb.set_reg(q.reg(0, r::kEcmdqCons), 5);
  EXPECT_EQ(q.rd(0), 5u);
}

TEST(SmmuEcmdq, SyncCompletesByMsiSevAndWiredInterrupt) {
  SmmuTestbench tb(ecmdq_params(2));
  Ecmdqs q(tb);
  q.enable(1);
  const uint64_t msi = 0x3000000;
  tb.mem.write32(msi, 0xffffffff);
  auto* sev = watch(tb.smmu.sev_event());
  auto* irq = watch(tb.smmu.cmd_sync_irq.posedge_event());
  q.submit(1, {Command(Opcode::kSync).set_cs(arch::SyncCs::kSev),
               Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq),  // wired
               Command(Opcode::kSync).set_cs(arch::SyncCs::kIrq).set_msiaddr(msi).set_msidata(0)});
  tb.run(ns(1000));
  // Fetch 50 ns, 2 cycles per SYNC; the MSI is written at 56 ns and takes 50 ns.
  ASSERT_EQ(sev->size(), 1u);
  EXPECT_EQ(sev->front(), ns(52));
  ASSERT_EQ(irq->size(), 1u);
  EXPECT_EQ(irq->front(), ns(54));
  EXPECT_EQ(tb.mem.read32(msi), 0u);
  EXPECT_EQ(q.rd(1), 3u);
  EXPECT_EQ(tb.smmu.command_stats().syncs, 3u);
  EXPECT_EQ(tb.smmu.command_stats().sync_latency_max, ns(106));
}

TEST(SmmuEcmdq, InvalidationFromAnEcmdqReachesTheTlbs) {
  SmmuTestbench tb(ecmdq_params(1));
  Stage1Tables s(tb);
  s.cds.write_cd(0, make_cd_4k(s.pt.root(), 1));
  s.st.write_ste(0, make_s1_ste(s.cds));
  s.pt.map(0x1000, 0x20000000, 0x1000, rw_s1(), false);
  s.enable();
  ASSERT_TRUE(tb.dma(0x1000).ok());
  // Unmapped in memory; the TLB still has the page until the TLBI.
  s.pt.unmap(0x1000, 0x1000);
  ASSERT_TRUE(tb.dma(0x1000).ok());
  Ecmdqs q(tb);
  q.enable(0);
  q.submit(0, {Command(Opcode::kTlbiNhAll).set_vmid(0), sync_none()});
  tb.run(ns(10000));
  EXPECT_EQ(q.rd(0), 2u);
  EXPECT_FALSE(tb.dma(0x1000).ok());
}

}  // namespace
}  // namespace smmu::test

namespace smmu::test {
namespace {

TEST(SmmuEcmdq, QueueThatBecomesNonFullSendsSev) {
  SmmuTestbench tb(ecmdq_params(1));
  Ecmdqs q(tb);
  q.enable(0, /*log2=*/1);  // two entries
  auto* sev = watch(tb.smmu.sev_event());
  q.submit(0, {sync_none(), sync_none()});  // full
  tb.run(ns(1000));
  // The first command's completion (fetch 50 ns + 2) makes room: one WFE wake-up
  // (§3.5.6.1); the second finds the queue not full.
  ASSERT_EQ(sev->size(), 1u);
  EXPECT_EQ(sev->front(), ns(52));
  EXPECT_EQ(q.rd(0), 2u);
}

TEST(SmmuEcmdq, SyncWaitsForItsOwnQueuesAtcInvalidationsOnly) {
  // An endpoint that never answers ATC invalidations; one command a turn.
  model::AtsEndpointParams ep;
  ep.sid = 7;
  ep.pcie_round_trip = ns(500);
  ep.answer_invalidations = false;
  SmmuTestbench tb(ecmdq_params(2, /*batch=*/1), 0, SmmuTestbench::default_memory(), false, {ep});
  Ecmdqs q(tb);
  q.enable(0);
  q.enable(1);
  q.submit(0, {Command(Opcode::kAtcInv).set_sid(7).set_addr(0x1000), sync_none()});
  q.submit(1, {sync_none()});
  // ECMDQ 0's ATC_INV [0, 52), ECMDQ 1's SYNC [52, 104): it owes nothing to ECMDQ 0's
  // invalidation (§3.5.6.1) and completes at once.
  tb.run(ns(105));
  EXPECT_EQ(q.rd(1), 1u);
  EXPECT_FALSE(r::ecmdq_err(q.cons(1)));
  // ECMDQ 0's SYNC waits for the timeout (100 us from the ATC_INV's issue at 50 ns),
  // then fails with CERROR_ATC_INV_SYNC, CONS at the SYNC.
  tb.run(sc_time(100, sc_core::SC_US));
  EXPECT_EQ(q.rd(0), 1u);
  EXPECT_TRUE(r::ecmdq_err(q.cons(0)));
  EXPECT_EQ(r::ecmdq_err_reason(q.cons(0)), r::CmdqError::kAtcInvSync);
  EXPECT_EQ(tb.smmu.command_stats().atc_inv_timeouts, 1u);
  EXPECT_EQ(tb.smmu.command_stats().errors_atc_inv_sync, 1u);
  EXPECT_EQ(active_gerrors(tb), r::gerror::kCmdqpErr.mask());
  // ERRACK: the SYNC runs again and completes.
  q.set_prod(0, q.prod(0) | static_cast<uint32_t>(r::ecmdq_prod::kErrAck.mask()));
  tb.run(ns(1000));
  EXPECT_EQ(q.rd(0), 2u);
}

}  // namespace
}  // namespace smmu::test
