// SPDX-License-Identifier: Apache-2.0
// Randomized bursts of commands from every CPU of a DriverSoc at once, and the check of
// what the SMMU's queues then hold (the system tests of the command queue designs, on the
// CMDQ and on ECMDQs). Each CPU's commands carry (CPU, sequence number) in their ASID
// field; the queues are large enough that each ring keeps its whole history, so the check
// reads the order the SMMU saw: every CPU's commands once each, in that CPU's order, on
// that CPU's queue, and every CMD_SYNC a CPU waited for completed after its commands
// before it (the queue's CONS, read when the wait returned, is past them).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "driver/command_queue.h"
#include "support/driver_soc.h"

namespace smmu::test {

struct CmdqBurst {
  unsigned cpu = 0;
  unsigned first_seq = 0, count = 0;
  uint64_t consumed_after_wait = 0;  // CONS as a count when the CPU's wait returned (0: no wait)
};

struct CmdqBurstRun {
  std::vector<CmdqBurst> bursts;
  std::vector<unsigned> issued;  // per CPU
  unsigned failures = 0;
  bool all_done = false;
};

// The queue a CPU issues on.
using QueueOfCpu = std::function<driver::CommandQueue&(unsigned cpu)>;

// CPU 0 brings the driver up; then every CPU runs `rounds` bursts on queue_of(cpu): a
// random pause (none before the first, so that they all start together), 0..max_batch
// commands, and a CMD_SYNC three times in four. Simulates 20 ms.
CmdqBurstRun run_cmdq_bursts(DriverSoc& soc, unsigned seed, const QueueOfCpu& queue_of,
                             unsigned rounds = 12, unsigned max_batch = 12);

// GoogleTest checks of the run against the queues' rings: queues[i] is the queue of the
// CPUs whose queue_index(cpu) is i. Returns the tagged commands found.
uint64_t check_cmdq_bursts(DriverSoc& soc, const CmdqBurstRun& run,
                           const std::vector<const driver::CommandQueue*>& queues,
                           const std::function<unsigned(unsigned cpu)>& queue_index);

}  // namespace smmu::test
