// SPDX-License-Identifier: Apache-2.0
// One SMMUv3 instance as the driver sees it: the features read from its ID registers,
// the reset and enable sequence, its command queue, event queue and stream table, STE
// updates, and event / global error handling. Attach and domains are elsewhere; they
// reach the device through handle() (SmmuHandle::device points back here).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "driver/command_queue.h"
#include "driver/entry_writer.h"
#include "driver/invalidation_array.h"
#include "driver/invalidation_commands.h"
#include "driver/iotlb_tags.h"
#include "driver/os.h"
#include "rtl_model/arch/event.h"
#include "rtl_model/arch/registers.h"

namespace smmu::driver {

struct SmmuDeviceOptions {
  SyncCompletion completion = SyncCompletion::kMsi;  // kMsi falls back to kConsPoll without MSI/COHACC
  uint64_t sync_timeout_ns = 1'000'000;
  uint64_t poll_ns = 100;
  uint64_t ack_timeout_ns = 1'000'000;  // CR0ACK, IRQ_CTRLACK, GBPA.UPDATE
  unsigned cmdq_log2 = 8;               // clamped to IDR1.CMDQS (ECMDQs too)
  // ECMDQs to use (IHI 0070 §3.5.6): 0 none; n: up to n of those IDR6 offers (none
  // without IDR1.ECMDQ). CPU c issues its commands on queue c % n (cmdq_for_cpu).
  unsigned ecmdqs = 0;
  CmdqDesign cmdq_design = CmdqDesign::kLocked;  // how CPUs share the command queue
  uint64_t cas_retry_ns = 0;            // kCasLoop: pause after a lost compare-and-swap
  unsigned evtq_log2 = 7;               // clamped to IDR1.EVTQS
  unsigned strtab_split = 8;            // SID bits per level-2 table
  unsigned max_sid_bits = 16;           // stream table memory cap
  bool bypass = false;                  // unattached streams bypass (else abort)
  bool e2h = false;                     // stage 1 tables are EL2 ones (CR2.E2H)
  unsigned evtq_irq = 0, gerror_irq = 1, cmd_sync_irq = 2;
  size_t event_log_size = 256;          // the first events drained are kept in the log
};

struct SmmuFeatures {
  uint32_t idr[6]{};
  bool s1 = false, s2 = false, nesting = false;
  bool gran4k = false, gran16k = false, gran64k = false;
  unsigned oas_bits = 0;
  unsigned asid_bits = 8, vmid_bits = 8;
  unsigned sid_bits = 0, ssid_bits = 0;
  bool ril = false, ats = false, pri = false, msi = false, sev = false, hyp = false;
  bool cd2l = false, two_level_strtab = false, coherent = false;
  unsigned httu = 0;
  unsigned cmdq_max_log2 = 0, evtq_max_log2 = 0;
  bool ecmdq = false;           // IDR1.ECMDQ
  unsigned ecmdq_log2numq = 0;  // IDR6: 2^n ECMDQs in each control page
  uint32_t idr6 = 0;
};

struct SmmuDeviceStats {
  uint64_t events = 0;
  uint64_t event_overflows = 0;
  uint64_t gerrors = 0;          // handle_gerror calls that found active errors
  uint64_t cmdq_ill = 0, cmdq_abt = 0, cmdq_atc_sync = 0;  // CMDQ and ECMDQ errors
  uint64_t ecmdq_errors = 0;     // of those, on ECMDQs (GERROR.CMDQP_ERR)
  uint64_t other_gerrors = 0;    // EVTQ_ABT, MSI aborts, SFM_ERR
  uint64_t ste_writes = 0, ste_syncs = 0, sync_failures = 0;
  uint64_t l2_tables = 0;
  std::map<uint8_t, uint64_t> events_by_id;
};

class SmmuDevice {
 public:
  SmmuDevice(Os& os, uint64_t mmio_base, const SmmuDeviceOptions& opts, uint32_t index = 0);
  ~SmmuDevice();
  SmmuDevice(const SmmuDevice&) = delete;
  SmmuDevice& operator=(const SmmuDevice&) = delete;

  // Reads IDR0..IDR5 and decodes the features; an unusable SMMU is reported, not fatal.
  SmmuStatus probe();
  // The architectural reset and enable sequence; memory for the queues and stream table
  // is allocated here (once).
  SmmuStatus reset();

  // --- stream table
  // Makes sid's STE exist (2-level: allocates its level-2 table, STEs aborting or
  // bypassing per the options, and publishes the level-1 descriptor).
  SmmuStatus ensure_ste(uint32_t sid);
  // Address of sid's STE; 0 when it does not exist yet or sid is out of range.
  uint64_t ste_address(uint32_t sid) const;
  // Hitless update of sid's STE to target (entry_writer), each sync = CFGI_STE + CMD_SYNC.
  // Returns the number of syncs; a failed sync is counted in stats().sync_failures.
  unsigned write_ste(uint32_t sid, const EntryWords& target);
  // CFGI_STE(sid) + CMD_SYNC.
  SmmuStatus sync_ste(uint32_t sid);
  uint32_t num_sids() const { return uint32_t{1} << strtab_log2_; }

