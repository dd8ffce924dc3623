// SPDX-License-Identifier: Apache-2.0
// SmmuDevice on the host: probe from preset IDRs, the reset and enable sequence (order,
// values, waiting for the acknowledges), the lazily built 2-level stream table, hitless
// STE writes and their syncs, event draining with overflow, GERROR / CMDQ_CONS.ERR
// recovery, issuing batches to several SMMUs at once, and the event handler's pass. A minimal SMMU is played by
// the test through HostOs's MMIO and delay hooks.
#include "driver/smmu_device.h"

#include <gtest/gtest.h>

#include "driver/event_handler.h"

#include <map>
#include <memory>
#include <vector>

#include "rtl_model/arch/command.h"
#include "rtl_model/arch/event.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/arch/ste.h"
#include "support/host_os.h"

namespace smmu::driver {
namespace {

namespace r = arch::reg;
using arch::Command;
using arch::Opcode;
using test::HostOs;

constexpr uint64_t kBase = 0x2b400000;
constexpr uint64_t kBase2 = 0x2b500000;

// Just enough SMMU: acknowledges CR0 / IRQ_CTRL / GBPA.UPDATE, runs the command queue
// (records commands, writes CMD_SYNC MSIs, moves CONS), raises command errors on demand,
// resumes when they are acknowledged, and produces event records.
class FakeSmmu {
 public:
  FakeSmmu(HostOs& os, uint64_t base) : os_(os), base_(base) {}

  bool ack_cr0 = true;
  bool ack_on_delay = false;      // CR0ACK follows CR0 only at the next delay
  bool consume_on_write = true;   // else commands run at the next delay
  bool stalled = false;           // the command queue never moves
  bool abt_once = false;          // the next command fetch aborts once
  bool atc_sync_fail_once = false;  // the next CMD_SYNC after an ATC_INV fails once
  std::vector<Command> seen;
  std::vector<uint64_t> prod_write_times;
  uint64_t cr0ack_when_cr1_written = ~uint64_t{0};

  uint64_t& reg(uint64_t off) { return os_.mmio[base_ + off]; }
  uint64_t base() const { return base_; }
  bool owns(uint64_t pa) const { return pa >= base_ && pa < base_ + r::kWindowSize; }

  void write(uint64_t off, uint64_t v) {
    switch (off) {
      case r::kCr0:
        if (ack_cr0 && !ack_on_delay) reg(r::kCr0Ack) = v;
        break;
      case r::kCr1:
        cr0ack_when_cr1_written = reg(r::kCr0Ack);
        break;
      case r::kIrqCtrl:
        reg(r::kIrqCtrlAck) = v;
        break;
      case r::kGbpa:
        reg(r::kGbpa) = v & ~r::gbpa::kUpdate.mask();
        break;
      case r::kCmdqProd:
        prod_write_times.push_back(os_.now_ns());
        if (consume_on_write) run();
        break;
      case r::kGerrorN:
        if (!r::gerror_active(static_cast<uint32_t>(reg(r::kGerror)), static_cast<uint32_t>(v))) {
          reg(r::kCmdqCons) = r::with_cmdq_cons_error(static_cast<uint32_t>(reg(r::kCmdqCons)),
                                                      r::CmdqError::kNone);
          run();
        }
        break;
      default:
        break;
    }
  }
  void tick() {
    if (ack_cr0 && ack_on_delay) reg(r::kCr0Ack) = reg(r::kCr0);
    if (!consume_on_write) run();
  }

  void run() {
    if (stalled) return;
    const r::QueueBase qb = r::QueueBase::decode(reg(r::kCmdqBase));
    const uint32_t prod = static_cast<uint32_t>(reg(r::kCmdqProd));
    uint32_t cons = static_cast<uint32_t>(reg(r::kCmdqCons));
    if (r::cmdq_cons_error(cons) != r::CmdqError::kNone) return;
    while (!r::queue_empty(prod, cons, qb.log2size)) {
      const uint64_t slot = qb.addr + 16ull * r::queue_index(cons, qb.log2size);
      const Command c = Command::from_words(os_.read64(slot), os_.read64(slot + 8));
      if (abt_once) {
        abt_once = false;
        return raise(r::CmdqError::kAbt, cons);
      }
      if (!arch::opcode_known(c.raw_opcode())) return raise(r::CmdqError::kIll, cons);
      if (c.opcode() == Opcode::kAtcInv) atc_inv_pending_ = true;
      if (c.opcode() == Opcode::kSync && atc_inv_pending_ && atc_sync_fail_once) {
        atc_sync_fail_once = false;  // the device never answered; the repeated SYNC completes
        return raise(r::CmdqError::kAtcInvSync, cons);
      }
      if (c.opcode() == Opcode::kSync) atc_inv_pending_ = false;
      seen.push_back(c);
      if (c.opcode() == Opcode::kSync && c.cs() == static_cast<uint8_t>(arch::SyncCs::kIrq) &&
          c.msiaddr())
        os_.write32(c.msiaddr(), c.msidata());
      cons = r::queue_increment(cons, qb.log2size);
      reg(r::kCmdqCons) = cons;
    }
  }

