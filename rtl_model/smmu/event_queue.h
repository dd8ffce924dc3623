// SPDX-License-Identifier: Apache-2.0
// The event queue in memory: the SMMU writes 32-byte records at EVTQ_PROD and software
// consumes them through EVTQ_CONS. A full queue loses the event and flags the overflow
// (PROD.OVFLG toggles until software acknowledges it by copying it into CONS). A record
// that cannot be written is reported as kAbort (the SMMU raises GERROR.EVTQ_ABT_ERR).
#pragma once

#include <systemc>

#include "rtl_model/arch/event.h"
#include "rtl_model/smmu/memory_port.h"
#include "rtl_model/smmu/register_file.h"

namespace smmu::model {

class EventQueue {
 public:
  enum class Outcome { kWritten, kDisabled, kOverflow, kAbort };

  EventQueue(RegisterFile& regs, MemoryPort& mem) : regs_(regs), mem_(mem) {}

  // Writes the record (its memory write time is added to delay). became_non_empty is set
  // when the queue went from empty to non-empty, which is when an interrupt is due.
  Outcome post(const arch::EventRecord& ev, sc_core::sc_time& delay, bool& became_non_empty);

 private:
  RegisterFile& regs_;
  MemoryPort& mem_;
};

}  // namespace smmu::model
