// SPDX-License-Identifier: Apache-2.0
// SMMUv3 programming interface (Non-secure): register offsets, their fields, typed
// views of the registers a driver and the model both interpret, and the PROD/CONS
// arithmetic shared by the command, event and PRI queues.
//
// Style: every field is a `Field{hi, lo}` constant (inclusive range, as in the
// architecture) in a namespace named after its register, e.g. reg::cr0::kSmmuEn.
#pragma once

#include <cstdint>

#include "rtl_model/arch/bits.h"

namespace smmu::arch::reg {

// A bit field [hi:lo] of a register.
struct Field {
  unsigned hi;
  unsigned lo;

  constexpr uint64_t mask() const { return field_mask(hi, lo); }
  constexpr uint64_t get(uint64_t word) const { return extract(word, hi, lo); }
  constexpr uint64_t set(uint64_t word, uint64_t value) const { return deposit(word, hi, lo, value); }
  // Address fields are kept in place: the value is a byte address.
  constexpr uint64_t address(uint64_t word) const { return address_bits(word, hi, lo); }
};

// ---------------------------------------------------------------------------------------
// The register window: page 0 at +0, page 1 at +64 KiB, and this model's one Non-secure
// Command queue control page (ECMDQs, IHI 0070 §3.5.6, §6.2.5) at +128 KiB. Where a
// control page sits is IMPLEMENTATION DEFINED: software finds it in
// SMMU_CMDQ_CONTROL_PAGE_BASE0.ADDR (an offset from page 0, §6.3.49), not here.
constexpr uint64_t kWindowSize = 0x30000;
constexpr uint64_t kPage1 = 0x10000;
constexpr uint64_t kEcmdqPage0 = 0x20000;
constexpr uint64_t kControlPageSize = 0x10000;  // 64 KiB, 64 KiB aligned (§6.2.5)

// Offsets from the base of the window.
constexpr uint64_t kIdr0 = 0x000;
constexpr uint64_t kIdr1 = 0x004;
constexpr uint64_t kIdr2 = 0x008;
constexpr uint64_t kIdr3 = 0x00c;
constexpr uint64_t kIdr4 = 0x010;
constexpr uint64_t kIdr5 = 0x014;
constexpr uint64_t kIidr = 0x018;
constexpr uint64_t kAidr = 0x01c;
constexpr uint64_t kCr0 = 0x020;
constexpr uint64_t kCr0Ack = 0x024;
constexpr uint64_t kCr1 = 0x028;
constexpr uint64_t kCr2 = 0x02c;
constexpr uint64_t kStatusr = 0x040;
constexpr uint64_t kGbpa = 0x044;
constexpr uint64_t kAgbpa = 0x048;
constexpr uint64_t kIrqCtrl = 0x050;
constexpr uint64_t kIrqCtrlAck = 0x054;
constexpr uint64_t kGerror = 0x060;
constexpr uint64_t kGerrorN = 0x064;
constexpr uint64_t kGerrorIrqCfg0 = 0x068;  // 64-bit
constexpr uint64_t kGerrorIrqCfg1 = 0x070;
constexpr uint64_t kGerrorIrqCfg2 = 0x074;
constexpr uint64_t kStrtabBase = 0x080;     // 64-bit
constexpr uint64_t kStrtabBaseCfg = 0x088;
constexpr uint64_t kCmdqBase = 0x090;       // 64-bit
constexpr uint64_t kCmdqProd = 0x098;
constexpr uint64_t kCmdqCons = 0x09c;
constexpr uint64_t kEvtqBase = 0x0a0;       // 64-bit
constexpr uint64_t kEvtqProd = kPage1 + 0x0a8;
constexpr uint64_t kEvtqCons = kPage1 + 0x0ac;
constexpr uint64_t kEvtqIrqCfg0 = 0x0b0;    // 64-bit
constexpr uint64_t kEvtqIrqCfg1 = 0x0b8;
constexpr uint64_t kEvtqIrqCfg2 = 0x0bc;
constexpr uint64_t kPriqBase = 0x0c0;       // 64-bit
constexpr uint64_t kPriqProd = kPage1 + 0x0c8;
constexpr uint64_t kPriqCons = kPage1 + 0x0cc;
// Not in the fact sheet; offsets from the architecture (PRI is optional).
constexpr uint64_t kPriqIrqCfg0 = 0x0d0;    // 64-bit
constexpr uint64_t kPriqIrqCfg1 = 0x0d8;
constexpr uint64_t kPriqIrqCfg2 = 0x0dc;
constexpr uint64_t kIdr6 = 0x190;           // present when IDR1.ECMDQ == 1 (§6.3.45)
// Command queue control page n's discovery registers, RO (§6.3.49-51).
constexpr uint64_t kCmdqControlPageBase0 = 0x4000;    // 64-bit
constexpr uint64_t kCmdqControlPageCfg0 = 0x4008;
constexpr uint64_t kCmdqControlPageStatus0 = 0x400c;
constexpr uint64_t kCmdqControlPageStride = 32;
// An ECMDQ's registers, from its interface in a control page (§3.5.6, §6.3.107-109).
constexpr uint64_t kEcmdqBase = 0x00;  // 64-bit
constexpr uint64_t kEcmdqProd = 0x08;
constexpr uint64_t kEcmdqCons = 0x0c;
// The ECMDQs are spaced evenly through the 64 KiB page (§6.2.5): 2^log2numq of them.
constexpr uint64_t ecmdq_stride(unsigned log2numq) { return kControlPageSize >> log2numq; }
constexpr unsigned kMaxLog2NumQ = 8;  // 256 ECMDQs per control page

// Whether the register at this offset is 64 bits wide (the others are 32).
constexpr bool is_64bit(uint64_t offset) {
  return offset == kGerrorIrqCfg0 || offset == kStrtabBase || offset == kCmdqBase ||
         offset == kEvtqBase || offset == kEvtqIrqCfg0 || offset == kPriqBase ||
         offset == kPriqIrqCfg0 || offset == kCmdqControlPageBase0;
}

// ---------------------------------------------------------------------------------------
// Fields.

namespace idr0 {
constexpr Field kStLevel{28, 27};
constexpr Field kTermModel{26, 26};
constexpr Field kStallModel{25, 24};
constexpr Field kTtEndian{22, 21};
constexpr Field kCd2l{19, 19};
constexpr Field kVmid16{18, 18};
constexpr Field kPri{16, 16};
constexpr Field kSev{14, 14};
constexpr Field kMsi{13, 13};
constexpr Field kAsid16{12, 12};
constexpr Field kAts{10, 10};
constexpr Field kHyp{9, 9};
constexpr Field kHttu{7, 6};
constexpr Field kCohacc{4, 4};
constexpr Field kTtf{3, 2};
constexpr Field kS1p{1, 1};
constexpr Field kS2p{0, 0};
// Values.
constexpr uint8_t kStLevelLinear = 0;
constexpr uint8_t kStLevel2Lvl = 1;
constexpr uint8_t kTtEndianLe = 2;
constexpr uint8_t kTtfAArch64 = 2;
}  // namespace idr0

namespace idr1 {
constexpr Field kEcmdq{31, 31};  // needs COHACC and MSI, excludes QUEUES_PRESET (§6.3.2)
constexpr Field kTablesPreset{30, 30};
constexpr Field kQueuesPreset{29, 29};
constexpr Field kRel{28, 28};
constexpr Field kAttrTypesOvr{27, 27};
constexpr Field kCmdqs{25, 21};
constexpr Field kEvtqs{20, 16};
constexpr Field kPriqs{15, 11};
constexpr Field kSsidSize{10, 6};
constexpr Field kSidSize{5, 0};
}  // namespace idr1

// Enhanced Command queue interfaces (§6.3.45); RES0 unless IDR1.ECMDQ.
namespace idr6 {
constexpr Field kLog2NumP{27, 24};  // 2^n Command queue control pages
constexpr Field kLog2NumQ{19, 16};  // 2^n ECMDQs per control page
}  // namespace idr6

namespace idr3 {
constexpr Field kBbml{12, 11};
constexpr Field kRil{10, 10};
constexpr Field kFwb{8, 8};
constexpr Field kXnx{4, 4};  // stage-2 EL0/EL1 execute-never (mandatory from SMMUv3.1 with S2P)
constexpr Field kHad{2, 2};  // CD.HAD0/HAD1 (mandatory from SMMUv3.1 with S1P)
}  // namespace idr3

namespace idr5 {
constexpr Field kStallMax{31, 16};
constexpr Field kVax{11, 10};
constexpr Field kGran64k{6, 6};
constexpr Field kGran16k{5, 5};
constexpr Field kGran4k{4, 4};
constexpr Field kOas{2, 0};  // 0..6 = 32/36/40/42/44/48/52 bits (address_size_bits in cd.h)
}  // namespace idr5

// CR0 and CR0ACK share the layout.
namespace cr0 {
constexpr Field kAtsChk{4, 4};
constexpr Field kCmdqEn{3, 3};
constexpr Field kEvtqEn{2, 2};
constexpr Field kPriqEn{1, 1};
constexpr Field kSmmuEn{0, 0};
}  // namespace cr0

namespace cr1 {
constexpr Field kTableSh{11, 10};
constexpr Field kTableOc{9, 8};
constexpr Field kTableIc{7, 6};
constexpr Field kQueueSh{5, 4};
constexpr Field kQueueOc{3, 2};
constexpr Field kQueueIc{1, 0};
}  // namespace cr1

namespace cr2 {
constexpr Field kPtm{2, 2};
constexpr Field kRecInvSid{1, 1};
constexpr Field kE2h{0, 0};
}  // namespace cr2

namespace gbpa {
constexpr Field kUpdate{31, 31};
constexpr Field kAbort{20, 20};
}  // namespace gbpa

// IRQ_CTRL and IRQ_CTRLACK share the layout.
namespace irq_ctrl {
constexpr Field kEvtqIrqEn{2, 2};
constexpr Field kPriqIrqEn{1, 1};
constexpr Field kGerrorIrqEn{0, 0};
}  // namespace irq_ctrl

// GERROR and GERRORN share the layout: error n is active while the two bits differ.
namespace gerror {
constexpr Field kCmdqpErr{9, 9};  // an ECMDQ error (IDR1.ECMDQ only, §3.5.6.3)
constexpr Field kSfmErr{8, 8};
constexpr Field kMsiGerrorAbt{7, 7};
constexpr Field kMsiPriqAbt{6, 6};
constexpr Field kMsiEvtqAbt{5, 5};
constexpr Field kMsiCmdqAbt{4, 4};
constexpr Field kPriqAbt{3, 3};
constexpr Field kEvtqAbt{2, 2};
constexpr Field kCmdqErr{0, 0};
// Every bit above but CMDQP_ERR, as a mask: the errors of an SMMU without ECMDQs.
constexpr uint32_t kAll = 0x1fd;
// ... and with ECMDQs.
constexpr uint32_t kAllEcmdq = kAll | 0x200;
}  // namespace gerror

// Errors that are active (GERROR[n] != GERRORN[n]).
constexpr uint32_t gerror_active(uint32_t gerror, uint32_t gerrorn) {
  return (gerror ^ gerrorn) & gerror::kAllEcmdq;
}

// *_IRQ_CFG0/1/2 of GERROR, EVTQ and PRIQ.
namespace irq_cfg {
constexpr Field kAddr{51, 2};     // CFG0: MSI target address (byte address)
constexpr Field kData{31, 0};     // CFG1
// CFG2 fields are from the architecture (the sheet only says "attributes").
constexpr Field kSh{5, 4};
constexpr Field kMemAttr{3, 0};
}  // namespace irq_cfg

namespace strtab_base {
constexpr Field kRa{62, 62};
constexpr Field kAddr{51, 6};
}  // namespace strtab_base

namespace strtab_base_cfg {
constexpr Field kFmt{17, 16};
constexpr Field kSplit{10, 6};
constexpr Field kLog2Size{5, 0};
constexpr uint8_t kFmtLinear = 0;
constexpr uint8_t kFmt2Lvl = 1;
}  // namespace strtab_base_cfg

// CMDQ_BASE, EVTQ_BASE and PRIQ_BASE.
namespace queue_base {
constexpr Field kRa{62, 62};
constexpr Field kAddr{51, 5};
constexpr Field kLog2Size{4, 0};
}  // namespace queue_base

// CMDQ/EVTQ/PRIQ PROD and CONS, beyond the index and wrap bit (see queue_* below).
namespace queue_ptr {
constexpr Field kErr{30, 24};    // CMDQ_CONS only
constexpr Field kOvflg{31, 31};  // EVTQ/PRIQ PROD and CONS
}  // namespace queue_ptr

// SMMU_CMDQ_CONTROL_PAGE_BASEn (§6.3.49): RO.
namespace cmdq_control_page_base {
constexpr Field kAddr{55, 16};    // offset of the page from page 0 (byte address)
constexpr Field kCmdqgs{2, 1};    // granule: 0b01 = 64 KiB
constexpr Field kPreset{0, 0};    // 1: the ECMDQs are registers in the SMMU
constexpr uint8_t kCmdqgs64k = 1;
}  // namespace cmdq_control_page_base

// SMMU_CMDQ_CONTROL_PAGE_CFGn.EN and STATUSn.ENACK (§6.3.50-51): both RES1.
namespace cmdq_control_page_cfg {
constexpr Field kEn{0, 0};
}  // namespace cmdq_control_page_cfg
namespace cmdq_control_page_status {
constexpr Field kEnAck{0, 0};
}  // namespace cmdq_control_page_status

// SMMU_ECMDQ_BASEn has CMDQ_BASE's fields (queue_base above); ADDR is [55:5] there, of
// which bits above OAS are RES0 (§6.3.107): [51:5] here, as this model's OAS is <= 52.
// SMMU_ECMDQ_PRODn (§6.3.108).
namespace ecmdq_prod {
constexpr Field kEn{31, 31};
constexpr Field kErrAck{23, 23};
constexpr Field kWr{19, 0};       // index and wrap bit, per LOG2SIZE
}  // namespace ecmdq_prod
// SMMU_ECMDQ_CONSn (§6.3.109).
namespace ecmdq_cons {
constexpr Field kEnAck{31, 31};
constexpr Field kErrReason{26, 24};  // a CmdqError
constexpr Field kErr{23, 23};        // toggled on each error; the queue stops while != ERRACK
constexpr Field kRd{19, 0};
}  // namespace ecmdq_cons

// Largest LOG2SIZE the architecture allows for any queue (IDR1.CMDQS/EVTQS/PRIQS <= 19).
constexpr unsigned kMaxQueueLog2Size = 19;
constexpr unsigned kCommandBytes = 16;
constexpr unsigned kEventBytes = 32;

// ---------------------------------------------------------------------------------------
// Typed registers. decode() takes the register value; encode() gives it back with only
// the named fields set.

struct Idr0 {
  uint8_t st_level = 0;
  bool term_model = false;
  uint8_t stall_model = 0;
  uint8_t ttendian = 0;
  bool cd2l = false, vmid16 = false, pri = false, sev = false, msi = false;
  bool asid16 = false, ats = false, hyp = false;
  uint8_t httu = 0;
  bool cohacc = false;
  uint8_t ttf = 0;
  bool s1p = false, s2p = false;

