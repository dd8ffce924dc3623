// SPDX-License-Identifier: Apache-2.0
// An optional observer of the SMMU's timed steps, for traces (smmu-sim --trace). The model
// calls it only when one is attached (Smmu::set_step_recorder); without one every hook is
// a null-pointer test. It only reads times: attaching one changes no simulated time.
//
// Translation steps (micro TLB lookup, DTI request, config fetch, walk, descriptor read,
// memory access, ...) come as begin/end pairs that nest as the calls do, each at an
// absolute simulated time (sc_time_stamp() + the annotated delay of the moment). Under
// temporal decoupling a release of an Occupancy may move a step's end back in time, so
// a recorder must not assume that an end is after the ends of the steps inside it.
// Command-engine steps come whole, once finished.
#pragma once

#include <cstdint>
#include <systemc>

namespace smmu::model {

class StepRecorder {
 public:
  virtual ~StepRecorder() = default;

  // A step of the translation or access being served (name: a string literal).
  virtual void begin(const char* name, const sc_core::sc_time& at) = 0;
  virtual void end(const sc_core::sc_time& at) = 0;

  // The command engine. A PROD write to queue q (0: the CMDQ, 1 + n: ECMDQ n) made
  // commands up to `prod` (index and wrap bit of a 2^log2size queue) visible at `at`.
  virtual void prod_written(unsigned q, uint32_t prod, unsigned log2size, const sc_core::sc_time& at) = 0;
  // One fetch batch of queue q: fetched over [start, fetched), served until end.
  virtual void command_batch(unsigned q, unsigned commands, const sc_core::sc_time& start,
                             const sc_core::sc_time& fetched, const sc_core::sc_time& end) = 0;
  // One command of queue q at CONS index `cons` (index and wrap bit), run over [start, end);
  // ok: it completed (else it stopped the queue).
  virtual void command(unsigned q, uint32_t cons, unsigned log2size, uint8_t opcode, bool ok,
                       const sc_core::sc_time& start, const sc_core::sc_time& end) = 0;
};

// A translation step over a scope: begins now at `delay`, ends when the scope does at
// what `delay` has become (a reference to the caller's annotated delay).
class StepScope {
 public:
  StepScope(StepRecorder* r, const char* name, const sc_core::sc_time& delay) : r_(r), delay_(delay) {
    if (r_) r_->begin(name, sc_core::sc_time_stamp() + delay_);
  }
  ~StepScope() {
    if (r_) r_->end(sc_core::sc_time_stamp() + delay_);
  }
  StepScope(const StepScope&) = delete;
  StepScope& operator=(const StepScope&) = delete;

 private:
  StepRecorder* r_;
  const sc_core::sc_time& delay_;
};

}  // namespace smmu::model
