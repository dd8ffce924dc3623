// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/registers.h"

namespace smmu::arch::reg {

namespace {
// Registers of 32 bits are built in a 64-bit word; the named fields all lie below 32.
constexpr uint32_t lo32(uint64_t w) { return static_cast<uint32_t>(w); }
}  // namespace

Idr0 Idr0::decode(uint32_t v) {
  Idr0 r;
  r.st_level = idr0::kStLevel.get(v);
  r.term_model = idr0::kTermModel.get(v);
  r.stall_model = idr0::kStallModel.get(v);
  r.ttendian = idr0::kTtEndian.get(v);
  r.cd2l = idr0::kCd2l.get(v);
  r.vmid16 = idr0::kVmid16.get(v);
  r.pri = idr0::kPri.get(v);
  r.sev = idr0::kSev.get(v);
  r.msi = idr0::kMsi.get(v);
  r.asid16 = idr0::kAsid16.get(v);
  r.ats = idr0::kAts.get(v);
  r.hyp = idr0::kHyp.get(v);
  r.httu = idr0::kHttu.get(v);
  r.cohacc = idr0::kCohacc.get(v);
  r.ttf = idr0::kTtf.get(v);
  r.s1p = idr0::kS1p.get(v);
  r.s2p = idr0::kS2p.get(v);
  return r;
}

uint32_t Idr0::encode() const {
  uint64_t v = 0;
  v = idr0::kStLevel.set(v, st_level);
  v = idr0::kTermModel.set(v, term_model);
  v = idr0::kStallModel.set(v, stall_model);
  v = idr0::kTtEndian.set(v, ttendian);
  v = idr0::kCd2l.set(v, cd2l);
  v = idr0::kVmid16.set(v, vmid16);
  v = idr0::kPri.set(v, pri);
  v = idr0::kSev.set(v, sev);
  v = idr0::kMsi.set(v, msi);
  v = idr0::kAsid16.set(v, asid16);
  v = idr0::kAts.set(v, ats);
  v = idr0::kHyp.set(v, hyp);
  v = idr0::kHttu.set(v, httu);
  v = idr0::kCohacc.set(v, cohacc);
  v = idr0::kTtf.set(v, ttf);
  v = idr0::kS1p.set(v, s1p);
  v = idr0::kS2p.set(v, s2p);
  return lo32(v);
}

Idr1 Idr1::decode(uint32_t v) {
  Idr1 r;
  r.ecmdq = idr1::kEcmdq.get(v);
  r.tables_preset = idr1::kTablesPreset.get(v);
  r.queues_preset = idr1::kQueuesPreset.get(v);
  r.rel = idr1::kRel.get(v);
  r.attr_types_ovr = idr1::kAttrTypesOvr.get(v);
  r.cmdqs = idr1::kCmdqs.get(v);
  r.evtqs = idr1::kEvtqs.get(v);
  r.priqs = idr1::kPriqs.get(v);
  r.ssidsize = idr1::kSsidSize.get(v);
  r.sidsize = idr1::kSidSize.get(v);
  return r;
}

uint32_t Idr1::encode() const {
  uint64_t v = 0;
  v = idr1::kEcmdq.set(v, ecmdq);
  v = idr1::kTablesPreset.set(v, tables_preset);
  v = idr1::kQueuesPreset.set(v, queues_preset);
  v = idr1::kRel.set(v, rel);
  v = idr1::kAttrTypesOvr.set(v, attr_types_ovr);
  v = idr1::kCmdqs.set(v, cmdqs);
  v = idr1::kEvtqs.set(v, evtqs);
  v = idr1::kPriqs.set(v, priqs);
  v = idr1::kSsidSize.set(v, ssidsize);
  v = idr1::kSidSize.set(v, sidsize);
  return lo32(v);
}

Idr6 Idr6::decode(uint32_t v) {
  Idr6 r;
  r.log2nump = idr6::kLog2NumP.get(v);
  r.log2numq = idr6::kLog2NumQ.get(v);
  return r;
}

uint32_t Idr6::encode() const {
  uint64_t v = 0;
  v = idr6::kLog2NumP.set(v, log2nump);
  v = idr6::kLog2NumQ.set(v, log2numq);
  return lo32(v);
}

Idr3 Idr3::decode(uint32_t v) {
  Idr3 r;
  r.bbml = idr3::kBbml.get(v);
  r.ril = idr3::kRil.get(v);
  r.fwb = idr3::kFwb.get(v);
  r.xnx = idr3::kXnx.get(v);
  r.had = idr3::kHad.get(v);
  return r;
}

uint32_t Idr3::encode() const {
  uint64_t v = 0;
  v = idr3::kBbml.set(v, bbml);
  v = idr3::kRil.set(v, ril);
  v = idr3::kFwb.set(v, fwb);
  v = idr3::kXnx.set(v, xnx);
  v = idr3::kHad.set(v, had);
  return lo32(v);
}

Idr5 Idr5::decode(uint32_t v) {
  Idr5 r;
  r.stall_max = idr5::kStallMax.get(v);
  r.vax = idr5::kVax.get(v);
  r.gran64k = idr5::kGran64k.get(v);
  r.gran16k = idr5::kGran16k.get(v);
  r.gran4k = idr5::kGran4k.get(v);
  r.oas = idr5::kOas.get(v);
  return r;
}

uint32_t Idr5::encode() const {
  uint64_t v = 0;
  v = idr5::kStallMax.set(v, stall_max);
  v = idr5::kVax.set(v, vax);
  v = idr5::kGran64k.set(v, gran64k);
  v = idr5::kGran16k.set(v, gran16k);
  v = idr5::kGran4k.set(v, gran4k);
  v = idr5::kOas.set(v, oas);
  return lo32(v);
}

Cr0 Cr0::decode(uint32_t v) {
  Cr0 r;
  r.atschk = cr0::kAtsChk.get(v);
  r.cmdqen = cr0::kCmdqEn.get(v);
  r.evtqen = cr0::kEvtqEn.get(v);
  r.priqen = cr0::kPriqEn.get(v);
  r.smmuen = cr0::kSmmuEn.get(v);
  return r;
}

uint32_t Cr0::encode() const {
  uint64_t v = 0;
  v = cr0::kAtsChk.set(v, atschk);
  v = cr0::kCmdqEn.set(v, cmdqen);
  v = cr0::kEvtqEn.set(v, evtqen);
  v = cr0::kPriqEn.set(v, priqen);
  v = cr0::kSmmuEn.set(v, smmuen);
  return lo32(v);
}

Cr1 Cr1::decode(uint32_t v) {
  Cr1 r;
  r.table_sh = cr1::kTableSh.get(v);
  r.table_oc = cr1::kTableOc.get(v);
  r.table_ic = cr1::kTableIc.get(v);
  r.queue_sh = cr1::kQueueSh.get(v);
  r.queue_oc = cr1::kQueueOc.get(v);
  r.queue_ic = cr1::kQueueIc.get(v);
  return r;
}

uint32_t Cr1::encode() const {
  uint64_t v = 0;
  v = cr1::kTableSh.set(v, table_sh);
  v = cr1::kTableOc.set(v, table_oc);
  v = cr1::kTableIc.set(v, table_ic);
  v = cr1::kQueueSh.set(v, queue_sh);
  v = cr1::kQueueOc.set(v, queue_oc);
  v = cr1::kQueueIc.set(v, queue_ic);
  return lo32(v);
}

Cr2 Cr2::decode(uint32_t v) {
  Cr2 r;
  r.ptm = cr2::kPtm.get(v);
  r.recinvsid = cr2::kRecInvSid.get(v);
  r.e2h = cr2::kE2h.get(v);
  return r;
}

uint32_t Cr2::encode() const {
  uint64_t v = 0;
  v = cr2::kPtm.set(v, ptm);
  v = cr2::kRecInvSid.set(v, recinvsid);
  v = cr2::kE2h.set(v, e2h);
  return lo32(v);
}

Gbpa Gbpa::decode(uint32_t v) {
  Gbpa r;
  r.update = gbpa::kUpdate.get(v);
  r.abort = gbpa::kAbort.get(v);
  return r;
}

uint32_t Gbpa::encode() const {
  uint64_t v = 0;
  v = gbpa::kUpdate.set(v, update);
  v = gbpa::kAbort.set(v, abort);
  return lo32(v);
}

IrqCtrl IrqCtrl::decode(uint32_t v) {
  IrqCtrl r;
  r.evtq_irqen = irq_ctrl::kEvtqIrqEn.get(v);
  r.priq_irqen = irq_ctrl::kPriqIrqEn.get(v);
  r.gerror_irqen = irq_ctrl::kGerrorIrqEn.get(v);
  return r;
}

uint32_t IrqCtrl::encode() const {
  uint64_t v = 0;
  v = irq_ctrl::kEvtqIrqEn.set(v, evtq_irqen);
  v = irq_ctrl::kPriqIrqEn.set(v, priq_irqen);
  v = irq_ctrl::kGerrorIrqEn.set(v, gerror_irqen);
  return lo32(v);
}

StrtabBase StrtabBase::decode(uint64_t v) {
  StrtabBase r;
  r.ra = strtab_base::kRa.get(v);
  r.addr = strtab_base::kAddr.address(v);
  return r;
}

uint64_t StrtabBase::encode() const {
  return strtab_base::kRa.set(0, ra) | strtab_base::kAddr.address(addr);
}

StrtabBaseCfg StrtabBaseCfg::decode(uint32_t v) {
  StrtabBaseCfg r;
  r.fmt = strtab_base_cfg::kFmt.get(v);
  r.split = strtab_base_cfg::kSplit.get(v);
  r.log2size = strtab_base_cfg::kLog2Size.get(v);
  return r;
}

uint32_t StrtabBaseCfg::encode() const {
  uint64_t v = 0;
  v = strtab_base_cfg::kFmt.set(v, fmt);
  v = strtab_base_cfg::kSplit.set(v, split);
  v = strtab_base_cfg::kLog2Size.set(v, log2size);
  return lo32(v);
}

QueueBase QueueBase::decode(uint64_t v) {
  QueueBase r;
  r.ra = queue_base::kRa.get(v);
  r.addr = queue_base::kAddr.address(v);
  r.log2size = queue_base::kLog2Size.get(v);
  return r;
}

uint64_t QueueBase::encode() const {
  return queue_base::kRa.set(0, ra) | queue_base::kAddr.address(addr) |
         queue_base::kLog2Size.set(0, log2size);
}

const char* to_string(CmdqError e) {
  switch (e) {
    case CmdqError::kNone: return "CERROR_NONE";
    case CmdqError::kIll: return "CERROR_ILL";
    case CmdqError::kAbt: return "CERROR_ABT";
    case CmdqError::kAtcInvSync: return "CERROR_ATC_INV_SYNC";
  }
  return "CERROR_UNKNOWN";
}

}  // namespace smmu::arch::reg
