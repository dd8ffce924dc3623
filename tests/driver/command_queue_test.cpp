// SPDX-License-Identifier: Apache-2.0
// CommandQueue on the host: wrap-around, batches larger than the queue, full batches
// issued without CMD_SYNC, the three CMD_SYNC completion modes (MSI into the SYNC's own
// slot, wrap-aware CONS polling, interrupt), timeouts, and errors seen while waiting. The
// SMMU's command engine is played by the test through HostOs's hooks.
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

// The command engine: runs commands on a PROD write or as time passes, writes CMD_SYNC
// MSIs, moves CONS.
struct FakeEngine {
  enum class Mode { kOnWrite, kOnePerDelay, kAllPerDelay, kNever };

  HostOs& os;
  uint64_t queue_pa;
  unsigned log2;
  Mode mode = Mode::kOnWrite;
  bool hold_cons_at_sync = false;  // write the MSI but leave CONS at the SYNC
  std::vector<Command> seen;
  std::vector<uint32_t> prod_writes;

  FakeEngine(HostOs& o, uint64_t qpa, unsigned l2) : os(o), queue_pa(qpa), log2(l2) {
    os.on_mmio_write = [this](uint64_t pa, uint64_t v) {
      if (pa != kBase + r::kCmdqProd) return;
      prod_writes.push_back(static_cast<uint32_t>(v));
      if (mode == Mode::kOnWrite) step(~0u);
    };
    os.on_delay = [this] {
      if (mode == Mode::kOnePerDelay) step(1);
      if (mode == Mode::kAllPerDelay) step(~0u);
    };
  }
  uint32_t cons() { return static_cast<uint32_t>(os.mmio[kBase + r::kCmdqCons]); }
  void step(unsigned max) {
    const uint32_t prod = static_cast<uint32_t>(os.mmio[kBase + r::kCmdqProd]);
    uint32_t c = cons();
    for (unsigned n = 0; n < max && !r::queue_empty(prod, c, log2); ++n) {
      const uint64_t slot = queue_pa + 16ull * r::queue_index(c, log2);
      const Command cmd = Command::from_words(os.read64(slot), os.read64(slot + 8));
      const bool is_sync = cmd.opcode() == Opcode::kSync;
      seen.push_back(cmd);
      if (is_sync && cmd.cs() == static_cast<uint8_t>(arch::SyncCs::kIrq) && cmd.msiaddr())
        os.write32(cmd.msiaddr(), cmd.msidata());
      if (is_sync && hold_cons_at_sync) return;
      c = r::queue_increment(c, log2);
      os.mmio[kBase + r::kCmdqCons] = c;
    }
  }
};

template <class OsT = HostOs>
struct BasicRig {
  OsT os;
  uint64_t qpa;
  FakeEngine engine;
  CommandQueue q;
  unsigned errors = 0;