  void push_event(const arch::EventRecord& e) {
    const r::QueueBase qb = r::QueueBase::decode(reg(r::kEvtqBase));
    const uint32_t prod = static_cast<uint32_t>(reg(r::kEvtqProd));
    const arch::EventWords w = e.encode();
    os_.mem_write(qb.addr + 32ull * r::queue_index(prod, qb.log2size), w.data(), 32);
    reg(r::kEvtqProd) = r::queue_increment(prod, qb.log2size);
  }
  void toggle_event_overflow() { reg(r::kEvtqProd) ^= uint64_t{1} << 31; }

  size_t count(Opcode op) const {
    size_t n = 0;
    for (const Command& c : seen) n += c.opcode() == op;
    return n;
  }

 private:
  void raise(r::CmdqError e, uint32_t cons) {
    reg(r::kCmdqCons) = r::with_cmdq_cons_error(cons, e);
    reg(r::kGerror) ^= r::gerror::kCmdqErr.mask();
  }

  HostOs& os_;
  uint64_t base_;
  bool atc_inv_pending_ = false;
};

uint32_t full_idr0() {
  r::Idr0 i;
  i.s1p = i.s2p = true;
  i.ttf = r::idr0::kTtfAArch64;
  i.ttendian = r::idr0::kTtEndianLe;
  i.cohacc = i.msi = i.sev = i.ats = i.hyp = true;
  i.asid16 = i.vmid16 = true;
  i.cd2l = true;
  i.st_level = r::idr0::kStLevel2Lvl;
  return i.encode();
}
uint32_t full_idr1() {
  r::Idr1 i;
  i.cmdqs = 5;
  i.evtqs = 4;
  i.ssidsize = 20;
  i.sidsize = 16;
  return i.encode();
}
uint32_t full_idr5() {
  r::Idr5 i;
  i.oas = 5;  // 48 bits
  i.gran4k = i.gran64k = true;
  return i.encode();
}

// A HostOs with one or two fake SMMUs wired to its hooks.
struct Rig {
  HostOs os;
  std::vector<std::unique_ptr<FakeSmmu>> fakes;

