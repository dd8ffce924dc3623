// SPDX-License-Identifier: Apache-2.0
// The SMMU's programming interface: the state of the registers in the 192 KiB window
// (page 0, page 1, the ECMDQ control page) and what reads and writes of them do.
//
// Table-driven: one RegisterDesc per register says its architectural name, offset,
// width, reset value, which bits software writes, when (some of) those bits are frozen
// (IHI 0070 §6.3: e.g. the queue bases while the queue's enable in CR0 is set), how a
// write is legalized, and a hook that the owner (the Tcu) sets to act on writes at the
// writer's time. Reserved bits read as zero and ignore writes; words of the window with
// no register read as zero and ignore writes.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <systemc>

#include "rtl_model/arch/registers.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::model {

// A named bit field [hi:lo] of a register, for the dump (names from IHI 0070 §6.3).
struct RegisterField {
  const char* name;
  unsigned hi, lo;
  bool address = false;  // an address kept in place: shown as the byte address
  // A queue's WR or RD: with the queue's LOG2SIZE known, shown as the index below it
  // and the wrap bit at it (IHI 0070 3.5.1).
  bool queue_pointer = false;
};

// When writes to a register's freeze_mask bits are ignored.
enum class Freeze : uint8_t {
  kNever,
  kSmmuEn,            // CR0.SMMUEN == 1
  kCmdqEn,            // CR0.CMDQEN == 1
  kEvtqEn,            // CR0.EVTQEN == 1
  kAnyEcmdqActive,    // some ECMDQ has EN or ENACK set (§3.5.6.1)
  kEcmdqNotDisabled,  // ECMDQ `ecmdq`: EN or ENACK set (§6.3.107, §6.3.109)
  kEcmdqChanging,     // ECMDQ `ecmdq`: EN != ENACK, an enable or disable pending (§6.3.108)
};

// Called after a software write of the 32-bit word at `offset` was taken, with the
// writer's annotated delay: the write's side effects happen at sc_time_stamp() + delay.
using RegisterWriteHook = std::function<void(uint64_t offset, const sc_core::sc_time& delay)>;

struct RegisterDesc {
  std::string name;         // e.g. "SMMU_CR0", "SMMU_ECMDQ_PROD3"
  uint64_t offset = 0;      // from the base of the window
  unsigned width = 32;      // 32 or 64 (a 64-bit register is two words, each writable alone)
  uint64_t reset = 0;
  uint64_t write_mask = 0;  // the bits software writes; 0: read-only
  Freeze freeze = Freeze::kNever;
  uint64_t freeze_mask = ~uint64_t{0};  // the writable bits that Freeze makes read-only
  unsigned ecmdq = 0;                   // the queue of the kEcmdq* conditions
  // The hook also sees writes that the freeze refused (the ECMDQ interface: a PROD
  // write while a disable is pending lets the engine settle it).
  bool hook_frozen = false;
  std::vector<RegisterField> fields;
  // A queue's PROD or CONS: the offset of its BASE (whose LOG2SIZE splits the pointer);
  // 0 for other registers.
  uint64_t queue_base = 0;
  // An accepted write's value: (old value, old with the written bits merged under the
  // write mask, the word as written merged into old) -> the value kept. Empty: kept as
  // merged. May update a related register (an ACK).
  std::function<uint64_t(uint64_t old, uint64_t merged, uint64_t written)> legalize;
  RegisterWriteHook hook;
};

class RegisterFile {
 public:
  explicit RegisterFile(const SmmuFeatures& features);
  // The descriptors' functions point into this object.
  RegisterFile(const RegisterFile&) = delete;
  RegisterFile& operator=(const RegisterFile&) = delete;

  // An MMIO access of 4 bytes (any 4-aligned offset) or 8 bytes (8-aligned: a 64-bit
  // register, or two adjacent 32-bit ones). false: unsupported size or alignment.
  // Hooks of written registers are called with `delay`, once per 32-bit word.
  bool read(uint64_t offset, unsigned size, uint64_t& value) const;
  bool write(uint64_t offset, unsigned size, uint64_t value,
             const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME);

