// SPDX-License-Identifier: Apache-2.0
// The per-domain invalidation array: merge / unref / purge (the seeds' kunit sequence,
// ordering, a randomized comparison with a reference model), the per-master scratch
// buffer, and RCU replacement (a reader keeps the old array alive).
#include "driver/invalidation_array.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/host_os.h"

namespace smmu::driver {
namespace {

using test::HostOs;

std::vector<InvEntry> list(std::initializer_list<InvEntry> l) { return std::vector<InvEntry>(l); }

void expect_array(const InvArray& a, const std::vector<uint32_t>& ids,
                  const std::vector<int>& users, size_t trash, const char* step) {
  SCOPED_TRACE(step);
  ASSERT_EQ(a.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(a[i].id, ids[i]) << "entry " << i;
    EXPECT_EQ(a[i].users, users[i]) << "entry " << i;
  }
  EXPECT_EQ(a.num_trashes(), trash);
}

// The seeds' kunit test, step by step (fact sheet, "Linux driver kunit expectations").
TEST(InvalidationArray, SeedSequence) {
  HostOs os;
  SmmuHandle smmu{0};
  const SmmuHandle* s = &smmu;
  auto invs1 = list({make_inv(s, InvType::kS2Vmid, 1), make_inv(s, InvType::kS2VmidS1Clear, 1),
                     make_inv(s, InvType::kAts, 3)});
  auto invs2 = list({make_inv(s, InvType::kS2Vmid, 1), make_inv(s, InvType::kAts, 4),
                     make_inv(s, InvType::kAts, 5)});
  auto invs3 = list({make_inv(s, InvType::kS2Vmid, 1), make_inv(s, InvType::kAts, 5),
                     make_inv(s, InvType::kAts, 6)});

  auto empty = InvArray::create_empty(os);
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_FALSE(empty->has_ats());

  auto a = InvArray::merge(os, *empty, invs1);
  expect_array(*a, {1, 1, 3}, {1, 1, 1}, 0, "1: merge invs1");
  EXPECT_EQ(a->capacity(), 3u);
  EXPECT_TRUE(a->has_ats());
  EXPECT_EQ(a->entries()[2].type, InvType::kAts);

  auto b = InvArray::merge(os, *a, invs2);
  expect_array(*b, {1, 1, 3, 4, 5}, {2, 1, 1, 1, 1}, 0, "2: merge invs2");

  EXPECT_EQ(b->unref(invs2), 0u);
  expect_array(*b, {1, 1, 3}, {1, 1, 1}, 0, "3: unref invs2, trailing trash trimmed");
  EXPECT_EQ(b->capacity(), 5u);  // in place: same storage, fewer entries
  // What each unref'd entry has left: the VMID still has a user, the ATS entries none.
  EXPECT_EQ(invs2[0].users, 1);
  EXPECT_EQ(invs2[1].users, 0);
  EXPECT_EQ(invs2[2].users, 0);

  auto c = InvArray::merge(os, *b, invs3);
  expect_array(*c, {1, 1, 3, 5, 6}, {2, 1, 1, 1, 1}, 0, "4: merge invs3 (recovers ATS 5)");

  EXPECT_EQ(c->unref(invs1), 0u);
  expect_array(*c, {1, 1, 3, 5, 6}, {1, 0, 0, 1, 1}, 2, "5: unref invs1, trash in between");

  auto d = InvArray::purge(os, *c);
  ASSERT_NE(d, nullptr);
  expect_array(*d, {1, 5, 6}, {1, 1, 1}, 0, "6: purge");
  EXPECT_EQ(d->entries()[0].type, InvType::kS2Vmid);
  EXPECT_EQ(InvArray::purge(os, *d), nullptr);  // nothing to purge

  EXPECT_EQ(d->unref(invs3), 0u);
  expect_array(*d, {}, {}, 0, "7: unref invs3, empty");
}

TEST(InvalidationArray, OrderAcrossInstancesAndTypes) {
  HostOs os;
  // Declared out of index order: the order follows the index, not the address.
  SmmuHandle s2{2}, s0{0}, s1{1};
  auto a = InvArray::create_empty(os);
  a = InvArray::merge(os, *a,
                      list({make_inv(&s1, InvType::kS1Asid, 7), make_inv(&s1, InvType::kAts, 0x20, 3),
                            make_inv(&s1, InvType::kAts, 0x20, 5)}));
  a = InvArray::merge(os, *a,
                      list({make_inv(&s0, InvType::kS2Vmid, 9), make_inv(&s0, InvType::kS2VmidS1Clear, 9),
                            make_inv(&s0, InvType::kAtsFull, 0x10)}));
  a = InvArray::merge(os, *a,
                      list({make_inv(&s2, InvType::kS1Asid, 1), make_inv(&s2, InvType::kS1Asid, 2),
                            make_inv(&s2, InvType::kAts, 0x5)}));
  a = InvArray::merge(os, *a, list({make_inv(&s1, InvType::kS1Asid, 3), make_inv(&s1, InvType::kAts, 0x1f)}));

  struct Want {
    const SmmuHandle* smmu;
    InvType type;
    uint32_t id, ssid;
  };
  const std::vector<Want> want = {
      {&s0, InvType::kS2Vmid, 9, 0},  {&s0, InvType::kS2VmidS1Clear, 9, 0},
      {&s0, InvType::kAtsFull, 0x10, 0}, {&s1, InvType::kS1Asid, 3, 0},
      {&s1, InvType::kS1Asid, 7, 0},  {&s1, InvType::kAts, 0x1f, 0},
      {&s1, InvType::kAts, 0x20, 3},  {&s1, InvType::kAts, 0x20, 5},
      {&s2, InvType::kS1Asid, 1, 0},  {&s2, InvType::kS1Asid, 2, 0},
      {&s2, InvType::kAts, 0x5, 0}};
  ASSERT_EQ(a->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*a)[i].smmu, want[i].smmu);
    EXPECT_EQ((*a)[i].type, want[i].type);
    EXPECT_EQ((*a)[i].id, want[i].id);
    EXPECT_EQ((*a)[i].ssid, want[i].ssid);
    EXPECT_EQ((*a)[i].users, 1);
  }
  EXPECT_LT(inv_compare(make_inv(&s0, InvType::kAtsFull, 0), make_inv(&s1, InvType::kS1Asid, 0)), 0);
  EXPECT_LT(inv_compare(make_inv(&s0, InvType::kS1Asid, 99), make_inv(&s0, InvType::kS2Vmid, 1)), 0);
  EXPECT_LT(inv_compare(make_inv(&s0, InvType::kAts, 1, 9), make_inv(&s0, InvType::kAts, 2, 0)), 0);
  EXPECT_EQ(inv_compare(make_inv(&s0, InvType::kAts, 1, 9), make_inv(&s0, InvType::kAts, 1, 9)), 0);
}

