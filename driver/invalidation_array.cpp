// SPDX-License-Identifier: Apache-2.0
#include "driver/invalidation_array.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace smmu::driver {

std::atomic<long> InvArray::live_{0};

const char* to_string(InvType t) {
  switch (t) {
    case InvType::kS1Asid: return "S1_ASID";
    case InvType::kS2Vmid: return "S2_VMID";
    case InvType::kS2VmidS1Clear: return "S2_VMID_S1_CLEAR";
    case InvType::kAts: return "ATS";
    case InvType::kAtsFull: return "ATS_FULL";
  }
  return "UNKNOWN";
}

InvEntry make_inv(const SmmuHandle* smmu, InvType type, uint32_t id, uint32_t ssid,
                  uint8_t pgsize_log2) {
  InvEntry e;
  e.smmu = smmu;
  e.type = type;
  e.id = id;
  e.ssid = ssid;
  e.pgsize_log2 = pgsize_log2;
  e.users = 1;
  return e;
}

namespace {

template <class T>
int cmp3(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Entries are only ever compared after validation, so smmu is never null here.
bool strictly_sorted(InvEntrySpan s) {
  for (size_t i = 1; i < s.size; ++i)
    if (inv_compare(s[i - 1], s[i]) >= 0) return false;
  return true;
}

void check_to_list(InvEntrySpan s, const char* what) {
  for (const InvEntry& e : s)
    if (!e.smmu) throw std::invalid_argument(std::string(what) + ": entry without an SMMU");
  if (!strictly_sorted(s))
    throw std::invalid_argument(std::string(what) + ": entries not sorted or duplicated");
}

// Index of the first live entry at or after i, or n.
size_t next_live(const InvEntry* e, size_t i, size_t n) {
  while (i < n && e[i].users.load() == 0) ++i;
  return i;
}

// Walks the live entries of the left array and all of the right list, both sorted, in
// merged order: fn(cmp, li, ri) with cmp < 0 for a left-only entry, 0 for one in both,
// > 0 for a right-only entry.
template <class Fn>
void walk_sorted(const InvEntry* l, size_t ln, const InvEntry* r, size_t rn, Fn&& fn) {
  size_t i = next_live(l, 0, ln), j = 0;
  while (i < ln || j < rn) {
    const int c = i >= ln ? 1 : (j >= rn ? -1 : inv_compare(l[i], r[j]));
    fn(c, i, j);
    if (c <= 0) i = next_live(l, i + 1, ln);
    if (c >= 0) ++j;
  }
}

}  // namespace

int inv_compare(const InvEntry& a, const InvEntry& b) {
  if (a.smmu != b.smmu) {
    if (int c = cmp3(a.smmu->index, b.smmu->index)) return c;
  }
  if (int c = cmp3(static_cast<int>(a.type), static_cast<int>(b.type))) return c;
  if (int c = cmp3(a.id, b.id)) return c;
  return cmp3(a.ssid, b.ssid);
}

// --- InvEntryBuffer

InvEntryBuffer::InvEntryBuffer(size_t capacity)
    : entries_(new InvEntry[capacity ? capacity : 1]), capacity_(capacity) {}

bool InvEntryBuffer::push(const InvEntry& e) {
  if (size_ >= capacity_) return false;
  entries_[size_++] = e;
  return true;
}

void InvEntryBuffer::sort() {
  // std::sort works in place: no allocation on the attach path.
  std::sort(entries_.get(), entries_.get() + size_,
            [](const InvEntry& a, const InvEntry& b) { return inv_compare(a, b) < 0; });
}

bool build_master_invs(InvEntryBuffer& out, const MasterInvSpec& spec) {
  if (!spec.smmu) throw std::invalid_argument("build_master_invs: smmu is null");
  if (spec.tag_type != InvType::kS1Asid && spec.tag_type != InvType::kS2Vmid)
    throw std::invalid_argument(std::string("build_master_invs: tag_type ") +
                                to_string(spec.tag_type) + " is not S1_ASID or S2_VMID");
  if (spec.nest_parent && spec.tag_type != InvType::kS2Vmid)
    throw std::invalid_argument("build_master_invs: nest_parent needs an S2_VMID tag");
  if (spec.pgsize_log2 != 0 && spec.pgsize_log2 != 12 && spec.pgsize_log2 != 14 &&
      spec.pgsize_log2 != 16)
    throw std::invalid_argument("build_master_invs: pgsize_log2 " +
                                std::to_string(spec.pgsize_log2) + " is not 12, 14 or 16");
  if (spec.num_sids && !spec.sids) throw std::invalid_argument("build_master_invs: sids is null");

  out.clear();
  if (!out.push(make_inv(spec.smmu, spec.tag_type, spec.tag, 0, spec.pgsize_log2))) return false;
  // Changing a nesting parent changes every guest S1 translation under its VMID.
  if (spec.nest_parent && !out.push(make_inv(spec.smmu, InvType::kS2VmidS1Clear, spec.tag)))
    return false;
  if (spec.ats_enabled) {
    // A nesting parent's IPA range says nothing about the guest's IOVAs: flush it all.
    const InvType t = spec.nest_parent ? InvType::kAtsFull : InvType::kAts;
    const uint32_t ssid = spec.nest_parent ? 0 : spec.ssid;
    for (size_t i = 0; i < spec.num_sids; ++i)
      if (!out.push(make_inv(spec.smmu, t, spec.sids[i], ssid))) return false;
  }
  out.sort();
  return true;
}

// --- InvArray

InvArray::InvArray(Os& os, size_t capacity)
    : entries_(new InvEntry[capacity ? capacity : 1]),
      capacity_(capacity),
      ats_lock_(os.make_rwlock()) {
  ++live_;
}

InvArray::~InvArray() { --live_; }

std::unique_ptr<InvArray> InvArray::create_empty(Os& os) {
  return std::unique_ptr<InvArray>(new InvArray(os, 0));
}

std::unique_ptr<InvArray> InvArray::merge(Os& os, const InvArray& invs, InvEntrySpan to_merge) {
  check_to_list(to_merge, "InvArray::merge");
  const InvEntry* l = invs.entries_.get();
  const size_t ln = invs.size();

  size_t count = 0;
  walk_sorted(l, ln, to_merge.data, to_merge.size, [&](int, size_t, size_t) { ++count; });

  std::unique_ptr<InvArray> out(new InvArray(os, count));
  size_t k = 0;
  walk_sorted(l, ln, to_merge.data, to_merge.size, [&](int c, size_t i, size_t j) {
    InvEntry& e = out->entries_[k++];
    if (c < 0) {
      e = l[i];
    } else if (c == 0) {
      e = l[i];
      e.users = l[i].users + 1;
    } else {
      e = to_merge[j];
      e.users = 1;
    }
    if (inv_is_ats(e.type)) out->has_ats_ = true;
  });
  out->num_.store(k, std::memory_order_relaxed);
  return out;
}

size_t InvArray::unref(InvEntry* to_unref, size_t n) {
  check_to_list(InvEntrySpan(to_unref, n), "InvArray::unref");
  InvEntry* l = entries_.get();
  const size_t ln = size();
  size_t keep = 0;  // one past the last entry still live
  size_t not_found = 0;
  walk_sorted(l, ln, to_unref, n, [&](int c, size_t i, size_t j) {
    if (c < 0) {
      keep = i + 1;
    } else if (c == 0) {
      const int left = l[i].users - 1;
      l[i].users = left;  // readers from now on skip it when 0
      to_unref[j].users = left;
      if (left > 0)
        keep = i + 1;
      else
        ++num_trashes_;
    } else {
      to_unref[j].users = -1;
      ++not_found;
    }
  });
  // Everything from keep on is trash: trim it. The write lock also waits until no
  // reader is still in the middle of issuing ATC invalidations from this array.
  num_trashes_ -= ln - keep;
  ats_lock_->write_lock();
  num_.store(keep, std::memory_order_release);
  ats_lock_->write_unlock();
  return not_found;
}

std::unique_ptr<InvArray> InvArray::purge(Os& os, const InvArray& invs) {
  const size_t n = invs.size();
  if (invs.num_trashes_ == 0 || n == 0) return nullptr;
  const InvEntry* e = invs.entries_.get();
  size_t live = 0;  // counted, not derived from num_trashes_, so a bad count cannot overflow
  for (size_t i = next_live(e, 0, n); i < n; i = next_live(e, i + 1, n)) ++live;
  std::unique_ptr<InvArray> out(new InvArray(os, live));
  size_t k = 0;
  for (size_t i = next_live(e, 0, n); i < n; i = next_live(e, i + 1, n)) {
    out->entries_[k++] = e[i];
    if (inv_is_ats(e[i].type)) out->has_ats_ = true;
  }
  out->num_.store(k, std::memory_order_relaxed);
  return out;
}

// --- DomainInvs

DomainInvs::DomainInvs(Os& os) : os_(os), cur_(InvArray::create_empty(os).release()) {}

DomainInvs::~DomainInvs() { delete cur_.load(std::memory_order_relaxed); }

void DomainInvs::replace(std::unique_ptr<InvArray> next) {
  if (!next) throw std::invalid_argument("DomainInvs::replace: null array");
  InvArray* old = cur_.exchange(next.release(), std::memory_order_release);
  os_.smp_mb();
  os_.call_rcu([old] { delete old; });
}

}  // namespace smmu::driver
