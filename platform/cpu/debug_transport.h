// SPDX-License-Identifier: Apache-2.0
// Memory moved by debug transport (functional, no time), for software's cached accesses
// where no DMI pointer serves (Cpu) or always (HostOs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <tlm>

namespace smmu::platform {

// The largest debug transport: longer accesses go in pieces.
constexpr size_t kDebugChunk = 64 * 1024;

// Moves min(len, kDebugChunk) bytes at pa by transport_dbg: a read into buf, a write of
// buf or, when buf is null, of `fill` bytes. Returns the bytes moved; when the target
// moves fewer, an SC_REPORT_ERROR of msg_type, naming `who`, and 0.
size_t debug_transport_chunk(tlm::tlm_fw_transport_if<>& bus, uint64_t pa, uint8_t* buf, size_t len,
                             bool write, uint8_t fill, const std::string& who, const char* msg_type);

// "0x..." for messages.
std::string hex_address(uint64_t pa);

}  // namespace smmu::platform