TEST(InvalidationArray, MergeRejectsUnsortedDuplicateOrSmmulessInput) {
  HostOs os;
  SmmuHandle s{0};
  auto a = InvArray::create_empty(os);
  auto unsorted = list({make_inv(&s, InvType::kAts, 5), make_inv(&s, InvType::kAts, 4)});
  auto dup = list({make_inv(&s, InvType::kAts, 4), make_inv(&s, InvType::kAts, 4)});
  auto none = list({make_inv(nullptr, InvType::kAts, 4)});
  EXPECT_THROW(InvArray::merge(os, *a, unsorted), std::invalid_argument);
  EXPECT_THROW(InvArray::merge(os, *a, dup), std::invalid_argument);
  EXPECT_THROW(InvArray::merge(os, *a, none), std::invalid_argument);
  auto b = InvArray::merge(os, *a, list({make_inv(&s, InvType::kAts, 4)}));
  EXPECT_THROW(b->unref(unsorted), std::invalid_argument);
  EXPECT_EQ((*b)[0].users, 1);  // a rejected unref changes nothing
}

TEST(InvalidationArray, UnrefOfAbsentOrTrashEntryIsReportedAndHarmless) {
  HostOs os;
  SmmuHandle s{0};
  auto a = InvArray::merge(os, *InvArray::create_empty(os),
                           list({make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kS1Asid, 2),
                                 make_inv(&s, InvType::kS1Asid, 3)}));
  auto first = list({make_inv(&s, InvType::kS1Asid, 1)});
  EXPECT_EQ(a->unref(first), 0u);
  EXPECT_EQ(a->num_trashes(), 1u);
  // ASID 1 is trash now and ASID 9 never was there: neither is found.
  auto again = list({make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kS1Asid, 2),
                     make_inv(&s, InvType::kS1Asid, 9)});
  EXPECT_EQ(a->unref(again), 2u);
  EXPECT_EQ(again[0].users, -1);
  EXPECT_EQ(again[1].users, 0);
  EXPECT_EQ(again[2].users, -1);
  expect_array(*a, {1, 2, 3}, {0, 0, 1}, 2, "leading trash stays until purge");
}

