// SPDX-License-Identifier: Apache-2.0
// The command queue's lock-free designs (CmdqDesign::kCasLoop and kFetchAdd), the way
// Linux's arm-smmu-v3 driver shares one queue between CPUs without a lock (the ideas of
// arm_smmu_cmdq_issue_cmdlist and its 2020 rework; our own code). Every shared word is
// an AtomicWords word, so on the platform each access has a cache-line cost and CPUs that
// contend for a word wait for each other (platform/cpu/sc_sync.h).
//
// Words (each kind on a line of its own, as the kernel aligns them):
//   kProd   kCasLoop: bits [30:0] entries reserved (mod 2^31), bit 31 OWNED (a gather is
//           open: its owner has not yet stopped it), bits [62:32] entries consumed as last
//           seen (mod 2^31): a cached CONS, which CPUs update when the queue looks full
//           and the last CMD_SYNC waiter updates when it leaves, so every CONS update also
//           fails the compare-and-swaps in flight.
//           kFetchAdd: bits [31:0] entries reserved (mod 2^32), bits [63:32] CPUs that
//           joined the open gather; the first (it reads 0) is its owner.
//   kOwner  entries published by the last owner (64-bit count): the next owner waits for
//           it to reach its own first slot, so owners publish in order.
//   kLock   the shared lock of CMD_SYNC waiters (a count; bit 63 = held exclusive by a CPU
//           refreshing the cached CONS from CMDQ_CONS), as Linux's cmdq->lock.
//   kCons   kFetchAdd: entries consumed as last seen (64-bit), a cached CONS of its own.
//   kValid.. one bit per slot, toggled by the writer of each lap: a slot holds a command of
//           lap L (entry count / queue size) when its bit differs from L's parity.
//
// An owner publishes the valid prefix of its gather as it becomes valid (one CMDQ_PROD
// write when everything is already written, as usual), not the whole gather at once:
// with kFetchAdd a CPU of the gather may still wait for room, and its room depends on
// the SMMU consuming the entries before it.
#include <algorithm>

#include "driver/command_queue.h"