  FakeSmmu& add(uint64_t base, uint32_t idr0 = full_idr0(), uint32_t idr1 = full_idr1(),
                uint32_t idr5 = full_idr5()) {
    fakes.push_back(std::make_unique<FakeSmmu>(os, base));
    FakeSmmu& f = *fakes.back();
    f.reg(r::kIdr0) = idr0;
    f.reg(r::kIdr1) = idr1;
    r::Idr3 i3;
    i3.ril = true;
    f.reg(r::kIdr3) = i3.encode();
    f.reg(r::kIdr5) = idr5;
    os.on_mmio_write = [this](uint64_t pa, uint64_t v) {
      for (auto& x : fakes)
        if (x->owns(pa)) x->write(pa - x->base(), v);
    };
    os.on_delay = [this] {
      for (auto& x : fakes) x->tick();
    };
    return f;
  }
};

SmmuDeviceOptions opts(SyncCompletion c = SyncCompletion::kConsPoll) {
  SmmuDeviceOptions o;
  o.completion = c;
  o.sync_timeout_ns = 10'000;
  o.ack_timeout_ns = 5'000;
  o.poll_ns = 100;
  return o;
}

TEST(SmmuDevice, ProbeDecodesFeaturesAndClampsQueues) {
  Rig rig;
  rig.add(kBase);
  SmmuDeviceOptions o = opts(SyncCompletion::kMsi);
  o.cmdq_log2 = 8;
  o.evtq_log2 = 2;
  SmmuDevice dev(rig.os, kBase, o);
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  const SmmuFeatures& f = dev.features();
  EXPECT_TRUE(f.s1 && f.s2 && f.nesting);
  EXPECT_TRUE(f.gran4k);
  EXPECT_FALSE(f.gran16k);
  EXPECT_TRUE(f.gran64k);
  EXPECT_EQ(f.oas_bits, 48u);
  EXPECT_EQ(f.asid_bits, 16u);
  EXPECT_EQ(f.vmid_bits, 16u);
  EXPECT_EQ(f.sid_bits, 16u);
  EXPECT_EQ(f.ssid_bits, 20u);
  EXPECT_TRUE(f.ril && f.ats && f.msi && f.sev && f.hyp && f.cd2l && f.coherent);
  EXPECT_FALSE(f.pri);
  EXPECT_TRUE(f.two_level_strtab);
  EXPECT_EQ(dev.cmdq_log2(), 5u);  // clamped to IDR1.CMDQS
  EXPECT_EQ(dev.evtq_log2(), 2u);  // below IDR1.EVTQS: as asked
  EXPECT_EQ(dev.num_sids(), 1u << 16);
  EXPECT_EQ(dev.completion(), SyncCompletion::kMsi);
  EXPECT_TRUE(dev.handle().range_inv);
  EXPECT_EQ(dev.handle().device, &dev);
}

TEST(SmmuDevice, ProbeReportsUnusableSmmus) {
  struct Case {
    uint32_t idr0, idr1, idr5;
    SmmuStatus want;
  };
  const uint32_t i0 = full_idr0();
  const uint32_t no_stage = i0 & ~uint32_t(r::idr0::kS1p.mask() | r::idr0::kS2p.mask());
  const uint32_t aarch32_only = static_cast<uint32_t>(r::idr0::kTtf.set(i0, 1));
  const uint32_t big_endian = static_cast<uint32_t>(r::idr0::kTtEndian.set(i0, 3));
  const uint32_t preset = full_idr1() | static_cast<uint32_t>(r::idr1::kQueuesPreset.mask());
  const std::vector<Case> cases = {
      {no_stage, full_idr1(), full_idr5(), SmmuStatus::kNoTranslation},
      {aarch32_only, full_idr1(), full_idr5(), SmmuStatus::kBadTtf},
      {big_endian, full_idr1(), full_idr5(), SmmuStatus::kBadEndian},
      {i0, full_idr1(), 5u /* OAS only */, SmmuStatus::kNoGranule},
      {i0, preset, full_idr5(), SmmuStatus::kPresetUnsupported},
  };
  for (const Case& c : cases) {
    Rig rig;
    rig.add(kBase, c.idr0, c.idr1, c.idr5);
    SmmuDevice dev(rig.os, kBase, opts());
    EXPECT_EQ(dev.probe(), c.want) << to_string(c.want);
    EXPECT_FALSE(dev.probed());
    EXPECT_EQ(dev.reset(), SmmuStatus::kNotProbed);
  }
}

TEST(SmmuDevice, MsiCompletionFallsBackWithoutMsiOrCoherency) {
  Rig rig;
  rig.add(kBase, full_idr0() & ~uint32_t(r::idr0::kCohacc.mask()));
  SmmuDevice dev(rig.os, kBase, opts(SyncCompletion::kMsi));
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  EXPECT_EQ(dev.completion(), SyncCompletion::kConsPoll);
}

TEST(SmmuDevice, ResetSequenceOrderValuesAndAcks) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  f.ack_on_delay = true;  // the driver must poll for every CR0ACK
  // Left enabled by firmware: reset disables it first.
  f.reg(r::kCr0) = f.reg(r::kCr0Ack) = 0x9;
  SmmuDevice dev(rig.os, kBase, opts(SyncCompletion::kMsi));
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  EXPECT_TRUE(dev.enabled());

  std::vector<std::pair<uint64_t, uint64_t>> w;
  for (const auto& [pa, v] : rig.os.mmio_writes) w.emplace_back(pa - kBase, v);
  const std::vector<uint64_t> want_order = {
      r::kCr0,        r::kCr1,        r::kCr2,       r::kStrtabBase, r::kStrtabBaseCfg,
      r::kCmdqBase,   r::kCmdqProd,   r::kCmdqCons,  r::kCr0,        r::kCmdqProd,
      r::kEvtqBase,   r::kEvtqProd,   r::kEvtqCons,  r::kCr0,        r::kIrqCtrl,
      r::kGerrorIrqCfg0, r::kEvtqIrqCfg0, r::kIrqCtrl, r::kGbpa,     r::kCr0};
  ASSERT_EQ(w.size(), want_order.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i].first, want_order[i]) << "write " << i;
  EXPECT_EQ(w[0].second, 0u);
  EXPECT_EQ(f.cr0ack_when_cr1_written, 0u) << "CR1 written before the disable was acknowledged";
  EXPECT_EQ(w[8].second, r::cr0::kCmdqEn.mask());
  EXPECT_EQ(w[13].second, r::cr0::kCmdqEn.mask() | r::cr0::kEvtqEn.mask());
  EXPECT_EQ(w[19].second, 0xdu);  // CMDQEN | EVTQEN | SMMUEN
  EXPECT_EQ(f.reg(r::kCr0Ack), 0xdu);
  EXPECT_EQ(w[18].second, r::gbpa::kUpdate.mask() | r::gbpa::kAbort.mask());
  EXPECT_EQ(w[17].second, 0x5u);  // EVTQ_IRQEN | GERROR_IRQEN