  // Sets the hook of the register at this offset (its first word); false: none there.
  bool set_write_hook(uint64_t offset, RegisterWriteHook hook);

  // --- introspection (no side effects)
  const std::vector<RegisterDesc>& descriptors() const { return regs_; }
  const RegisterDesc* find(std::string_view name) const;
  // The register's whole value (both words of a 64-bit one); nullopt: no such name.
  std::optional<uint64_t> read_by_name(std::string_view name) const;
  // "SMMU_CR0 = 0x0000000d  SMMUEN=1 PRIQEN=0 ..." (fields from bit 0 up). A queue
  // pointer's field is split by queue_log2size when given (>= 0): "WR=0x5 WRAP=1".
  static std::string format(const RegisterDesc& d, uint64_t value, int queue_log2size = -1);
  // Every register, one format() line each, in offset order.
  void dump(std::ostream& out, const std::string& indent = "") const;

  // The queue pointers as held, for trace files (sc_trace samples them; values_ never
  // reallocates after construction).
  const uint64_t& cmdq_prod_ref() const { return values_[kCmdqProd]; }
  const uint64_t& cmdq_cons_ref() const { return values_[kCmdqCons]; }
  const uint64_t& evtq_prod_ref() const { return values_[kEvtqProd]; }
  const uint64_t& evtq_cons_ref() const { return values_[kEvtqCons]; }

  // --- the model's view
  const SmmuFeatures& features() const { return features_; }
  arch::reg::Cr0 cr0() const { return arch::reg::Cr0::decode(u32(kCr0)); }
  bool smmu_enabled() const { return arch::reg::cr0::kSmmuEn.get(v(kCr0)); }
  bool gbpa_abort() const { return arch::reg::gbpa::kAbort.get(v(kGbpa)); }
  // CR2.RECINVSID: C_BAD_STREAMID may be recorded (IHI 0070 6.3.12).
  bool record_invalid_sid() const { return arch::reg::cr2::kRecInvSid.get(v(kCr2)); }
  arch::reg::IrqCtrl irq_ctrl() const { return arch::reg::IrqCtrl::decode(u32(kIrqCtrl)); }
  arch::reg::StrtabBase strtab_base() const { return arch::reg::StrtabBase::decode(v(kStrtabBase)); }
  arch::reg::StrtabBaseCfg strtab_base_cfg() const {
    return arch::reg::StrtabBaseCfg::decode(u32(kStrtabBaseCfg));
  }
  arch::reg::QueueBase cmdq_base() const { return arch::reg::QueueBase::decode(v(kCmdqBase)); }
  arch::reg::QueueBase evtq_base() const { return arch::reg::QueueBase::decode(v(kEvtqBase)); }
  uint32_t cmdq_prod() const { return u32(kCmdqProd); }
  uint32_t cmdq_cons() const { return u32(kCmdqCons); }
  void set_cmdq_cons(uint32_t x) { values_[kCmdqCons] = x; }
  uint32_t evtq_prod() const { return u32(kEvtqProd); }
  uint32_t evtq_cons() const { return u32(kEvtqCons); }
  void set_evtq_prod(uint32_t x) { values_[kEvtqProd] = x; }
  uint64_t evtq_irq_cfg0() const { return v(kEvtqIrqCfg0); }
  uint32_t evtq_irq_cfg1() const { return u32(kEvtqIrqCfg1); }
  uint64_t gerror_irq_cfg0() const { return v(kGerrorIrqCfg0); }
  uint32_t gerror_irq_cfg1() const { return u32(kGerrorIrqCfg1); }
  uint32_t gerror() const { return u32(kGerror); }
  uint32_t gerrorn() const { return u32(kGerrorN); }
  // Makes error `mask` active by toggling its GERROR bits where not active already.
  // Returns the bits that became active (an interrupt is due for them).
  uint32_t raise_gerror(uint32_t mask);