TEST(InvalidationArray, UnrefTrimsAllTrailingTrashIncludingOlderTrash) {
  HostOs os;
  SmmuHandle s{0};
  auto a = InvArray::merge(os, *InvArray::create_empty(os),
                           list({make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kS1Asid, 2),
                                 make_inv(&s, InvType::kS1Asid, 3)}));
  auto two = list({make_inv(&s, InvType::kS1Asid, 2)});
  a->unref(two);
  expect_array(*a, {1, 2, 3}, {1, 0, 1}, 1, "middle trash");
  auto three = list({make_inv(&s, InvType::kS1Asid, 3)});
  a->unref(three);
  expect_array(*a, {1}, {1}, 0, "3 and the older trash 2 trimmed together");
}

TEST(InvalidationArray, MergeDropsTrashAndRecoversAReaddedEntry) {
  HostOs os;
  SmmuHandle s{0};
  auto a = InvArray::merge(os, *InvArray::create_empty(os),
                           list({make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kS1Asid, 2),
                                 make_inv(&s, InvType::kS1Asid, 3), make_inv(&s, InvType::kS1Asid, 4)}));
  auto mid = list({make_inv(&s, InvType::kS1Asid, 2), make_inv(&s, InvType::kS1Asid, 3)});
  a->unref(mid);
  ASSERT_EQ(a->num_trashes(), 2u);
  auto b = InvArray::merge(os, *a, list({make_inv(&s, InvType::kS1Asid, 3)}));
  expect_array(*b, {1, 3, 4}, {1, 1, 1}, 0, "trash 2 dropped, trash 3 back with one user");
  EXPECT_FALSE(b->has_ats());
}

// --- randomized: merge / unref / purge against a map of users in array order

using Key = std::tuple<uint32_t, int, uint32_t, uint32_t>;  // smmu index, type, id, ssid
Key key_of(const InvEntry& e) { return {e.smmu->index, static_cast<int>(e.type), e.id, e.ssid}; }

void check_model(const InvArray& a, const std::map<Key, int>& model) {
  ASSERT_EQ(a.size(), model.size());
  size_t i = 0, zeros = 0;
  for (const auto& [k, users] : model) {
    ASSERT_EQ(key_of(a[i]), k) << "entry " << i;
    ASSERT_EQ(a[i].users, users) << "entry " << i;
    if (i) {
      ASSERT_LT(inv_compare(a[i - 1], a[i]), 0) << "entry " << i;
    }
    zeros += users == 0;
    ++i;
  }
  ASSERT_EQ(a.num_trashes(), zeros);
}