  static Idr0 decode(uint32_t v);
  uint32_t encode() const;
};

struct Idr1 {
  bool ecmdq = false;
  bool tables_preset = false, queues_preset = false, rel = false, attr_types_ovr = false;
  uint8_t cmdqs = 0, evtqs = 0, priqs = 0;  // log2 of the largest queue
  uint8_t ssidsize = 0;                     // SubstreamID bits
  uint8_t sidsize = 0;                      // StreamID bits

  static Idr1 decode(uint32_t v);
  uint32_t encode() const;
};

struct Idr6 {
  uint8_t log2nump = 0;  // log2 of the number of Command queue control pages
  uint8_t log2numq = 0;  // log2 of the number of ECMDQs in each

  static Idr6 decode(uint32_t v);
  uint32_t encode() const;
};

struct Idr3 {
  uint8_t bbml = 0;
  bool ril = false;  // range invalidation (TLBI NUM/SCALE/TG/TTL)
  bool fwb = false;
  bool xnx = false;
  bool had = false;

  static Idr3 decode(uint32_t v);
  uint32_t encode() const;
};

struct Idr5 {
  uint16_t stall_max = 0;
  uint8_t vax = 0;
  bool gran64k = false, gran16k = false, gran4k = false;
  uint8_t oas = 0;