  // The ID registers as the features encode them (IDR0..IDR5).
  uint32_t idr(unsigned n) const { return u32(kIdr0 + n); }
  uint32_t idr6() const { return ecmdq_count_ ? u32(kFixed) : 0; }

  // --- ECMDQs (IHI 0070 §3.5.6): n < ecmdq_count().
  unsigned ecmdq_count() const { return ecmdq_count_; }
  arch::reg::QueueBase ecmdq_base(unsigned n) const {
    return arch::reg::QueueBase::decode(values_[ecmdq_index(n, 0)]);
  }
  uint32_t ecmdq_prod(unsigned n) const { return static_cast<uint32_t>(values_[ecmdq_index(n, 1)]); }
  uint32_t ecmdq_cons(unsigned n) const { return static_cast<uint32_t>(values_[ecmdq_index(n, 2)]); }
  // The ECMDQ_PRODn register's offset in the window.
  uint64_t ecmdq_prod_offset(unsigned n) const { return regs_[ecmdq_index(n, 1)].offset; }
  // The engine's CONS update: RD, ERR, ERR_REASON (ENACK is kept).
  void set_ecmdq_cons(unsigned n, uint32_t v);
  // Enabled: PROD.EN == CONS.ENACK == 1 (§3.5.6.2).
  bool ecmdq_enabled(unsigned n) const {
    return arch::reg::ecmdq_en(ecmdq_prod(n)) && arch::reg::ecmdq_enack(ecmdq_cons(n));
  }
  // EN cleared, ENACK still 1: the engine acknowledges (ack_ecmdq_disable) once it has
  // stopped consuming from the queue.
  bool ecmdq_disabling(unsigned n) const {
    return !arch::reg::ecmdq_en(ecmdq_prod(n)) && arch::reg::ecmdq_enack(ecmdq_cons(n));
  }
  void ack_ecmdq_disable(unsigned n);

 private:
  // The registers every SMMU has, at these indexes of regs_ (then, with ECMDQs, IDR6,
  // the control page's three and each queue's BASE, PROD, CONS).
  enum Index : size_t {
    kIdr0, kIdr1, kIdr2, kIdr3, kIdr4, kIdr5, kIidr, kAidr,
    kCr0, kCr0Ack, kCr1, kCr2, kStatusr, kGbpa, kIrqCtrl, kIrqCtrlAck,
    kGerror, kGerrorN, kGerrorIrqCfg0, kGerrorIrqCfg1, kGerrorIrqCfg2,
    kStrtabBase, kStrtabBaseCfg, kCmdqBase, kCmdqProd, kCmdqCons,
    kEvtqBase, kEvtqIrqCfg0, kEvtqIrqCfg1, kEvtqIrqCfg2, kEvtqProd, kEvtqCons,
    kFixed
  };
  static constexpr size_t kEcmdqFirst = kFixed + 4;

  uint64_t v(size_t i) const { return values_[i]; }
  uint32_t u32(size_t i) const { return static_cast<uint32_t>(values_[i]); }
  size_t ecmdq_index(unsigned n, unsigned reg) const { return kEcmdqFirst + 3 * size_t{n} + reg; }
  size_t add(RegisterDesc d);
  void build_table();
  void add_ecmdq_registers();
  bool frozen(const RegisterDesc& d) const;
  uint32_t read32(uint64_t offset) const;
  void write32(uint64_t offset, uint32_t value, const sc_core::sc_time& delay);
  uint32_t queue_ptr_mask(unsigned log2size) const;
  bool any_ecmdq_active() const;

  SmmuFeatures features_;
  unsigned ecmdq_count_ = 0;
  unsigned log2numq_ = 0;
  uint32_t gerror_mask_ = arch::reg::gerror::kAll;  // the errors this SMMU implements
  std::vector<RegisterDesc> regs_;
  std::vector<uint64_t> values_;                   // per register, as regs_
  std::unordered_map<uint64_t, size_t> by_word_;   // each word offset -> its register
  std::map<std::string, size_t, std::less<>> by_name_;
};

}  // namespace smmu::model