void run_random(uint32_t seed, int ops) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  HostOs os;
  std::mt19937 rng(seed);
  SmmuHandle smmus[3] = {{0}, {1}, {2}};
  const long base_live = InvArray::live_count();
  DomainInvs d(os);
  std::map<Key, int> model;
  std::vector<std::vector<InvEntry>> attached;  // what each live "master" contributed

  auto model_has_ats = [&] {
    for (const auto& kv : model)
      if (inv_is_ats(static_cast<InvType>(std::get<1>(kv.first)))) return true;
    return false;
  };
  auto random_set = [&] {
    InvEntryBuffer buf(8);
    const int n = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      const auto type = static_cast<InvType>(rng() % 5);
      const uint32_t ssid = type == InvType::kAts ? rng() % 2 : 0;
      buf.push(make_inv(&smmus[rng() % 3], type, 1 + rng() % 4, ssid));
    }
    buf.sort();
    std::vector<InvEntry> out;
    for (size_t k = 0; k < buf.size(); ++k)
      if (out.empty() || inv_compare(out.back(), buf[k]) != 0) out.push_back(buf[k]);
    return out;
  };

  for (int op = 0; op < ops; ++op) {
    const unsigned what = rng() % 10;
    if (what < 4 || attached.empty()) {  // merge
      auto set = random_set();
      d.replace(InvArray::merge(os, d.locked(), set));
      for (auto it = model.begin(); it != model.end();) it = it->second ? std::next(it) : model.erase(it);
      for (const auto& e : set) ++model[key_of(e)];
      attached.push_back(set);
      ASSERT_EQ(d.locked().has_ats(), model_has_ats());
    } else if (what < 8) {  // unref one of the attached sets, in place
      const size_t pick = rng() % attached.size();
      auto set = attached[pick];
      attached.erase(attached.begin() + static_cast<long>(pick));
      ASSERT_EQ(d.locked().unref(set), 0u);
      for (const auto& e : set) {
        int& u = model[key_of(e)];
        --u;
        ASSERT_EQ(e.users, u);  // written back: what is left
      }
      while (!model.empty() && std::prev(model.end())->second == 0) model.erase(std::prev(model.end()));
    } else {  // purge
      bool had_trash = false;
      for (const auto& kv : model) had_trash |= kv.second == 0;
      auto p = InvArray::purge(os, d.locked());
      ASSERT_EQ(p != nullptr, had_trash);
      if (p) {
        for (size_t i = 0; i < p->size(); ++i) ASSERT_GT((*p)[i].users, 0) << "trash visible after purge";
        d.replace(std::move(p));
      }
      for (auto it = model.begin(); it != model.end();) it = it->second ? std::next(it) : model.erase(it);
      if (had_trash) {
        ASSERT_EQ(d.locked().has_ats(), model_has_ats());
      }
    }
    check_model(d.locked(), model);
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_TRUE(os.run_grace_period());
    ASSERT_EQ(InvArray::live_count(), base_live + 1) << "old arrays freed after the grace period";
  }
}

TEST(InvalidationArray, RandomizedAgainstReferenceModel) {
  for (uint32_t seed : {1u, 7u, 42u, 1234u, 99991u}) {
    run_random(seed, 4000);
    if (HasFatalFailure()) return;
  }
}

// --- the per-master scratch buffer

TEST(InvEntryBuffer, BuildsSortedMasterContributionWithoutGrowing) {
  SmmuHandle s{3, true};
  const uint32_t sids[] = {0x30, 0x10, 0x20};
  InvEntryBuffer buf(InvEntryBuffer::capacity_for_master(3, true));
  EXPECT_EQ(buf.capacity(), 5u);
  InvEntry* storage = buf.data();

  MasterInvSpec spec;
  spec.smmu = &s;
  spec.tag_type = InvType::kS2Vmid;
  spec.tag = 12;
  spec.nest_parent = true;
  spec.ats_enabled = true;
  spec.ssid = 4;  // ignored for a nesting parent: full ATC flushes
  spec.sids = sids;
  spec.num_sids = 3;
  spec.pgsize_log2 = 12;
  ASSERT_TRUE(build_master_invs(buf, spec));
  ASSERT_EQ(buf.size(), 5u);
  EXPECT_EQ(buf.data(), storage);
  const InvType types[] = {InvType::kS2Vmid, InvType::kS2VmidS1Clear, InvType::kAtsFull,
                           InvType::kAtsFull, InvType::kAtsFull};
  const uint32_t ids[] = {12, 12, 0x10, 0x20, 0x30};
  for (size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(buf[i].type, types[i]);
    EXPECT_EQ(buf[i].id, ids[i]);
    EXPECT_EQ(buf[i].ssid, 0u);
    EXPECT_EQ(buf[i].smmu, &s);
  }
  EXPECT_EQ(buf[0].pgsize_log2, 12);

  // S1 domain at PASID 4 with ATS: ASID entry then ATS entries at that PASID.
  spec.tag_type = InvType::kS1Asid;
  spec.tag = 5;
  spec.nest_parent = false;
  ASSERT_TRUE(build_master_invs(buf, spec));
  ASSERT_EQ(buf.size(), 4u);
  EXPECT_EQ(buf[0].type, InvType::kS1Asid);
  EXPECT_EQ(buf[1].type, InvType::kAts);
  EXPECT_EQ(buf[1].ssid, 4u);
  EXPECT_EQ(buf[3].id, 0x30u);

  // Without ATS: only the tag.
  spec.ats_enabled = false;
  ASSERT_TRUE(build_master_invs(buf, spec));
  EXPECT_EQ(buf.size(), 1u);

  // Too small a buffer says so instead of growing.
  InvEntryBuffer small(InvEntryBuffer::capacity_for_master(3, false));
  spec.ats_enabled = true;
  EXPECT_FALSE(build_master_invs(small, spec));
  EXPECT_LE(small.size(), small.capacity());
}

