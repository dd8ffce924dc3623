// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/event_queue.h"

namespace smmu::model {

namespace r = arch::reg;

EventQueue::Outcome EventQueue::post(const arch::EventRecord& ev, sc_core::sc_time& delay,
                                     bool& became_non_empty) {
  became_non_empty = false;
  if (!regs_.cr0().evtqen) return Outcome::kDisabled;
  const auto base = regs_.evtq_base();
  const uint32_t prod = regs_.evtq_prod();
  const uint32_t cons = regs_.evtq_cons();
  if (r::queue_full(prod, cons, base.log2size)) {
    // Flag the loss once; it stays flagged until software acknowledges it.
    if (r::queue_ovflg(prod) == r::queue_ovflg(cons))
      regs_.set_evtq_prod(r::with_queue_ovflg(prod, !r::queue_ovflg(prod)));
    return Outcome::kOverflow;
  }
  const arch::EventWords words = ev.encode();
  const uint64_t addr = base.addr + uint64_t{r::queue_index(prod, base.log2size)} * r::kEventBytes;
  if (!mem_.write(addr, words.data(), r::kEventBytes, delay)) return Outcome::kAbort;
  became_non_empty = r::queue_empty(prod, cons, base.log2size);
  regs_.set_evtq_prod(r::queue_increment(prod, base.log2size));
  return Outcome::kWritten;
}

}  // namespace smmu::model