  const r::StrtabBase sb = r::StrtabBase::decode(w[3].second);
  EXPECT_TRUE(sb.ra);
  EXPECT_EQ(sb.addr, dev.strtab_pa());
  const r::StrtabBaseCfg sbc = r::StrtabBaseCfg::decode(static_cast<uint32_t>(w[4].second));
  EXPECT_EQ(sbc.fmt, r::strtab_base_cfg::kFmt2Lvl);
  EXPECT_EQ(sbc.split, 8);
  EXPECT_EQ(sbc.log2size, 16);
  const r::QueueBase cq = r::QueueBase::decode(w[5].second);
  EXPECT_EQ(cq.addr, dev.cmdq_pa());
  EXPECT_EQ(cq.log2size, 5);
  EXPECT_EQ(cq.addr % (16u << 5), 0u);
  const r::QueueBase eq = r::QueueBase::decode(w[10].second);
  EXPECT_EQ(eq.addr, dev.evtq_pa());
  EXPECT_EQ(eq.log2size, 4);

  // Invalidate everything (HYP: EL2 too), then CMD_SYNC completed by MSI.
  ASSERT_EQ(f.seen.size(), 4u);
  EXPECT_EQ(f.seen[0].opcode(), Opcode::kCfgiSteRange);
  EXPECT_EQ(f.seen[0].range(), arch::kCfgiAllRange);
  EXPECT_EQ(f.seen[1].opcode(), Opcode::kTlbiEl2All);
  EXPECT_EQ(f.seen[2].opcode(), Opcode::kTlbiNsnhAll);
  EXPECT_EQ(f.seen[3].opcode(), Opcode::kSync);
  EXPECT_EQ(f.seen[3].msiaddr(), dev.cmdq_pa() + 3 * 16);
  EXPECT_EQ(w[9].second, 4u);
  // Polls happened: each CR0 write waited (4 of them) for the delayed acknowledge.
  EXPECT_EQ(rig.os.now_ns(), 4 * 100u);
}

TEST(SmmuDevice, ResetFailsOnMissingAckWithoutEnabling) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  f.ack_cr0 = false;
  SmmuDevice dev(rig.os, kBase, opts());
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  EXPECT_EQ(dev.reset(), SmmuStatus::kAckTimeout);
  EXPECT_FALSE(dev.enabled());
  EXPECT_EQ(rig.os.now_ns(), 5'000u);  // the bounded wait, then the error
  for (const auto& [pa, v] : rig.os.mmio_writes)
    if (pa == kBase + r::kCr0) {
      EXPECT_EQ(v & r::cr0::kSmmuEn.mask(), 0u);
    }
}

TEST(SmmuDevice, EnsureSteAllocatesLevel2Lazily) {
  Rig rig;
  rig.add(kBase);
  SmmuDevice dev(rig.os, kBase, opts());
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  EXPECT_EQ(dev.ste_address(0x1234), 0u);
  const size_t cmds_before = rig.fakes[0]->seen.size();
  ASSERT_EQ(dev.ensure_ste(0x1234), SmmuStatus::kOk);
  const arch::L1StreamDescriptor d =
      arch::L1StreamDescriptor::decode(rig.os.read64(dev.strtab_pa() + 8 * 0x12));
  EXPECT_EQ(d.span, 9);
  ASSERT_NE(d.l2ptr, 0u);
  EXPECT_EQ(d.l2ptr % (64u << 8), 0u);
  EXPECT_EQ(dev.ste_address(0x1234), d.l2ptr + 64 * 0x34);
  EXPECT_EQ(dev.ste_address(0x1200), d.l2ptr);
  // Every STE of the new span aborts (valid, Config abort), none is left invalid.
  for (uint32_t sid : {0x1200u, 0x1234u, 0x12ffu}) {
    arch::SteWords w;
    rig.os.mem_read(dev.ste_address(sid), w.data(), 64);
    const arch::Ste s = arch::Ste::decode(w);
    EXPECT_TRUE(s.valid);
    EXPECT_EQ(s.kind(), arch::SteConfig::kAbort);
  }
  // Neighbouring descriptors untouched; no command for an L1 change (as Linux).
  EXPECT_EQ(rig.os.read64(dev.strtab_pa() + 8 * 0x11), 0u);
  EXPECT_EQ(rig.os.read64(dev.strtab_pa() + 8 * 0x13), 0u);
  EXPECT_EQ(rig.fakes[0]->seen.size(), cmds_before);
  EXPECT_EQ(dev.stats().l2_tables, 1u);
  ASSERT_EQ(dev.ensure_ste(0x12aa), SmmuStatus::kOk);
  EXPECT_EQ(dev.stats().l2_tables, 1u);
  EXPECT_EQ(dev.ste_address(0x1334), 0u);
  EXPECT_EQ(dev.ensure_ste(0x10000), SmmuStatus::kBadStreamId);
}

