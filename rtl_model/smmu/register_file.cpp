#include "rtl_model/smmu/register_file.h"

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
constexpr uint64_t kQueueBaseMask =
    arch::field_mask(62, 62) | arch::field_mask(51, 5) | arch::field_mask(4, 0);

// AIDR.ArchMinorRev: SMMUv3.1, with its mandatory XNX (with stage 2) and HAD (with stage
// 1) and optional LPA (OAS 52) and VAX, plus SMMUv3.2's RIL, which §2.9 allows an
// SMMUv3.1 to include. Not SMMUv3.2: that needs IDR3.BBML != 0, FWB = 1 and RIL = 1
// (§6.3.4) and Hyp with both stages (§6.3.1), which are not all modelled. LPA2
// (IDR5.DS), HTTU, stall, PRI, ATOS, MPAM, STT, PBHA and later features are not
// implemented and read 0.
constexpr uint32_t kAidrV3_1 = 0x1;

// Hyp is RES0 unless both stages are implemented (§6.3.1).
bool effective_hyp(const SmmuFeatures& f) { return f.hyp && f.stage1 && f.stage2; }
}  // namespace

RegisterFile::RegisterFile(const SmmuFeatures& f) : features_(f) {
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
  idr_[0] = idr0.encode();

  r::Idr1 idr1;
  idr1.cmdqs = f.cmdq_log2_entries;
  idr1.evtqs = f.evtq_log2_entries;
  idr1.ssidsize = f.ssid_bits;
  idr1.sidsize = f.sid_bits;
  idr_[1] = idr1.encode();

  r::Idr3 idr3;
  idr3.ril = f.range_invalidation;
  idr3.xnx = f.stage2;
  idr3.had = f.stage1;
  idr_[3] = idr3.encode();

  r::Idr5 idr5;
  idr5.gran4k = f.gran4k;
  idr5.gran16k = f.gran16k;
  idr5.gran64k = f.gran64k;
  idr5.oas = oas_encoding(f.oas_bits);
  idr5.vax = f.va52 ? 1 : 0;  // DS (LPA2) stays 0
  idr_[5] = idr5.encode();


  gbpa_ = kGbpaReset;
}

uint32_t RegisterFile::queue_ptr_mask(unsigned log2size) const {
  return r::queue_wrap_index_mask(log2size);
}

uint32_t RegisterFile::raise_gerror(uint32_t mask) {
  uint32_t newly = mask & ~r::gerror_active(gerror_, gerrorn_) & r::gerror::kAll;
  gerror_ ^= newly;
  return newly;
}

uint32_t RegisterFile::read32(uint64_t off) const {
  auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
  switch (off) {
    case r::kIdr0: return idr_[0];
    case r::kIdr1: return idr_[1];
    case r::kIdr2: return idr_[2];
    case r::kIdr3: return idr_[3];
    case r::kIdr4: return idr_[4];
    case r::kIdr5: return idr_[5];
    case r::kIidr: return 0;
    case r::kAidr: return kAidrV3_1;
    case r::kCr0:
    case r::kCr0Ack: return cr0_;  // updates take effect at once, so ACK equals CR0
    case r::kCr1: return cr1_;
    case r::kCr2: return cr2_;
    case r::kStatusr: return 0;
    case r::kGbpa: return gbpa_;  // UPDATE reads 0: an update completes at once
    case r::kIrqCtrl:
    case r::kIrqCtrlAck: return irq_ctrl_;
    case r::kGerror: return gerror_;
    case r::kGerrorN: return gerrorn_;
    case r::kGerrorIrqCfg0: return lo(gerror_irq_cfg0_);
    case r::kGerrorIrqCfg0 + 4: return hi(gerror_irq_cfg0_);
    case r::kGerrorIrqCfg1: return gerror_irq_cfg1_;
    case r::kGerrorIrqCfg2: return gerror_irq_cfg2_;
    case r::kStrtabBase: return lo(strtab_base_);
    case r::kStrtabBase + 4: return hi(strtab_base_);
    case r::kStrtabBaseCfg: return strtab_base_cfg_;
    case r::kCmdqBase: return lo(cmdq_base_);
    case r::kCmdqBase + 4: return hi(cmdq_base_);
    case r::kCmdqProd: return cmdq_prod_;
    case r::kCmdqCons: return cmdq_cons_;
    case r::kEvtqBase: return lo(evtq_base_);
    case r::kEvtqBase + 4: return hi(evtq_base_);
    case r::kEvtqProd: return evtq_prod_;
    case r::kEvtqCons: return evtq_cons_;
    case r::kEvtqIrqCfg0: return lo(evtq_irq_cfg0_);
    case r::kEvtqIrqCfg0 + 4: return hi(evtq_irq_cfg0_);
    case r::kEvtqIrqCfg1: return evtq_irq_cfg1_;
    case r::kEvtqIrqCfg2: return evtq_irq_cfg2_;
    default: return 0;  // reserved and unimplemented (PRI) registers read as zero
  }
}