  static Idr5 decode(uint32_t v);
  uint32_t encode() const;
};

// CR0 and CR0ACK.
struct Cr0 {
  bool atschk = false, cmdqen = false, evtqen = false, priqen = false, smmuen = false;

  static Cr0 decode(uint32_t v);
  uint32_t encode() const;
};

struct Cr1 {
  uint8_t table_sh = 0, table_oc = 0, table_ic = 0;
  uint8_t queue_sh = 0, queue_oc = 0, queue_ic = 0;

  static Cr1 decode(uint32_t v);
  uint32_t encode() const;
};

struct Cr2 {
  bool ptm = false, recinvsid = false, e2h = false;

  static Cr2 decode(uint32_t v);
  uint32_t encode() const;
};

struct Gbpa {
  bool update = false;
  bool abort = false;

  static Gbpa decode(uint32_t v);
  uint32_t encode() const;
};

// IRQ_CTRL and IRQ_CTRLACK.
struct IrqCtrl {
  bool evtq_irqen = false, priq_irqen = false, gerror_irqen = false;

  static IrqCtrl decode(uint32_t v);
  uint32_t encode() const;
};

struct StrtabBase {
  bool ra = false;
  uint64_t addr = 0;  // byte address, bits [51:6]

  static StrtabBase decode(uint64_t v);
  uint64_t encode() const;
};

struct StrtabBaseCfg {
  uint8_t fmt = 0;       // 0 linear, 1 2-level
  uint8_t split = 0;     // SID bits resolved by the level-2 tables
  uint8_t log2size = 0;  // log2 of the number of STEs