TEST(SmmuDevice, LinearStreamTableWithoutTwoLevelSupportAndBypass) {
  Rig rig;
  r::Idr1 i1 = r::Idr1::decode(full_idr1());
  i1.sidsize = 6;
  const uint32_t linear_idr0 =
      static_cast<uint32_t>(r::idr0::kStLevel.set(full_idr0(), r::idr0::kStLevelLinear));
  rig.add(kBase, linear_idr0, i1.encode());
  SmmuDeviceOptions o = opts();
  o.bypass = true;
  SmmuDevice dev(rig.os, kBase, o);
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  EXPECT_FALSE(dev.features().two_level_strtab);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  const r::StrtabBaseCfg cfg =
      r::StrtabBaseCfg::decode(static_cast<uint32_t>(rig.os.mmio[kBase + r::kStrtabBaseCfg]));
  EXPECT_EQ(cfg.fmt, r::strtab_base_cfg::kFmtLinear);
  EXPECT_EQ(cfg.log2size, 6);
  EXPECT_EQ(dev.ste_address(63), dev.strtab_pa() + 63 * 64);
  EXPECT_EQ(dev.ensure_ste(63), SmmuStatus::kOk);
  EXPECT_EQ(dev.ensure_ste(64), SmmuStatus::kBadStreamId);
  EXPECT_EQ(dev.stats().l2_tables, 0u);
  arch::SteWords w;
  rig.os.mem_read(dev.ste_address(63), w.data(), 64);
  EXPECT_EQ(arch::Ste::decode(w).kind(), arch::SteConfig::kBypass);
  // Bypass allowed: GBPA left alone.
  for (const auto& [pa, v] : rig.os.mmio_writes) EXPECT_NE(pa, kBase + r::kGbpa);
}

TEST(SmmuDevice, WriteSteSyncsThroughTheQueue) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDevice dev(rig.os, kBase, opts(SyncCompletion::kMsi));
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  f.seen.clear();
  arch::Ste bypass;
  bypass.valid = true;
  bypass.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
  bypass.shcfg = 1;
  const EntryWords target = bypass.encode();
  // Abort -> bypass: SHCFG first (unused by an aborting STE), then Config: 2 syncs.
  const unsigned syncs = dev.write_ste(0x42, target);
  EXPECT_EQ(syncs, 2u);
  ASSERT_EQ(f.seen.size(), 2 * syncs);
  for (size_t i = 0; i < f.seen.size(); i += 2) {
    EXPECT_EQ(f.seen[i].opcode(), Opcode::kCfgiSte);
    EXPECT_EQ(f.seen[i].sid(), 0x42u);
    EXPECT_TRUE(f.seen[i].leaf());
    EXPECT_EQ(f.seen[i + 1].opcode(), Opcode::kSync);
  }
  arch::SteWords now;
  rig.os.mem_read(dev.ste_address(0x42), now.data(), 64);
  EXPECT_EQ(now, target);
  EXPECT_EQ(dev.stats().ste_syncs, 2u);
  EXPECT_EQ(dev.stats().sync_failures, 0u);
  EXPECT_EQ(dev.cmdq().stats().syncs, 3u);  // reset's one and these two
  // Writing the same entry again writes nothing and needs no sync.
  EXPECT_EQ(dev.write_ste(0x42, target), 0u);
  EXPECT_EQ(f.seen.size(), 4u);
}

TEST(SmmuDevice, WriteSteCountsFailedSyncs) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDevice dev(rig.os, kBase, opts());
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  f.stalled = true;
  arch::Ste s;
  s.valid = true;
  s.config = static_cast<uint8_t>(arch::SteConfig::kBypass);
  EXPECT_EQ(dev.write_ste(7, s.encode()), 1u);
  EXPECT_EQ(dev.stats().sync_failures, 1u);
  EXPECT_EQ(dev.cmdq().stats().sync_timeouts, 1u);
}