  BasicRig(unsigned log2, SyncCompletion completion, uint64_t timeout_ns = 10'000)
      : qpa(os.dma_alloc(16u << log2, 16u << log2)),
        engine(os, qpa, log2),
        q(os, config(log2, completion, timeout_ns), [this] { ++errors; }) {}

  CommandQueueConfig config(unsigned log2, SyncCompletion completion, uint64_t timeout_ns) {
    CommandQueueConfig c;
    c.mmio_base = kBase;
    c.queue_pa = qpa;
    c.log2size = log2;
    c.completion = completion;
    c.sync_timeout_ns = timeout_ns;
    c.poll_ns = 100;
    c.cons_check_every = 4;
    c.cmd_sync_irq = 3;
    return c;
  }
};

using Rig = BasicRig<>;

// An OS whose interrupt wait lets the poll interval pass (the engine runs) and then
// reports the interrupt.
struct IrqHostOs : HostOs {
  unsigned waits = 0;
  unsigned last_irq = ~0u;
  bool wait_for_irq(unsigned irq, uint64_t timeout_ns) override {
    ++waits;
    last_irq = irq;
    delay_ns(timeout_ns);
    return true;
  }
};

Command tlbi(uint16_t asid) { return Command(Opcode::kTlbiNhAsid).set_asid(asid); }

TEST(CommandQueue, WrapAroundKeepsOrderAndPointers) {
  Rig rig(2, SyncCompletion::kConsPoll);  // 4 slots
  for (uint16_t i = 0; i < 10; ++i) {
    const std::vector<Command> cmds = {tlbi(2 * i), tlbi(2 * i + 1)};
    ASSERT_EQ(rig.q.issue_and_wait(cmds), SmmuStatus::kOk);
  }
  ASSERT_EQ(rig.engine.seen.size(), 30u);
  for (uint16_t i = 0; i < 10; ++i) {
    EXPECT_EQ(rig.engine.seen[3 * i].asid(), 2 * i);
    EXPECT_EQ(rig.engine.seen[3 * i + 1].asid(), 2 * i + 1);
    EXPECT_EQ(rig.engine.seen[3 * i + 2].opcode(), Opcode::kSync);
    EXPECT_EQ(rig.engine.seen[3 * i + 2].cs(), static_cast<uint8_t>(arch::SyncCs::kSev));
  }
  // 30 entries: wrap bit and index of 30 mod 8 = 6 (wrap 1, index 2).
  EXPECT_EQ(rig.engine.prod_writes.back(), 6u);
  EXPECT_EQ(rig.engine.cons(), 6u);
  EXPECT_EQ(rig.q.produced(), 30u);
  EXPECT_EQ(rig.q.consumed_from(6), 30u);
  EXPECT_EQ(rig.q.consumed_from(2), 26u);  // 4 behind: index 2, other wrap
  EXPECT_EQ(rig.q.consumed_from(r::with_cmdq_cons_error(5, r::CmdqError::kIll)), 29u);
  EXPECT_EQ(rig.q.stats().commands, 20u);
  EXPECT_EQ(rig.q.stats().syncs, 10u);
  EXPECT_EQ(rig.os.now_ns(), 0u);  // done at the first poll each time
}

TEST(CommandQueue, LargerThanTheQueueWaitsForRoom) {
  Rig rig(2, SyncCompletion::kConsPoll);
  rig.engine.mode = FakeEngine::Mode::kAllPerDelay;
  std::vector<Command> cmds;
  for (uint16_t i = 0; i < 9; ++i) cmds.push_back(tlbi(i));
  ASSERT_EQ(rig.q.issue_and_wait(cmds), SmmuStatus::kOk);
  // 10 entries through 4 slots: published as 4, 4, 2, each after the SMMU made room.
  EXPECT_EQ(rig.engine.prod_writes, (std::vector<uint32_t>{4, 0, 2}));
  EXPECT_EQ(rig.q.stats().publishes, 3u);
  EXPECT_EQ(rig.q.stats().full_waits, 2u);
  ASSERT_EQ(rig.engine.seen.size(), 10u);
  for (uint16_t i = 0; i < 9; ++i) EXPECT_EQ(rig.engine.seen[i].asid(), i);
  EXPECT_EQ(rig.engine.seen[9].opcode(), Opcode::kSync);
  EXPECT_EQ(rig.os.now_ns(), 300u);  // two room waits, one SYNC wait
}

TEST(CommandQueue, FullBatchIsIssuedWithoutSync) {
  Rig rig(7, SyncCompletion::kConsPoll);
  CommandQueue::Batch b(rig.q);
  for (uint16_t i = 0; i < kMaxBatchCommands; ++i) ASSERT_EQ(b.add(tlbi(i)), SmmuStatus::kOk);
  EXPECT_TRUE(rig.engine.prod_writes.empty());  // nothing goes out before it is full
  EXPECT_EQ(b.size(), kMaxBatchCommands);
  ASSERT_EQ(b.add(tlbi(64)), SmmuStatus::kOk);
  ASSERT_EQ(rig.engine.prod_writes.size(), 1u);
  EXPECT_EQ(rig.engine.prod_writes[0], 64u);
  EXPECT_EQ(rig.engine.seen.size(), 64u);
  for (const Command& c : rig.engine.seen) EXPECT_NE(c.opcode(), Opcode::kSync);
  EXPECT_EQ(b.size(), 1u);
  ASSERT_EQ(b.submit(), SmmuStatus::kOk);
  ASSERT_EQ(rig.engine.seen.size(), 66u);
  EXPECT_EQ(rig.engine.seen[64].asid(), 64);
  EXPECT_EQ(rig.engine.seen[65].opcode(), Opcode::kSync);
  EXPECT_EQ(rig.q.stats().commands, 65u);
  EXPECT_EQ(rig.q.stats().syncs, 1u);
  EXPECT_EQ(b.size(), 0u);
  // An empty batch submitted without sync issues nothing.
  ASSERT_EQ(b.submit(false), SmmuStatus::kOk);
  EXPECT_EQ(rig.engine.prod_writes.size(), 2u);
}

TEST(CommandQueue, MsiCompletionPollsTheSyncSlot) {
  Rig rig(3, SyncCompletion::kMsi);
  rig.engine.hold_cons_at_sync = true;  // only the MSI can tell the SYNC completed
  const std::vector<Command> cmds = {tlbi(1), tlbi(2)};
  SyncTicket t;
  ASSERT_EQ(rig.q.issue(cmds.data(), cmds.size(), true, &t), SmmuStatus::kOk);
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.seq, 2u);
  EXPECT_EQ(t.slot_pa, rig.qpa + 2 * 16);
  ASSERT_EQ(rig.engine.seen.size(), 3u);
  const Command& sync = rig.engine.seen[2];
  EXPECT_EQ(sync.opcode(), Opcode::kSync);
  EXPECT_EQ(sync.cs(), static_cast<uint8_t>(arch::SyncCs::kIrq));
  EXPECT_EQ(sync.msiaddr(), t.slot_pa);
  EXPECT_EQ(sync.msidata(), 0u);
  EXPECT_EQ(sync.msh(), 3);
  EXPECT_EQ(sync.msiattr(), 0xf);
  EXPECT_EQ(rig.os.read32(t.slot_pa), 0u);  // zeroed by the MSI
  EXPECT_EQ(rig.engine.cons(), 2u);          // CONS still at the SYNC
  ASSERT_EQ(rig.q.wait(t), SmmuStatus::kOk);
  EXPECT_EQ(rig.os.now_ns(), 0u);
}