TEST(InvEntryBuffer, RejectsInconsistentSpecs) {
  SmmuHandle s{0};
  InvEntryBuffer buf(4);
  MasterInvSpec spec;
  EXPECT_THROW(build_master_invs(buf, spec), std::invalid_argument);  // no SMMU
  spec.smmu = &s;
  spec.tag_type = InvType::kAts;
  EXPECT_THROW(build_master_invs(buf, spec), std::invalid_argument);
  spec.tag_type = InvType::kS1Asid;
  spec.nest_parent = true;
  EXPECT_THROW(build_master_invs(buf, spec), std::invalid_argument);
  spec.nest_parent = false;
  spec.pgsize_log2 = 13;
  EXPECT_THROW(build_master_invs(buf, spec), std::invalid_argument);
}

TEST(InvEntryBuffer, AttachDetachRoundTripThroughDomainInvs) {
  HostOs os;
  SmmuHandle s{0};
  const uint32_t sids[] = {7, 8};
  InvEntryBuffer scratch(InvEntryBuffer::capacity_for_master(2, true));
  MasterInvSpec spec;
  spec.smmu = &s;
  spec.tag = 3;
  spec.ats_enabled = true;
  spec.sids = sids;
  spec.num_sids = 2;
  DomainInvs d(os);
  ASSERT_TRUE(build_master_invs(scratch, spec));
  d.replace(InvArray::merge(os, d.locked(), scratch.span()));
  EXPECT_EQ(d.locked().size(), 3u);
  EXPECT_TRUE(d.locked().has_ats());
  // Detach (blocked domain): rebuild into the same buffer, unref in place: no allocation.
  const long live = InvArray::live_count();
  ASSERT_TRUE(build_master_invs(scratch, spec));
  EXPECT_EQ(d.locked().unref(scratch), 0u);
  EXPECT_EQ(InvArray::live_count(), live);
  EXPECT_EQ(d.locked().size(), 0u);
  EXPECT_EQ(scratch[0].users, 0);  // the ASID lost its last user: the caller flushes it
  EXPECT_EQ(InvArray::purge(os, d.locked()), nullptr);
  EXPECT_TRUE(os.run_grace_period());
}

// --- RCU

TEST(DomainInvs, ReaderKeepsTheOldArrayAliveAcrossReplace) {
  HostOs os;
  SmmuHandle s{0};
  const long base = InvArray::live_count();
  {
    DomainInvs d(os);
    EXPECT_EQ(InvArray::live_count(), base + 1);
    d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kS1Asid, 1)})));
    EXPECT_EQ(os.deferred(), 1u);
    EXPECT_EQ(InvArray::live_count(), base + 2);  // the empty array waits for a grace period
    EXPECT_TRUE(os.run_grace_period());
    EXPECT_EQ(InvArray::live_count(), base + 1);

    os.rcu_read_lock();
    const InvArray* held = &d.rcu_dereference();
    // Another CPU attaches meanwhile.
    d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kS1Asid, 2)})));
    EXPECT_NE(&d.rcu_dereference(), held);
    EXPECT_EQ(d.rcu_dereference().size(), 2u);
    EXPECT_FALSE(os.run_grace_period());
    EXPECT_EQ(os.deferred(), 1u);
    EXPECT_EQ(InvArray::live_count(), base + 2);
    ASSERT_EQ(held->size(), 1u);  // still readable, unchanged
    EXPECT_EQ((*held)[0].id, 1u);
    os.rcu_read_unlock();

    EXPECT_TRUE(os.run_grace_period());
    EXPECT_EQ(os.deferred(), 0u);
    EXPECT_EQ(InvArray::live_count(), base + 1);
  }
  EXPECT_EQ(InvArray::live_count(), base);  // the domain frees its current array
}