arch::EventRecord event(arch::EventId id, uint32_t sid, uint64_t addr) {
  arch::EventRecord e;
  e.id = id;
  e.sid = sid;
  e.input_addr = addr;
  e.rnw = true;
  return e;
}

TEST(SmmuDevice, DrainEventsAndAcknowledgeOverflow) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDeviceOptions o = opts();
  o.evtq_log2 = 2;  // 4 records
  SmmuDevice dev(rig.os, kBase, o);
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  EXPECT_EQ(dev.drain_events(), 0u);

  f.push_event(event(arch::EventId::kTranslation, 5, 0x1000));
  f.push_event(event(arch::EventId::kPermission, 6, 0x2000));
  f.push_event(event(arch::EventId::kBadSte, 7, 0));
  std::vector<arch::EventRecord> got;
  EXPECT_EQ(dev.drain_events(&got), 3u);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, arch::EventId::kTranslation);
  EXPECT_EQ(got[0].sid, 5u);
  EXPECT_EQ(got[0].input_addr, 0x1000u);
  EXPECT_TRUE(got[0].rnw);
  EXPECT_EQ(got[1].id, arch::EventId::kPermission);
  EXPECT_EQ(got[2].sid, 7u);
  EXPECT_EQ(f.reg(r::kEvtqCons), 3u);

  // The queue fills (wrapping) and the SMMU flags lost records.
  for (uint32_t i = 0; i < 4; ++i) f.push_event(event(arch::EventId::kTranslation, 10 + i, 0));
  f.toggle_event_overflow();
  got.clear();
  EXPECT_EQ(dev.drain_events(&got), 4u);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].sid, 10u);
  EXPECT_EQ(got[3].sid, 13u);
  const uint32_t cons = static_cast<uint32_t>(f.reg(r::kEvtqCons));
  EXPECT_TRUE(r::queue_ovflg(cons));             // acknowledged
  EXPECT_EQ(cons & 7u, 7u);                      // 3 + 4: index 3, wrap 1
  EXPECT_EQ(dev.stats().event_overflows, 1u);
  EXPECT_EQ(dev.stats().events, 7u);
  EXPECT_EQ(dev.stats().events_by_id.at(0x10), 5u);
  EXPECT_EQ(dev.event_log().size(), 7u);
  const size_t writes = rig.os.mmio_writes.size();
  EXPECT_EQ(dev.drain_events(), 0u);
  EXPECT_EQ(rig.os.mmio_writes.size(), writes);  // nothing to acknowledge
  EXPECT_EQ(dev.stats().event_overflows, 1u);
}

// The log keeps the first records (the cause of a storm), not the last.
TEST(SmmuDevice, EventLogKeepsTheFirstRecords) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDeviceOptions o = opts();
  o.event_log_size = 2;
  SmmuDevice dev(rig.os, kBase, o);
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  for (uint32_t i = 0; i < 3; ++i) f.push_event(event(arch::EventId::kTranslation, 20 + i, 0));
  EXPECT_EQ(dev.drain_events(), 3u);
  f.push_event(event(arch::EventId::kBadSte, 30, 0));
  EXPECT_EQ(dev.drain_events(), 1u);
  ASSERT_EQ(dev.event_log().size(), 2u);
  EXPECT_EQ(dev.event_log()[0].sid, 20u);
  EXPECT_EQ(dev.event_log()[1].sid, 21u);
  EXPECT_EQ(dev.stats().events, 4u);
  EXPECT_EQ(dev.stats().events_by_id.at(static_cast<uint8_t>(arch::EventId::kBadSte)), 1u);
}

