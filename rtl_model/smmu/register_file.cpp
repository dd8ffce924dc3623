// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/register_file.h"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <stdexcept>

namespace smmu::model {

namespace r = arch::reg;

namespace {
uint8_t oas_encoding(unsigned bits) {
  static constexpr unsigned kBits[] = {32, 36, 40, 42, 44, 48, 52};
  for (uint8_t i = 0; i < 7; ++i)
    if (kBits[i] == bits) return i;
  return 5;  // the SMMU constructor rejects other values; 48 bits is a safe fallback
}
// GBPA fields software may set (ABORT, INSTCFG, PRIVCFG, SHCFG, ALLOCCFG, MTCFG, MEMATTR).
constexpr uint32_t kGbpaMask =
    (1u << 20) | (0xfu << 16) | (3u << 12) | (0xfu << 8) | (1u << 4) | 0xfu;
constexpr uint32_t kGbpaReset = 1u << 12;  // SHCFG = use incoming, bypass (ABORT = 0)
constexpr uint32_t kIrqCfg2Mask = 0x3f;
constexpr uint64_t kIrqCfg0Mask = arch::field_mask(51, 2);
constexpr uint64_t kStrtabBaseMask = arch::field_mask(62, 62) | arch::field_mask(51, 6);
constexpr uint64_t kStrtabBaseCfgMask =
    arch::field_mask(17, 16) | arch::field_mask(10, 6) | arch::field_mask(5, 0);
constexpr uint64_t kQueueBaseMask =
    arch::field_mask(62, 62) | arch::field_mask(51, 5) | arch::field_mask(4, 0);
// PROD/CONS index and wrap bit of the largest queue; the legalize step narrows it to
// the queue's LOG2SIZE.
constexpr uint32_t kMaxPtrMask = r::queue_wrap_index_mask(r::kMaxQueueLog2Size);
constexpr uint32_t kCr1QueueFields = 0x3f;  // QUEUE_SH, QUEUE_OC, QUEUE_IC

// AIDR.ArchMinorRev: SMMUv3.1, with its mandatory XNX (with stage 2) and HAD (with stage
// 1) and optional LPA (OAS 52) and VAX, plus SMMUv3.2's RIL, which §2.9 allows an
// SMMUv3.1 to include. Not SMMUv3.2: that needs IDR3.BBML != 0, FWB = 1 and RIL = 1
// (§6.3.4) and Hyp with both stages (§6.3.1), which are not all modelled. LPA2
// (IDR5.DS), HTTU, stall, PRI, ATOS, MPAM, STT, PBHA and later features are not
// implemented and read 0.
constexpr uint32_t kAidrV3_1 = 0x1;

// Hyp is RES0 unless both stages are implemented (§6.3.1).
bool effective_hyp(const SmmuFeatures& f) { return f.hyp && f.stage1 && f.stage2; }

uint64_t set_half(uint64_t reg, bool high, uint32_t v) {
  return high ? (reg & 0xffffffffull) | (uint64_t{v} << 32) : (reg & ~0xffffffffull) | v;
}

// Field layouts (IHI 0070 §6.3), shared where registers share them.
using Fields = std::vector<RegisterField>;
const Fields kIdr0Fields = {
    {"S2P", 0, 0}, {"S1P", 1, 1}, {"TTF", 3, 2}, {"COHACC", 4, 4}, {"BTM", 5, 5},
    {"HTTU", 7, 6}, {"DORMHINT", 8, 8}, {"HYP", 9, 9}, {"ATS", 10, 10}, {"NS1ATS", 11, 11},
    {"ASID16", 12, 12}, {"MSI", 13, 13}, {"SEV", 14, 14}, {"ATOS", 15, 15}, {"PRI", 16, 16},
    {"VMW", 17, 17}, {"VMID16", 18, 18}, {"CD2L", 19, 19}, {"VATOS", 20, 20},
    {"TTENDIAN", 22, 21}, {"STALL_MODEL", 25, 24}, {"TERM_MODEL", 26, 26},
    {"ST_LEVEL", 28, 27}};
const Fields kIdr1Fields = {
    {"SIDSIZE", 5, 0}, {"SSIDSIZE", 10, 6}, {"PRIQS", 15, 11}, {"EVTQS", 20, 16},
    {"CMDQS", 25, 21}, {"ATTR_PERMS_OVR", 26, 26}, {"ATTR_TYPES_OVR", 27, 27}, {"REL", 28, 28},
    {"QUEUES_PRESET", 29, 29}, {"TABLES_PRESET", 30, 30}, {"ECMDQ", 31, 31}};
const Fields kIdr2Fields = {{"BA_VATOS", 9, 0}};
const Fields kIdr3Fields = {{"HAD", 2, 2}, {"PBHA", 3, 3}, {"XNX", 4, 4}, {"PPS", 5, 5},
                            {"MPAM", 7, 7}, {"FWB", 8, 8}, {"STT", 9, 9}, {"RIL", 10, 10},
                            {"BBML", 12, 11}};
const Fields kIdr5Fields = {{"OAS", 2, 0}, {"GRAN4K", 4, 4}, {"GRAN16K", 5, 5},
                            {"GRAN64K", 6, 6}, {"VAX", 11, 10}, {"STALL_MAX", 31, 16}};
const Fields kIidrFields = {{"Implementer", 11, 0}, {"Revision", 15, 12}, {"Variant", 19, 16},
                            {"ProductID", 31, 20}};
const Fields kAidrFields = {{"ArchMinorRev", 3, 0}, {"ArchMajorRev", 7, 4}};
const Fields kCr0Fields = {{"SMMUEN", 0, 0}, {"PRIQEN", 1, 1}, {"EVTQEN", 2, 2},
                           {"CMDQEN", 3, 3}, {"ATSCHK", 4, 4}};
const Fields kCr1Fields = {{"QUEUE_IC", 1, 0}, {"QUEUE_OC", 3, 2}, {"QUEUE_SH", 5, 4},
                           {"TABLE_IC", 7, 6}, {"TABLE_OC", 9, 8}, {"TABLE_SH", 11, 10}};
const Fields kCr2Fields = {{"E2H", 0, 0}, {"RECINVSID", 1, 1}, {"PTM", 2, 2}};
const Fields kStatusrFields = {{"DORMANT", 0, 0}};
const Fields kGbpaFields = {{"MEMATTR", 3, 0}, {"MTCFG", 4, 4}, {"ALLOCCFG", 11, 8},
                            {"SHCFG", 13, 12}, {"PRIVCFG", 17, 16}, {"INSTCFG", 19, 18},
                            {"ABORT", 20, 20}, {"UPDATE", 31, 31}};
const Fields kIrqCtrlFields = {{"GERROR_IRQEN", 0, 0}, {"PRIQ_IRQEN", 1, 1},
                               {"EVTQ_IRQEN", 2, 2}};
const Fields kGerrorFields = {
    {"CMDQ_ERR", 0, 0}, {"EVTQ_ABT_ERR", 2, 2}, {"PRIQ_ABT_ERR", 3, 3},
    {"MSI_CMDQ_ABT_ERR", 4, 4}, {"MSI_EVTQ_ABT_ERR", 5, 5}, {"MSI_PRIQ_ABT_ERR", 6, 6},
    {"MSI_GERROR_ABT_ERR", 7, 7}, {"SFM_ERR", 8, 8}, {"CMDQP_ERR", 9, 9}};
const Fields kIrqCfg0Fields = {{"ADDR", 51, 2, true}};
const Fields kIrqCfg1Fields = {{"DATA", 31, 0}};
const Fields kIrqCfg2Fields = {{"MEMATTR", 3, 0}, {"SH", 5, 4}};
const Fields kStrtabBaseFields = {{"ADDR", 51, 6, true}, {"RA", 62, 62}};
const Fields kStrtabBaseCfgFields = {{"LOG2SIZE", 5, 0}, {"SPLIT", 10, 6}, {"FMT", 17, 16}};
const Fields kQueueBaseFields = {{"LOG2SIZE", 4, 0}, {"ADDR", 51, 5, true}, {"RA", 62, 62}};
const Fields kCmdqProdFields = {{"WR", 19, 0, false, true}};
const Fields kCmdqConsFields = {{"RD", 19, 0, false, true}, {"ERR", 30, 24}};
const Fields kEvtqProdFields = {{"WR", 19, 0, false, true}, {"OVFLG", 31, 31}};
const Fields kEvtqConsFields = {{"RD", 19, 0, false, true}, {"OVACKFLG", 31, 31}};
const Fields kIdr6Fields = {{"LOG2NUMQ", 19, 16}, {"LOG2NUMP", 27, 24}};
const Fields kControlPageBaseFields = {{"PRESET", 0, 0}, {"CMDQGS", 2, 1},
                                       {"ADDR", 55, 16, true}};
const Fields kControlPageCfgFields = {{"EN", 0, 0}};
const Fields kControlPageStatusFields = {{"ENACK", 0, 0}};
const Fields kEcmdqProdFields = {{"WR", 19, 0, false, true}, {"ERRACK", 23, 23}, {"EN", 31, 31}};
const Fields kEcmdqConsFields = {{"RD", 19, 0, false, true}, {"ERR", 23, 23}, {"ERR_REASON", 26, 24},
                                 {"ENACK", 31, 31}};

// A queue base's LOG2SIZE is capped at the largest queue IDR1 advertises.
auto clamp_base(unsigned max_log2) {
  return [max_log2](uint64_t, uint64_t merged, uint64_t) {
    auto b = r::QueueBase::decode(merged);
    if (b.log2size > max_log2) b.log2size = static_cast<uint8_t>(max_log2);
    return b.encode();
  };
}

RegisterDesc ro(const char* name, uint64_t offset, uint64_t reset, const Fields& fields,
                unsigned width = 32) {
  RegisterDesc d;
  d.name = name;
  d.offset = offset;
  d.width = width;
  d.reset = reset;
  d.fields = fields;
  return d;
}

RegisterDesc rw(const char* name, uint64_t offset, uint64_t write_mask, const Fields& fields,
                unsigned width = 32, Freeze freeze = Freeze::kNever) {
  RegisterDesc d = ro(name, offset, 0, fields, width);
  d.write_mask = write_mask;
  d.freeze = freeze;
  return d;
}
}  // namespace

RegisterFile::RegisterFile(const SmmuFeatures& f) : features_(f) {
  if (f.ecmdqs > 0) {
    // One control page of ecmdqs (a power of two) queues; the Tcu checks the value.
    while ((1u << log2numq_) < f.ecmdqs && log2numq_ < r::kMaxLog2NumQ) ++log2numq_;
    ecmdq_count_ = 1u << log2numq_;
    gerror_mask_ = r::gerror::kAllEcmdq;
  }
  build_table();
}

size_t RegisterFile::add(RegisterDesc d) {
  const size_t i = regs_.size();
  for (uint64_t w = d.offset; w < d.offset + d.width / 8; w += 4) by_word_[w] = i;
  by_name_[d.name] = i;
  values_.push_back(d.reset);
  regs_.push_back(std::move(d));
  return i;
}

void RegisterFile::build_table() {
  const SmmuFeatures& f = features_;
  r::Idr0 idr0;
  idr0.st_level = f.two_level_stream_table ? r::idr0::kStLevel2Lvl : r::idr0::kStLevelLinear;
  idr0.term_model = !f.raz_wi_termination;  // 1: abort only, CD.A must be 1
  idr0.stall_model = 1;    // stall not supported: faults terminate
  idr0.ttendian = r::idr0::kTtEndianLe;
  idr0.cd2l = f.two_level_cd_table;
  idr0.vmid16 = f.vmid16;
  idr0.sev = f.sev;
  idr0.msi = f.msi;
  idr0.asid16 = f.asid16;
  idr0.ats = f.ats;
  idr0.hyp = effective_hyp(f);
  idr0.cohacc = f.coherent;
  idr0.ttf = r::idr0::kTtfAArch64;
  idr0.s1p = f.stage1;
  idr0.s2p = f.stage2;

  r::Idr1 idr1;
  idr1.ecmdq = f.ecmdqs > 0;
  idr1.cmdqs = f.cmdq_log2_entries;
  idr1.evtqs = f.evtq_log2_entries;
  idr1.ssidsize = f.ssid_bits;
  idr1.sidsize = f.sid_bits;

  r::Idr3 idr3;
  idr3.ril = f.range_invalidation;
  idr3.xnx = f.stage2;
  idr3.had = f.stage1;

  r::Idr5 idr5;
  idr5.gran4k = f.gran4k;
  idr5.gran16k = f.gran16k;
  idr5.gran64k = f.gran64k;
  idr5.oas = oas_encoding(f.oas_bits);
  idr5.vax = f.va52 ? 1 : 0;  // DS (LPA2) stays 0

  uint32_t cr0_mask = r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask() | r::cr0::kCmdqEn.mask();
  if (f.ats) cr0_mask |= r::cr0::kAtsChk.mask();  // PRIQEN stays 0: no PRI
  uint32_t cr2_mask = r::cr2::kPtm.mask() | r::cr2::kRecInvSid.mask();
  if (effective_hyp(f)) cr2_mask |= r::cr2::kE2h.mask();
  const uint32_t irq_mask = r::irq_ctrl::kEvtqIrqEn.mask() | r::irq_ctrl::kGerrorIrqEn.mask();

  // In Index order.
  add(ro("SMMU_IDR0", r::kIdr0, idr0.encode(), kIdr0Fields));
  add(ro("SMMU_IDR1", r::kIdr1, idr1.encode(), kIdr1Fields));
  add(ro("SMMU_IDR2", r::kIdr2, 0, kIdr2Fields));
  add(ro("SMMU_IDR3", r::kIdr3, idr3.encode(), kIdr3Fields));
  add(ro("SMMU_IDR4", r::kIdr4, 0, {}));  // IMPLEMENTATION DEFINED
  add(ro("SMMU_IDR5", r::kIdr5, idr5.encode(), kIdr5Fields));
  add(ro("SMMU_IIDR", r::kIidr, 0, kIidrFields));
  add(ro("SMMU_AIDR", r::kAidr, kAidrV3_1, kAidrFields));

  RegisterDesc cr0 = rw("SMMU_CR0", r::kCr0, cr0_mask, kCr0Fields);
  // Updates take effect at once, so the ACK registers follow CR0 and IRQ_CTRL.
  auto acked_in = [this](size_t ack) {
    return [this, ack](uint64_t, uint64_t merged, uint64_t) {
      values_[ack] = merged;
      return merged;
    };
  };
  cr0.legalize = acked_in(kCr0Ack);
  add(std::move(cr0));
  add(ro("SMMU_CR0ACK", r::kCr0Ack, 0, kCr0Fields));
  RegisterDesc cr1 = rw("SMMU_CR1", r::kCr1, 0xfff, kCr1Fields);
  cr1.freeze = Freeze::kAnyEcmdqActive;  // the queue attributes an ECMDQ may use (§3.5.6.1)
  cr1.freeze_mask = kCr1QueueFields;
  add(std::move(cr1));
  add(rw("SMMU_CR2", r::kCr2, cr2_mask, kCr2Fields));
  add(ro("SMMU_STATUSR", r::kStatusr, 0, kStatusrFields));

  RegisterDesc gbpa = rw("SMMU_GBPA", r::kGbpa, kGbpaMask, kGbpaFields);
  gbpa.reset = kGbpaReset;
  // A write takes effect with UPDATE set, at once: UPDATE reads 0.
  gbpa.legalize = [](uint64_t old, uint64_t merged, uint64_t written) {
    return r::gbpa::kUpdate.get(written) ? merged : old;
  };
  add(std::move(gbpa));

  RegisterDesc irq = rw("SMMU_IRQ_CTRL", r::kIrqCtrl, irq_mask, kIrqCtrlFields);
  irq.legalize = acked_in(kIrqCtrlAck);
  add(std::move(irq));
  add(ro("SMMU_IRQ_CTRLACK", r::kIrqCtrlAck, 0, kIrqCtrlFields));
  add(ro("SMMU_GERROR", r::kGerror, 0, kGerrorFields));  // the SMMU toggles it (raise_gerror)
  add(rw("SMMU_GERRORN", r::kGerrorN, gerror_mask_, kGerrorFields));
  add(rw("SMMU_GERROR_IRQ_CFG0", r::kGerrorIrqCfg0, kIrqCfg0Mask, kIrqCfg0Fields, 64));
  add(rw("SMMU_GERROR_IRQ_CFG1", r::kGerrorIrqCfg1, 0xffffffff, kIrqCfg1Fields));
  add(rw("SMMU_GERROR_IRQ_CFG2", r::kGerrorIrqCfg2, kIrqCfg2Mask, kIrqCfg2Fields));

  add(rw("SMMU_STRTAB_BASE", r::kStrtabBase, kStrtabBaseMask, kStrtabBaseFields, 64,
         Freeze::kSmmuEn));
  RegisterDesc cfg = rw("SMMU_STRTAB_BASE_CFG", r::kStrtabBaseCfg, kStrtabBaseCfgMask,
                        kStrtabBaseCfgFields, 32, Freeze::kSmmuEn);
  cfg.legalize = [this](uint64_t, uint64_t merged, uint64_t) {
    auto c = r::StrtabBaseCfg::decode(static_cast<uint32_t>(merged));
    if (!features_.two_level_stream_table) c.fmt = r::strtab_base_cfg::kFmtLinear;
    if (c.log2size > features_.sid_bits) c.log2size = features_.sid_bits;
    return uint64_t{c.encode()};
  };
  add(std::move(cfg));

  // A pointer keeps the index and wrap bits of its queue's size, and `extra`.
  auto ptr_of = [this](size_t base, uint32_t extra) {
    return [this, base, extra](uint64_t, uint64_t merged, uint64_t) {
      return merged & (queue_ptr_mask(r::QueueBase::decode(values_[base]).log2size) | extra);
    };
  };
  const uint32_t err = static_cast<uint32_t>(r::queue_ptr::kErr.mask());
  const uint32_t ovflg = static_cast<uint32_t>(r::queue_ptr::kOvflg.mask());

  RegisterDesc cmdq_base = rw("SMMU_CMDQ_BASE", r::kCmdqBase, kQueueBaseMask, kQueueBaseFields,
                              64, Freeze::kCmdqEn);
  cmdq_base.legalize = clamp_base(f.cmdq_log2_entries);
  add(std::move(cmdq_base));
  RegisterDesc cmdq_prod = rw("SMMU_CMDQ_PROD", r::kCmdqProd, kMaxPtrMask, kCmdqProdFields);
  cmdq_prod.legalize = ptr_of(kCmdqBase, 0);
  cmdq_prod.queue_base = r::kCmdqBase;
  add(std::move(cmdq_prod));
  // The SMMU owns CONS while the queue runs.
  RegisterDesc cmdq_cons = rw("SMMU_CMDQ_CONS", r::kCmdqCons, kMaxPtrMask | err, kCmdqConsFields,
                              32, Freeze::kCmdqEn);
  cmdq_cons.legalize = ptr_of(kCmdqBase, err);
  cmdq_cons.queue_base = r::kCmdqBase;
  add(std::move(cmdq_cons));

  RegisterDesc evtq_base = rw("SMMU_EVTQ_BASE", r::kEvtqBase, kQueueBaseMask, kQueueBaseFields,
                              64, Freeze::kEvtqEn);
  evtq_base.legalize = clamp_base(f.evtq_log2_entries);
  add(std::move(evtq_base));
  add(rw("SMMU_EVTQ_IRQ_CFG0", r::kEvtqIrqCfg0, kIrqCfg0Mask, kIrqCfg0Fields, 64));
  add(rw("SMMU_EVTQ_IRQ_CFG1", r::kEvtqIrqCfg1, 0xffffffff, kIrqCfg1Fields));
  add(rw("SMMU_EVTQ_IRQ_CFG2", r::kEvtqIrqCfg2, kIrqCfg2Mask, kIrqCfg2Fields));
  // The SMMU owns PROD while the queue runs.
  RegisterDesc evtq_prod = rw("SMMU_EVTQ_PROD", r::kEvtqProd, kMaxPtrMask | ovflg,
                              kEvtqProdFields, 32, Freeze::kEvtqEn);
  evtq_prod.legalize = ptr_of(kEvtqBase, ovflg);
  evtq_prod.queue_base = r::kEvtqBase;
  add(std::move(evtq_prod));
  RegisterDesc evtq_cons = rw("SMMU_EVTQ_CONS", r::kEvtqCons, kMaxPtrMask | ovflg,
                              kEvtqConsFields);
  evtq_cons.legalize = ptr_of(kEvtqBase, ovflg);
  evtq_cons.queue_base = r::kEvtqBase;
  add(std::move(evtq_cons));

  if (regs_.size() != kFixed) throw std::logic_error("RegisterFile: table out of Index order");
  if (ecmdq_count_) add_ecmdq_registers();
}

void RegisterFile::add_ecmdq_registers() {
  // Control page 0's discovery registers (§6.3.45, §6.3.49-51), RO.
  r::Idr6 idr6;
  idr6.log2nump = 0;
  idr6.log2numq = static_cast<uint8_t>(log2numq_);
  add(ro("SMMU_IDR6", r::kIdr6, idr6.encode(), kIdr6Fields));
  uint64_t page = r::cmdq_control_page_base::kAddr.address(r::kEcmdqPage0);
  page = r::cmdq_control_page_base::kCmdqgs.set(page, r::cmdq_control_page_base::kCmdqgs64k);
  page = r::cmdq_control_page_base::kPreset.set(page, 1);
  add(ro("SMMU_CMDQ_CONTROL_PAGE_BASE0", r::kCmdqControlPageBase0, page,
         kControlPageBaseFields, 64));
  add(ro("SMMU_CMDQ_CONTROL_PAGE_CFG0", r::kCmdqControlPageCfg0, 1,  // EN is RES1
         kControlPageCfgFields));
  add(ro("SMMU_CMDQ_CONTROL_PAGE_STATUS0", r::kCmdqControlPageStatus0, 1,  // ENACK is RES1
         kControlPageStatusFields));

  // Access rules of §6.3.107-109: BASE and CONS are RW only while disabled (EN == ENACK
  // == 0), PROD while enabled or disabled, not in between (an acknowledge is pending).
  const uint64_t stride = r::ecmdq_stride(log2numq_);
  const uint64_t en = r::ecmdq_prod::kEn.mask(), errack = r::ecmdq_prod::kErrAck.mask();
  const uint64_t enack = r::ecmdq_cons::kEnAck.mask();
  const uint64_t cons_extra = r::ecmdq_cons::kErr.mask() | r::ecmdq_cons::kErrReason.mask();
  for (unsigned n = 0; n < ecmdq_count_; ++n) {
    const uint64_t at = r::kEcmdqPage0 + n * stride;
    const std::string suffix = std::to_string(n);
    RegisterDesc base = rw("", at + r::kEcmdqBase, kQueueBaseMask, kQueueBaseFields, 64,
                           Freeze::kEcmdqNotDisabled);
    base.name = "SMMU_ECMDQ_BASE" + suffix;
    base.legalize = clamp_base(features_.cmdq_log2_entries);
    RegisterDesc prod = rw("", at + r::kEcmdqProd, kMaxPtrMask | en | errack, kEcmdqProdFields,
                           32, Freeze::kEcmdqChanging);
    prod.name = "SMMU_ECMDQ_PROD" + suffix;
    prod.queue_base = at + r::kEcmdqBase;
    prod.legalize = [this, n, en, errack, enack](uint64_t, uint64_t merged, uint64_t) {
      const uint64_t p = merged & (queue_ptr_mask(ecmdq_base(n).log2size) | en | errack);
      // Enabling is acknowledged at once; disabling by the command engine (the Tcu),
      // when it has stopped consuming from the queue.
      uint64_t& cons = values_[ecmdq_index(n, 2)];
      if ((p & en) && !(cons & enack)) cons |= enack;
      return p;
    };
    RegisterDesc cons = rw("", at + r::kEcmdqCons, kMaxPtrMask | cons_extra, kEcmdqConsFields,
                           32, Freeze::kEcmdqNotDisabled);
    cons.name = "SMMU_ECMDQ_CONS" + suffix;
    cons.queue_base = at + r::kEcmdqBase;
    cons.legalize = [this, n, cons_extra](uint64_t, uint64_t merged, uint64_t) {
      return merged & (queue_ptr_mask(ecmdq_base(n).log2size) | cons_extra);
    };
    for (RegisterDesc* d : {&base, &prod, &cons}) {
      d->ecmdq = n;
      d->hook_frozen = true;
      add(std::move(*d));
    }
  }
}

uint32_t RegisterFile::queue_ptr_mask(unsigned log2size) const {
  return r::queue_wrap_index_mask(log2size);
}

uint32_t RegisterFile::raise_gerror(uint32_t mask) {
  uint32_t newly = mask & ~r::gerror_active(gerror(), gerrorn()) & gerror_mask_;
  values_[kGerror] ^= newly;
  return newly;
}

bool RegisterFile::frozen(const RegisterDesc& d) const {
  switch (d.freeze) {
    case Freeze::kNever: return false;
    case Freeze::kSmmuEn: return smmu_enabled();
    case Freeze::kCmdqEn: return cr0().cmdqen;
    case Freeze::kEvtqEn: return cr0().evtqen;
    case Freeze::kAnyEcmdqActive: return any_ecmdq_active();
    case Freeze::kEcmdqNotDisabled:
      return r::ecmdq_en(ecmdq_prod(d.ecmdq)) || r::ecmdq_enack(ecmdq_cons(d.ecmdq));
    case Freeze::kEcmdqChanging:
      return r::ecmdq_en(ecmdq_prod(d.ecmdq)) != r::ecmdq_enack(ecmdq_cons(d.ecmdq));
  }
  return false;
}

uint32_t RegisterFile::read32(uint64_t off) const {
  const auto it = by_word_.find(off);
  if (it == by_word_.end()) return 0;  // reserved and unimplemented (PRI) registers
  const uint64_t value = values_[it->second];
  return static_cast<uint32_t>(off == regs_[it->second].offset ? value : value >> 32);
}

void RegisterFile::write32(uint64_t off, uint32_t v, const sc_core::sc_time& delay) {
  const auto it = by_word_.find(off);
  if (it == by_word_.end()) return;  // reserved and PRI registers
  const size_t i = it->second;
  const RegisterDesc& d = regs_[i];
  if (d.write_mask == 0) return;  // read-only
  uint64_t mask = d.write_mask;
  if (frozen(d)) mask &= ~d.freeze_mask;
  if (mask == 0) {
    if (d.hook_frozen && d.hook) d.hook(off, delay);
    return;
  }
  const uint64_t old = values_[i];
  const uint64_t written = d.width == 64 ? set_half(old, off != d.offset, v) : v;
  uint64_t value = (old & ~mask) | (written & mask);
  if (d.legalize) value = d.legalize(old, value, written);
  values_[i] = value;
  if (d.hook) d.hook(off, delay);
}

bool RegisterFile::set_write_hook(uint64_t offset, RegisterWriteHook hook) {
  const auto it = by_word_.find(offset);
  if (it == by_word_.end() || regs_[it->second].offset != offset) return false;
  regs_[it->second].hook = std::move(hook);
  return true;
}

const RegisterDesc* RegisterFile::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &regs_[it->second];
}

