// SPDX-License-Identifier: Apache-2.0
#include "fuzz/guest_program.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "rtl_model/arch/cd.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/arch/ste.h"
#include "rtl_model/protocol/ats_protocol.h"

namespace smmu::fuzz {

namespace {

namespace r = arch::reg;
using arch::Command;
using arch::Opcode;
using sc_core::sc_time;
using test::SmmuTestbench;

// Reads the program: little-endian fields, zeros once the bytes run out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ == end_; }
  uint8_t u8() { return p_ == end_ ? 0 : *p_++; }
  bool flag() { return u8() & 1; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | static_cast<uint32_t>(u16()) << 16; }
  uint64_t u64() { return u32() | static_cast<uint64_t>(u32()) << 32; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

constexpr uint64_t slot_addr(unsigned slot) {
  return GuestProgram::kArena + (slot % GuestProgram::kSlots) * GuestProgram::kSlotSize;
}

// A table or queue pointer: mostly a slot of the arena (so that random programs build
// structures that reference each other), sometimes any 64-bit value.
uint64_t pointer(Bytes& in) {
  const uint8_t sel = in.u8();
  if (sel >= 0xf0) return in.u64();
  return slot_addr(sel) + (in.u8() & 0xf) * 0x1000;
}

// An input or output address: small (near 0, where the arena and DMA buffers lie),
// inside the arena, or any 64-bit value.
uint64_t address(Bytes& in) {
  switch (in.u8() & 3) {
    case 0: return static_cast<uint64_t>(in.u32()) << 12;  // any page below 16 TiB
    case 1: return slot_addr(in.u8()) + (in.u16() & ~7u);
    case 2: return static_cast<uint64_t>(in.u16()) << 12;  // the first 256 MiB
    default: return in.u64();
  }
}

// A StreamID: usually one of the stream table's 64 STEs, sometimes any 32-bit value.
uint32_t stream_id(Bytes& in) {
  const uint8_t b = in.u8();
  return b >= 0xf8 ? in.u32() : b % (1u << GuestProgram::kStreamTableLog2);
}

uint32_t substream_id(Bytes& in) {
  const uint8_t b = in.u8();
  return b >= 0xf0 ? in.u32() & 0xfffff : b % 8;
}

// FUZZ_GUEST_TRACE=1: one line per transaction, to read what a reproducer does.
const bool g_trace = std::getenv("FUZZ_GUEST_TRACE") != nullptr;

[[noreturn]] void not_architectural(const char* what) {
  std::fprintf(stderr, "fuzz_guest: %s\n", what);
  std::abort();
}

void write_words(SmmuTestbench& tb, uint64_t addr, const uint64_t* w, size_t n) {
  for (size_t i = 0; i < n; ++i) tb.mem.write64(addr + 8 * i, w[i]);
}

void write_ste(SmmuTestbench& tb, Bytes& in) {
  const uint32_t sid = in.u8() % (1u << GuestProgram::kStreamTableLog2);
  arch::Ste s;
  const uint8_t a = in.u8();
  s.valid = a & 1;
  s.config = (a >> 1) & 7;
  s.s1fmt = (a >> 4) & 3;
  s.s1dss = (a >> 6) & 3;
  s.s1_context_ptr = pointer(in) & ~uint64_t{0x3f};
  s.s1cdmax = in.u8() % 21;
  const uint8_t b = in.u8();
  s.eats = b & 3;
  s.strw = (b >> 2) & 3;
  s.shcfg = (b >> 4) & 3;
  s.mev = b & 0x40;
  s.s1stalld = b & 0x80;
  s.s2vmid = in.u16();
  s.s2t0sz = in.u8() % 64;
  const uint8_t c = in.u8();
  s.s2sl0 = c & 3;
  s.s2tg = (c >> 2) & 3;
  s.s2ps = (c >> 4) & 7;
  s.s2aa64 = !(c & 0x80);
  const uint8_t d = in.u8();
  s.s2endi = d & 1;
  s.s2affd = d & 2;
  s.s2ptw = d & 4;
  s.s2s = d & 8;
  s.s2r = d & 0x10;
  s.s2fwb = d & 0x20;
  s.s2ttb = pointer(in) & ~uint64_t{0xf};
  const arch::SteWords w = s.encode();
  write_words(tb, slot_addr(GuestProgram::kStreamTableSlot) + uint64_t{sid} * 64, w.data(),
              w.size());
}

void write_cd(SmmuTestbench& tb, Bytes& in) {
  const unsigned index = in.u8() % 64;
  arch::Cd cd;
  const uint8_t a = in.u8();
  cd.valid = a & 1;
  cd.aa64 = !(a & 2);
  cd.r = a & 4;
  cd.a = a & 8;
  cd.s = a & 0x10;
  cd.aset = a & 0x20;
  cd.epd0 = a & 0x40;
  cd.epd1 = !(a & 0x80);
  cd.t0sz = in.u8() % 64;
  const uint8_t b = in.u8();
  cd.tg0 = b & 3;
  cd.ips = (b >> 2) & 7;
  cd.tbi = (b >> 5) & 3;
  cd.endi = b & 0x80;
  const uint8_t c = in.u8();
  cd.wxn = c & 1;
  cd.pan = c & 2;
  cd.affd = c & 4;
  cd.ha = c & 8;
  cd.hd = c & 0x10;
  cd.had0 = c & 0x20;
  cd.had1 = c & 0x40;
  cd.uwxn = c & 0x80;
  cd.asid = in.u16();
  cd.ttb0 = pointer(in) & ~uint64_t{0xf};
  if (in.flag()) {
    cd.t1sz = in.u8() % 64;
    cd.tg1 = in.u8() & 3;
    cd.ttb1 = pointer(in) & ~uint64_t{0xf};
  }
  cd.mair = in.flag() ? in.u64() : 0;
  const arch::CdWords w = cd.encode();
  write_words(tb, slot_addr(GuestProgram::kCdSlot) + uint64_t{index} * 64, w.data(), w.size());
}

// A translation table descriptor: invalid, a table pointing at a slot, or a block/page
// leaf with attribute bits from the program (stage 1 and stage 2 share the layout of
// the bits drawn here; their meaning depends on who walks it).
void write_descriptor(SmmuTestbench& tb, Bytes& in) {
  const uint64_t table = slot_addr(in.u8());
  const uint64_t index = in.u16() % (GuestProgram::kSlotSize / 8);
  const uint8_t kind = in.u8();
  uint64_t desc = 0;
  switch (kind & 3) {
    case 0:
      desc = in.u64();  // anything, reserved encodings included
      break;
    case 1:  // table: APTable, XNTable, PXNTable, NSTable from the program
      desc = (pointer(in) & 0x000ffffffffff000ull) | 3 |
             static_cast<uint64_t>(in.u8() & 0x1f) << 59;
      break;
    default: {  // block (01) or page (11): AttrIndx/S2 MemAttr, AP/S2AP, SH, AF, nG; Contig, PXN, UXN
      const uint64_t out = address(in) & 0x000ffffffffff000ull;
      desc = out | ((kind & 4) ? 3 : 1) | static_cast<uint64_t>(in.u16() & 0x3ff) << 2 |
             static_cast<uint64_t>(in.u8() & 0x1f) << 50;
      break;
    }
  }
  tb.mem.write64(table + index * 8, desc);
}

void write_raw(SmmuTestbench& tb, Bytes& in) {
  const uint64_t base = slot_addr(in.u8()) + (in.u16() & ~7u);
  const unsigned n = 1 + in.u8() % 8;
  for (unsigned i = 0; i < n; ++i) {
    const uint64_t a = base + 8 * i;
    if (a >= GuestProgram::kArena + GuestProgram::kSlots * GuestProgram::kSlotSize) break;
    tb.mem.write64(a, in.u64());
  }
}

constexpr std::array<Opcode, 22> kOpcodes = {
    Opcode::kPrefetchConfig, Opcode::kPrefetchAddr, Opcode::kCfgiSte,    Opcode::kCfgiSteRange,
    Opcode::kCfgiCd,         Opcode::kCfgiCdAll,    Opcode::kTlbiNhAll,  Opcode::kTlbiNhAsid,
    Opcode::kTlbiNhVa,       Opcode::kTlbiNhVaa,    Opcode::kTlbiEl2All, Opcode::kTlbiEl2Asid,
    Opcode::kTlbiEl2Va,      Opcode::kTlbiEl2Vaa,   Opcode::kTlbiS12Vmall, Opcode::kTlbiS2Ipa,
    Opcode::kTlbiNsnhAll,    Opcode::kAtcInv,       Opcode::kPriResp,    Opcode::kResume,
    Opcode::kStallTerm,      Opcode::kSync};

// A command at CMDQ_PROD (as CMDQ_BASE says now); publishes it (PROD + 1) when asked.
void queue_command(SmmuTestbench& tb, Bytes& in) {
  const uint8_t sel = in.u8();
  Command c = sel >= 0xf0 ? Command::from_words(in.u64(), in.u64())
                          : Command(kOpcodes[sel % kOpcodes.size()]);
  if (sel < 0xf0) {
    const uint8_t f = in.u8();
    c.set_sid(stream_id(in)).set_ssid(substream_id(in)).set_ssv(f & 1).set_leaf(f & 2);
    if (f & 4) c.set_asid(in.u16());
    if (f & 8) c.set_vmid(in.u16());
    if (f & 0x10) c.set_addr(address(in));
    if (f & 0x20) c.set_num(in.u8()).set_scale(in.u8()).set_tg(in.u8()).set_ttl(in.u8());
    if (c.opcode() == Opcode::kCfgiSteRange) c.set_range(in.u8() % 32);
    if (c.opcode() == Opcode::kAtcInv) c.set_global(f & 0x40).dw[1] |= in.u8() & 0x3f;
    if (c.opcode() == Opcode::kSync) {
      c.set_cs(in.u8() % 4);
      if (f & 0x80) c.set_msiaddr(address(in)).set_msidata(in.u32());
    }
  }
  const auto qb = r::QueueBase::decode(tb.reg(r::kCmdqBase, 8));
  const uint32_t prod = tb.cmdq_prod();
  const uint64_t log2 = qb.log2size > 19 ? 19 : qb.log2size;  // the queue may be garbage
  const uint64_t a = qb.addr + uint64_t{r::queue_index(prod, static_cast<uint8_t>(log2))} *
                                   r::kCommandBytes;
  if (a + r::kCommandBytes <= tb.mem.size()) {
    tb.mem.write64(a, c.dw[0]);
    tb.mem.write64(a + 8, c.dw[1]);
  }
  if (in.flag()) tb.set_reg(r::kCmdqProd, r::queue_increment(prod, static_cast<uint8_t>(log2)));
}

struct RegChoice {
  uint64_t offset;
  unsigned size;
};
constexpr std::array<RegChoice, 22> kRegisters = {{
    {r::kCr0, 4},          {r::kCr1, 4},          {r::kCr2, 4},        {r::kGbpa, 4},
    {r::kIrqCtrl, 4},      {r::kGerrorN, 4},      {r::kGerrorIrqCfg0, 8}, {r::kGerrorIrqCfg1, 4},
    {r::kStrtabBase, 8},   {r::kStrtabBaseCfg, 4}, {r::kCmdqBase, 8},   {r::kCmdqProd, 4},
    {r::kCmdqCons, 4},     {r::kEvtqBase, 8},     {r::kEvtqProd, 4},   {r::kEvtqCons, 4},
    {r::kEvtqIrqCfg0, 8},  {r::kEvtqIrqCfg1, 4},  {r::kPriqBase, 8},   {r::kPriqProd, 4},
    {r::kPriqCons, 4},     {r::kCr0, 4},
}};

// A register write: a register software programs with any value, a queue or table base
// pointing into the arena, or any offset of the window; untimed or as a CPU MMIO access.
void write_register(SmmuTestbench& tb, Bytes& in) {
  const uint8_t sel = in.u8();
  uint64_t offset;
  unsigned size;
  uint64_t value;
  if (sel >= 0xf0) {
    offset = in.u32() % r::kWindowSize;
    size = (sel & 1) ? 8 : 4;
    value = in.u64();
  } else {
    const RegChoice& reg = kRegisters[sel % kRegisters.size()];
    offset = reg.offset;
    size = reg.size;
    value = (sel & 0x80) ? (pointer(in) & ~uint64_t{0x1f}) | (in.u8() & 0x1f) : in.u64();
    if (size == 4) value &= 0xffffffffu;
  }
  if (in.flag()) {
    tb.set_reg(offset, value, size);
    return;
  }
  const bool read = in.flag();
  const auto res = tb.cpu.access(SmmuTestbench::kSmmuBase + offset, size, !read, value);
  if (res.status == tlm::TLM_INCOMPLETE_RESPONSE) not_architectural("MMIO access left incomplete");
}

void dma(SmmuTestbench& tb, Bytes& in) {
  test::DmaAttrs a;
  const uint8_t f = in.u8();
  a.sid = stream_id(in);
  a.ssv = f & 1;
  a.ssid = substream_id(in);
  a.write = f & 2;
  a.priv = f & 4;
  a.exec = f & 8;
  const unsigned port = (f >> 4) & 1;
  const unsigned len = 1u << ((f >> 5) & 3);  // 1, 2, 4, 8 bytes
  const uint64_t va = address(in);
  const auto res = tb.dma(va, a, port, len, in.u64());
  if (g_trace)
    std::fprintf(stderr, "dma sid %u ssid %u ssv %d %s va %#llx len %u: %s\n", a.sid, a.ssid,
                 a.ssv, a.write ? "write" : "read", static_cast<unsigned long long>(va), len,
                 res.ok() ? "ok" : "error response");
  if (res.status == tlm::TLM_INCOMPLETE_RESPONSE) not_architectural("DMA left incomplete");
}

// A Translation Request on the SMMU's ATS socket (through endpoint 0's socket), for any
// StreamID: the SMMU must answer it, with a translation, no access, or UR.
void ats_request(SmmuTestbench& tb, Bytes& in) {
  model::AtsTranslationRequest req;
  const uint8_t f = in.u8();
  req.sid = (f & 0x80) ? stream_id(in) : ((f & 0x40) ? GuestProgram::kSilentSid
                                                      : GuestProgram::kAnsweringSid);
  req.ssv = f & 1;
  req.ssid = substream_id(in);
  req.no_write = f & 2;
  req.exec = f & 4;
  req.priv = f & 8;
  uint8_t completion[64] = {};
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(address(in) & ~uint64_t{0xfff});
  gp.set_data_ptr(completion);
  gp.set_data_length(sizeof completion);
  gp.set_streaming_width(sizeof completion);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  gp.set_extension(&req);
  sc_time delay = sc_core::SC_ZERO_TIME;
  tb.endpoints.at((f >> 4) & 1)->ats->b_transport(gp, delay);
  gp.clear_extension(&req);
  if (g_trace)
    std::fprintf(stderr, "ats request sid %u va %#llx: status %d read %d write %d -> %#llx\n",
                 req.sid, static_cast<unsigned long long>(gp.get_address()),
                 static_cast<int>(req.status), req.read, req.write,
                 static_cast<unsigned long long>(req.translated));
  if (gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE ||
      (gp.is_response_ok() && req.status == model::AtsTranslationRequest::Status::kPending))
    not_architectural("Translation Request not answered");
}

// A DMA through an endpoint's whole ATS flow (ATC lookup, request, pre-translated access).
void ats_dma(SmmuTestbench& tb, Bytes& in) {
  model::DmaAccess a;
  const uint8_t f = in.u8();
  a.ssv = f & 1;
  a.ssid = substream_id(in);
  a.write = f & 2;
  a.privileged = f & 4;
  a.instruction = f & 8;
  a.size = 1u << (f >> 5);  // 1..128 bytes
  a.address = address(in);
  sc_time delay = sc_core::SC_ZERO_TIME;
  const auto out = tb.endpoints.at((f >> 4) & 1)->dma_access(a, delay);
  if (out.status == tlm::TLM_INCOMPLETE_RESPONSE) not_architectural("ATS DMA left incomplete");
}

void dmi(SmmuTestbench& tb, Bytes& in) {
  tlm::tlm_dmi d;
  (void)tb.dmi_master->request(address(in), d);
}

// Consumes what the event queue holds (as a driver's event handler: CONS = PROD, the
// overflow flag acknowledged), without decoding the records.
void consume_events(SmmuTestbench& tb) {
  const uint32_t prod = static_cast<uint32_t>(tb.reg(r::kEvtqProd));
  tb.set_reg(r::kEvtqCons, prod);
}

void acknowledge_gerror(SmmuTestbench& tb) {
  tb.set_reg(r::kGerrorN, tb.reg(r::kGerror));
}

void run_for(SmmuTestbench& tb, Bytes& in) {
  const unsigned b = in.u8() + 1u;  // not 0: sc_start(0) with nothing to do warns
  // Up to ~16 us: longer than an ATC_INV timeout (2 us here).
  tb.run(sc_time(static_cast<double>(b) * 64, sc_core::SC_NS));
}

// Runs until the command queue is empty, at most `limit`. A stop with CONS.ERR is
// acknowledged (GERRORN) as a driver would, and the queue resumes at CONS: the reset's
// CMD_SYNC may report CERROR_ATC_INV_SYNC for an ATC_INV that the previous program sent
// to the silent endpoint before disabling the queue (IHI 0070 §3.9.1.4; SMMU_CMDQ_CONS.ERR
// CERROR_ATC_INV_SYNC: "a CMD_SYNC failed to successfully complete one or more previous
// CMD_ATC_INV commands"); the retried CMD_SYNC then completes.
void drain_commands(SmmuTestbench& tb, sc_time limit) {
  const sc_time step(1, sc_core::SC_US);
  for (sc_time t = sc_core::SC_ZERO_TIME; t < limit; t += step) {
    const auto qb = r::QueueBase::decode(tb.reg(r::kCmdqBase, 8));
    if (r::queue_empty(tb.cmdq_prod(), tb.cmdq_cons(), qb.log2size)) return;
    if ((tb.reg(r::kGerror) ^ tb.reg(r::kGerrorN)) & r::gerror::kCmdqErr.mask())
      acknowledge_gerror(tb);
    tb.run(step);
  }
}

}  // namespace

model::SmmuParams fuzz_smmu_params() {
  model::SmmuParams p;
  p.micro_tlb.entries = 4;
  p.main_tlb.sets = 8;
  p.main_tlb.ways = 2;
  p.walk_cache.sets = 4;
  p.walk_cache.ways = 2;
  p.config_cache.sets = 2;
  p.config_cache.ways = 2;
  p.timing.atc_inv_timeout = sc_time(2, sc_core::SC_US);
  p.features.ecmdqs = 2;  // random writes reach the ECMDQ control page too
  return p;
}

model::MemoryParams fuzz_memory() {
  model::MemoryParams m = SmmuTestbench::default_memory();
  m.size = uint64_t{512} << 20;
  return m;
}

std::vector<model::AtsEndpointParams> fuzz_endpoints() {
  model::AtsEndpointParams answering;
  answering.sid = GuestProgram::kAnsweringSid;
  answering.atc.sets = 2;
  answering.atc.ways = 2;
  model::AtsEndpointParams silent = answering;
  silent.sid = GuestProgram::kSilentSid;
  silent.answer_invalidations = false;
  return {answering, silent};
}

void GuestProgram::reset() {
  SmmuTestbench& tb = tb_;
  tb.set_reg(r::kCr0, 0);
  // Whatever the command engine was doing (an unanswered ATC_INV waits for its timeout)
  // ends before the queues are reprogrammed.
  tb.run(sc_time(4, sc_core::SC_US));
  tb.set_reg(r::kIrqCtrl, 0);
  tb.set_reg(r::kGbpa, r::gbpa::kUpdate.mask());
  tb.set_reg(r::kCr1, 0);
  tb.set_reg(r::kCr2, 0);
  acknowledge_gerror(tb);

  static const std::vector<uint8_t> zeros(kSlotSize);
  for (unsigned s = 0; s < kSlots; ++s) tb.mem.write(slot_addr(s), zeros.data(), zeros.size());
  for (auto& ep : tb.endpoints) {
    ep->set_ats_enabled(false);  // empties its ATC
    ep->set_ats_enabled(true);
  }

  tb.set_reg(r::kStrtabBase, slot_addr(kStreamTableSlot) | r::strtab_base::kRa.mask(), 8);
  tb.set_reg(r::kStrtabBaseCfg, kStreamTableLog2);
  r::QueueBase q;
  q.addr = slot_addr(kCmdqSlot);
  q.log2size = kCmdqLog2;
  tb.set_reg(r::kCmdqBase, q.encode(), 8);
  q.addr = slot_addr(kEvtqSlot);
  q.log2size = kEvtqLog2;
  tb.set_reg(r::kEvtqBase, q.encode(), 8);
  tb.set_reg(r::kCmdqProd, 0);
  tb.set_reg(r::kCmdqCons, 0);
  tb.set_reg(r::kEvtqProd, 0);
  tb.set_reg(r::kEvtqCons, 0);

  tb.set_reg(r::kCr0, r::cr0::kCmdqEn.mask());
  tb.submit({Command(Opcode::kCfgiSteRange).set_range(arch::kCfgiAllRange),
             Command(Opcode::kTlbiNsnhAll), Command(Opcode::kTlbiEl2All),
             Command(Opcode::kSync)});
  drain_commands(tb, sc_time(20, sc_core::SC_US));
  if (!r::queue_empty(tb.cmdq_prod(), tb.cmdq_cons(), kCmdqLog2)) {
    std::fprintf(stderr,
                 "fuzz_guest: at %s: CR0 %#llx CR0ACK %#llx CMDQ_PROD %#x CMDQ_CONS %#x "
                 "GERROR %#llx GERRORN %#llx\n",
                 sc_core::sc_time_stamp().to_string().c_str(),
                 static_cast<unsigned long long>(tb.reg(r::kCr0)),
                 static_cast<unsigned long long>(tb.reg(r::kCr0Ack)), tb.cmdq_prod(),
                 tb.cmdq_cons(), static_cast<unsigned long long>(tb.reg(r::kGerror)),
                 static_cast<unsigned long long>(tb.reg(r::kGerrorN)));
    not_architectural("reset: CFGI_ALL/TLBI/CMD_SYNC did not complete");
  }
  tb.set_reg(r::kCr0, r::cr0::kSmmuEn.mask() | r::cr0::kEvtqEn.mask() | r::cr0::kCmdqEn.mask());
}

void GuestProgram::run(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  while (!in.done()) {
    switch (in.u8() % 14) {
      case 0: write_ste(tb_, in); break;
      case 1: write_cd(tb_, in); break;
      case 2: write_descriptor(tb_, in); break;
      case 3: write_raw(tb_, in); break;
      case 4: queue_command(tb_, in); break;
      case 5: write_register(tb_, in); break;
      case 6: dma(tb_, in); break;
      case 7: ats_request(tb_, in); break;
      case 8: ats_dma(tb_, in); break;
      case 9: dmi(tb_, in); break;
      case 10: consume_events(tb_); break;
      case 11: acknowledge_gerror(tb_); break;
      case 12: run_for(tb_, in); break;
      default: dma(tb_, in); break;  // the most common step of a real guest
    }
  }
  tb_.run(sc_time(1, sc_core::SC_US));  // let queued commands run
}

}  // namespace smmu::fuzz
