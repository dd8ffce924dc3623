// SPDX-License-Identifier: Apache-2.0
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
  idr1.ecmdq = f.ecmdqs > 0;
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

  if (f.ecmdqs > 0) {
    // One control page of ecmdqs (a power of two) queues; the Tcu checks the value.
    while ((1u << log2numq_) < f.ecmdqs && log2numq_ < r::kMaxLog2NumQ) ++log2numq_;
    r::Idr6 idr6;
    idr6.log2nump = 0;
    idr6.log2numq = static_cast<uint8_t>(log2numq_);
    idr6_ = idr6.encode();
    ecmdq_.resize(1u << log2numq_);
    gerror_mask_ = r::gerror::kAllEcmdq;
  }

  gbpa_ = kGbpaReset;
}

uint32_t RegisterFile::queue_ptr_mask(unsigned log2size) const {
  return r::queue_wrap_index_mask(log2size);
}

uint32_t RegisterFile::raise_gerror(uint32_t mask) {
  uint32_t newly = mask & ~r::gerror_active(gerror_, gerrorn_) & gerror_mask_;
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
    default: break;
  }
  if (!ecmdq_.empty()) {
    // Control page 0's discovery registers and the page itself (§6.2.1, §6.2.5).
    switch (off) {
      case r::kIdr6: return idr6_;
      case r::kCmdqControlPageBase0: {
        uint64_t b = r::cmdq_control_page_base::kAddr.address(r::kEcmdqPage0);
        b = r::cmdq_control_page_base::kCmdqgs.set(b, r::cmdq_control_page_base::kCmdqgs64k);
        b = r::cmdq_control_page_base::kPreset.set(b, 1);
        return lo(b);
      }
      case r::kCmdqControlPageBase0 + 4:
        return hi(r::cmdq_control_page_base::kAddr.address(r::kEcmdqPage0));
      case r::kCmdqControlPageCfg0: return 1;     // EN is RES1
      case r::kCmdqControlPageStatus0: return 1;  // ENACK is RES1
      default: break;
    }
    unsigned n;
    uint64_t reg;
    if (ecmdq_register(off, n, reg)) return read_ecmdq(n, reg);
  }
  return 0;  // reserved and unimplemented (PRI) registers read as zero
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
    case r::kCr1:
      // QUEUE_SH/OC/IC are read-only while an ECMDQ may use them (§3.5.6.1).
      if (any_ecmdq_active()) v = (v & ~0x3fu) | (cr1_ & 0x3fu);
      cr1_ = v & 0xfff;
      break;
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
    case r::kGerrorN: gerrorn_ = v & gerror_mask_; break;
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
    default: {
      unsigned n;
      uint64_t reg;
      if (!ecmdq_register(off, n, reg)) return;  // read-only, reserved and PRI registers
      write_ecmdq(n, reg, v);
      break;
    }
  }
  if (on_write) on_write(off);
}

bool RegisterFile::ecmdq_register(uint64_t off, unsigned& n, uint64_t& reg) const {
  if (ecmdq_.empty() || off < r::kEcmdqPage0 || off >= r::kEcmdqPage0 + r::kControlPageSize)
    return false;
  const uint64_t stride = r::ecmdq_stride(log2numq_);
  n = static_cast<unsigned>((off - r::kEcmdqPage0) / stride);
  reg = (off - r::kEcmdqPage0) % stride;
  return reg <= r::kEcmdqCons && n < ecmdq_.size();  // the rest of each interface is RES0
}

uint32_t RegisterFile::read_ecmdq(unsigned n, uint64_t reg) const {
  const Ecmdq& q = ecmdq_[n];
  switch (reg) {
    case r::kEcmdqBase: return static_cast<uint32_t>(q.base);
    case r::kEcmdqBase + 4: return static_cast<uint32_t>(q.base >> 32);
    case r::kEcmdqProd: return q.prod;
    case r::kEcmdqCons: return q.cons;
    default: return 0;
  }
}

void RegisterFile::write_ecmdq(unsigned n, uint64_t reg, uint32_t v) {
  // Access rules of §6.3.107-109: BASE and CONS are RW only while disabled (EN == ENACK
  // == 0), PROD while enabled or disabled, not in between (an acknowledge is pending).
  Ecmdq& q = ecmdq_[n];
  const bool en = r::ecmdq_en(q.prod), enack = r::ecmdq_enack(q.cons);
  const bool disabled = !en && !enack;
  switch (reg) {
    case r::kEcmdqBase:
    case r::kEcmdqBase + 4: {
      if (!disabled) return;
      set_half(q.base, reg != r::kEcmdqBase, v);
      auto b = r::QueueBase::decode(q.base & kQueueBaseMask);
      if (b.log2size > features_.cmdq_log2_entries) b.log2size = features_.cmdq_log2_entries;
      q.base = b.encode();
      break;
    }
    case r::kEcmdqProd: {
      if (en != enack) return;
      const uint32_t wr = v & queue_ptr_mask(ecmdq_base(n).log2size);
      q.prod = wr | (v & static_cast<uint32_t>(r::ecmdq_prod::kEn.mask() |
                                               r::ecmdq_prod::kErrAck.mask()));
      // Enabling is acknowledged at once; disabling by the command engine (the Tcu),
      // when it has stopped consuming from the queue.
      if (r::ecmdq_en(q.prod) && !enack) q.cons |= static_cast<uint32_t>(r::ecmdq_cons::kEnAck.mask());
      break;
    }
    case r::kEcmdqCons:
      if (!disabled) return;
      q.cons = v & (queue_ptr_mask(ecmdq_base(n).log2size) |
                    static_cast<uint32_t>(r::ecmdq_cons::kErr.mask() | r::ecmdq_cons::kErrReason.mask()));
      break;
    default: return;
  }
}

void RegisterFile::set_ecmdq_cons(unsigned n, uint32_t v) {
  const uint32_t keep = static_cast<uint32_t>(r::ecmdq_cons::kEnAck.mask());
  ecmdq_[n].cons = (ecmdq_[n].cons & keep) | (v & ~keep);
}

void RegisterFile::ack_ecmdq_disable(unsigned n) {
  ecmdq_[n].cons &= ~static_cast<uint32_t>(r::ecmdq_cons::kEnAck.mask());
}

bool RegisterFile::any_ecmdq_active() const {
  for (const Ecmdq& q : ecmdq_)
    if (r::ecmdq_en(q.prod) || r::ecmdq_enack(q.cons)) return true;
  return false;
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