std::optional<uint64_t> RegisterFile::read_by_name(std::string_view name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return values_[it->second];
}

std::string RegisterFile::format(const RegisterDesc& d, uint64_t value, int queue_log2size) {
  char buf[64];
  if (d.width == 64)
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(value));
  else
    std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(value));
  std::string s = d.name + " = " + buf;
  for (size_t k = 0; k < d.fields.size(); ++k) {
    const RegisterField& fl = d.fields[k];
    const r::Field field{fl.hi, fl.lo};
    const uint64_t x = fl.address ? field.address(value) : field.get(value);
    // Counts and small codes in decimal; addresses, pointers and data in hex.
    if (fl.queue_pointer && queue_log2size >= 0) {
      const unsigned n = static_cast<unsigned>(queue_log2size);
      std::snprintf(buf, sizeof buf, "0x%llx WRAP=%llu",
                    static_cast<unsigned long long>(x & ((uint64_t{1} << n) - 1)),
                    static_cast<unsigned long long>((x >> n) & 1));
    } else if (fl.address || fl.hi - fl.lo >= 8) {
      std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(x));
    } else {
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(x));
    }
    s += (k == 0 ? "  " : " ");
    s += fl.name;
    s += '=';
    s += buf;
  }
  return s;
}

void RegisterFile::dump(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> order(regs_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return regs_[a].offset < regs_[b].offset; });
  for (size_t i : order) {
    const RegisterDesc& d = regs_[i];
    int log2 = -1;
    if (d.queue_base) log2 = r::QueueBase::decode(values_[by_word_.at(d.queue_base)]).log2size;
    out << indent << format(d, values_[i], log2) << '\n';
  }
}