// The event handler's pass over two SMMUs: one with an EVTQ_ABT and records, one with
// records and an overflow; a stop requested before the thread runs gives one last pass.
TEST(SmmuDevice, EventHandlerHandlesGlobalErrorsAndDrainsEveryQueue) {
  Rig rig;
  FakeSmmu& a = rig.add(kBase);
  FakeSmmu& b = rig.add(kBase2);
  SmmuDevice da(rig.os, kBase, opts(), 0), db(rig.os, kBase2, opts(), 1);
  for (SmmuDevice* d : {&da, &db}) {
    ASSERT_EQ(d->probe(), SmmuStatus::kOk);
    ASSERT_EQ(d->reset(), SmmuStatus::kOk);
  }
  for (uint32_t i = 0; i < 3; ++i) a.push_event(event(arch::EventId::kTranslation, 1, 0x1000 * i));
  a.reg(r::kGerror) ^= r::gerror::kEvtqAbt.mask();
  b.push_event(event(arch::EventId::kBadStreamId, 9, 0));
  b.toggle_event_overflow();
  EventHandler h(rig.os, {&da, &db}, EventHandlerOptions{});
  h.service();
  EXPECT_EQ(da.stats().gerrors, 1u);
  EXPECT_EQ(da.stats().other_gerrors, 1u);
  EXPECT_EQ(a.reg(r::kGerrorN), a.reg(r::kGerror));  // acknowledged
  EXPECT_EQ(da.stats().events, 3u);
  EXPECT_EQ(a.reg(r::kEvtqCons), 3u);
  EXPECT_EQ(db.stats().events, 1u);
  EXPECT_EQ(db.stats().event_overflows, 1u);
  EXPECT_EQ(db.stats().gerrors, 0u);
  EXPECT_EQ(h.stats().drains, 2u);

  a.push_event(event(arch::EventId::kPermission, 2, 0));
  EXPECT_FALSE(h.finished());
  h.request_stop();
  h.run();
  EXPECT_TRUE(h.finished());
  EXPECT_EQ(h.stats().wakeups, 1u);
  EXPECT_EQ(da.stats().events, 4u);
  EXPECT_EQ(da.stats().events_by_id.at(static_cast<uint8_t>(arch::EventId::kPermission)), 1u);
}

TEST(SmmuDevice, IllegalCommandIsReplacedBySync) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDevice dev(rig.os, kBase, opts());
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  f.seen.clear();
  const std::vector<Command> cmds = {Command(Opcode::kTlbiNhAll), Command::from_words(0x7f, 0),
                                     Command(Opcode::kTlbiNsnhAll)};
  ASSERT_EQ(dev.cmdq().issue_and_wait(cmds), SmmuStatus::kOk);
  ASSERT_EQ(f.seen.size(), 4u);
  EXPECT_EQ(f.seen[0].opcode(), Opcode::kTlbiNhAll);
  EXPECT_EQ(f.seen[1].opcode(), Opcode::kSync);  // in place of the illegal one
  EXPECT_EQ(f.seen[1].cs(), static_cast<uint8_t>(arch::SyncCs::kSev));
  EXPECT_EQ(f.seen[2].opcode(), Opcode::kTlbiNsnhAll);
  EXPECT_EQ(f.seen[3].opcode(), Opcode::kSync);
  EXPECT_EQ(dev.stats().cmdq_ill, 1u);
  EXPECT_EQ(dev.cmdq().stats().ill_skipped, 1u);
  EXPECT_EQ(f.reg(r::kGerrorN), f.reg(r::kGerror));
  EXPECT_EQ(f.reg(r::kGerror), 1u);
  EXPECT_EQ(dev.handle_gerror(), 0u);  // nothing left active
}

// CERROR_ATC_INV_SYNC (IHI 0070 §3.9.1.4): the SYNC completes once the error is
// acknowledged, but its waiter learns that the ATC invalidation failed, once; with the
// batches of several SMMUs too.
TEST(SmmuDevice, FailedAtcInvalidationReachesTheWaiter) {
  for (SyncCompletion mode : {SyncCompletion::kConsPoll, SyncCompletion::kMsi}) {
    Rig rig;
    FakeSmmu& f = rig.add(kBase);
    SmmuDevice dev(rig.os, kBase, opts(mode));
    ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
    ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
    f.seen.clear();
    f.atc_sync_fail_once = true;
    const Command inv = Command(Opcode::kAtcInv).set_sid(9).set_size(arch::kAtcInvSizeAll);
    EXPECT_EQ(dev.cmdq().issue_and_wait(&inv, 1), SmmuStatus::kAtcInvTimeout);
    EXPECT_EQ(dev.stats().cmdq_atc_sync, 1u);
    ASSERT_EQ(f.seen.size(), 2u);  // the SYNC ran once the error was acknowledged
    EXPECT_EQ(f.seen[1].opcode(), Opcode::kSync);
    EXPECT_EQ(dev.cmdq().issue_and_wait(&inv, 1), SmmuStatus::kOk);  // reported once

    f.atc_sync_fail_once = true;
    InvBatch b;
    b.smmu = &dev.handle();
    b.num = 1;
    b.cmds[0] = inv;
    b.needs_sync = true;
    EXPECT_EQ(SmmuDevice::issue_batches_all_then_wait({&b}), SmmuStatus::kAtcInvTimeout);
    f.atc_sync_fail_once = true;
    EXPECT_EQ(dev.submit(b), SmmuStatus::kAtcInvTimeout);
    EXPECT_EQ(dev.stats().cmdq_atc_sync, 3u);
  }
}