TEST(DomainInvs, WithInvsIsAReadSideSection) {
  HostOs os;
  SmmuHandle s{0};
  const long base = InvArray::live_count();
  DomainInvs d(os);
  int calls = 0;
  d.with_invs([&](const InvArray& a) {
    ++calls;
    EXPECT_EQ(a.size(), 0u);
    d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kS2Vmid, 4)})));
    EXPECT_FALSE(os.run_grace_period());  // `a` must outlive this callback
    EXPECT_EQ(InvArray::live_count(), base + 2);
    EXPECT_EQ(a.size(), 0u);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(os.run_grace_period());
  EXPECT_EQ(InvArray::live_count(), base + 1);
  d.with_invs([&](const InvArray& a) {
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].type, InvType::kS2Vmid);
  });
  // A reader that throws leaves the section.
  EXPECT_THROW(d.with_invs([](const InvArray&) { throw std::runtime_error("x"); }), std::runtime_error);
  EXPECT_NO_THROW(os.synchronize_rcu());
}

TEST(DomainInvs, AtsReadersHoldTheArrayLockAgainstUnref) {
  HostOs os;
  SmmuHandle s{0};
  DomainInvs d(os);
  d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kS1Asid, 1)})));
  d.with_invs([&](const InvArray& a) {
    EXPECT_FALSE(a.has_ats());
    a.ats_lock().write_lock();  // not held by a reader without ATS entries
    a.ats_lock().write_unlock();
  });
  d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kAts, 9, 1)})));
  d.with_invs([&](const InvArray& a) {
    EXPECT_TRUE(a.has_ats());
    // An unref (ATS disable) would have to wait for this reader.
    EXPECT_THROW(a.ats_lock().write_lock(), std::logic_error);
  });
  // After the reader left, unref takes the write lock and trims.
  auto ats = list({make_inv(&s, InvType::kAts, 9, 1)});
  EXPECT_EQ(d.locked().unref(ats), 0u);
  EXPECT_EQ(d.locked().size(), 1u);
  EXPECT_THROW(d.replace(nullptr), std::invalid_argument);
  EXPECT_TRUE(os.run_grace_period());  // the replaced arrays are freed
}

// unref must trim under the ATS lock taken for writing: that is what waits out a reader
// still issuing ATC invalidations from the array (tests/system/driver_order_test.cpp
// shows the wait on simulated CPUs). Observed through a lock that records the array's
// size whenever unref takes or drops it.
class ObservedRwLock : public RwLock {
 public:
  explicit ObservedRwLock(std::function<void(const char*)> on) : on_(std::move(on)) {}
  void read_lock() override { on_("read_lock"); }
  void read_unlock() override { on_("read_unlock"); }
  void write_lock() override { on_("write_lock"); }
  void write_unlock() override { on_("write_unlock"); }

 private:
  std::function<void(const char*)> on_;
};

TEST(DomainInvs, UnrefTrimsOnlyUnderTheWriteLockThatWaitsForAtsReaders) {
  struct ObservingOs : HostOs {
    std::function<void(const char*)> on = [](const char*) {};
    std::unique_ptr<RwLock> make_rwlock() override {
      return std::make_unique<ObservedRwLock>([this](const char* what) { on(what); });
    }
  } os;
  SmmuHandle s{0};
  DomainInvs d(os);
  d.replace(InvArray::merge(
      os, d.locked(), list({make_inv(&s, InvType::kS1Asid, 1), make_inv(&s, InvType::kAts, 9)})));
  std::vector<std::pair<std::string, size_t>> seen;  // (lock step, array size then)
  os.on = [&](const char* what) { seen.emplace_back(what, d.locked().size()); };

  d.with_invs([&](const InvArray& a) { EXPECT_TRUE(a.has_ats()); });
  auto ats = list({make_inv(&s, InvType::kAts, 9)});
  EXPECT_EQ(d.locked().unref(ats), 0u);
  // The reader's section, then the trim (2 -> 1) between write_lock and write_unlock.
  const std::vector<std::pair<std::string, size_t>> want{
      {"read_lock", 2}, {"read_unlock", 2}, {"write_lock", 2}, {"write_unlock", 1}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(ats[0].users, 0);
  // An unref that trims nothing (the ASID stays in use) changes no size under the lock.
  d.replace(InvArray::merge(os, d.locked(), list({make_inv(&s, InvType::kS1Asid, 1)})));
  seen.clear();
  auto asid = list({make_inv(&s, InvType::kS1Asid, 1)});
  d.locked().unref(asid);
  EXPECT_EQ(asid[0].users, 1);
  for (const auto& [step, size] : seen) EXPECT_EQ(size, 1u) << step;
  os.on = [](const char*) {};
  EXPECT_TRUE(os.run_grace_period());
}

}  // namespace
}  // namespace smmu::driver