void RegisterFile::set_ecmdq_cons(unsigned n, uint32_t v) {
  const uint32_t keep = static_cast<uint32_t>(r::ecmdq_cons::kEnAck.mask());
  uint64_t& cons = values_[ecmdq_index(n, 2)];
  cons = (static_cast<uint32_t>(cons) & keep) | (v & ~keep);
}

void RegisterFile::ack_ecmdq_disable(unsigned n) {
  values_[ecmdq_index(n, 2)] &= ~r::ecmdq_cons::kEnAck.mask();
}

bool RegisterFile::any_ecmdq_active() const {
  for (unsigned n = 0; n < ecmdq_count_; ++n)
    if (r::ecmdq_en(ecmdq_prod(n)) || r::ecmdq_enack(ecmdq_cons(n))) return true;
  return false;
}

bool RegisterFile::read(uint64_t offset, unsigned size, uint64_t& value) const {
  if (offset >= r::kWindowSize || (size != 4 && size != 8) || offset % size != 0) return false;
  value = read32(offset);
  if (size == 8) value |= uint64_t{read32(offset + 4)} << 32;
  return true;
}

bool RegisterFile::write(uint64_t offset, unsigned size, uint64_t value,
                         const sc_core::sc_time& delay) {
  if (offset >= r::kWindowSize || (size != 4 && size != 8) || offset % size != 0) return false;
  write32(offset, static_cast<uint32_t>(value), delay);
  if (size == 8) write32(offset + 4, static_cast<uint32_t>(value >> 32), delay);
  return true;
}

}  // namespace smmu::model