TEST(SmmuDevice, AbortedFetchIsRetriedAfterAcknowledge) {
  Rig rig;
  FakeSmmu& f = rig.add(kBase);
  SmmuDevice dev(rig.os, kBase, opts(SyncCompletion::kMsi));
  ASSERT_EQ(dev.probe(), SmmuStatus::kOk);
  ASSERT_EQ(dev.reset(), SmmuStatus::kOk);
  f.seen.clear();
  f.abt_once = true;
  const Command c = Command(Opcode::kCfgiSte).set_sid(3);
  ASSERT_EQ(dev.cmdq().issue_and_wait(&c, 1), SmmuStatus::kOk);
  ASSERT_EQ(f.seen.size(), 2u);
  EXPECT_EQ(f.seen[0], c);  // run after the acknowledge, unchanged
  EXPECT_EQ(dev.stats().cmdq_abt, 1u);
  EXPECT_EQ(dev.stats().cmdq_ill, 0u);
  // MSI mode reads CONS only every few polls: the error was found on such a read.
  EXPECT_EQ(dev.cmdq().stats().errors_seen, 1u);
}

TEST(SmmuDevice, BatchesToSeveralSmmusAreIssuedBeforeWaiting) {
  for (bool all_then_wait : {false, true}) {
    Rig rig;
    FakeSmmu& a = rig.add(kBase);
    FakeSmmu& b = rig.add(kBase2);
    SmmuDevice da(rig.os, kBase, opts(), 0), db(rig.os, kBase2, opts(), 1);
    ASSERT_EQ(da.probe(), SmmuStatus::kOk);
    ASSERT_EQ(db.probe(), SmmuStatus::kOk);
    ASSERT_EQ(da.reset(), SmmuStatus::kOk);
    ASSERT_EQ(db.reset(), SmmuStatus::kOk);
    a.consume_on_write = b.consume_on_write = false;  // commands run while the CPU polls
    a.seen.clear();
    b.seen.clear();
    a.prod_write_times.clear();
    b.prod_write_times.clear();
    std::vector<InvBatch> batches(3);
    batches[0].smmu = &da.handle();
    batches[0].num = 2;
    batches[0].cmds[0] = Command(Opcode::kTlbiNhAsid).set_asid(1);
    batches[0].cmds[1] = Command(Opcode::kTlbiNhAsid).set_asid(2);
    batches[0].needs_sync = true;
    batches[1].smmu = &da.handle();  // after A's first SYNC
    batches[1].num = 1;
    batches[1].cmds[0] = Command(Opcode::kAtcInv).set_sid(9);
    batches[1].needs_sync = true;
    batches[2].smmu = &db.handle();
    batches[2].num = 1;
    batches[2].cmds[0] = Command(Opcode::kTlbiNhAsid).set_asid(7);
    batches[2].needs_sync = true;
    const uint64_t t0 = rig.os.now_ns();
    if (all_then_wait) {
      std::vector<const InvBatch*> ptrs;
      for (const InvBatch& x : batches) ptrs.push_back(&x);
      ASSERT_EQ(SmmuDevice::issue_batches_all_then_wait(ptrs), SmmuStatus::kOk);
    } else {
      DeviceBatchSink sink;
      for (const InvBatch& x : batches) sink.submit(x);
      ASSERT_EQ(sink.status, SmmuStatus::kOk);
    }
    ASSERT_EQ(a.seen.size(), 5u);
    EXPECT_EQ(a.seen[2].opcode(), Opcode::kSync);
    EXPECT_EQ(a.seen[3].opcode(), Opcode::kAtcInv);  // only after A's first SYNC
    ASSERT_EQ(b.seen.size(), 2u);
    ASSERT_EQ(a.prod_write_times.size(), 2u);
    ASSERT_EQ(b.prod_write_times.size(), 1u);
    if (all_then_wait) {
      // B's batch went out at once, with A's first one; A's second after A's SYNC.
      EXPECT_EQ(a.prod_write_times[0], t0);
      EXPECT_EQ(b.prod_write_times[0], t0);
      EXPECT_GT(a.prod_write_times[1], t0);
      EXPECT_EQ(rig.os.now_ns() - t0, 200u);  // two rounds of one poll each
    } else {
      EXPECT_LT(a.prod_write_times[1], b.prod_write_times[0]);
      EXPECT_EQ(rig.os.now_ns() - t0, 300u);  // three SYNCs one after another
    }
  }
}

}  // namespace
}  // namespace smmu::driver
