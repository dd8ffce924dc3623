// SPDX-License-Identifier: Apache-2.0
// The guest side of fuzz_guest: fuzz bytes decoded as a small program that software and
// devices run against one SMMU testbench (tests/support/smmu_testbench.h). The program
// writes STEs, CDs, translation table descriptors and raw words into a 4 MiB arena of
// guest memory, queues commands and moves CMDQ_PROD, writes registers (untimed or as
// timed MMIO), and issues DMA, ATS Translation Requests, ATS-flow DMA and DMI requests,
// advancing simulated time in between.
//
// The testbench outlives every program (one SystemC kernel per process), so reset()
// brings it back to a known state before each one, as far as the architecture lets
// software: CR0 = 0 and time for the command engine to finish what it was doing
// (an unanswered ATC_INV ends at its timeout), GERROR acknowledged through GERRORN, the
// arena zeroed, the endpoints' ATCs emptied (ATS Enable cleared and set), the stream
// table (linear, 64 STEs, all invalid), command and event queues reprogrammed,
// CFGI_ALL + TLBI_NSNH_ALL + TLBI_EL2_ALL + CMD_SYNC run to completion, then
// SMMUEN | EVTQEN | CMDQEN. What software cannot reset stays: memory outside the arena
// that earlier DMA wrote, the statistics, the booked slots of the timing model and the
// simulated time.
//
// Every outcome must be architectural: a transaction completes (OK or an error
// response, never TLM_INCOMPLETE_RESPONSE), a Translation Request is answered, and the
// rest (events, GERROR, CMDQ_CONS.ERR) is the model's business; anything else aborts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "support/smmu_testbench.h"

namespace smmu::fuzz {

class GuestProgram {
 public:
  // The guest arena: 64 slots of 64 KiB (room for a 64K-granule table each).
  static constexpr uint64_t kArena = test::SmmuTestbench::kTableBase;
  static constexpr unsigned kSlots = 64;
  static constexpr uint64_t kSlotSize = uint64_t{64} << 10;
  // Fixed roles after reset(): the stream table, CD tables, the command and event queue.
  static constexpr unsigned kStreamTableSlot = 0, kCdSlot = 1, kCmdqSlot = 2, kEvtqSlot = 3;
  static constexpr unsigned kStreamTableLog2 = 6, kCmdqLog2 = 8, kEvtqLog2 = 7;
  // The endpoints' StreamIDs: one answers ATC invalidations, one never does.
  static constexpr uint32_t kAnsweringSid = 1, kSilentSid = 2;

  explicit GuestProgram(test::SmmuTestbench& tb) : tb_(tb) {}

  void reset();
  // Runs the program in data[0, size); stops at its end.
  void run(const uint8_t* data, size_t size);

 private:
  test::SmmuTestbench& tb_;
};

// The testbench fuzz_guest drives: two device ports, a DMI master and two ATS endpoints
// (kAnsweringSid, kSilentSid); small caches so that eviction paths run too.
model::SmmuParams fuzz_smmu_params();
// 512 MiB (the arena included): DMA may write anywhere, and every MiB it touches stays
// allocated for the process, so a smaller memory bounds the fuzzer's RSS.
model::MemoryParams fuzz_memory();
std::vector<model::AtsEndpointParams> fuzz_endpoints();

}  // namespace smmu::fuzz