namespace smmu::driver {

namespace {

constexpr size_t kProd = 0;
constexpr size_t kOwner = AtomicWords::kWordsPerLine;
constexpr size_t kLock = 2 * AtomicWords::kWordsPerLine;
constexpr size_t kCons = 3 * AtomicWords::kWordsPerLine;
constexpr size_t kValid = 4 * AtomicWords::kWordsPerLine;

constexpr uint64_t kMask31 = (uint64_t{1} << 31) - 1;
constexpr uint64_t kMask32 = (uint64_t{1} << 32) - 1;
constexpr uint64_t kOwnedFlag = uint64_t{1} << 31;
constexpr uint64_t kExclusive = uint64_t{1} << 63;
constexpr uint64_t kJoin = uint64_t{1} << 32;  // kFetchAdd: one more CPU in the gather

uint64_t cas_word(uint64_t prod, bool owned, uint64_t cons) {
  return (prod & kMask31) | (owned ? kOwnedFlag : 0) | ((cons & kMask31) << 32);
}

}  // namespace

const char* to_string(CmdqDesign d) {
  switch (d) {
    case CmdqDesign::kLocked: return "locked";
    case CmdqDesign::kCasLoop: return "cas_loop";
    case CmdqDesign::kFetchAdd: return "fetch_add";
  }
  return "unknown";
}

size_t lockfree_words(uint32_t entries) { return kValid + (entries + 63) / 64; }

uint64_t CommandQueue::unwrap(uint64_t bits, unsigned width) const {
  // Every count kept in a word is within 2^(width-1) of what is published (reservations
  // ahead of it by less than the queue size and the CPUs' batches, CONS behind it by at
  // most the queue size): the signed distance makes it whole again.
  const uint64_t base = prod64_.load();
  const uint64_t mask = (uint64_t{1} << width) - 1;
  const uint64_t d = (bits - base) & mask;
  return d & (uint64_t{1} << (width - 1)) ? base - ((mask + 1) - d) : base + d;
}

bool CommandQueue::exclusive_trylock() {
  uint64_t expected = 0;
  return words_->compare_exchange(kLock, expected, kExclusive);
}

void CommandQueue::exclusive_unlock() {
  // Shared lockers that arrived meanwhile keep their increments: they hold the lock as
  // soon as the flag goes. (Linux writes 0 and has them retry with a cmpxchg. Modelled
  // that way, CPUs refreshing CONS of a queue that looks full take the lock again and
  // again ahead of an owner that waits for its shared lock before it publishes, and
  // nothing moves: AFullQueueDelaysButNeverStops found it with a 32-entry queue.)
  words_->fetch_and(kLock, ~kExclusive);
}

void CommandQueue::shared_lock() {
  if ((words_->fetch_add(kLock, 1) & kExclusive) == 0) return;
  uint64_t v = words_->load(kLock);
  while (v & kExclusive) v = words_->wait_change(kLock, v, cfg_.sync_timeout_ns);
}

void CommandQueue::shared_unlock_with_cons(uint64_t consumed) {
  // Not the last holder: just leave (decrement unless we are the only one).
  uint64_t v = words_->load(kLock);
  while (v != 1) {
    if (words_->compare_exchange(kLock, v, v - 1)) return;
  }
  // The last one out publishes the CONS it knows: nobody is between it and PROD.
  if (cfg_.design == CmdqDesign::kCasLoop)
    words_->store_bits(kProd, kMask31 << 32, (consumed & kMask31) << 32);
  else
    raise_cached_cons(consumed);
  words_->fetch_add(kLock, ~uint64_t{0});  // -1
}

void CommandQueue::raise_cached_cons(uint64_t consumed) {
  // kFetchAdd's cached CONS only moves forward, whoever updates it.
  uint64_t v = words_->load(kCons);
  while (consumed > v && !words_->compare_exchange(kCons, v, consumed)) {
  }
}

SmmuStatus CommandQueue::reserve_cas(uint32_t k, Reservation& res) {
  const uint64_t start_ns = os_.now_ns();
  uint64_t llq = words_->load(kProd);
  for (;;) {
    const uint64_t prod = unwrap(llq & kMask31, 31);
    const uint64_t cons = unwrap((llq >> 32) & kMask31, 31);
    if (prod + k - cons > entries()) {
      // Looks full: one CPU refreshes the cached CONS from the SMMU, the others wait for
      // the word to change.
      if (os_.now_ns() - start_ns >= cfg_.sync_timeout_ns) {
        ++stats_.queue_timeouts;
      }
      ++stats_.full_waits;
      if (exclusive_trylock()) {
        const uint32_t hw = read_cons();
        check_error(hw);
        ++stats_.cons_refreshes;
        const uint64_t consumed = consumed_from(hw);
        words_->store_bits(kProd, kMask31 << 32, (consumed & kMask31) << 32);
        exclusive_unlock();
        if (consumed == cons) os_.delay_ns(cfg_.poll_ns);
        llq = words_->load(kProd);
      } else {
        llq = words_->wait_change(kProd, llq, cfg_.poll_ns);
      }
      continue;
    }
    uint64_t expected = llq;
    ++stats_.cas_attempts;
    if (words_->compare_exchange(kProd, expected, cas_word(prod + k, true, cons))) {
      res.start = prod;
      res.owner = (llq & kOwnedFlag) == 0;
      return SmmuStatus::kOk;
    }
    ++stats_.cas_failures;
    llq = expected;
    if (cfg_.cas_retry_ns) os_.delay_ns(cfg_.cas_retry_ns);
  }
}

SmmuStatus CommandQueue::reserve_fetch_add(uint32_t k, Reservation& res) {
  const uint64_t old = words_->fetch_add(kProd, kJoin + k);
  res.start = unwrap(old & kMask32, 32);
  res.owner = (old >> 32) == 0;
  // Room is checked after reserving: wait until the SMMU has consumed enough.
  const uint64_t start_ns = os_.now_ns();
  uint64_t consumed = words_->load(kCons);
  while (res.start + k - consumed > entries()) {
    if (os_.now_ns() - start_ns >= cfg_.sync_timeout_ns) {
      ++stats_.queue_timeouts;
    }
    ++stats_.full_waits;
    // Unlike the CAS loop, this CPU already holds slots that owners and CMD_SYNC waiters
    // (holders of the shared lock) may wait for: it cannot wait for one of them to
    // refresh CONS, so it reads CMDQ_CONS itself.
    const uint32_t hw = read_cons();
    check_error(hw);
    ++stats_.cons_refreshes;
    const uint64_t now = consumed_from(hw);
    raise_cached_cons(now);
    if (now <= consumed) os_.delay_ns(cfg_.poll_ns);
    consumed = std::max(consumed, now);
  }
  return SmmuStatus::kOk;
}

void CommandQueue::write_slots(const arch::Command* cmds, size_t n, bool sync, uint64_t start,
                               SyncTicket* ticket) {
  const size_t total = n + (sync ? 1 : 0);
  for (size_t i = 0; i < total; ++i) {
    const uint64_t p = start + i;
    const uint64_t slot = slot_pa(static_cast<uint32_t>(p));
    arch::Command c;
    if (i < n) {
      c = cmds[i];
      ++stats_.commands;
    } else {
      c = make_sync(slot);
      ++stats_.syncs;
      if (ticket) *ticket = SyncTicket{p, slot, true, false};
    }
    os_.write64(slot, c.dw[0]);
    os_.write64(slot + 8, c.dw[1]);
  }
  // The commands are visible (to the SMMU) before the valid bits are (to the owner).
  os_.dma_wmb();
}

void CommandQueue::mark_valid(uint64_t start, uint32_t k) {
  // One fetch_xor per bitmap word the range covers (it may wrap around the ring).
  const uint32_t mask_idx = entries() - 1;
  uint64_t p = start;
  const uint64_t end = start + k;
  while (p < end) {
    const uint32_t idx = static_cast<uint32_t>(p) & mask_idx;
    const uint32_t bit = idx % 64;
    const uint64_t run = std::min<uint64_t>({end - p, 64 - bit, uint64_t{entries()} - idx});
    const uint64_t bits = (run == 64 ? ~uint64_t{0} : ((uint64_t{1} << run) - 1)) << bit;
    words_->fetch_xor(kValid + idx / 64, bits);
    p += run;
  }
}

SmmuStatus CommandQueue::publish_as_owner(uint64_t start) {
  const uint64_t start_ns = os_.now_ns();
  auto timed_out = [&] { return os_.now_ns() - start_ns >= cfg_.sync_timeout_ns; };
  // Owners publish in order: wait for the one before.
  uint64_t prev = words_->load(kOwner);
  while (prev != start) {
    if (timed_out()) return SmmuStatus::kSyncTimeout;
    prev = words_->wait_change(kOwner, prev, cfg_.sync_timeout_ns);
  }
  // Close the gather: whoever reserves next becomes the next owner.
  const uint64_t old = cfg_.design == CmdqDesign::kCasLoop ? words_->fetch_and(kProd, ~kOwnedFlag)
                                                           : words_->fetch_and(kProd, kMask32);
  const uint64_t end = cfg_.design == CmdqDesign::kCasLoop ? unwrap(old & kMask31, 31)
                                                           : unwrap(old & kMask32, 32);
  ++stats_.owner_gathers;
  // Publish what is valid, in order, until the whole gather is out.
  const uint32_t mask_idx = entries() - 1;
  uint64_t p = start;
  while (p < end) {
    // One valid bit per slot tells two laps apart, not three. With kFetchAdd a gather
    // may reach more than a lap past CONS (CPUs reserve before they wait for room), and
    // a slot whose previous lap is not yet written would look valid: only slots within
    // a lap of a known CONS are judged (writers wait for that much room too).
    const uint64_t limit = cfg_.design == CmdqDesign::kFetchAdd ? std::min(end, words_->load(kCons) + entries())
                                                              : end;
    uint64_t q = p;
    while (q < limit) {
      const uint32_t idx = static_cast<uint32_t>(q) & mask_idx;
      const uint64_t word = words_->load(kValid + idx / 64);
      const uint64_t parity = (q >> cfg_.log2size) & 1;
      // Advance over the valid slots of this bitmap word.
      bool stop = false;
      while (q < limit && (static_cast<uint32_t>(q) & mask_idx) / 64 == idx / 64) {
        const uint32_t b = (static_cast<uint32_t>(q) & mask_idx) % 64;
        if (((word >> b) & 1) == parity) {
          stop = true;
          break;
        }
        ++q;
      }
      if (stop) break;
    }
    if (q > p) {
      prod64_.store(q);
      ++stats_.publishes;
      write_prod(q);
      p = q;
      continue;
    }
    if (timed_out()) return SmmuStatus::kSyncTimeout;
    if (p == limit) {
      // A lap ahead of the CONS known: learn how far the SMMU has got.
      const uint32_t hw = read_cons();
      check_error(hw);
      ++stats_.cons_refreshes;
      const uint64_t now = consumed_from(hw);
      if (now + entries() <= limit) os_.delay_ns(cfg_.poll_ns);
      raise_cached_cons(now);
      continue;
    }
    const uint32_t idx = static_cast<uint32_t>(p) & mask_idx;
    words_->wait_change(kValid + idx / 64, words_->load(kValid + idx / 64), cfg_.poll_ns);
  }
  words_->store(kOwner, end);
  return SmmuStatus::kOk;
}

SmmuStatus CommandQueue::issue_lockfree(const arch::Command* cmds, size_t n, bool sync,
                                        SyncTicket* ticket) {
  // Chunks of at most half the queue, as the kernel caps a batch far below the queue size.
  const size_t chunk_max = std::max<size_t>(1, entries() / 2);
  size_t done = 0;
  const size_t total = n + (sync ? 1 : 0);
  while (done < total) {
    const size_t k = std::min(total - done, chunk_max);
    const bool last = done + k == total;
    const size_t k_cmds = last && sync ? k - 1 : k;
    Reservation res;
    ++stats_.reservations;
    const SmmuStatus st = cfg_.design == CmdqDesign::kCasLoop ? reserve_cas(static_cast<uint32_t>(k), res)
                                                              : reserve_fetch_add(static_cast<uint32_t>(k), res);
    if (st != SmmuStatus::kOk) return st;
    write_slots(cmds + done, k_cmds, last && sync, res.start, ticket);
    mark_valid(res.start, static_cast<uint32_t>(k));
    // A CMD_SYNC waiter holds the shared lock until it has seen its SYNC complete.
    if (last && sync && ticket) {
      shared_lock();
      ticket->shared_lock = true;
    }
    if (res.owner) {
      const SmmuStatus pst = publish_as_owner(res.start);
      if (pst != SmmuStatus::kOk) return pst;
    }
    done += k;
  }
  return SmmuStatus::kOk;
}

}  // namespace smmu::driver