void RegisterFile::write32(uint64_t off, uint32_t v) {
  const bool smmuen = smmu_enabled();
  const auto c0 = cr0();
  switch (off) {
    case r::kCr0: {
      uint32_t mask = r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask() | r::cr0::kCmdqEn.mask();
      if (features_.ats) mask |= r::cr0::kAtsChk.mask();  // PRIQEN stays 0: no PRI
      cr0_ = v & mask;
      break;
    }
    case r::kCr1: cr1_ = v & 0xfff; break;
    case r::kCr2: {
      uint32_t mask = r::cr2::kPtm.mask() | r::cr2::kRecInvSid.mask();
      if (effective_hyp(features_)) mask |= r::cr2::kE2h.mask();
      cr2_ = v & mask;
      break;
    }
    case r::kGbpa:
      if (r::gbpa::kUpdate.get(v)) gbpa_ = v & kGbpaMask;
      break;
    case r::kIrqCtrl:
      irq_ctrl_ = v & (r::irq_ctrl::kEvtqIrqEn.mask() | r::irq_ctrl::kGerrorIrqEn.mask());
      break;
    case r::kGerrorN: gerrorn_ = v & r::gerror::kAll; break;
    case r::kGerrorIrqCfg0:
    case r::kGerrorIrqCfg0 + 4:
      set_half(gerror_irq_cfg0_, off != r::kGerrorIrqCfg0, v);
      gerror_irq_cfg0_ &= kIrqCfg0Mask;
      break;
    case r::kGerrorIrqCfg1: gerror_irq_cfg1_ = v; break;
    case r::kGerrorIrqCfg2: gerror_irq_cfg2_ = v & kIrqCfg2Mask; break;
    case r::kStrtabBase:
    case r::kStrtabBase + 4:
      if (smmuen) return;  // frozen while translation is enabled
      set_half(strtab_base_, off != r::kStrtabBase, v);
      strtab_base_ &= kStrtabBaseMask;
      break;
    case r::kStrtabBaseCfg: {
      if (smmuen) return;
      auto cfg = r::StrtabBaseCfg::decode(v);
      if (!features_.two_level_stream_table) cfg.fmt = r::strtab_base_cfg::kFmtLinear;
      if (cfg.log2size > features_.sid_bits) cfg.log2size = features_.sid_bits;
      strtab_base_cfg_ = cfg.encode();
      break;
    }
    case r::kCmdqBase:
    case r::kCmdqBase + 4: {
      if (c0.cmdqen) return;
      set_half(cmdq_base_, off != r::kCmdqBase, v);
      auto b = r::QueueBase::decode(cmdq_base_ & kQueueBaseMask);
      if (b.log2size > features_.cmdq_log2_entries) b.log2size = features_.cmdq_log2_entries;
      cmdq_base_ = b.encode();
      break;
    }
    case r::kCmdqProd: cmdq_prod_ = v & queue_ptr_mask(cmdq_base().log2size); break;
    case r::kCmdqCons:
      if (c0.cmdqen) return;  // the SMMU owns CONS while the queue runs
      cmdq_cons_ = v & (queue_ptr_mask(cmdq_base().log2size) | r::queue_ptr::kErr.mask());
      break;
    case r::kEvtqBase:
    case r::kEvtqBase + 4: {
      if (c0.evtqen) return;
      set_half(evtq_base_, off != r::kEvtqBase, v);
      auto b = r::QueueBase::decode(evtq_base_ & kQueueBaseMask);
      if (b.log2size > features_.evtq_log2_entries) b.log2size = features_.evtq_log2_entries;
      evtq_base_ = b.encode();
      break;
    }
    case r::kEvtqProd:
      if (c0.evtqen) return;  // the SMMU owns PROD while the queue runs
      evtq_prod_ = v & (queue_ptr_mask(evtq_base().log2size) | r::queue_ptr::kOvflg.mask());
      break;
    case r::kEvtqCons:
      evtq_cons_ = v & (queue_ptr_mask(evtq_base().log2size) | r::queue_ptr::kOvflg.mask());
      break;
    case r::kEvtqIrqCfg0:
    case r::kEvtqIrqCfg0 + 4:
      set_half(evtq_irq_cfg0_, off != r::kEvtqIrqCfg0, v);
      evtq_irq_cfg0_ &= kIrqCfg0Mask;
      break;
    case r::kEvtqIrqCfg1: evtq_irq_cfg1_ = v; break;
    case r::kEvtqIrqCfg2: evtq_irq_cfg2_ = v & kIrqCfg2Mask; break;
    default: return;  // read-only, reserved and PRI registers ignore writes
  }
  if (on_write) on_write(off);
}

bool RegisterFile::read(uint64_t offset, unsigned size, uint64_t& value) const {
  if (offset >= r::kWindowSize || (size != 4 && size != 8) || offset % size != 0) return false;
  value = read32(offset);
  if (size == 8) value |= uint64_t{read32(offset + 4)} << 32;
  return true;
}

bool RegisterFile::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset >= r::kWindowSize || (size != 4 && size != 8) || offset % size != 0) return false;
  write32(offset, static_cast<uint32_t>(value));
  if (size == 8) write32(offset + 4, static_cast<uint32_t>(value >> 32));
  return true;
}

}  // namespace smmu::model