TEST(CommandQueue, MsiCompletionWaitsForTheWrite) {
  Rig rig(3, SyncCompletion::kMsi);
  rig.engine.mode = FakeEngine::Mode::kOnePerDelay;  // one command per 100 ns poll
  const std::vector<Command> cmds = {tlbi(1), tlbi(2), tlbi(3)};
  ASSERT_EQ(rig.q.issue_and_wait(cmds), SmmuStatus::kOk);
  EXPECT_EQ(rig.os.now_ns(), 400u);  // the SYNC runs at the 4th poll
  EXPECT_EQ(rig.q.stats().sync_polls, 4u);
}

TEST(CommandQueue, ConsPollIsWrapAware) {
  Rig rig(2, SyncCompletion::kConsPoll);
  rig.engine.mode = FakeEngine::Mode::kOnePerDelay;
  const std::vector<Command> two = {tlbi(1), tlbi(2)};
  ASSERT_EQ(rig.q.issue_and_wait(two), SmmuStatus::kOk);  // entries 0..2
  EXPECT_EQ(rig.os.now_ns(), 300u);
  EXPECT_EQ(rig.engine.cons(), 3u);
  // Entries 3..5: the SYNC lands at index 1 with the wrap bit set. CONS = 3 (index 3 >
  // 1, other wrap) has not passed it; only CONS = 6 (wrap 1, index 2) has.
  SyncTicket t;
  ASSERT_EQ(rig.q.issue(two.data(), two.size(), true, &t), SmmuStatus::kOk);
  EXPECT_EQ(t.seq, 5u);
  EXPECT_EQ(rig.engine.prod_writes.back(), 6u);
  ASSERT_EQ(rig.q.wait(t), SmmuStatus::kOk);
  EXPECT_EQ(rig.engine.cons(), 6u);
  EXPECT_EQ(rig.os.now_ns(), 600u);
}