  // --- commands
  // The normal command queue (SMMU_CMDQ_*).
  CommandQueue& cmdq() { return *cmdq_; }
  // The queue CPU cpu issues on: ECMDQ cpu % n with n ECMDQs in use, else the CMDQ.
  CommandQueue& cmdq_for_cpu(unsigned cpu);
  // The calling CPU's queue (Os::cpu_id()): what the driver's command paths use.
  CommandQueue& cpu_cmdq() { return ecmdqs_.empty() ? *cmdq_ : cmdq_for_cpu(os_.cpu_id()); }
  unsigned num_ecmdqs() const { return static_cast<unsigned>(ecmdqs_.size()); }
  CommandQueue& ecmdq(unsigned i) { return *ecmdqs_.at(i); }
  // The statistics of the CMDQ and every ECMDQ in use, summed (zero before reset()).
  CommandQueueStats queue_stats() const;
  // reset() creates the queue, probe() the tags: a run stopped before them has neither.
  bool has_cmdq() const { return cmdq_ != nullptr; }
  bool has_tags() const { return tags_ != nullptr; }
  SmmuStatus submit(const InvBatch& batch);  // with CMD_SYNC and wait when needs_sync
  // Several SMMUs: in rounds, every device's next batch (with its CMD_SYNC) is issued
  // first, then all those SYNCs are waited for, so SMMUs work in parallel while each
  // one's batches stay ordered. batch.smmu->device must be an SmmuDevice.
  static SmmuStatus issue_batches_all_then_wait(const std::vector<const InvBatch*>& batches);
  static SmmuDevice* from_handle(const SmmuHandle* h) { return static_cast<SmmuDevice*>(h->device); }
  const SmmuHandle& handle() const { return handle_; }
  // This instance's ASIDs and VMIDs (created by probe(); callers hold the attach mutex).
  IotlbTags& tags() { return *tags_; }

  // --- events and global errors
  // Reads the records between EVTQ_CONS and EVTQ_PROD (at most two queues' worth), moves
  // CONS, acknowledges an overflow. Returns the number read; appends them to out when
  // given. Counts them in stats() and keeps the first event_log_size in event_log().
  unsigned drain_events(std::vector<arch::EventRecord>* out = nullptr);
  // Handles the active GERROR bits (CMDQ_ERR per CMDQ_CONS.ERR; CMDQP_ERR per the
  // ECMDQs' CONS.ERR, each acknowledged by its ERRACK) and acknowledges them. Returns the
  // mask handled.
  uint32_t handle_gerror();

  const SmmuFeatures& features() const { return features_; }
  const SmmuDeviceOptions& options() const { return opts_; }
  SyncCompletion completion() const { return completion_; }
  unsigned cmdq_log2() const { return cmdq_log2_; }
  unsigned evtq_log2() const { return evtq_log2_; }
  uint64_t strtab_pa() const { return strtab_pa_; }
  uint64_t cmdq_pa() const { return cmdq_pa_; }
  uint64_t evtq_pa() const { return evtq_pa_; }
  bool probed() const { return probed_; }
  bool enabled() const { return enabled_; }
  const SmmuDeviceStats& stats() const { return stats_; }
  const std::deque<arch::EventRecord>& event_log() const { return event_log_; }
  uint64_t mmio_base() const { return base_; }

 private:
  uint32_t rd(uint64_t off) { return os_.mmio_read32(base_ + off); }
  void wr(uint64_t off, uint32_t v) { os_.mmio_write32(base_ + off, v); }
  // Polls reg until (value & mask) == want, at most ack_timeout_ns.
  bool poll_reg(uint64_t off, uint32_t mask, uint32_t want);
  SmmuStatus write_cr0(uint32_t v);
  SmmuStatus write_irq_ctrl(uint32_t v);
  SmmuStatus set_gbpa_abort(bool abort);
  SmmuStatus alloc_memory();
  // ECMDQs: allocates, programs and enables the queues (waiting for ENACK).
  SmmuStatus reset_ecmdqs();
  // Handles and acknowledges one queue's command error (cons: its CONS value).
  void handle_cmdq_error(CommandQueue& q, uint32_t cons);
  CommandQueueConfig queue_config(uint64_t queue_pa) const;
  void init_stes(uint64_t pa, uint32_t count);
  bool two_level() const { return strtab_log2_ > opts_.strtab_split && features_.two_level_strtab; }

  Os& os_;
  uint64_t base_;
  SmmuDeviceOptions opts_;
  SmmuHandle handle_;
  SmmuFeatures features_;
  bool probed_ = false, enabled_ = false;
  SyncCompletion completion_ = SyncCompletion::kConsPoll;
  unsigned cmdq_log2_ = 0, evtq_log2_ = 0, strtab_log2_ = 0;
  uint64_t cmdq_pa_ = 0, evtq_pa_ = 0, strtab_pa_ = 0;
  size_t strtab_bytes_ = 0;
  std::vector<uint64_t> l2_pa_;  // per level-1 descriptor; 0 = not allocated
  std::unique_ptr<CommandQueue> cmdq_;
  std::vector<std::unique_ptr<CommandQueue>> ecmdqs_;
  std::vector<uint64_t> ecmdq_pa_;  // their rings (allocated once)
  uint64_t ecmdq_page_ = 0;         // control page 0, from page 0
  std::unique_ptr<IotlbTags> tags_;
  std::unique_ptr<Lock> strtab_lock_, event_lock_, gerror_lock_;
  std::deque<arch::EventRecord> event_log_;
  SmmuDeviceStats stats_;
};

// Hands each batch of for_each_inv_batch to its SMMU device (one device at a time).
class DeviceBatchSink final : public InvBatchSink {
 public:
  void submit(const InvBatch& batch) override;
  SmmuStatus status = SmmuStatus::kOk;  // the first failure
};

}  // namespace smmu::driver
