// SPDX-License-Identifier: Apache-2.0
#include "driver/event_format.h"

#include <cstdio>

namespace smmu::driver {

namespace {

using arch::EventId;

// Which of the optional field groups a type's record defines (IHI 0070 §7.3.2-7.3.20).
struct EventFields {
  bool access = false;  // InputAddr, RnW, InD, PnU
  bool stage = false;   // S2, CLASS (and the IPA of a stage-2 fault, TTRnW of a walk)
  bool stall = false;   // Stall, STAG
};

EventFields fields_of(EventId id) {
  EventFields f;
  switch (id) {
    case EventId::kUut:
    case EventId::kBadAtsTreq:
    case EventId::kTranslForbidden:
    case EventId::kTlbConflict:
    case EventId::kPageRequest:
      f.access = true;
      break;
    case EventId::kWalkEabt:
    case EventId::kTranslation:
    case EventId::kAddrSize:
    case EventId::kAccess:
    case EventId::kPermission:
      f.access = f.stage = f.stall = true;
      break;
    default:  // configuration errors and fetch aborts: the stream only
      break;
  }
  return f;
}

const char* class_name(arch::EventClass c) {
  switch (c) {
    case arch::EventClass::kCdFetch: return "CD";
    case arch::EventClass::kTableWalk: return "TTD";
    case arch::EventClass::kInputAddress: return "IN";
  }
  return "RESERVED";
}

void append_hex(std::string& s, const char* key, unsigned long long v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, " %s=0x%llx", key, v);
  s += buf;
}

}  // namespace

std::string format_event(const arch::EventRecord& e) {
  const auto raw = static_cast<unsigned>(e.id);
  std::string s;
  if (arch::event_id_known(static_cast<uint8_t>(raw))) {
    s = arch::to_string(e.id);
  } else {
    char buf[24];
    std::snprintf(buf, sizeof buf, "UNKNOWN(0x%02x)", raw);
    s = buf;
  }
  append_hex(s, "sid", e.sid);
  if (e.ssv) append_hex(s, "ssid", e.ssid);
  const EventFields f = fields_of(e.id);
  if (f.access) {
    append_hex(s, "addr", e.input_addr);
    s += e.rnw ? " read" : " write";
    s += e.ind ? " instr" : " data";
    s += e.pnu ? " priv" : " unpriv";
  }
  if (f.stage) {
    s += e.s2 ? " stage=2" : " stage=1";
    s += " class=";
    s += class_name(e.class_);
    if (e.class_ == arch::EventClass::kTableWalk) s += e.tt_read ? " tt=read" : " tt=write";
    if (e.s2 && e.id != EventId::kWalkEabt) append_hex(s, "ipa", e.ipa);
  }
  if (f.stall && e.stall) append_hex(s, "stall stag", e.stag);
  if (arch::event_has_fetch_addr(e.id)) append_hex(s, "fetch", e.fetch_addr);
  return s;
}

}  // namespace smmu::driver