TEST(CommandQueue, TimeoutInEveryMode) {
  for (SyncCompletion mode : {SyncCompletion::kMsi, SyncCompletion::kConsPoll, SyncCompletion::kIrq}) {
    Rig rig(3, mode, 5'000);
    rig.engine.mode = FakeEngine::Mode::kNever;
    const Command c = tlbi(1);
    EXPECT_EQ(rig.q.issue_and_wait(&c, 1), SmmuStatus::kSyncTimeout) << to_string(mode);
    EXPECT_EQ(rig.os.now_ns(), 5'000u) << to_string(mode);
    EXPECT_EQ(rig.q.stats().sync_timeouts, 1u);
    // The queue is usable afterwards: the stuck entries complete once the SMMU moves.
    rig.engine.mode = FakeEngine::Mode::kOnWrite;
    EXPECT_EQ(rig.q.issue_and_wait(&c, 1), SmmuStatus::kOk) << to_string(mode);
    EXPECT_EQ(rig.engine.seen.size(), 4u);
  }
}

TEST(CommandQueue, FullQueueTimesOut) {
  Rig rig(1, SyncCompletion::kConsPoll, 1'000);  // 2 slots
  rig.engine.mode = FakeEngine::Mode::kNever;
  const std::vector<Command> three = {tlbi(1), tlbi(2), tlbi(3)};
  EXPECT_EQ(rig.q.issue(three.data(), three.size(), false), SmmuStatus::kQueueTimeout);
  EXPECT_EQ(rig.engine.prod_writes, (std::vector<uint32_t>{2}));  // the first two went out
  EXPECT_EQ(rig.q.stats().queue_timeouts, 1u);
  EXPECT_EQ(rig.os.now_ns(), 1'000u);
}

TEST(CommandQueue, IrqCompletionUsesTheWiredInterrupt) {
  BasicRig<IrqHostOs> rig(3, SyncCompletion::kIrq);
  rig.engine.mode = FakeEngine::Mode::kAllPerDelay;
  const Command c = tlbi(1);
  ASSERT_EQ(rig.q.issue_and_wait(&c, 1), SmmuStatus::kOk);
  ASSERT_EQ(rig.engine.seen.size(), 2u);
  EXPECT_EQ(rig.engine.seen[1].cs(), static_cast<uint8_t>(arch::SyncCs::kIrq));
  EXPECT_EQ(rig.engine.seen[1].msiaddr(), 0u);  // wired interrupt, no MSI
  EXPECT_EQ(rig.os.waits, 1u);
  EXPECT_EQ(rig.os.last_irq, 3u);
  EXPECT_EQ(rig.os.now_ns(), 100u);
}

TEST(CommandQueue, CommandErrorSeenWhileWaitingGoesToTheHandler) {
  Rig rig(3, SyncCompletion::kConsPoll);
  rig.engine.mode = FakeEngine::Mode::kNever;
  const Command c = tlbi(1);
  SyncTicket t;
  ASSERT_EQ(rig.q.issue(&c, 1, true, &t), SmmuStatus::kOk);
  // The SMMU stops at the command with CONS.ERR = ABT; the device's handler (here the
  // test) acknowledges, and the SMMU goes on.
  rig.os.mmio[kBase + r::kCmdqCons] = r::with_cmdq_cons_error(0, r::CmdqError::kAbt);
  rig.os.on_delay = [&rig] {
    if (rig.errors && rig.engine.mode == FakeEngine::Mode::kNever) {
      rig.os.mmio[kBase + r::kCmdqCons] = 0;
      rig.engine.mode = FakeEngine::Mode::kOnWrite;
      rig.engine.step(~0u);
    }
  };
  ASSERT_EQ(rig.q.wait(t), SmmuStatus::kOk);
  EXPECT_EQ(rig.errors, 1u);
  EXPECT_EQ(rig.q.stats().errors_seen, 1u);
  EXPECT_EQ(rig.engine.seen.size(), 2u);
}

TEST(CommandQueue, IllegalCommandReplacedBySync) {
  Rig rig(2, SyncCompletion::kConsPoll);
  rig.engine.mode = FakeEngine::Mode::kNever;
  const std::vector<Command> cmds = {tlbi(1), Command::from_words(0x7f, 0)};
  ASSERT_EQ(rig.q.issue(cmds.data(), cmds.size(), false), SmmuStatus::kOk);
  rig.q.replace_with_sync(r::with_cmdq_cons_error(1, r::CmdqError::kIll));
  const Command c = Command::from_words(rig.os.read64(rig.qpa + 16), rig.os.read64(rig.qpa + 24));
  EXPECT_EQ(c.opcode(), Opcode::kSync);
  EXPECT_EQ(c.cs(), static_cast<uint8_t>(arch::SyncCs::kSev));
  EXPECT_EQ(rig.q.stats().ill_skipped, 1u);
  EXPECT_EQ(Command::from_words(rig.os.read64(rig.qpa), rig.os.read64(rig.qpa + 8)), tlbi(1));
}

TEST(CommandQueue, BadConfigurationThrows) {
  HostOs os;
  CommandQueueConfig c;
  c.log2size = 20;
  EXPECT_THROW({ CommandQueue q(os, c, nullptr); }, std::invalid_argument);
  c.log2size = 4;
  c.poll_ns = 0;
  EXPECT_THROW({ CommandQueue q(os, c, nullptr); }, std::invalid_argument);
}

}  // namespace
}  // namespace smmu::driver
