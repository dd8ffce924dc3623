// SPDX-License-Identifier: Apache-2.0
// A command queue of one SMMU instance: the CMDQ, or one of its ECMDQs (IHI 0070 §3.5.6),
// shared by the CPUs running the driver that use it.
//
// A CPU reserves slots, writes its commands and publishes them with one CMDQ_PROD write,
// all under one lock; it then waits for its own CMD_SYNC only, outside the lock. Slots
// are tracked by a 64-bit count of entries ever produced, so "has CONS passed my SYNC"
// stays exact however often the queue wraps: CONS (index + wrap bit) is always within
// one queue size behind that count.
//
// CMD_SYNC completion, as chosen by the device:
//   kMsi      CS = IRQ, MSIADDR = the SYNC's own slot, MSIDATA = 0: the SMMU's MSI
//             zeroes the first word of the slot, which the CPU polls (cheap memory reads).
//   kConsPoll CS = SEV: the CPU polls CMDQ_CONS until it has passed the SYNC.
//   kIrq      CS = IRQ without an MSI address: the wired cmd_sync interrupt, then CONS.
// Every wait is bounded (timeout -> SmmuStatus::kSyncTimeout, never a hang). A command
// error seen while waiting (CMDQ_CONS.ERR) is handed to the device's GERROR handling,
// then the wait goes on. A CMD_SYNC that failed with CERROR_ATC_INV_SYNC (IHI 0070
// §3.9.1.4: an ATC invalidation before it did not complete in time) completes once the
// error is acknowledged, but its waiter gets kAtcInvTimeout: the device may still hold
// the translations.
//
// An ECMDQ differs in its registers only: every PROD write carries EN and the ERRACK the
// queue last acknowledged; an error toggles CONS.ERR (reason in ERR_REASON) and the
// queue stops until ERRACK is toggled to match (acknowledge_error), while the others
// go on. Its PROD writes are serialised by a lock of their own, so an acknowledge never
// crosses a publish with a stale ERRACK or PROD.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "driver/invalidation_commands.h"
#include "driver/os.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/arch/registers.h"

