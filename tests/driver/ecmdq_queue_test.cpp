// SPDX-License-Identifier: Apache-2.0
// CommandQueue on an ECMDQ (IHI 0070 §3.5.6), on the host: PROD and CONS at the queue's
// own registers in a control page, every PROD write carrying EN and the acknowledged
// ERRACK, CONS.ERR as a toggle with ERR_REASON, errors acknowledged by toggling ERRACK,
// for each of the three designs. The ECMDQ's engine is played through HostOs's hooks.
#include "driver/command_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "rtl_model/arch/command.h"
#include "rtl_model/arch/registers.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

namespace r = arch::reg;
using arch::Command;
using arch::Opcode;
using test::HostOs;

constexpr uint64_t kBase = 0x2b400000;
constexpr uint64_t kQueueRegs = r::kEcmdqPage0 + 3 * 0x4000;  // ECMDQ 3 of 4
constexpr uint64_t kProd = kBase + kQueueRegs + r::kEcmdqProd;
constexpr uint64_t kCons = kBase + kQueueRegs + r::kEcmdqCons;
constexpr uint32_t kEn = 1u << 31, kErrAck = 1u << 23, kEnAck = 1u << 31, kErr = 1u << 23;

// One ECMDQ's consumer: on each PROD write it runs what is there unless an error waits
// for ERRACK; an unknown opcode toggles ERR with ERR_REASON = CERROR_ILL and stops.
struct FakeEcmdq {
  HostOs& os;
  uint64_t queue_pa;
  unsigned log2;
  std::vector<Command> seen;
  std::vector<uint32_t> prod_writes;
  unsigned other_writes = 0;  // to the CMDQ's registers

  FakeEcmdq(HostOs& o, uint64_t qpa, unsigned l2) : os(o), queue_pa(qpa), log2(l2) {
    os.mmio[kCons] = kEnAck;
    os.on_mmio_write = [this](uint64_t pa, uint64_t v) {
      if (pa != kProd) {
        ++other_writes;
        return;
      }
      prod_writes.push_back(static_cast<uint32_t>(v));
      run();
    };
  }
  uint32_t cons() { return static_cast<uint32_t>(os.mmio[kCons]); }
  void run() {
    const uint32_t prod = static_cast<uint32_t>(os.mmio[kProd]);
    uint32_t c = cons();
    if (!r::ecmdq_en(prod) || r::ecmdq_error_pending(prod, c)) return;
    const uint32_t ptr_mask = r::queue_wrap_index_mask(log2);
    while (!r::queue_empty(prod & ptr_mask, c & ptr_mask, log2)) {
      const uint64_t slot = queue_pa + 16ull * r::queue_index(c, log2);
      const Command cmd = Command::from_words(os.read64(slot), os.read64(slot + 8));
      if (!arch::opcode_known(cmd.raw_opcode())) {
        c ^= kErr;
        c = static_cast<uint32_t>(r::ecmdq_cons::kErrReason.set(c, 1));
        os.mmio[kCons] = c;
        return;
      }
      seen.push_back(cmd);
      if (cmd.opcode() == Opcode::kSync && cmd.cs() == static_cast<uint8_t>(arch::SyncCs::kIrq) &&
          cmd.msiaddr())
        os.write32(cmd.msiaddr(), cmd.msidata());
      c = r::queue_increment(c, log2);
      os.mmio[kCons] = c;
    }
  }
};

struct Rig {
  HostOs os;
  uint64_t qpa;
  FakeEcmdq engine;
  std::unique_ptr<CommandQueue> q;
  unsigned errors = 0;

