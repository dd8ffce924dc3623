// SPDX-License-Identifier: Apache-2.0
// The per-domain invalidation array: a sorted list of what must be invalidated, on
// which SMMU instance, when the domain's page table changes (one entry per ASID or VMID
// per instance, one per ATS stream). Invalidating CPUs read it under RCU without locks;
// attach builds a new copy (merge, purge) or drops users in place (unref, which cannot
// fail, so attaching to the blocked domain cannot fail either).
//
// Concurrency contract: merge / unref / purge / DomainInvs::replace are serialized by the
// caller (the attach mutex). Readers run concurrently with all of them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "driver/os.h"

namespace smmu::driver {

// One SMMU instance as invalidation entries refer to it. The per-instance device state
// owns one; `index` is stable and unique and orders the array; the flags say which
// commands the instance takes.
struct SmmuHandle {
  uint32_t index = 0;
  bool range_inv = false;  // IDR3.RIL: range TLBIs
  bool e2h = false;        // stage 1 tables are EL2 ones: TLBI_EL2_* instead of TLBI_NH_*
  void* device = nullptr;  // opaque back pointer for the command-queue code
};

// The order is the order in which commands are issued: TLBIs before ATC invalidations.
enum class InvType : uint8_t {
  kS1Asid = 0,         // stage 1 domain: TLBI by ASID (VMID 0)
  kS2Vmid = 1,         // stage 2 domain: TLBI by VMID
  kS2VmidS1Clear = 2,  // S2 nesting parent: the guest's S1 entries under that VMID too
  kAts = 3,            // ATC of one stream (at `ssid`)
  kAtsFull = 4,        // whole ATC of one stream (nesting parent: IPA ranges mean nothing to it)
};

inline bool inv_is_ats(InvType t) { return t == InvType::kAts || t == InvType::kAtsFull; }
const char* to_string(InvType t);

// A users count read by invalidating CPUs while attach changes it in place: a plain
// relaxed atomic (no ordering needed: the array pointer is RCU-published and ATS uses
// the array's rwlock), copyable so entries can be copied between arrays.
class UsersCount {
 public:
  UsersCount(int v = 0) : v_(v) {}  // NOLINT: implicit, an entry's users reads as an int
  UsersCount(const UsersCount& o) : v_(o.load()) {}
  UsersCount& operator=(const UsersCount& o) {
    store(o.load());
    return *this;
  }
  UsersCount& operator=(int v) {
    store(v);
    return *this;
  }
  operator int() const { return load(); }  // NOLINT
  int load() const { return v_.load(std::memory_order_relaxed); }
  void store(int v) { v_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<int> v_;
};

struct InvEntry {
  const SmmuHandle* smmu = nullptr;
  InvType type = InvType::kS1Asid;
  uint32_t id = 0;           // ASID, VMID, or the StreamID for the ATS types
  uint32_t ssid = 0;         // kAts: the substream the domain is attached at (0 = none)
  uint8_t pgsize_log2 = 0;   // TLBI types: the domain's leaf page size, for range TLBIs
  UsersCount users = 0;      // 0 = trash, skipped by readers, dropped by merge/purge
};

InvEntry make_inv(const SmmuHandle* smmu, InvType type, uint32_t id, uint32_t ssid = 0,
                  uint8_t pgsize_log2 = 0);

// The array order: (smmu index, type, id, ssid). -1, 0 or 1.
int inv_compare(const InvEntry& a, const InvEntry& b);

struct InvEntrySpan {
  const InvEntry* data = nullptr;
  size_t size = 0;
  InvEntrySpan() = default;
  InvEntrySpan(const InvEntry* d, size_t n) : data(d), size(n) {}
  InvEntrySpan(const std::vector<InvEntry>& v) : data(v.data()), size(v.size()) {}  // NOLINT
  const InvEntry* begin() const { return data; }
  const InvEntry* end() const { return data + size; }
  const InvEntry& operator[](size_t i) const { return data[i]; }
};

// A fixed-capacity scratch list, allocated once when a master is created, that attach
// fills with what the master contributes to a domain's array (to_merge / to_unref)
// without allocating, so that the attach paths that must not fail do not.
class InvEntryBuffer {
 public:
  explicit InvEntryBuffer(size_t capacity);
  // The most a master contributes: an ASID or VMID entry, an S2_VMID_S1_CLEAR entry,
  // and with ATS one entry per stream ID.
  static size_t capacity_for_master(size_t num_streams, bool ats_capable) {
    return 2 + (ats_capable ? num_streams : 0);
  }
  void clear() { size_ = 0; }
  bool push(const InvEntry& e);  // false when full (never grows)
  void sort();                   // into array order, in place
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  InvEntry* data() { return entries_.get(); }
  InvEntry& operator[](size_t i) { return entries_[i]; }
  const InvEntry& operator[](size_t i) const { return entries_[i]; }
  InvEntrySpan span() const { return {entries_.get(), size_}; }