  static StrtabBaseCfg decode(uint32_t v);
  uint32_t encode() const;
};

// CMDQ_BASE, EVTQ_BASE, PRIQ_BASE.
struct QueueBase {
  bool ra = false;
  uint64_t addr = 0;     // byte address, bits [51:5]
  uint8_t log2size = 0;  // log2 of the number of entries

  static QueueBase decode(uint64_t v);
  uint64_t encode() const;
};

// ---------------------------------------------------------------------------------------
// Queue pointers (PROD/CONS): index in [log2size-1:0], wrap bit at [log2size]. The
// functions take log2size <= kMaxQueueLog2Size (the model clamps LOG2SIZE to IDR1 first).

// Mask of the index and wrap bits.
constexpr uint32_t queue_wrap_index_mask(unsigned log2size) {
  return (uint32_t{2} << log2size) - 1;
}
constexpr uint32_t queue_index(uint32_t ptr, unsigned log2size) {
  return ptr & ((uint32_t{1} << log2size) - 1);
}
constexpr bool queue_wrap(uint32_t ptr, unsigned log2size) { return (ptr >> log2size) & 1; }
// Full when the indexes are equal and the wrap bits differ.
constexpr bool queue_full(uint32_t prod, uint32_t cons, unsigned log2size) {
  return ((prod ^ cons) & queue_wrap_index_mask(log2size)) == (uint32_t{1} << log2size);
}
// Empty when index and wrap bit are both equal.
constexpr bool queue_empty(uint32_t prod, uint32_t cons, unsigned log2size) {
  return ((prod ^ cons) & queue_wrap_index_mask(log2size)) == 0;
}
// Entries written by the producer and not yet consumed.
constexpr uint32_t queue_used(uint32_t prod, uint32_t cons, unsigned log2size) {
  return (prod - cons) & queue_wrap_index_mask(log2size);
}
constexpr uint32_t queue_free(uint32_t prod, uint32_t cons, unsigned log2size) {
  return (uint32_t{1} << log2size) - queue_used(prod, cons, log2size);
}
// ptr advanced by n entries: the index carries into the wrap bit, which toggles; bits
// above the wrap bit (CONS.ERR, OVFLG) are kept.
constexpr uint32_t queue_increment(uint32_t ptr, unsigned log2size, uint32_t n = 1) {
  const uint32_t m = queue_wrap_index_mask(log2size);
  return (ptr & ~m) | ((ptr + n) & m);
}

// CMDQ_CONS.ERR: why the command at CONS was not run.
enum class CmdqError : uint8_t { kNone = 0, kIll = 1, kAbt = 2, kAtcInvSync = 3 };

constexpr CmdqError cmdq_cons_error(uint32_t cons) {
  return static_cast<CmdqError>(queue_ptr::kErr.get(cons));
}
constexpr uint32_t with_cmdq_cons_error(uint32_t cons, CmdqError e) {
  return static_cast<uint32_t>(queue_ptr::kErr.set(cons, static_cast<uint8_t>(e)));
}
constexpr bool queue_ovflg(uint32_t ptr) { return bit(ptr, 31); }
constexpr uint32_t with_queue_ovflg(uint32_t ptr, bool ovflg) {
  return static_cast<uint32_t>(queue_ptr::kOvflg.set(ptr, ovflg));
}

const char* to_string(CmdqError e);

// ECMDQ_PROD / ECMDQ_CONS beyond the pointer (§6.3.108-109).
constexpr bool ecmdq_en(uint32_t prod) { return bit(prod, 31); }
constexpr bool ecmdq_errack(uint32_t prod) { return bit(prod, 23); }
constexpr bool ecmdq_enack(uint32_t cons) { return bit(cons, 31); }
constexpr bool ecmdq_err(uint32_t cons) { return bit(cons, 23); }
constexpr CmdqError ecmdq_err_reason(uint32_t cons) {
  return static_cast<CmdqError>(ecmdq_cons::kErrReason.get(cons));
}
// An error is pending on the queue (it does not consume) while CONS.ERR != PROD.ERRACK.
constexpr bool ecmdq_error_pending(uint32_t prod, uint32_t cons) {
  return ecmdq_err(cons) != ecmdq_errack(prod);
}

}  // namespace smmu::arch::reg
