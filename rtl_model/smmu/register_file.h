// SPDX-License-Identifier: Apache-2.0
// The SMMU's programming interface: the state of the registers in the 192 KiB window
// (page 0, page 1, the ECMDQ control page) and what reads and writes of them do.
// Reserved bits read as zero and ignore writes; read-only registers ignore writes;
// registers the architecture freezes while a unit is enabled (stream table base, queue
// bases) ignore writes then.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::model {

class RegisterFile {
 public:
  explicit RegisterFile(const SmmuFeatures& features);

  // An MMIO access of 4 bytes (any 4-aligned offset) or 8 bytes (8-aligned: a 64-bit
  // register, or two adjacent 32-bit ones). false: unsupported size or alignment.
  bool read(uint64_t offset, unsigned size, uint64_t& value) const;
  bool write(uint64_t offset, unsigned size, uint64_t value);

  // Called after every accepted write with the 32-bit word offset it changed.
  std::function<void(uint64_t offset)> on_write;

  // The queue pointers as held, for trace files (sc_trace samples them).
  const uint32_t& cmdq_prod_ref() const { return cmdq_prod_; }
  const uint32_t& cmdq_cons_ref() const { return cmdq_cons_; }
  const uint32_t& evtq_prod_ref() const { return evtq_prod_; }
  const uint32_t& evtq_cons_ref() const { return evtq_cons_; }

  // --- the model's view
  const SmmuFeatures& features() const { return features_; }
  arch::reg::Cr0 cr0() const { return arch::reg::Cr0::decode(cr0_); }
  bool smmu_enabled() const { return arch::reg::cr0::kSmmuEn.get(cr0_); }
  bool gbpa_abort() const { return arch::reg::gbpa::kAbort.get(gbpa_); }
  arch::reg::IrqCtrl irq_ctrl() const { return arch::reg::IrqCtrl::decode(irq_ctrl_); }
  arch::reg::StrtabBase strtab_base() const { return arch::reg::StrtabBase::decode(strtab_base_); }
  arch::reg::StrtabBaseCfg strtab_base_cfg() const {
    return arch::reg::StrtabBaseCfg::decode(strtab_base_cfg_);
  }
  arch::reg::QueueBase cmdq_base() const { return arch::reg::QueueBase::decode(cmdq_base_); }
  arch::reg::QueueBase evtq_base() const { return arch::reg::QueueBase::decode(evtq_base_); }
  uint32_t cmdq_prod() const { return cmdq_prod_; }
  uint32_t cmdq_cons() const { return cmdq_cons_; }
  void set_cmdq_cons(uint32_t v) { cmdq_cons_ = v; }
  uint32_t evtq_prod() const { return evtq_prod_; }
  uint32_t evtq_cons() const { return evtq_cons_; }
  void set_evtq_prod(uint32_t v) { evtq_prod_ = v; }
  uint64_t evtq_irq_cfg0() const { return evtq_irq_cfg0_; }
  uint32_t evtq_irq_cfg1() const { return evtq_irq_cfg1_; }
  uint64_t gerror_irq_cfg0() const { return gerror_irq_cfg0_; }
  uint32_t gerror_irq_cfg1() const { return gerror_irq_cfg1_; }
  uint32_t gerror() const { return gerror_; }
  uint32_t gerrorn() const { return gerrorn_; }
  // Makes error `mask` active by toggling its GERROR bits where not active already.
  // Returns the bits that became active (an interrupt is due for them).
  uint32_t raise_gerror(uint32_t mask);

  // The ID registers as the features encode them (IDR0..IDR5).
  uint32_t idr(unsigned n) const { return idr_[n]; }
  uint32_t idr6() const { return idr6_; }

  // --- ECMDQs (IHI 0070 §3.5.6): n < ecmdq_count().
  unsigned ecmdq_count() const { return static_cast<unsigned>(ecmdq_.size()); }
  // The ECMDQ register at this window offset: its queue and offset in the interface.
  bool ecmdq_register(uint64_t offset, unsigned& n, uint64_t& reg) const;
  arch::reg::QueueBase ecmdq_base(unsigned n) const {
    return arch::reg::QueueBase::decode(ecmdq_[n].base);
  }
  uint32_t ecmdq_prod(unsigned n) const { return ecmdq_[n].prod; }
  uint32_t ecmdq_cons(unsigned n) const { return ecmdq_[n].cons; }
  // The engine's CONS update: RD, ERR, ERR_REASON (ENACK is kept).
  void set_ecmdq_cons(unsigned n, uint32_t v);
  // Enabled: PROD.EN == CONS.ENACK == 1 (§3.5.6.2).
  bool ecmdq_enabled(unsigned n) const {
    return arch::reg::ecmdq_en(ecmdq_[n].prod) && arch::reg::ecmdq_enack(ecmdq_[n].cons);
  }
  // EN cleared, ENACK still 1: the engine acknowledges (ack_ecmdq_disable) once it has
  // stopped consuming from the queue.
  bool ecmdq_disabling(unsigned n) const {
    return !arch::reg::ecmdq_en(ecmdq_[n].prod) && arch::reg::ecmdq_enack(ecmdq_[n].cons);
  }
  void ack_ecmdq_disable(unsigned n);

 private:
  uint32_t read32(uint64_t offset) const;
  void write32(uint64_t offset, uint32_t value);
  static void set_half(uint64_t& reg, bool high, uint32_t v) {
    reg = high ? (reg & 0xffffffffull) | (uint64_t{v} << 32) : (reg & ~0xffffffffull) | v;
  }
  uint32_t queue_ptr_mask(unsigned log2size) const;
  uint32_t read_ecmdq(unsigned n, uint64_t reg) const;
  void write_ecmdq(unsigned n, uint64_t reg, uint32_t v);
  bool any_ecmdq_active() const;

  SmmuFeatures features_;
  uint32_t idr_[6] = {};
  uint32_t idr6_ = 0;
  struct Ecmdq {
    uint64_t base = 0;
    uint32_t prod = 0, cons = 0;
  };
  std::vector<Ecmdq> ecmdq_;
  unsigned log2numq_ = 0;
  uint32_t gerror_mask_ = arch::reg::gerror::kAll;  // the errors this SMMU implements
  uint32_t cr0_ = 0, cr1_ = 0, cr2_ = 0;
  uint32_t gbpa_ = 0;
  uint32_t irq_ctrl_ = 0;
  uint32_t gerror_ = 0, gerrorn_ = 0;
  uint64_t gerror_irq_cfg0_ = 0;
  uint32_t gerror_irq_cfg1_ = 0, gerror_irq_cfg2_ = 0;
  uint64_t strtab_base_ = 0;
  uint32_t strtab_base_cfg_ = 0;
  uint64_t cmdq_base_ = 0;
  uint32_t cmdq_prod_ = 0, cmdq_cons_ = 0;
  uint64_t evtq_base_ = 0;
  uint32_t evtq_prod_ = 0, evtq_cons_ = 0;
  uint64_t evtq_irq_cfg0_ = 0;
  uint32_t evtq_irq_cfg1_ = 0, evtq_irq_cfg2_ = 0;
};

}  // namespace smmu::model