  Rig(unsigned log2, CmdqDesign design, SyncCompletion completion = SyncCompletion::kConsPoll)
      : qpa(os.dma_alloc(16u << log2, 16u << log2)), engine(os, qpa, log2) {
    CommandQueueConfig c;
    c.mmio_base = kBase;
    c.prod_offset = kQueueRegs + r::kEcmdqProd;
    c.cons_offset = kQueueRegs + r::kEcmdqCons;
    c.ecmdq = true;
    c.queue_pa = qpa;
    c.log2size = log2;
    c.completion = completion;
    c.sync_timeout_ns = 10'000;
    c.poll_ns = 100;
    c.design = design;
    // What the device's GERROR handling does for CERROR_ILL on an ECMDQ.
    q = std::make_unique<CommandQueue>(os, c, [this] {
      ++errors;
      const uint32_t cons = q->read_cons();
      if (!q->error_pending(cons)) return;
      if (q->error_reason(cons) == r::CmdqError::kIll) q->replace_with_sync(cons);
      q->acknowledge_error(cons);
    });
  }
};

Command tlbi(uint16_t asid) { return Command(Opcode::kTlbiNhAsid).set_asid(asid); }
Command bad() { return Command::from_words(0x7f, 0); }

class EcmdqQueue : public ::testing::TestWithParam<CmdqDesign> {};

TEST_P(EcmdqQueue, PublishesOnItsOwnRegistersWithEnAndWraps) {
  Rig rig(2, GetParam());  // 4 slots
  rig.q->enable_ecmdq();
  ASSERT_EQ(rig.engine.prod_writes.size(), 1u);
  EXPECT_EQ(rig.engine.prod_writes[0], kEn);  // EN, WR = 0, ERRACK = 0
  for (uint16_t i = 0; i < 10; ++i) {
    const std::vector<Command> cmds = {tlbi(2 * i), tlbi(2 * i + 1)};
    ASSERT_EQ(rig.q->issue_and_wait(cmds), SmmuStatus::kOk);
  }
  ASSERT_EQ(rig.engine.seen.size(), 30u);
  for (uint16_t i = 0; i < 10; ++i) {
    EXPECT_EQ(rig.engine.seen[3 * i].asid(), 2 * i);
    EXPECT_EQ(rig.engine.seen[3 * i + 1].asid(), 2 * i + 1);
    EXPECT_EQ(rig.engine.seen[3 * i + 2].opcode(), Opcode::kSync);
  }
  // Every PROD write has EN; 30 entries: wrap 1, index 2.
  for (uint32_t v : rig.engine.prod_writes) EXPECT_TRUE(r::ecmdq_en(v)) << std::hex << v;
  EXPECT_EQ(rig.engine.prod_writes.back(), kEn | 6u);
  EXPECT_EQ(rig.engine.other_writes, 0u);  // nothing on the CMDQ's registers
  // CONS with ENACK (bit 31) counts as the plain pointer.
  EXPECT_EQ(rig.q->consumed_from(kEnAck | 6u), 30u);
  EXPECT_EQ(rig.q->consumed_from(kEnAck | kErr | 2u), 26u);
  EXPECT_EQ(rig.errors, 0u);
}

TEST_P(EcmdqQueue, ErrorIsAToggleAcknowledgedByErrack) {
  Rig rig(3, GetParam());
  rig.q->enable_ecmdq();
  // The illegal command stops the queue; the handler replaces it with a CMD_SYNC and
  // writes ERRACK = ERR = 1; the queue resumes and the wait completes.
  const std::vector<Command> first = {tlbi(1), bad(), tlbi(2)};
  ASSERT_EQ(rig.q->issue_and_wait(first), SmmuStatus::kOk);
  EXPECT_EQ(rig.errors, 1u);
  EXPECT_EQ(rig.q->stats().errors_seen, 1u);
  EXPECT_EQ(rig.q->stats().ill_skipped, 1u);
  ASSERT_EQ(rig.engine.seen.size(), 4u);
  EXPECT_EQ(rig.engine.seen[1].opcode(), Opcode::kSync);  // the replacement
  EXPECT_EQ(rig.engine.seen[2].asid(), 2u);
  EXPECT_TRUE(r::ecmdq_err(rig.engine.cons()));
  EXPECT_EQ(r::ecmdq_err_reason(rig.engine.cons()), r::CmdqError::kIll);
  EXPECT_FALSE(rig.q->error_pending(rig.engine.cons()));
  const uint32_t ack = rig.engine.prod_writes.back();
  EXPECT_TRUE(r::ecmdq_en(ack));
  EXPECT_EQ(ack & kErrAck, kErrAck);
  // Later publishes keep ERRACK = 1 (else the queue would stop again).
  ASSERT_EQ(rig.q->issue_and_wait({tlbi(3)}), SmmuStatus::kOk);
  EXPECT_TRUE(r::ecmdq_errack(rig.engine.prod_writes.back()));
  EXPECT_EQ(rig.errors, 1u);
  // A second error toggles ERR back to 0: ERRACK = 0 acknowledges it.
  ASSERT_EQ(rig.q->issue_and_wait({bad()}), SmmuStatus::kOk);
  EXPECT_EQ(rig.errors, 2u);
  EXPECT_FALSE(r::ecmdq_err(rig.engine.cons()));
  EXPECT_FALSE(r::ecmdq_errack(rig.engine.prod_writes.back()));
  EXPECT_EQ(rig.q->stats().ill_skipped, 2u);
}

