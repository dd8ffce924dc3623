// SPDX-License-Identifier: Apache-2.0
#include "reference/reference_smmu.h"

#include <cstdio>

#include "reference/reference_bits.h"
#include "reference/reference_walk.h"
#include "rtl_model/arch/event.h"  // event type numbers only

namespace smmu::reference {

namespace {

using arch::EventId;

constexpr uint8_t num(EventId e) { return static_cast<uint8_t>(e); }

uint8_t event_of(Fault f) {
  switch (f) {
    case Fault::kTranslation: return num(EventId::kTranslation);
    case Fault::kAddrSize: return num(EventId::kAddrSize);
    case Fault::kAccess: return num(EventId::kAccess);
    case Fault::kPermission: return num(EventId::kPermission);
    case Fault::kExternalAbort: return num(EventId::kWalkEabt);
    case Fault::kNone: break;
  }
  return 0;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// A failed stage: which fault, at which stage, and for a stage-2 fault what the access
// was for (IHI 0070 §7.3.12 CLASS) and its IPA.
struct Failure {
  Fault fault = Fault::kNone;
  bool s2 = false;
  uint8_t cls = 2;
  uint64_t ipa = 0;
  uint8_t event = 0;  // set for failures that are not stage faults (F_CD_FETCH)
};

class Flow {
 public:
  Flow(const Implementation& impl, const StreamTable& st, const Transaction& t,
       const ReadMemory& mem)
      : impl_(impl), st_(st), t_(t), mem_(mem) {
    access_.write = t.write;
    access_.exec = t.exec && !t.write;  // writes are always Data (IHI 0070 §13.1.2)
    access_.priv = t.priv;
  }

  Outcome run();

 private:
  const Implementation& impl_;
  const StreamTable& st_;
  const Transaction& t_;
  const ReadMemory& mem_;
  Access access_;
  Outcome out_;
  RefSte ste_;
  S2Params s2_;
  bool s2_on_ = false;

  void note(const std::string& s) {
    if (!out_.why.empty()) out_.why += "; ";
    out_.why += s;
  }
  // A configuration error or other non-translation event: always recorded, aborted.
  Outcome& config_error(EventId id, const std::string& why) {
    note(std::string(event_name(num(id))) + ": " + why);
    out_.response = Response::kAbort;
    out_.has_event = true;
    out_.event = base_event(num(id));
    return out_;
  }
  Event base_event(uint8_t id) const {
    Event e;
    e.id = id;
    e.sid = t_.sid;
    e.ssv = t_.ssv;
    e.ssid = t_.ssv ? t_.ssid : 0;
    return e;
  }
  Outcome& stage_fault(const Failure& f, bool record, bool raz_wi);
  bool read_words(uint64_t addr, bool via_s2, Words& w, Failure& f);
  bool s2_translate(uint64_t ipa, uint8_t cls, bool table_walk, uint64_t& pa, Failure& f);
  bool s1_translate(const RefCd& cd, const S1Params& p, uint64_t& ipa, Failure& f);
};

Outcome& Flow::stage_fault(const Failure& f, bool record, bool raz_wi) {
  const bool translation_related = f.fault != Fault::kExternalAbort;
  const uint8_t id = f.event ? f.event : event_of(f.fault);
  note(std::string(f.s2 ? "stage 2 " : "stage 1 ") + event_name(id) +
       (f.s2 ? " CLASS " + std::to_string(f.cls) + " IPA " + hex(f.ipa) : std::string()));
  // IHI 0070 §5.5: R = 0 suppresses the record of the four translation-related faults;
  // A = 0 (TERM_MODEL = 0) completes a stage-1 one RAZ/WI. External aborts are always
  // recorded and aborted.
  out_.response = translation_related && raz_wi ? Response::kRazWi : Response::kAbort;
  out_.has_event = record || !translation_related;
  if (!out_.has_event) note("not recorded (R = 0)");
  out_.event = base_event(id);
  if (translation_related || f.fault == Fault::kExternalAbort) {
    Event& e = out_.event;
    e.has_address = translation_related;
    e.input_addr = t_.va;
    e.rnw = !access_.write;
    e.ind = access_.exec;
    e.pnu = access_.priv;
    e.s2 = f.s2;
    e.cls = f.cls;
    e.ipa = f.ipa;
  }
  return out_;
}

bool Flow::s2_translate(uint64_t ipa, uint8_t cls, bool table_walk, uint64_t& pa, Failure& f) {
  f = Failure{};
  f.s2 = true;
  f.cls = cls;
  f.ipa = ipa;
  // Input above S2T0SZ's range: stage-2 Translation fault (Arm ARM AArch64.S2Walk).
  if (above(ipa, s2_.input_bits)) {
    f.fault = Fault::kTranslation;
    return false;
  }
  WalkRegime r;
  r.granule_bits = s2_.granule_bits;
  r.input_bits = s2_.input_bits;
  r.start_level = s2_.start_level;
  r.table_base = s2_.ttb;
  r.oa_bits = s2_.oa_bits;
  r.pa_max = impl_.oas_bits;
  r.stage2 = true;
  const WalkOutcome w = walk(r, ipa, [&](uint64_t a, uint64_t& d) { return mem_(a, d); });
  if (w.fault != Fault::kNone) {
    f.fault = w.fault;
    return false;
  }
  f.fault = s2_check(w.leaf, ste_.s2affd, access_, table_walk,
                     ste_.s2ptw && ste_.config == 7);
  if (f.fault != Fault::kNone) return false;
  pa = w.leaf.out_addr;
  return true;
}

bool Flow::read_words(uint64_t addr, bool via_s2, Words& w, Failure& f) {
  for (unsigned i = 0; i < 8; ++i) {
    uint64_t a = addr + 8 * i;
    if (via_s2 && !s2_translate(a, 0, true, a, f)) return false;
    if (!mem_(a, w[i])) {
      f = Failure{};
      f.fault = Fault::kExternalAbort;
      f.event = num(EventId::kCdFetch);
      return false;
    }
  }
  return true;
}

bool Flow::s1_translate(const RefCd& cd, const S1Params& p, uint64_t& ipa, Failure& f) {
  f = Failure{};
  const uint64_t va = t_.va;
  const int half = bit_set(va, 55) ? 1 : 0;
  const S1Half& h = p.half[half];
  if (h.disabled) {
    note(half ? "EPD1" : "EPD0");
    f.fault = Fault::kTranslation;
    return false;
  }
  // TBI: the top byte takes no part in the range check (Arm ARM AArch64.VAIsOutOfRange).
  const bool tbi = bit_set(cd.tbi, static_cast<unsigned>(half));
  const unsigned top = tbi ? 55 : 63;
  const uint64_t upper = bits(va, top, h.input_bits);
  if (upper != (half ? ones(top - h.input_bits + 1) : 0)) {
    note("VA outside the TTB" + std::to_string(half) + " range");
    f.fault = Fault::kTranslation;
    return false;
  }
  WalkRegime r;
  r.granule_bits = h.granule_bits;
  r.input_bits = h.input_bits;
  r.start_level = s1_start_level(h.granule_bits, h.input_bits);
  r.table_base = h.ttb;
  r.oa_bits = p.oa_bits;
  r.pa_max = impl_.oas_bits;
  r.hierarchical = h.hierarchical;
  Failure inner;
  bool inner_failed = false;
  const WalkOutcome w = walk(r, va, [&](uint64_t a, uint64_t& d) {
    if (s2_on_ && !s2_translate(a, 1, true, a, inner)) {
      inner_failed = true;
      return false;
    }
    return mem_(a, d);
  });
  if (inner_failed) {
    f = inner;
    return false;
  }
  note("S1 walk " + std::to_string(1 << (h.granule_bits - 10)) + "K from L" +
       std::to_string(r.start_level) + " to L" + std::to_string(w.level));
  if (w.fault != Fault::kNone) {
    f.fault = w.fault;
    return false;
  }
  S1Controls c;
  c.wxn = cd.wxn;
  c.pan = cd.pan;
  c.affd = cd.affd;
  f.fault = s1_check(w.leaf, c, access_);
  if (f.fault != Fault::kNone) return false;
  ipa = w.leaf.out_addr;
  return true;
}

Outcome Flow::run() {
  // §3.3: the StreamID selects an STE of the (linear) stream table.
  if (above(t_.sid, st_.log2size) || above(t_.sid, impl_.sid_bits)) {
    // §6.3.12: "C_BAD_STREAMID events are not recorded" when SMMU_CR2.RECINVSID is 0.
    if (!st_.record_invalid_sid) {
      note("StreamID beyond the stream table, CR2.RECINVSID = 0: aborted, not recorded");
      out_.response = Response::kAbort;
      return out_;
    }
    return config_error(EventId::kBadStreamId, "StreamID beyond the stream table");
  }
  Words sw{};
  for (unsigned i = 0; i < 8; ++i) {
    if (!mem_(st_.base + uint64_t{t_.sid} * 64 + 8 * i, sw[i]))
      return config_error(EventId::kSteFetch, "STE fetch aborted");
  }
  ste_ = decode_ste(sw);
  if (!ste_.v) return config_error(EventId::kBadSte, "STE.V = 0");
  if (ste_.config < 4) {
    // §5.2 Config 0b0xx: abort, no event.
    note("STE.Config = abort");
    out_.response = Response::kAbort;
    return out_;
  }
  const std::string bad = ste_illegal(ste_, impl_, &s2_);
  if (!bad.empty()) return config_error(EventId::kBadSte, bad);
  s2_on_ = ste_.s2_enabled();

  // SubstreamIDs (§3.9, §5.2 S1DSS, §7.3.7 F_STREAM_DISABLED, §7.3.9 C_BAD_SUBSTREAMID).
  bool s1 = ste_.s1_enabled();
  uint32_t cd_index = 0;
  if (t_.ssv) {
    if (!s1 || ste_.s1cdmax == 0)
      return config_error(EventId::kBadSubstreamId, "SSV = 1 without a CD table");
    if (above(t_.ssid, ste_.s1cdmax))
      return config_error(EventId::kBadSubstreamId, "SubstreamID beyond S1CDMax");
    if (t_.ssid == 0 && ste_.s1dss == 2)
      return config_error(EventId::kStreamDisabled, "SubstreamID 0 with S1DSS = 0b10");
    cd_index = t_.ssid;
  } else if (s1 && ste_.s1cdmax > 0) {
    // README choice: reserved S1DSS = 0b11 behaves as 0b00.
    if (ste_.s1dss == 0 || ste_.s1dss == 3)
      return config_error(EventId::kStreamDisabled, "no SubstreamID, S1DSS = terminate");
    if (ste_.s1dss == 1) {
      note("S1DSS = bypass");
      s1 = false;
    }
  }

  uint64_t ipa = t_.va;
  if (s1) {
    // CD location (§5.2 S1Fmt; README choice: S1Fmt = 0b11 behaves as linear).
    uint64_t cd_addr = ste_.s1_context_ptr + uint64_t{cd_index} * 64;
    if (ste_.s1cdmax > 0 && (ste_.s1fmt == 1 || ste_.s1fmt == 2)) {
      const unsigned split = ste_.s1fmt == 1 ? 6 : 10;
      uint64_t l1a = ste_.s1_context_ptr + uint64_t{cd_index >> split} * 8;
      Failure f;
      if (s2_on_ && !s2_translate(l1a, 0, true, l1a, f)) return stage_fault(f, ste_.s2r, false);
      uint64_t l1 = 0;
      if (!mem_(l1a, l1)) return config_error(EventId::kCdFetch, "L1 CD descriptor fetch aborted");
      if (!bit_set(l1, 0)) return config_error(EventId::kBadSubstreamId, "L1CD.V = 0");
      cd_addr = in_place(l1, 51, 12) + uint64_t{cd_index & ones(split)} * 64;
    }
    Words cw{};
    Failure f;
    if (!read_words(cd_addr, s2_on_, cw, f)) {
      if (f.event) return config_error(EventId::kCdFetch, "CD fetch aborted");
      return stage_fault(f, ste_.s2r, false);
    }
    const RefCd cd = decode_cd(cw);
    S1Params p;
    const std::string cd_bad = cd_illegal(cd, impl_, &p);
    if (!cd_bad.empty()) return config_error(EventId::kBadCd, cd_bad);
    if (!s1_translate(cd, p, ipa, f)) {
      if (f.s2) return stage_fault(f, ste_.s2r, false);
      return stage_fault(f, cd.r, !cd.a);
    }
  } else if (above(t_.va, impl_.oas_bits)) {
    // README choice (IHI 0070 §3.4): stage 1 bypassed with an input above the IAS
    // (= OAS) is a stage-1 Address Size fault, always recorded.
    Failure f;
    f.fault = Fault::kAddrSize;
    return stage_fault(f, true, false);
  }

  uint64_t pa = ipa;
  if (s2_on_) {
    Failure f;
    if (!s2_translate(ipa, 2, false, pa, f)) return stage_fault(f, ste_.s2r, false);
  }
  out_.response = Response::kOk;
  out_.pa = pa;
  note("PA " + hex(pa));
  return out_;
}

}  // namespace

Outcome translate(const Implementation& impl, const StreamTable& st, const Transaction& t,
                  const ReadMemory& mem) {
  return Flow(impl, st, t, mem).run();
}

const char* event_name(uint8_t id) { return arch::to_string(static_cast<EventId>(id)); }

std::string describe(const Outcome& o) {
  std::string s;
  switch (o.response) {
    case Response::kOk: s = "OK PA " + hex(o.pa); break;
    case Response::kAbort: s = "abort"; break;
    case Response::kRazWi: s = "RAZ/WI"; break;
  }
  if (o.has_event) {
    const Event& e = o.event;
    s += std::string(", event ") + event_name(e.id) + " SID " + std::to_string(e.sid) +
         " SSV " + std::to_string(e.ssv) + " SSID " + std::to_string(e.ssid);
    if (e.has_address) {
      s += " InputAddr " + hex(e.input_addr) + " RnW " + std::to_string(e.rnw) + " InD " +
           std::to_string(e.ind) + " PnU " + std::to_string(e.pnu) + " S2 " +
           std::to_string(e.s2);
      if (e.s2) s += " CLASS " + std::to_string(e.cls) + " IPA " + hex(e.ipa);
    }
  } else {
    s += ", no event";
  }
  return s;
}

}  // namespace smmu::reference