namespace smmu::driver {

enum class SmmuStatus : uint8_t {
  kOk = 0,
  kNoTranslation,      // IDR0: neither stage 1 nor stage 2
  kBadTtf,             // IDR0.TTF: no AArch64 tables
  kBadEndian,          // IDR0.TTENDIAN: no little-endian walks
  kNoGranule,          // IDR5: no translation granule
  kPresetUnsupported,  // IDR1: tables or queues at fixed addresses
  kNotProbed,          // reset() before a successful probe()
  kNoMemory,           // dma_alloc failed
  kAckTimeout,         // CR0ACK / IRQ_CTRLACK / GBPA.UPDATE did not follow in time
  kSyncTimeout,        // CMD_SYNC not complete in time
  kQueueTimeout,       // no room in the command queue in time
  kBadStreamId,        // sid beyond the stream table
  kIncompatible,       // a domain this SMMU cannot use (stage, granule, address sizes)
  kTagExhausted,       // no free ASID or VMID on this SMMU
  kInvalidArgument,    // a request the driver refuses (bad range, wrong domain type, ...)
  kBusy,               // still in use (a domain with masters, a vSMMU with domains)
  kAtcInvTimeout,      // the CMD_SYNC failed with CERROR_ATC_INV_SYNC: an ATC did not answer
};
const char* to_string(SmmuStatus s);

enum class SyncCompletion : uint8_t { kMsi, kConsPoll, kIrq };
const char* to_string(SyncCompletion c);

// How CPUs share the queue (command_queue_lockfree.cpp for the two lock-free ones).
//   kLocked     one spinlock around reserve, write and publish (this model's first design).
//   kCasLoop    Linux's lock-free queue as merged in 2019: a CPU reserves its slots with a
//               compare-and-swap loop on one word holding PROD, an OWNED flag and a cached
//               CONS (which sync waiters also update), writes its commands, marks them in a
//               valid bitmap; the first CPU of a gather is the owner, which waits for the
//               previous owner, stops the gather, waits for the valid bits and writes PROD
//               for everyone.
//   kFetchAdd   the 2020 improvement ("Improve cmdq lock efficiency"): PROD and a count of
//               gathered CPUs in one word, reserved with one fetch-and-add that never fails;
//               space is checked after reserving, against a CONS cached in a word of its own.
enum class CmdqDesign : uint8_t { kLocked, kCasLoop, kFetchAdd };
const char* to_string(CmdqDesign d);

struct CommandQueueConfig {
  uint64_t mmio_base = 0;    // the SMMU's register window
  // The queue's PROD and CONS registers, from mmio_base: the CMDQ's, or an ECMDQ's in a
  // control page (then ecmdq is set).
  uint64_t prod_offset = arch::reg::kCmdqProd;
  uint64_t cons_offset = arch::reg::kCmdqCons;
  bool ecmdq = false;
  uint64_t queue_pa = 0;     // 2^log2size * 16 bytes, DMA memory
  unsigned log2size = 8;
  SyncCompletion completion = SyncCompletion::kConsPoll;
  uint64_t sync_timeout_ns = 1'000'000;
  uint64_t poll_ns = 100;        // between two polls
  unsigned cons_check_every = 16;  // kMsi: read CONS (errors, passed SYNC) every n polls
  bool use_wfe = false;          // kConsPoll: wait_for_event between polls (SEV wakes)
  unsigned cmd_sync_irq = 0;     // kIrq
  CmdqDesign design = CmdqDesign::kLocked;
  uint64_t cas_retry_ns = 0;     // kCasLoop: pause before retrying a compare-and-swap that lost
};

struct CommandQueueStats {
  uint64_t commands = 0;     // excluding CMD_SYNCs
  uint64_t syncs = 0;
  uint64_t publishes = 0;    // CMDQ_PROD writes
  uint64_t full_waits = 0;   // polls while the queue lacked room
  uint64_t sync_polls = 0;
  uint64_t sync_timeouts = 0;
  uint64_t queue_timeouts = 0;
  uint64_t errors_seen = 0;  // CONS.ERR found set while waiting
  uint64_t ill_skipped = 0;  // commands replaced by CMD_SYNC after CERROR_ILL
  // Lock-free designs.
  uint64_t reservations = 0;   // slot ranges reserved
  uint64_t cas_attempts = 0, cas_failures = 0;  // kCasLoop's reservation loop
  uint64_t owner_gathers = 0;  // times a CPU was the owner and published for others
  uint64_t gathered = 0;       // reservations published by an owner, its own included
  uint64_t cons_refreshes = 0; // CMDQ_CONS reads to update the cached CONS (queue full)
};

// into += s, field by field (a device's queues summed).
void accumulate(CommandQueueStats& into, const CommandQueueStats& s);

// A published CMD_SYNC: its sequence number (entries produced before it) and its slot.
struct SyncTicket {
  uint64_t seq = 0;
  uint64_t slot_pa = 0;
  bool valid = false;
  bool shared_lock = false;  // lock-free designs: wait() drops the queue's shared lock
};

// Atomic words a lock-free queue of that many entries uses.
size_t lockfree_words(uint32_t entries);

class CommandQueue {
 public:
  // on_error: the device's GERROR handling (called without the queue lock held by the
  // waiter, possibly with it held by a CPU waiting for room; it must not take it).
  CommandQueue(Os& os, const CommandQueueConfig& cfg, std::function<void()> on_error);
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // Writes n commands (and a CMD_SYNC when sync) and publishes them; waits only for
  // room. *ticket (optional) gets the SYNC to wait for.
  SmmuStatus issue(const arch::Command* cmds, size_t n, bool sync, SyncTicket* ticket = nullptr);
  // Waits until that SYNC has completed.
  SmmuStatus wait(const SyncTicket& ticket);
  // issue() then wait().
  SmmuStatus issue_and_wait(const arch::Command* cmds, size_t n, bool sync = true);
  SmmuStatus issue_and_wait(const std::vector<arch::Command>& cmds, bool sync = true) {
    return issue_and_wait(cmds.data(), cmds.size(), sync);
  }

  // Up to kMaxBatchCommands commands for this queue.
  class Batch {
   public:
    explicit Batch(CommandQueue& q) : q_(q) {}
    // Adds c; a full batch is issued first (without CMD_SYNC) and the batch starts again.
    SmmuStatus add(const arch::Command& c);
    // Issues what is left and, when sync, a CMD_SYNC, and waits for it.
    SmmuStatus submit(bool sync = true);
    size_t size() const { return num_; }
    CommandQueue& queue() const { return q_; }

   private:
    CommandQueue& q_;
    std::array<arch::Command, kMaxBatchCommands> cmds_{};
    size_t num_ = 0;
  };

