// SPDX-License-Identifier: Apache-2.0
// Event queue records (32 bytes, four 64-bit words).
#pragma once

#include <array>
#include <cstdint>

namespace smmu::arch {

using EventWords = std::array<uint64_t, 4>;

enum class EventId : uint8_t {
  kUut = 0x01,
  kBadStreamId = 0x02,
  kSteFetch = 0x03,
  kBadSte = 0x04,
  kBadAtsTreq = 0x05,
  kStreamDisabled = 0x06,
  kTranslForbidden = 0x07,
  kBadSubstreamId = 0x08,
  kCdFetch = 0x09,
  kBadCd = 0x0a,
  kWalkEabt = 0x0b,
  kTranslation = 0x10,
  kAddrSize = 0x11,
  kAccess = 0x12,
  kPermission = 0x13,
  kTlbConflict = 0x20,
  kCfgConflict = 0x21,
  kPageRequest = 0x24,
  kVmsFetch = 0x25,
};

bool event_id_known(uint8_t id);
// Architectural name ("F_TRANSLATION"); "UNKNOWN" otherwise.
const char* to_string(EventId id);
// Events whose dw3 holds a fetch address [51:3] rather than an IPA [51:12].
bool event_has_fetch_addr(EventId id);

// dw1.CLASS: what the faulting stage-2 access was for.
enum class EventClass : uint8_t { kCdFetch = 0, kTableWalk = 1, kInputAddress = 2 };

struct EventRecord {
  // dw0
  EventId id{};
  bool ssv = false;
  uint32_t ssid = 0;  // [31:12]
  uint32_t sid = 0;   // [63:32]
  // dw1
  uint16_t stag = 0;
  bool stall = false;
  bool pnu = false;     // privileged (1) / unprivileged
  bool ind = false;     // instruction (1) / data
  bool rnw = false;     // read (1) / write
  bool s2 = false;      // the fault was at stage 2
  EventClass class_ = EventClass::kCdFetch;
  bool tt_read = false;
  // dw2
  uint64_t input_addr = 0;
  // dw3: only the one that event_has_fetch_addr(id) selects is encoded and decoded.
  uint64_t ipa = 0;         // byte address, bits [51:12]
  uint64_t fetch_addr = 0;  // byte address, bits [51:3]

  static EventRecord decode(const EventWords& dw);
  EventWords encode() const;
};

}  // namespace smmu::arch