TEST_P(EcmdqQueue, MsiCompletionInTheSyncSlot) {
  Rig rig(3, GetParam(), SyncCompletion::kMsi);
  rig.q->enable_ecmdq();
  ASSERT_EQ(rig.q->issue_and_wait({tlbi(7)}), SmmuStatus::kOk);
  ASSERT_EQ(rig.engine.seen.size(), 2u);
  EXPECT_EQ(rig.engine.seen[1].msiaddr(), rig.qpa + 16);
  EXPECT_EQ(rig.errors, 0u);
}

TEST_P(EcmdqQueue, DisableWritesPRODWithoutEn) {
  Rig rig(2, GetParam());
  rig.q->enable_ecmdq();
  ASSERT_EQ(rig.q->issue_and_wait({tlbi(1)}), SmmuStatus::kOk);
  rig.q->disable_ecmdq();
  EXPECT_EQ(rig.engine.prod_writes.back(), 2u);  // WR kept, EN clear
}

INSTANTIATE_TEST_SUITE_P(Designs, EcmdqQueue,
                         ::testing::Values(CmdqDesign::kLocked, CmdqDesign::kCasLoop,
                                           CmdqDesign::kFetchAdd),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(EcmdqQueueErrors, CmdqAndEcmdqDecodeConsDifferently) {
  HostOs os;
  CommandQueueConfig c;
  c.mmio_base = kBase;
  c.queue_pa = os.dma_alloc(256, 256);
  c.log2size = 4;
  CommandQueue cmdq(os, c, nullptr);
  c.ecmdq = true;
  c.prod_offset = kQueueRegs + r::kEcmdqProd;
  c.cons_offset = kQueueRegs + r::kEcmdqCons;
  CommandQueue ecmdq(os, c, nullptr);
  // CMDQ_CONS.ERR [30:24] is the reason; ECMDQ_CONS.ERR [23] a toggle, reason [26:24].
  const uint32_t cmdq_ill = r::with_cmdq_cons_error(3, r::CmdqError::kIll);
  EXPECT_TRUE(cmdq.error_pending(cmdq_ill));
  EXPECT_EQ(cmdq.error_reason(cmdq_ill), r::CmdqError::kIll);
  EXPECT_FALSE(cmdq.error_pending(3));
  EXPECT_FALSE(ecmdq.error_pending(kEnAck | 3));
  EXPECT_TRUE(ecmdq.error_pending(kEnAck | kErr | (2u << 24) | 3));
  EXPECT_EQ(ecmdq.error_reason(kEnAck | kErr | (2u << 24) | 3), r::CmdqError::kAbt);
  // ERR_REASON alone (the bit toggled back) is no error.
  EXPECT_FALSE(ecmdq.error_pending(kEnAck | (1u << 24) | 3));
  EXPECT_EQ(ecmdq.prod_address(), kProd);
  EXPECT_EQ(ecmdq.cons_address(), kCons);
  EXPECT_EQ(cmdq.prod_address(), kBase + r::kCmdqProd);
  EXPECT_TRUE(ecmdq.is_ecmdq());
  EXPECT_FALSE(cmdq.is_ecmdq());
}

}  // namespace
}  // namespace smmu::driver