 private:
  std::unique_ptr<InvEntry[]> entries_;
  size_t capacity_;
  size_t size_ = 0;
};

// What one master contributes to a domain's array on one SMMU instance.
struct MasterInvSpec {
  const SmmuHandle* smmu = nullptr;
  InvType tag_type = InvType::kS1Asid;  // kS1Asid (S1/SVA domain) or kS2Vmid (S2 domain)
  uint32_t tag = 0;                     // the domain's ASID or VMID on that instance
  bool nest_parent = false;             // S2 domain used as a nesting parent
  bool ats_enabled = false;
  uint32_t ssid = 0;                    // the PASID the domain is attached at
  const uint32_t* sids = nullptr;       // the master's stream IDs
  size_t num_sids = 0;
  uint8_t pgsize_log2 = 0;              // the domain's leaf page size (12, 14, 16; 0 unknown)
};

// Fills `out` (cleared first) in array order. False when `out` is too small; throws
// std::invalid_argument on an inconsistent spec.
bool build_master_invs(InvEntryBuffer& out, const MasterInvSpec& spec);

class InvArray {
 public:
  ~InvArray();
  InvArray(const InvArray&) = delete;
  InvArray& operator=(const InvArray&) = delete;

  static std::unique_ptr<InvArray> create_empty(Os& os);

  // A new array: the live entries of `invs` and `to_merge` (sorted, no duplicates) in
  // order; an entry in both gets one more user, a new one has 1; trash is dropped.
  // Throws std::invalid_argument when to_merge is unsorted or has no SMMU.
  static std::unique_ptr<InvArray> merge(Os& os, const InvArray& invs, InvEntrySpan to_merge);

  // In place, cannot fail: each live entry found in `to_unref` (sorted) loses a user and
  // becomes trash at 0; trailing trash is trimmed under the write lock, which also waits
  // out every reader still issuing ATC invalidations from this array. Each to_unref
  // entry's users is set to what its array entry has left (0: it was the last user, the
  // caller flushes and frees that tag) or -1 when it was not found. Returns the number
  // not found (0 unless the caller is confused).
  size_t unref(InvEntry* to_unref, size_t n);
  size_t unref(InvEntryBuffer& to_unref) { return unref(to_unref.data(), to_unref.size()); }
  size_t unref(std::vector<InvEntry>& to_unref) { return unref(to_unref.data(), to_unref.size()); }

  // A new array without the trash, or nullptr when there is none (nothing to replace).
  static std::unique_ptr<InvArray> purge(Os& os, const InvArray& invs);

  // --- reader side (any CPU, inside an RCU read-side section)
  size_t size() const { return num_.load(std::memory_order_acquire); }  // trash included
  InvEntrySpan entries() const { return {entries_.get(), size()}; }
  const InvEntry& operator[](size_t i) const { return entries_[i]; }
  bool has_ats() const { return has_ats_; }
  // Readers hold it for reading while they issue ATC invalidations (when has_ats());
  // unref takes it for writing, so ATS can be disabled safely once unref returned.
  RwLock& ats_lock() const { return *ats_lock_; }

  // --- writer side
  size_t num_trashes() const { return num_trashes_; }
  size_t capacity() const { return capacity_; }

  // Arrays currently allocated (tests check that deferred frees happen).
  static long live_count() { return live_.load(); }

 private:
  InvArray(Os& os, size_t capacity);

  std::unique_ptr<InvEntry[]> entries_;
  size_t capacity_;
  std::atomic<size_t> num_{0};
  size_t num_trashes_ = 0;
  bool has_ats_ = false;
  std::unique_ptr<RwLock> ats_lock_;
  static std::atomic<long> live_;
};

// A domain's current array, published with RCU. The domain's attach path replaces it;
// invalidating CPUs read it with with_invs().
class DomainInvs {
 public:
  explicit DomainInvs(Os& os);
  ~DomainInvs();  // the domain is gone: no reader can hold the array any more
  DomainInvs(const DomainInvs&) = delete;
  DomainInvs& operator=(const DomainInvs&) = delete;

  // Writer side (under the attach mutex): the array to unref in place or to merge from.
  InvArray& locked() const { return *cur_.load(std::memory_order_relaxed); }

  // Publishes `next` and frees the old array after a grace period. The full barrier after
  // the store pairs with the one in with_invs(): either an invalidating CPU sees the new
  // array, or the attach that follows (STE write) sees its page-table writes.
  void replace(std::unique_ptr<InvArray> next);

  // Reader side: only inside an RCU read-side section.
  const InvArray& rcu_dereference() const { return *cur_.load(std::memory_order_acquire); }

  // Runs fn(const InvArray&) in an RCU read-side section, holding the array's ATS lock
  // for reading when it has ATS entries. Call after the page-table writes to invalidate.
  template <class Fn>
  void with_invs(Fn&& fn) const {
    os_.smp_mb();  // page-table writes before loading the array (pairs with replace())
    RcuReadGuard rcu(os_);
    const InvArray& invs = rcu_dereference();
    if (!invs.has_ats()) {
      fn(invs);
      return;
    }
    ReadGuard ats(invs.ats_lock());
    fn(invs);
  }

 private:
  struct ReadGuard {
    explicit ReadGuard(RwLock& l) : l_(l) { l_.read_lock(); }
    ~ReadGuard() { l_.read_unlock(); }
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;
    RwLock& l_;
  };

  Os& os_;
  std::atomic<InvArray*> cur_;
};

}  // namespace smmu::driver
