// SPDX-License-Identifier: Apache-2.0
// An independent SMMUv3 translation for the differential test: stream table, STE, CD,
// stage 1 and stage 2 walks, and the event record the architecture asks for, written
// from IHI 0070 and the Arm ARM pseudocode. It reads guest memory through a callback and
// keeps no state (no caches), so it is the answer a cold or warm model must give.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "reference/reference_config.h"

namespace smmu::reference {

// The stream table registers, and the CR2 bit that decides about StreamIDs beyond it.
struct StreamTable {
  uint64_t base = 0;
  unsigned log2size = 0;  // linear
  bool record_invalid_sid = true;  // SMMU_CR2.RECINVSID (IHI 0070 6.3.12)
};

struct Transaction {
  uint32_t sid = 0;
  bool ssv = false;
  uint32_t ssid = 0;
  uint64_t va = 0;
  bool write = false, exec = false, priv = false;
};

// The event record fields the test compares (IHI 0070 §7.3).
struct Event {
  uint8_t id = 0;
  uint32_t sid = 0;
  bool ssv = false;
  uint32_t ssid = 0;
  // F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION: the address fields.
  bool has_address = false;
  uint64_t input_addr = 0;
  bool rnw = false, ind = false, pnu = false, s2 = false;
  uint8_t cls = 0;    // CLASS (CD 0, TT 1, IN 2), meaningful when s2
  uint64_t ipa = 0;   // meaningful when s2
};

enum class Response { kOk, kAbort, kRazWi };

struct Outcome {
  Response response = Response::kAbort;
  uint64_t pa = 0;       // when kOk
  bool has_event = false;
  Event event;
  std::string why;       // how the reference got there
};

// Reads 8 bytes of physical memory; false is an external abort.
using ReadMemory = std::function<bool(uint64_t pa, uint64_t& value)>;

Outcome translate(const Implementation& impl, const StreamTable& st, const Transaction& t,
                  const ReadMemory& mem);

std::string describe(const Outcome& o);
const char* event_name(uint8_t id);

}  // namespace smmu::reference
