// SPDX-License-Identifier: Apache-2.0
// smmu-sim --trace: a Chrome/Perfetto trace-event JSON of the run, for seeing why a
// transaction was slow.
//
// Tracks (pid, tid):
// - pid i = SMMU i. tid 0, "command engine": each fetch batch ("batch", with its "fetch"
//   and each command, CMD_SYNC included, as children). tids 1.. are lanes of the devices
//   (SMMU ports): each transaction goes on the first lane of its device that is free at
//   its start, so slices on one tid never partially overlap. A transaction ("read",
//   "write", "... fault", or an ATS device's "ATS translation request") has its steps as
//   children, as the model timed them (rtl_model/smmu/step_recorder.h): micro TLB lookup,
//   DTI request (link, TCU: translation slot wait, config (STE/CD) with its reads, TCU
//   TLB lookup, table walk with each descriptor read), memory access.
// - pid N (N = SMMU count), "CPUs": tid c = CPU c, with the driver's set-up, each driver
//   op and each workload run as a slice. Flow arrows ("s"/"f") go from the piece of
//   driver work whose CMDQ_PROD / ECMDQ_PROD write published a command to that command.
// ts and dur are microseconds (picosecond resolution). Steps are kept inside their
// parents: a step whose end the model moved back (an Occupancy release) is stretched to
// cover its children, a step starts no earlier than its previous sibling ended, and
// every step is clamped to its transaction.
//
// At most `limit` transactions (and as many commands) are kept, the first ones; the rest
// are counted (dropped()) and said in otherData.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "platform/scenario/scenario.h"
#include "rtl_model/smmu/step_recorder.h"

namespace smmu::platform {

struct TransactionRecord;

class TransactionTrace {
 public:
  static constexpr size_t kDefaultLimit = 100000;

  explicit TransactionTrace(size_t limit = kDefaultLimit);
  ~TransactionTrace();
  TransactionTrace(const TransactionTrace&) = delete;
  TransactionTrace& operator=(const TransactionTrace&) = delete;

  // What SMMU i's model reports to (Smmu::set_step_recorder).
  model::StepRecorder& recorder(unsigned smmu);
  // Which CPU's thread is running (-1: none), for linking PROD writes to driver work.
  std::function<int()> current_cpu;

  // A transaction starts (its steps follow) and ends (record). record() alone works too
  // (a transaction without steps).
  void begin_transaction();
  void record(const TransactionRecord& r);
  // A CPU begins / ends a piece of driver work (what: "driver set-up", an op's name, ...).
  void cpu_work(unsigned cpu, const std::string& what, bool begin, const sc_core::sc_time& at);

  size_t recorded() const { return txs_.size(); }
  uint64_t dropped() const { return dropped_; }
  size_t limit() const { return limit_; }
  size_t commands() const { return cmds_.size(); }

  // The whole document (for tests; write() streams the same text).
  nlohmann::json to_json(const Scenario& scenario) const;
  // Throws std::runtime_error "cannot write trace <path>: <reason>".
  void write(const std::string& path, const Scenario& scenario) const;
  void write(std::ostream& out, const Scenario& scenario) const;

 private:
  class SmmuRecorder;
  struct Step {
    const char* name;
    uint64_t start_ps, end_ps;
    uint16_t depth;  // 1: a child of the transaction
  };
  struct Open {
    size_t index;      // into pending_
    uint64_t cursor;   // the latest end of its children so far
  };
  struct Tx {
    uint64_t start_ps, end_ps, address;
    uint32_t sid;
    uint32_t traffic;
    int32_t ats_device;
    uint16_t smmu, port;
    bool write, ok, ats_request;
    size_t first_step, steps;
  };
  struct Publish {
    uint32_t prod;
    int activity;
    uint64_t at_ps;
  };
  struct Batch {
    uint16_t smmu, queue;
    unsigned commands;
    uint64_t start_ps, fetched_ps, end_ps;
  };
  struct Cmd {
    uint16_t smmu, queue;
    uint8_t opcode;
    bool ok;
    uint32_t cons;
    uint64_t start_ps, end_ps;
    int activity;        // the driver work that published it, or -1
    uint64_t publish_ps;
  };
  struct Activity {
    unsigned cpu;
    std::string name;
    uint64_t start_ps, end_ps;
    bool open;
  };

  void step_begin(const char* name, const sc_core::sc_time& at);
  void step_end(const sc_core::sc_time& at);
  void prod_written(unsigned smmu, unsigned q, uint32_t prod, const sc_core::sc_time& at);
  void command(unsigned smmu, unsigned q, uint32_t cons, unsigned log2size, uint8_t opcode, bool ok,
               const sc_core::sc_time& start, const sc_core::sc_time& end);
  void batch(unsigned smmu, unsigned q, unsigned commands, const sc_core::sc_time& start,
             const sc_core::sc_time& fetched, const sc_core::sc_time& end);
  std::deque<Publish>& publishes(unsigned smmu, unsigned q);

  size_t limit_;
  std::vector<std::unique_ptr<SmmuRecorder>> recorders_;
  bool collecting_ = false;
  std::vector<Step> pending_;  // the current transaction's steps, in begin order
  std::vector<Open> open_;
  uint64_t top_cursor_ = 0;  // the latest end of the transaction's own steps so far
  std::vector<Step> steps_;
  std::vector<Tx> txs_;
  uint64_t dropped_ = 0;
  std::vector<Batch> batches_;
  std::vector<Cmd> cmds_;
  uint64_t commands_dropped_ = 0;
  std::vector<std::vector<std::deque<Publish>>> publishes_;  // [smmu][queue]
  std::vector<Activity> activities_;
  std::vector<int> current_activity_;  // per CPU
};

}  // namespace smmu::platform