  // --- errors. cons: a CONS value of this queue.
  // The queue is stopped by an error: CMDQ_CONS.ERR != 0 (meaningful while
  // GERROR.CMDQ_ERR is active), or ECMDQ_CONS.ERR != the ERRACK last written.
  bool error_pending(uint32_t cons) const;
  arch::reg::CmdqError error_reason(uint32_t cons) const;
  // ECMDQ: ERRACK := CONS.ERR in a PROD write; the queue resumes.
  void acknowledge_error(uint32_t cons);
  // ECMDQ: the first PROD write, with EN (the device waits for CONS.ENACK); and one
  // without EN to disable it.
  void enable_ecmdq();
  void disable_ecmdq();
  uint32_t read_cons();
  uint64_t prod_address() const { return cfg_.mmio_base + cfg_.prod_offset; }
  uint64_t cons_address() const { return cfg_.mmio_base + cfg_.cons_offset; }
  bool is_ecmdq() const { return cfg_.ecmdq; }

  // CERROR_ILL recovery: the command at CONS becomes a CMD_SYNC (CS = SEV), which the
  // SMMU runs when the error is acknowledged. cons: the CONS value.
  void replace_with_sync(uint32_t cons);
  // CERROR_ATC_INV_SYNC: the CMD_SYNC at CONS failed; its waiter will get kAtcInvTimeout.
  void note_atc_inv_sync_error(uint32_t cons);

  // The CMD_SYNC this queue uses (CS per completion mode; slot_pa for kMsi).
  arch::Command make_sync(uint64_t slot_pa) const;

  uint64_t slot_pa(uint32_t ptr) const;
  unsigned log2size() const { return cfg_.log2size; }
  uint32_t entries() const { return uint32_t{1} << cfg_.log2size; }
  SyncCompletion completion() const { return cfg_.completion; }
  uint64_t produced() const { return prod64_.load(); }
  // Entries consumed so far, from a CMDQ_CONS value (exact across wraps).
  uint64_t consumed_from(uint32_t cons) const;
  const CommandQueueStats& stats() const { return stats_; }

 private:
  // Makes the first p entries visible to the SMMU (a PROD write).
  void write_prod(uint64_t p);
  // ECMDQ: the PROD value for what is published, with EN and ERRACK; under prod_lock_.
  uint32_t ecmdq_prod_value(bool en) const;
  SmmuStatus wait_sync(const SyncTicket& t);
  // Polls until n slots are free; called with the lock held.
  SmmuStatus wait_for_room(uint32_t n);
  void check_error(uint32_t cons);
  bool passed(const SyncTicket& t, uint32_t cons) const { return consumed_from(cons) > t.seq; }
  // True (once) when the SYNC with this sequence number failed.
  bool take_atc_inv_failure(uint64_t seq);

  // --- the lock-free designs (command_queue_lockfree.cpp)
  struct Reservation {
    uint64_t start = 0;  // entries produced before the first slot
    bool owner = false;
  };
  SmmuStatus issue_lockfree(const arch::Command* cmds, size_t n, bool sync, SyncTicket* ticket);
  SmmuStatus reserve_cas(uint32_t k, Reservation& r);
  void raise_cached_cons(uint64_t consumed);  // kFetchAdd
  SmmuStatus reserve_fetch_add(uint32_t k, Reservation& r);
  void write_slots(const arch::Command* cmds, size_t n, bool sync, uint64_t start, SyncTicket* ticket);
  void mark_valid(uint64_t start, uint32_t k);
  SmmuStatus publish_as_owner(uint64_t start);
  bool exclusive_trylock();
  void exclusive_unlock();
  void shared_lock();
  // Drops the shared lock; the last holder leaves, writing the CONS it knows to the cache.
  void shared_unlock_with_cons(uint64_t consumed);
  // A count stored in `width` bits, made whole again relative to the published count.
  uint64_t unwrap(uint64_t bits, unsigned width) const;

  Os& os_;
  CommandQueueConfig cfg_;
  std::function<void()> on_error_;
  std::unique_ptr<Lock> lock_;
  std::atomic<uint64_t> prod64_{0};  // entries produced (== CMDQ_PROD as a count)
  // Sequence numbers of CMD_SYNCs that failed with ATC_INV_SYNC and whose waiter has not
  // looked yet; bounded (the oldest go first) for SYNCs nobody waits for.
  // The count lets a waiter skip the lock (and its cost) when nothing failed.
  std::unique_ptr<Lock> failed_lock_;
  std::vector<uint64_t> failed_syncs_;
  std::atomic<size_t> num_failed_{0};
  // ECMDQ: the PROD writes' lock, the highest count written and the ERRACK to write.
  std::unique_ptr<Lock> prod_lock_;
  uint64_t hw_prod_ = 0;
  std::atomic<bool> errack_{false};
  // Lock-free designs: the shared words (a line each, then the valid bitmap).
  std::unique_ptr<AtomicWords> words_;
  CommandQueueStats stats_;
};

}  // namespace smmu::driver
