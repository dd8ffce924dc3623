// SPDX-License-Identifier: Apache-2.0
// Software's bus accesses, shared by Cpu and HostOs: MMIO by b_transport, and memory
// by debug transport (functional, no time) where no DMI pointer serves.
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

// One MMIO access of len bytes at pa by b_transport, its latency added to `delay`. On
// an error response: an SC_REPORT_WARNING of msg_type naming `who`, a read's data all
// ones (as a bus that aborts), and false.
bool mmio_transport(tlm::tlm_fw_transport_if<>& bus, uint64_t pa, uint8_t* data, unsigned len, bool write,
                    sc_core::sc_time& delay, const std::string& who, const char* msg_type);

// "0x..." for messages.
std::string hex_address(uint64_t pa);

}  // namespace smmu::platform
