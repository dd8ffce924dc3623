// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/arch/event.h"

#include "rtl_model/arch/bits.h"

namespace smmu::arch {

bool event_id_known(uint8_t id) {
  switch (static_cast<EventId>(id)) {
    case EventId::kUut:
    case EventId::kBadStreamId:
    case EventId::kSteFetch:
    case EventId::kBadSte:
    case EventId::kBadAtsTreq:
    case EventId::kStreamDisabled:
    case EventId::kTranslForbidden:
    case EventId::kBadSubstreamId:
    case EventId::kCdFetch:
    case EventId::kBadCd:
    case EventId::kWalkEabt:
    case EventId::kTranslation:
    case EventId::kAddrSize:
    case EventId::kAccess:
    case EventId::kPermission:
    case EventId::kTlbConflict:
    case EventId::kCfgConflict:
    case EventId::kPageRequest:
    case EventId::kVmsFetch:
      return true;
  }
  return false;
}

const char* to_string(EventId id) {
  switch (id) {
    case EventId::kUut: return "F_UUT";
    case EventId::kBadStreamId: return "C_BAD_STREAMID";
    case EventId::kSteFetch: return "F_STE_FETCH";
    case EventId::kBadSte: return "C_BAD_STE";
    case EventId::kBadAtsTreq: return "F_BAD_ATS_TREQ";
    case EventId::kStreamDisabled: return "F_STREAM_DISABLED";
    case EventId::kTranslForbidden: return "F_TRANSL_FORBIDDEN";
    case EventId::kBadSubstreamId: return "C_BAD_SUBSTREAMID";
    case EventId::kCdFetch: return "F_CD_FETCH";
    case EventId::kBadCd: return "C_BAD_CD";
    case EventId::kWalkEabt: return "F_WALK_EABT";
    case EventId::kTranslation: return "F_TRANSLATION";
    case EventId::kAddrSize: return "F_ADDR_SIZE";
    case EventId::kAccess: return "F_ACCESS";
    case EventId::kPermission: return "F_PERMISSION";
    case EventId::kTlbConflict: return "F_TLB_CONFLICT";
    case EventId::kCfgConflict: return "F_CFG_CONFLICT";
    case EventId::kPageRequest: return "E_PAGE_REQUEST";
    case EventId::kVmsFetch: return "F_VMS_FETCH";
  }
  return "UNKNOWN";
}

bool event_has_fetch_addr(EventId id) {
  return id == EventId::kSteFetch || id == EventId::kCdFetch || id == EventId::kWalkEabt ||
         id == EventId::kVmsFetch;
}

EventRecord EventRecord::decode(const EventWords& dw) {
  EventRecord e;
  e.id = static_cast<EventId>(extract(dw[0], 7, 0));
  e.ssv = bit(dw[0], 11);
  e.ssid = extract(dw[0], 31, 12);
  e.sid = extract(dw[0], 63, 32);
  e.stag = extract(dw[1], 15, 0);
  e.stall = bit(dw[1], 31);
  e.pnu = bit(dw[1], 33);
  e.ind = bit(dw[1], 34);
  e.rnw = bit(dw[1], 35);
  e.s2 = bit(dw[1], 39);
  e.class_ = static_cast<EventClass>(extract(dw[1], 41, 40));
  e.tt_read = bit(dw[1], 44);
  e.input_addr = dw[2];
  if (event_has_fetch_addr(e.id))
    e.fetch_addr = address_bits(dw[3], 51, 3);
  else
    e.ipa = address_bits(dw[3], 51, 12);
  return e;
}

EventWords EventRecord::encode() const {
  EventWords dw{};
  dw[0] = deposit(dw[0], 7, 0, static_cast<uint8_t>(id));
  dw[0] = deposit(dw[0], 11, 11, ssv);
  dw[0] = deposit(dw[0], 31, 12, ssid);
  dw[0] = deposit(dw[0], 63, 32, sid);
  dw[1] = deposit(dw[1], 15, 0, stag);
  dw[1] = deposit(dw[1], 31, 31, stall);
  dw[1] = deposit(dw[1], 33, 33, pnu);
  dw[1] = deposit(dw[1], 34, 34, ind);
  dw[1] = deposit(dw[1], 35, 35, rnw);
  dw[1] = deposit(dw[1], 39, 39, s2);
  dw[1] = deposit(dw[1], 41, 40, static_cast<uint8_t>(class_));
  dw[1] = deposit(dw[1], 44, 44, tt_read);
  dw[2] = input_addr;
  dw[3] = event_has_fetch_addr(id) ? address_bits(fetch_addr, 51, 3) : address_bits(ipa, 51, 12);
  return dw;
}

}  // namespace smmu::arch
