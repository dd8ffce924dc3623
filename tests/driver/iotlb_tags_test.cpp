// SPDX-License-Identifier: Apache-2.0
// IOTLB tags per SMMU instance: ranges, reuse, users counting, independence of
// instances, exhaustion, the release -> flush -> free sequence and vSMMU VMIDs.
#include "driver/iotlb_tags.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace smmu::driver {
namespace {

int dom_a, dom_b, dom_c;  // distinct addresses standing for domains

TEST(IdAllocator, LowestFreeInRangeAndReuse) {
  IdAllocator ids(1, 130);
  for (uint32_t want = 1; want <= 130; ++want) ASSERT_EQ(ids.alloc(), want);
  EXPECT_EQ(ids.alloc(), std::nullopt);
  EXPECT_EQ(ids.in_use(), 130u);
  ids.free(65);
  ids.free(3);
  EXPECT_EQ(ids.alloc(), 3u);
  EXPECT_EQ(ids.alloc(), 65u);
  EXPECT_FALSE(ids.allocated(0));
  EXPECT_FALSE(ids.allocated(131));
  EXPECT_THROW(ids.free(0), std::invalid_argument);
  EXPECT_THROW(ids.free(131), std::invalid_argument);
  ids.free(130);
  EXPECT_THROW(ids.free(130), std::invalid_argument);  // double free
  EXPECT_THROW(IdAllocator(5, 4), std::invalid_argument);
}

TEST(IotlbTags, RangesNeverZeroUpToTheMaximum) {
  IotlbTags tags(16, 16);
  // 16-bit VMIDs: 65535 of them, 1..0xffff.
  std::vector<int> doms(65535);
  for (size_t i = 0; i < doms.size(); ++i) {
    auto t = tags.acquire(&doms[i], TagType::kVmid);
    ASSERT_TRUE(t);
    ASSERT_EQ(t->id, i + 1);
  }
  int one_more;
  EXPECT_EQ(tags.acquire(&one_more, TagType::kVmid), std::nullopt);
  EXPECT_EQ(tags.find(&doms.back(), TagType::kVmid)->id, 0xffff);
  // ASIDs are a separate space.
  EXPECT_EQ(tags.acquire(&doms[0], TagType::kAsid)->id, 1);

  IotlbTags small(8, 8);
  EXPECT_EQ(small.asid_bits(), 8u);
  EXPECT_EQ(small.acquire(&dom_a, TagType::kAsid)->id, 1);
}

TEST(IotlbTags, BitsFromIdr0AndBadBits) {
  const IotlbTags both16 = IotlbTags::from_idr0((1u << 12) | (1u << 18));
  EXPECT_EQ(both16.asid_bits(), 16u);
  EXPECT_EQ(both16.vmid_bits(), 16u);
  const IotlbTags asid16 = IotlbTags::from_idr0(1u << 12);
  EXPECT_EQ(asid16.asid_bits(), 16u);
  EXPECT_EQ(asid16.vmid_bits(), 8u);
  const IotlbTags none = IotlbTags::from_idr0(0);
  EXPECT_EQ(none.asid_bits(), 8u);
  EXPECT_EQ(none.vmid_bits(), 8u);
  EXPECT_THROW(IotlbTags(12, 8), std::invalid_argument);
  EXPECT_THROW(IotlbTags(8, 0), std::invalid_argument);
}

TEST(IotlbTags, UsersCountingAndTwoStepRelease) {
  IotlbTags tags(16, 16);
  const auto t1 = tags.acquire(&dom_a, TagType::kAsid);
  const auto t2 = tags.acquire(&dom_a, TagType::kAsid);  // a second master, same domain
  ASSERT_TRUE(t1 && t2);
  EXPECT_EQ(*t1, *t2);
  EXPECT_EQ(tags.users(&dom_a, TagType::kAsid), 2u);
  EXPECT_EQ(tags.asids_in_use(), 1u);

  EXPECT_EQ(tags.release(&dom_a, TagType::kAsid), std::nullopt);  // one user left
  EXPECT_EQ(tags.users(&dom_a, TagType::kAsid), 1u);
  const auto last = tags.release(&dom_a, TagType::kAsid);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, *t1);
  // Between release and free: the domain no longer has it, nobody else gets it.
  EXPECT_EQ(tags.find(&dom_a, TagType::kAsid), std::nullopt);
  EXPECT_EQ(tags.awaiting_free(), 1u);
  EXPECT_EQ(tags.acquire(&dom_b, TagType::kAsid)->id, 2);
  EXPECT_THROW(tags.release(&dom_a, TagType::kAsid), std::invalid_argument);
  // ... the caller flushes (TLBI_NH_ASID + CMD_SYNC), then frees.
  tags.free(*last);
  EXPECT_EQ(tags.awaiting_free(), 0u);
  EXPECT_THROW(tags.free(*last), std::invalid_argument);
  // Reuse after free: the lowest free ASID again.
  EXPECT_EQ(tags.acquire(&dom_c, TagType::kAsid)->id, 1);
  EXPECT_THROW(tags.free(IotlbTag{TagType::kAsid, 2}), std::invalid_argument);  // in use, not released
}

