// SPDX-License-Identifier: Apache-2.0
// Set-up "tables": what bare-metal firmware sets up for a scenario's SMMU before the
// run, without the driver (the SoC calls it at elaboration; commands then come from
// command_program.h).
//  - build_smmu_tables: the stream table (2-level, split 8, when implemented; up to 16
//    SID bits it covers every SID, beyond just the configured ones), the event queue,
//    a command queue of 2^min(8, CMDQS) entries when asked, and each stream's STE with
//    its CDs and page tables (stage 1, stage 2, nested with the guest's structures in
//    a window of the region mapped IPA == PA), written by the table builders.
//  - program_smmu: a probe's register writes for what was built: STRTAB_BASE/_CFG,
//    CR2 (RECINVSID), EVTQ_BASE/PROD/CONS, CMDQ_BASE/PROD/CONS (with a command queue), IRQ_CTRL, CR0.
#pragma once

#include <cstdint>
#include <functional>

#include "platform/scenario/scenario.h"
#include "platform/software/table_builder.h"

namespace smmu::platform {

// Where the set-up put one SMMU's stream table and queues.
struct SmmuTables {
  uint64_t strtab_base_reg = 0, strtab_base_cfg = 0;
  uint64_t evtq_base = 0;
  unsigned evtq_log2 = 0;
  uint64_t cmdq_base = 0;  // 0: no command queue
  unsigned cmdq_log2 = 0;
};

// The tables of scenario's SMMU `smmu`, from `alloc`, written through `mem`. Throws
// ConfigError naming the stream (or the SMMU) when they do not fit.
SmmuTables build_smmu_tables(const Scenario& scenario, unsigned smmu, bool command_queue, MemoryWriter& mem,
                             PageAllocator& alloc);

// A register write at `offset` in the SMMU's window (size 4 or 8 bytes).
using RegisterWrite = std::function<void(uint64_t offset, unsigned size, uint64_t value)>;
// Enables the SMMU on `t`, with CR0.ATSCHK when atschk.
void program_smmu(const SmmuTables& t, bool atschk, const RegisterWrite& write);

}  // namespace smmu::platform
