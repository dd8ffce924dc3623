// SPDX-License-Identifier: Apache-2.0
// Register offsets, fields and queue arithmetic against reference/smmuv3-formats.md.
#include <gtest/gtest.h>

#include <string>

#include "rtl_model/arch/registers.h"
#include "tests/unit/arch_field_check.h"

namespace smmu::arch {
namespace {

using test::bits;
using test::check_fields;
using test::field_union;
using test::FieldCase;
using test::Words;
using namespace reg;

// A field of a register (word 0); a byte-address field when addr is true.
#define REG_FIELD(T, hi, lo, member)                                                       \
  FieldCase<T> {                                                                           \
    #member, 0, hi, lo, false, [](T& r, uint64_t v) { r.member = v; },                     \
        [](const T& r) { return static_cast<uint64_t>(r.member); }                         \
  }
#define REG_ADDR(T, hi, lo, member)                                                        \
  FieldCase<T> {                                                                           \
    #member, 0, hi, lo, true, [](T& r, uint64_t v) { r.member = v; },                      \
        [](const T& r) { return static_cast<uint64_t>(r.member); }                         \
  }

// 32-bit registers: encode to one word; decode takes the low 32 bits.
template <typename T>
void check_reg32(const std::vector<FieldCase<T>>& cases) {
  auto enc = [](const T& r) { return Words<1>{r.encode()}; };
  auto dec = [](const Words<1>& w) { return T::decode(static_cast<uint32_t>(w[0])); };
  check_fields<T, 1>(cases, T{}, enc, dec, Words<1>{0xffffffffu});
  // The struct names exactly the fields of the sheet, no more.
  EXPECT_EQ(enc(dec(Words<1>{0xffffffffu})), (field_union<T, 1>(cases)));
}

template <typename T>
void check_reg64(const std::vector<FieldCase<T>>& cases) {
  auto enc = [](const T& r) { return Words<1>{r.encode()}; };
  auto dec = [](const Words<1>& w) { return T::decode(w[0]); };
  check_fields<T, 1>(cases, T{}, enc, dec, Words<1>{~uint64_t{0}});
  EXPECT_EQ(enc(dec(Words<1>{~uint64_t{0}})), (field_union<T, 1>(cases)));
}

TEST(ArchRegisters, Offsets) {
  EXPECT_EQ(kWindowSize, 0x30000u);  // 192 KiB: page 0, page 1, the ECMDQ control page
  EXPECT_EQ(kPage1, 0x10000u);
  EXPECT_EQ(kEcmdqPage0, 0x20000u);
  EXPECT_EQ(kEcmdqPage0 % kControlPageSize, 0u);  // 64 KiB aligned (§6.2.5)
  EXPECT_EQ(kEcmdqPage0 + kControlPageSize, kWindowSize);
  EXPECT_EQ(kIdr0, 0x000u);
  EXPECT_EQ(kIdr1, 0x004u);
  EXPECT_EQ(kIdr2, 0x008u);
  EXPECT_EQ(kIdr3, 0x00cu);
  EXPECT_EQ(kIdr4, 0x010u);
  EXPECT_EQ(kIdr5, 0x014u);
  EXPECT_EQ(kIidr, 0x018u);
  EXPECT_EQ(kAidr, 0x01cu);
  EXPECT_EQ(kCr0, 0x020u);
  EXPECT_EQ(kCr0Ack, 0x024u);
  EXPECT_EQ(kCr1, 0x028u);
  EXPECT_EQ(kCr2, 0x02cu);
  EXPECT_EQ(kStatusr, 0x040u);
  EXPECT_EQ(kGbpa, 0x044u);
  EXPECT_EQ(kAgbpa, 0x048u);
  EXPECT_EQ(kIrqCtrl, 0x050u);
  EXPECT_EQ(kIrqCtrlAck, 0x054u);
  EXPECT_EQ(kGerror, 0x060u);
  EXPECT_EQ(kGerrorN, 0x064u);
  EXPECT_EQ(kGerrorIrqCfg0, 0x068u);
  EXPECT_EQ(kGerrorIrqCfg1, 0x070u);
  EXPECT_EQ(kGerrorIrqCfg2, 0x074u);
  EXPECT_EQ(kStrtabBase, 0x080u);
  EXPECT_EQ(kStrtabBaseCfg, 0x088u);
  EXPECT_EQ(kCmdqBase, 0x090u);
  EXPECT_EQ(kCmdqProd, 0x098u);
  EXPECT_EQ(kCmdqCons, 0x09cu);
  EXPECT_EQ(kEvtqBase, 0x0a0u);
  EXPECT_EQ(kEvtqProd, 0x100a8u);
  EXPECT_EQ(kEvtqCons, 0x100acu);
  EXPECT_EQ(kEvtqIrqCfg0, 0x0b0u);
  EXPECT_EQ(kEvtqIrqCfg1, 0x0b8u);
  EXPECT_EQ(kEvtqIrqCfg2, 0x0bcu);
  EXPECT_EQ(kPriqBase, 0x0c0u);
  EXPECT_EQ(kPriqProd, 0x100c8u);
  EXPECT_EQ(kPriqCons, 0x100ccu);
  EXPECT_EQ(kPriqIrqCfg0, 0x0d0u);
  EXPECT_EQ(kPriqIrqCfg1, 0x0d8u);
  EXPECT_EQ(kPriqIrqCfg2, 0x0dcu);
  // Every register lies inside the window.
  for (uint64_t off : {kEvtqProd, kEvtqCons, kPriqProd, kPriqCons}) EXPECT_LT(off + 4, kWindowSize);
}

TEST(ArchRegisters, EcmdqOffsets) {
  // §6.2.1, §6.3.45, §6.3.49-51: IDR6 and control page 0's discovery registers in page 0.
  EXPECT_EQ(kIdr6, 0x190u);
  EXPECT_EQ(kCmdqControlPageBase0, 0x4000u);
  EXPECT_EQ(kCmdqControlPageCfg0, 0x4008u);
  EXPECT_EQ(kCmdqControlPageStatus0, 0x400cu);
  EXPECT_EQ(kCmdqControlPageStride, 32u);
  EXPECT_TRUE(is_64bit(kCmdqControlPageBase0));
  EXPECT_FALSE(is_64bit(kCmdqControlPageCfg0));
  // §6.3.107-109: BASE, PROD, CONS of each interface.
  EXPECT_EQ(kEcmdqBase, 0x0u);
  EXPECT_EQ(kEcmdqProd, 0x8u);
  EXPECT_EQ(kEcmdqCons, 0xcu);
  // Spaced evenly through the 64 KiB page (§6.2.5): 128 queues -> 512 bytes apart, 256
  // -> 0x100 (the "0x100 * n" of §6.3.107).
  EXPECT_EQ(ecmdq_stride(7), 512u);
  EXPECT_EQ(ecmdq_stride(8), 0x100u);
  EXPECT_EQ(ecmdq_stride(0), 0x10000u);
  EXPECT_EQ(kMaxLog2NumQ, 8u);
}

TEST(ArchRegisters, SixtyFourBitRegisters) {
  for (uint64_t off : {kGerrorIrqCfg0, kStrtabBase, kCmdqBase, kEvtqBase, kEvtqIrqCfg0, kPriqBase,
                       kPriqIrqCfg0})
    EXPECT_TRUE(is_64bit(off)) << std::hex << off;
  for (uint64_t off : {kIdr0, kCr0, kGbpa, kGerror, kGerrorIrqCfg1, kStrtabBaseCfg, kCmdqProd,
                       kCmdqCons, kEvtqProd, kEvtqIrqCfg2})
    EXPECT_FALSE(is_64bit(off)) << std::hex << off;
}

TEST(ArchRegisters, Idr0Fields) {
  check_reg32<Idr0>({
      REG_FIELD(Idr0, 28, 27, st_level),
      REG_FIELD(Idr0, 26, 26, term_model),
      REG_FIELD(Idr0, 25, 24, stall_model),
      REG_FIELD(Idr0, 22, 21, ttendian),
      REG_FIELD(Idr0, 19, 19, cd2l),
      REG_FIELD(Idr0, 18, 18, vmid16),
      REG_FIELD(Idr0, 16, 16, pri),
      REG_FIELD(Idr0, 14, 14, sev),
      REG_FIELD(Idr0, 13, 13, msi),
      REG_FIELD(Idr0, 12, 12, asid16),
      REG_FIELD(Idr0, 10, 10, ats),
      REG_FIELD(Idr0, 9, 9, hyp),
      REG_FIELD(Idr0, 7, 6, httu),
      REG_FIELD(Idr0, 4, 4, cohacc),
      REG_FIELD(Idr0, 3, 2, ttf),
      REG_FIELD(Idr0, 1, 1, s1p),
      REG_FIELD(Idr0, 0, 0, s2p),
  });
}

TEST(ArchRegisters, Idr0TypicalValue) {
  // A 2-level-capable, AArch64, little-endian SMMU with both stages, MSI and ATS.
  Idr0 r;
  r.st_level = idr0::kStLevel2Lvl;
  r.ttendian = idr0::kTtEndianLe;
  r.ttf = idr0::kTtfAArch64;
  r.s1p = r.s2p = r.msi = r.ats = r.cd2l = r.vmid16 = r.asid16 = true;
  const uint32_t want = (1u << 27) | (2u << 21) | (1u << 19) | (1u << 18) | (1u << 13) |
                        (1u << 12) | (1u << 10) | (2u << 2) | 3u;
  EXPECT_EQ(r.encode(), want);
  EXPECT_EQ(idr0::kTtf.get(want), 2u);
  EXPECT_TRUE(idr0::kS2p.get(want));
  EXPECT_EQ(idr0::kHttu.mask(), 0xc0u);
}

TEST(ArchRegisters, Idr1Fields) {
  check_reg32<Idr1>({
      REG_FIELD(Idr1, 31, 31, ecmdq),
      REG_FIELD(Idr1, 30, 30, tables_preset),
      REG_FIELD(Idr1, 29, 29, queues_preset),
      REG_FIELD(Idr1, 28, 28, rel),
      REG_FIELD(Idr1, 27, 27, attr_types_ovr),
      REG_FIELD(Idr1, 25, 21, cmdqs),
      REG_FIELD(Idr1, 20, 16, evtqs),
      REG_FIELD(Idr1, 15, 11, priqs),
      REG_FIELD(Idr1, 10, 6, ssidsize),
      REG_FIELD(Idr1, 5, 0, sidsize),
  });
  Idr1 r;
  r.cmdqs = 19;
  r.sidsize = 32;
  EXPECT_EQ(r.encode(), (19u << 21) | 32u);
  r.ecmdq = true;
  EXPECT_EQ(r.encode(), (1u << 31) | (19u << 21) | 32u);
}

TEST(ArchRegisters, Idr6Fields) {
  check_reg32<Idr6>({
      REG_FIELD(Idr6, 27, 24, log2nump),
      REG_FIELD(Idr6, 19, 16, log2numq),
  });
  Idr6 r;
  r.log2numq = 2;  // one page of 4 ECMDQs
  EXPECT_EQ(r.encode(), 0x20000u);
  EXPECT_EQ(idr6::kLog2NumQ.get(0x80000u), 8u);
}

TEST(ArchRegisters, CmdqControlPageFields) {
  // §6.3.49: ADDR [55:16] (an offset from page 0), CMDQGS [2:1], PRESET [0].
  EXPECT_EQ(cmdq_control_page_base::kAddr.mask(), 0x00ffffffffff0000ull);
  EXPECT_EQ(cmdq_control_page_base::kCmdqgs.mask(), 0x6u);
  EXPECT_EQ(cmdq_control_page_base::kPreset.mask(), 0x1u);
  EXPECT_EQ(cmdq_control_page_base::kCmdqgs64k, 1u);
  EXPECT_EQ(cmdq_control_page_base::kAddr.address(0x20000 | 0x3), 0x20000u);
  EXPECT_EQ(cmdq_control_page_cfg::kEn.mask(), 1u);      // §6.3.50
  EXPECT_EQ(cmdq_control_page_status::kEnAck.mask(), 1u);  // §6.3.51
}

TEST(ArchRegisters, EcmdqProdConsFields) {
  // §6.3.108: EN [31], ERRACK [23], WR [19:0].
  EXPECT_EQ(ecmdq_prod::kEn.mask(), 0x80000000u);
  EXPECT_EQ(ecmdq_prod::kErrAck.mask(), 0x00800000u);
  EXPECT_EQ(ecmdq_prod::kWr.mask(), 0x000fffffu);
  // §6.3.109: ENACK [31], ERR_REASON [26:24], ERR [23], RD [19:0].
  EXPECT_EQ(ecmdq_cons::kEnAck.mask(), 0x80000000u);
  EXPECT_EQ(ecmdq_cons::kErrReason.mask(), 0x07000000u);
  EXPECT_EQ(ecmdq_cons::kErr.mask(), 0x00800000u);
  EXPECT_EQ(ecmdq_cons::kRd.mask(), 0x000fffffu);
  EXPECT_TRUE(ecmdq_en(0x80000005u));
  EXPECT_FALSE(ecmdq_en(0x00800005u));
  EXPECT_TRUE(ecmdq_errack(0x00800000u));
  EXPECT_TRUE(ecmdq_enack(0x80000000u));
  EXPECT_TRUE(ecmdq_err(0x00800000u));
  EXPECT_EQ(ecmdq_err_reason(0x01800003u), CmdqError::kIll);
  EXPECT_EQ(ecmdq_err_reason(0x03000000u), CmdqError::kAtcInvSync);
  // The queue stops while CONS.ERR differs from PROD.ERRACK.
  EXPECT_FALSE(ecmdq_error_pending(0x80000000u, 0x80000000u));
  EXPECT_TRUE(ecmdq_error_pending(0x80000000u, 0x81800000u));
  EXPECT_FALSE(ecmdq_error_pending(0x80800000u, 0x81800000u));
  EXPECT_TRUE(ecmdq_error_pending(0x80800000u, 0x81000000u));
  // The pointer arithmetic keeps the bits above the wrap bit (EN, ERR, ENACK).
  EXPECT_EQ(queue_increment(0x80800003u, 2), 0x80800004u);
  EXPECT_EQ(queue_increment(0x80800007u, 2), 0x80800000u);
}

TEST(ArchRegisters, Idr3Fields) {
  check_reg32<Idr3>({
      REG_FIELD(Idr3, 12, 11, bbml),
      REG_FIELD(Idr3, 10, 10, ril),
      REG_FIELD(Idr3, 8, 8, fwb),
      REG_FIELD(Idr3, 4, 4, xnx),
      REG_FIELD(Idr3, 2, 2, had),
  });
  Idr3 r;
  r.ril = true;
  EXPECT_EQ(r.encode(), 0x400u);
}

TEST(ArchRegisters, Idr5Fields) {
  check_reg32<Idr5>({
      REG_FIELD(Idr5, 31, 16, stall_max),
      REG_FIELD(Idr5, 11, 10, vax),
      REG_FIELD(Idr5, 6, 6, gran64k),
      REG_FIELD(Idr5, 5, 5, gran16k),
      REG_FIELD(Idr5, 4, 4, gran4k),
      REG_FIELD(Idr5, 2, 0, oas),
  });
  Idr5 r;
  r.oas = 5;  // 48 bits
  r.gran4k = r.gran64k = true;
  EXPECT_EQ(r.encode(), 0x55u);
}

TEST(ArchRegisters, Cr0Fields) {
  check_reg32<Cr0>({
      REG_FIELD(Cr0, 4, 4, atschk),
      REG_FIELD(Cr0, 3, 3, cmdqen),
      REG_FIELD(Cr0, 2, 2, evtqen),
      REG_FIELD(Cr0, 1, 1, priqen),
      REG_FIELD(Cr0, 0, 0, smmuen),
  });
  EXPECT_EQ(cr0::kSmmuEn.mask(), 1u);
  EXPECT_EQ(cr0::kCmdqEn.mask(), 8u);
  Cr0 r;
  r.smmuen = r.cmdqen = r.evtqen = true;
  EXPECT_EQ(r.encode(), 0xdu);
}

TEST(ArchRegisters, Cr1Fields) {
  check_reg32<Cr1>({
      REG_FIELD(Cr1, 11, 10, table_sh),
      REG_FIELD(Cr1, 9, 8, table_oc),
      REG_FIELD(Cr1, 7, 6, table_ic),
      REG_FIELD(Cr1, 5, 4, queue_sh),
      REG_FIELD(Cr1, 3, 2, queue_oc),
      REG_FIELD(Cr1, 1, 0, queue_ic),
  });
  // What Linux writes: inner shareable, write-back cacheable tables and queues.
  Cr1 r;
  r.table_sh = r.queue_sh = 3;
  r.table_oc = r.table_ic = r.queue_oc = r.queue_ic = 1;
  EXPECT_EQ(r.encode(), 0xd75u);
}

TEST(ArchRegisters, Cr2Fields) {
  check_reg32<Cr2>({
      REG_FIELD(Cr2, 2, 2, ptm),
      REG_FIELD(Cr2, 1, 1, recinvsid),
      REG_FIELD(Cr2, 0, 0, e2h),
  });
}

TEST(ArchRegisters, GbpaFields) {
  check_reg32<Gbpa>({
      REG_FIELD(Gbpa, 31, 31, update),
      REG_FIELD(Gbpa, 20, 20, abort),
  });
  Gbpa r;
  r.update = r.abort = true;
  EXPECT_EQ(r.encode(), 0x80100000u);
}

TEST(ArchRegisters, IrqCtrlFields) {
  check_reg32<IrqCtrl>({
      REG_FIELD(IrqCtrl, 2, 2, evtq_irqen),
      REG_FIELD(IrqCtrl, 1, 1, priq_irqen),
      REG_FIELD(IrqCtrl, 0, 0, gerror_irqen),
  });
}

TEST(ArchRegisters, GerrorBits) {
  EXPECT_EQ(gerror::kSfmErr.mask(), 1u << 8);
  EXPECT_EQ(gerror::kMsiGerrorAbt.mask(), 1u << 7);
  EXPECT_EQ(gerror::kMsiPriqAbt.mask(), 1u << 6);
  EXPECT_EQ(gerror::kMsiEvtqAbt.mask(), 1u << 5);
  EXPECT_EQ(gerror::kMsiCmdqAbt.mask(), 1u << 4);
  EXPECT_EQ(gerror::kPriqAbt.mask(), 1u << 3);
  EXPECT_EQ(gerror::kEvtqAbt.mask(), 1u << 2);
  EXPECT_EQ(gerror::kCmdqErr.mask(), 1u << 0);
  EXPECT_EQ(gerror::kCmdqpErr.mask(), 1u << 9);
  EXPECT_EQ(gerror::kAll, 0x1fdu);  // bit 1 is not an error; CMDQP_ERR only with ECMDQs
  EXPECT_EQ(gerror::kAllEcmdq, 0x3fdu);
  // Active while GERROR[n] != GERRORN[n]; acknowledged by toggling GERRORN to match.
  EXPECT_EQ(gerror_active(0x1, 0x0), 0x1u);
  EXPECT_EQ(gerror_active(0x1, 0x1), 0x0u);
  EXPECT_EQ(gerror_active(0x0, 0x4), 0x4u);  // toggled back: active again
  EXPECT_EQ(gerror_active(0x105, 0x001), 0x104u);
  EXPECT_EQ(gerror_active(0xffffffff, 0), 0x3fdu);  // RES0 bits are not errors
  EXPECT_EQ(gerror_active(0x200, 0), 0x200u);        // CMDQP_ERR
}

TEST(ArchRegisters, IrqCfgFields) {
  EXPECT_EQ(irq_cfg::kAddr.mask(), bits(51, 2));
  EXPECT_EQ(irq_cfg::kAddr.address(~uint64_t{0}), 0x000ffffffffffffcu);
  EXPECT_EQ(irq_cfg::kData.mask(), 0xffffffffu);
  EXPECT_EQ(irq_cfg::kSh.mask(), 0x30u);
  EXPECT_EQ(irq_cfg::kMemAttr.mask(), 0xfu);
}

TEST(ArchRegisters, StrtabBaseFields) {
  check_reg64<StrtabBase>({
      REG_FIELD(StrtabBase, 62, 62, ra),
      REG_ADDR(StrtabBase, 51, 6, addr),
  });
  StrtabBase r;
  r.addr = 0x8'1234'5640;
  r.ra = true;
  EXPECT_EQ(r.encode(), (uint64_t{1} << 62) | 0x8'1234'5640);
}

TEST(ArchRegisters, StrtabBaseCfgFields) {
  check_reg32<StrtabBaseCfg>({
      REG_FIELD(StrtabBaseCfg, 17, 16, fmt),
      REG_FIELD(StrtabBaseCfg, 10, 6, split),
      REG_FIELD(StrtabBaseCfg, 5, 0, log2size),
  });
  // Linux, 2-level: FMT 1, SPLIT 8, LOG2SIZE = SIDSIZE.
  StrtabBaseCfg r;
  r.fmt = strtab_base_cfg::kFmt2Lvl;
  r.split = 8;
  r.log2size = 16;
  EXPECT_EQ(r.encode(), (1u << 16) | (8u << 6) | 16u);
}

TEST(ArchRegisters, QueueBaseFields) {
  check_reg64<QueueBase>({
      REG_FIELD(QueueBase, 62, 62, ra),
      REG_ADDR(QueueBase, 51, 5, addr),
      REG_FIELD(QueueBase, 4, 0, log2size),
  });
  QueueBase q;
  q.addr = 0x4000'0020;
  q.log2size = 8;
  EXPECT_EQ(q.encode(), 0x4000'0028u);
  const QueueBase d = QueueBase::decode(0x4000'0028u | (uint64_t{1} << 62));
  EXPECT_EQ(d.addr, 0x4000'0020u);
  EXPECT_EQ(d.log2size, 8u);
  EXPECT_TRUE(d.ra);
}

TEST(ArchQueue, IndexAndWrap) {
  // 8 entries: index [2:0], wrap bit 3.
  EXPECT_EQ(queue_index(0xd, 3), 5u);
  EXPECT_TRUE(queue_wrap(0xd, 3));
  EXPECT_FALSE(queue_wrap(0x5, 3));
  EXPECT_EQ(queue_wrap_index_mask(3), 0xfu);
  // Flag bits above the wrap bit are not part of the index.
  EXPECT_EQ(queue_index(0x8000'0005u, 3), 5u);
  EXPECT_FALSE(queue_wrap(0x8000'0005u, 3));
  // The largest queue: 2^19 entries, wrap bit 19.
  EXPECT_EQ(queue_index((1u << 19) | 7u, kMaxQueueLog2Size), 7u);
  EXPECT_TRUE(queue_wrap(1u << 19, kMaxQueueLog2Size));
}

TEST(ArchQueue, FullAndEmpty) {
  EXPECT_TRUE(queue_empty(0, 0, 3));
  EXPECT_FALSE(queue_full(0, 0, 3));
  EXPECT_TRUE(queue_empty(0xd, 0xd, 3));
  // Equal indexes, different wrap bits: full.
  EXPECT_TRUE(queue_full(0x8, 0x0, 3));
  EXPECT_TRUE(queue_full(0x3, 0xb, 3));
  EXPECT_FALSE(queue_empty(0x8, 0x0, 3));
  // Different indexes: neither.
  EXPECT_FALSE(queue_full(0x5, 0x3, 3));
  EXPECT_FALSE(queue_empty(0x5, 0x3, 3));
  // OVFLG and CONS.ERR do not take part.
  EXPECT_TRUE(queue_empty(0x8000'0002u, 0x2, 3));
  EXPECT_TRUE(queue_full(0x2, with_cmdq_cons_error(0xa, CmdqError::kIll), 3));
  // A one-entry queue.
  EXPECT_TRUE(queue_empty(0, 0, 0));
  EXPECT_TRUE(queue_full(1, 0, 0));
  EXPECT_TRUE(queue_full((1u << 19), 0, 19));
}

TEST(ArchQueue, UsedAndFree) {
  EXPECT_EQ(queue_used(0x5, 0x3, 3), 2u);
  EXPECT_EQ(queue_free(0x5, 0x3, 3), 6u);
  EXPECT_EQ(queue_used(0x8, 0x0, 3), 8u);  // full
  EXPECT_EQ(queue_free(0x8, 0x0, 3), 0u);
  EXPECT_EQ(queue_used(0x9, 0x6, 3), 3u);  // entries 6, 7, 0 across the wrap
  EXPECT_EQ(queue_used(0x1, 0xe, 3), 3u);  // wrap bit back to 0
  EXPECT_EQ(queue_used(0x4, 0x4, 3), 0u);
  EXPECT_EQ(queue_free(0x4, 0x4, 3), 8u);
}

TEST(ArchQueue, Increment) {
  EXPECT_EQ(queue_increment(0x0, 3), 0x1u);
  EXPECT_EQ(queue_increment(0x7, 3), 0x8u);  // index wraps into the wrap bit
  EXPECT_EQ(queue_increment(0xf, 3), 0x0u);  // and the wrap bit toggles back
  EXPECT_EQ(queue_increment(0x6, 3, 4), 0xau);
  EXPECT_EQ(queue_increment(0x0, 3, 8), 0x8u);
  EXPECT_EQ(queue_increment(0x0, 0), 0x1u);
  EXPECT_EQ(queue_increment(0x1, 0), 0x0u);
  // Flags above the wrap bit are kept.
  EXPECT_EQ(queue_increment(0x8000'000fu, 3), 0x8000'0000u);
  EXPECT_EQ(queue_increment(with_cmdq_cons_error(0x7, CmdqError::kAbt), 3),
            (2u << 24) | 0x8u);
  // Walking a full lap of a 4-entry queue visits every slot once and toggles wrap.
  uint32_t p = 0;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(queue_index(p, 2), static_cast<uint32_t>(i));
    p = queue_increment(p, 2);
  }
  EXPECT_TRUE(queue_full(p, 0, 2));
  EXPECT_EQ(p, 0x4u);
}

TEST(ArchQueue, ConsErrorAndOverflow) {
  EXPECT_EQ(queue_ptr::kErr.mask(), bits(30, 24));
  EXPECT_EQ(queue_ptr::kOvflg.mask(), bits(31, 31));
  EXPECT_EQ(with_cmdq_cons_error(0x5, CmdqError::kNone), 0x5u);
  EXPECT_EQ(with_cmdq_cons_error(0x5, CmdqError::kIll), (1u << 24) | 0x5u);
  EXPECT_EQ(with_cmdq_cons_error(0x5, CmdqError::kAbt), (2u << 24) | 0x5u);
  EXPECT_EQ(with_cmdq_cons_error(0x5, CmdqError::kAtcInvSync), (3u << 24) | 0x5u);
  EXPECT_EQ(cmdq_cons_error((3u << 24) | 0x5), CmdqError::kAtcInvSync);
  EXPECT_EQ(cmdq_cons_error(0x8000'0000u), CmdqError::kNone);  // bit 31 is not ERR
  EXPECT_EQ(static_cast<uint8_t>(cmdq_cons_error(0xffffffffu)), 0x7fu);
  // Setting ERR replaces the previous error.
  EXPECT_EQ(with_cmdq_cons_error(with_cmdq_cons_error(0, CmdqError::kAtcInvSync), CmdqError::kIll),
            1u << 24);
  EXPECT_TRUE(queue_ovflg(0x8000'0003u));
  EXPECT_FALSE(queue_ovflg(0x7fff'ffffu));
  EXPECT_EQ(with_queue_ovflg(0x3, true), 0x8000'0003u);
  EXPECT_EQ(with_queue_ovflg(0x8000'0003u, false), 0x3u);
  EXPECT_EQ(std::string(to_string(CmdqError::kIll)), "CERROR_ILL");
  EXPECT_EQ(std::string(to_string(CmdqError::kAtcInvSync)), "CERROR_ATC_INV_SYNC");
}

TEST(ArchQueue, EntrySizes) {
  EXPECT_EQ(kCommandBytes, 16u);
  EXPECT_EQ(kEventBytes, 32u);
}

}  // namespace
}  // namespace smmu::arch