TEST(IotlbTags, InstancesAreIndependent) {
  IotlbTags smmu0(16, 16), smmu1(16, 16);
  // Domain B is shared by both instances; A only sits behind instance 0.
  EXPECT_EQ(smmu0.acquire(&dom_a, TagType::kVmid)->id, 1);
  EXPECT_EQ(smmu0.acquire(&dom_b, TagType::kVmid)->id, 2);
  EXPECT_EQ(smmu1.acquire(&dom_b, TagType::kVmid)->id, 1);
  EXPECT_EQ(smmu1.vmids_in_use(), 1u);  // no VMID wasted on instance 1 for A
  // Releasing on one instance leaves the other alone.
  const auto t = smmu1.release(&dom_b, TagType::kVmid);
  ASSERT_TRUE(t);
  smmu1.free(*t);
  EXPECT_EQ(smmu0.find(&dom_b, TagType::kVmid)->id, 2);
  EXPECT_EQ(smmu0.users(&dom_b, TagType::kVmid), 1u);
}

TEST(IotlbTags, ExhaustionWithEightBitAsidsFailsCleanly) {
  IotlbTags tags(8, 8);
  std::vector<int> doms(256);
  for (size_t i = 0; i < 255; ++i) ASSERT_EQ(tags.acquire(&doms[i], TagType::kAsid)->id, i + 1);
  EXPECT_EQ(tags.acquire(&doms[255], TagType::kAsid), std::nullopt);
  EXPECT_EQ(tags.asids_in_use(), 255u);
  EXPECT_EQ(tags.find(&doms[255], TagType::kAsid), std::nullopt);
  EXPECT_EQ(tags.users(&doms[255], TagType::kAsid), 0u);
  // Existing domains still find theirs.
  EXPECT_EQ(tags.acquire(&doms[9], TagType::kAsid)->id, 10);
  EXPECT_EQ(tags.users(&doms[9], TagType::kAsid), 2u);
  // Free one: the waiting domain gets exactly that one.
  const auto t = tags.release(&doms[100], TagType::kAsid);
  ASSERT_TRUE(t);
  EXPECT_EQ(tags.acquire(&doms[255], TagType::kAsid), std::nullopt);  // not before the flush
  tags.free(*t);
  EXPECT_EQ(tags.acquire(&doms[255], TagType::kAsid)->id, 101);
}

TEST(IotlbTags, VsmmuVmidLivesFromInitToDestroy) {
  IotlbTags tags(16, 8);
  const auto vsmmu = tags.alloc_vsmmu_vmid();
  ASSERT_TRUE(vsmmu);
  EXPECT_EQ(vsmmu->type, TagType::kVmid);
  EXPECT_EQ(vsmmu->id, 1);
  // Domains attaching meanwhile never get it.
  EXPECT_EQ(tags.acquire(&dom_a, TagType::kVmid)->id, 2);
  EXPECT_EQ(tags.find(&dom_a, TagType::kVmid)->id, 2);
  // It is no domain's tag: the domain path cannot free it.
  EXPECT_THROW(tags.free(*vsmmu), std::invalid_argument);
  tags.free_vsmmu_vmid(*vsmmu);
  EXPECT_THROW(tags.free_vsmmu_vmid(*vsmmu), std::invalid_argument);
  EXPECT_THROW(tags.free_vsmmu_vmid(IotlbTag{TagType::kVmid, 2}), std::invalid_argument);  // a domain's
  EXPECT_EQ(tags.vmids_in_use(), 1u);
  EXPECT_EQ(tags.alloc_vsmmu_vmid()->id, 1);  // reusable after destroy
  // Exhaustion of the 8-bit VMID space.
  std::vector<int> doms(300);
  size_t got = 0;
  for (auto& d : doms) got += tags.acquire(&d, TagType::kVmid).has_value();
  EXPECT_EQ(got, 253u);  // 255 VMIDs minus the vSMMU's and dom_a's
  EXPECT_EQ(tags.alloc_vsmmu_vmid(), std::nullopt);
}

}  // namespace
}  // namespace smmu::driver
