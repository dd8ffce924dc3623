// SPDX-License-Identifier: Apache-2.0
// Set-up "tables": the scenario's command batches for one SMMU, issued as a driver
// would, by a program on driver::Os (the SoC runs it on a HostOs thread, host_os.h).
//  - At each batch's time (whole ns, the Os's clock) it writes the commands into the
//    command queue's memory and publishes them with one CMDQ_PROD write. A CMD_SYNC with
//    CS = IRQ gets MSIADDR = its own queue slot and MSIDATA 0 when the SMMU has MSIs, as
//    Linux does (the MSI clears the slot's first word).
//  - It learns progress by reading CMDQ_CONS: once per batch, every poll_ns while the
//    queue is full, and after the last batch until the queue has drained.
//  - A command error (CONS.ERR with GERROR.CMDQ_ERR active) is handled as Linux's
//    arm_smmu_cmdq_skip_err: CERROR_ILL replaces the command with a CMD_SYNC (CS none),
//    an abort is retried, an ATC_INV_SYNC repeats its CMD_SYNC; then GERRORN
//    acknowledges it and the queue resumes (IHI 0070 7.1).
#pragma once

#include <cstdint>
#include <vector>

#include "driver/os.h"
#include "platform/scenario/scenario.h"

namespace smmu::platform {

// One SMMU's command queue, as the set-up placed it.
struct CommandQueuePlace {
  uint64_t window = 0;  // PA of the SMMU's register window
  uint64_t base = 0;    // PA of the queue
  unsigned log2 = 0;    // 2^log2 entries
  bool msi = false;     // IDR0.MSI: CMD_SYNC completion by MSI
};

class CommandProgram {
 public:
  // The batches of `all` for SMMU `smmu`, by time (scenario order at equal times).
  CommandProgram(const std::vector<CommandBatchSpec>& all, unsigned smmu, uint64_t poll_ns);

  bool empty() const { return batches_.empty(); }
  // Where the queue is; before run().
  void place(const CommandQueuePlace& q) { q_ = q; }
  // Issues every batch, then waits until the SMMU has consumed them all.
  void run(driver::Os& os);

  uint32_t prod() const { return prod_; }
  uint32_t cons() const { return cons_; }  // as last read
  uint64_t errors_handled() const { return errors_handled_; }

 private:
  // Reads CMDQ_CONS, handling a command error it reports.
  void refresh_cons(driver::Os& os);
  void write_command(driver::Os& os, uint32_t index, const arch::Command& c);
  uint64_t slot(uint32_t ptr) const;

  struct Batch {
    uint64_t at_ns;
    const std::vector<arch::Command>* commands;
  };
  std::vector<Batch> batches_;
  uint64_t poll_ns_;
  CommandQueuePlace q_;
  uint32_t prod_ = 0, cons_ = 0;
  uint64_t errors_handled_ = 0;
};

}  // namespace smmu::platform
