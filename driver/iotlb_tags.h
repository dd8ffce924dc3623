// SPDX-License-Identifier: Apache-2.0
// IOTLB tags (ASIDs and VMIDs) of one SMMU instance. A domain shared by several
// instances gets its own tag on each, allocated when a master behind that instance first
// attaches (found again, with one more user, for the next ones) and given back when its
// last user goes. Giving a tag back is two steps, because the IOTLB may still hold
// entries under it: release() says the tag must be flushed (TLBI by ASID or VMID, then
// CMD_SYNC), free() after the flush makes it reusable. A vSMMU owns its VMID from init
// to destroy, apart from any domain.
//
// Callers serialize (the attach mutex); nothing here blocks or touches the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace smmu::driver {

// The lowest free number in [min, max], from a bitmap (deterministic reuse).
class IdAllocator {
 public:
  IdAllocator(uint32_t min, uint32_t max);
  std::optional<uint32_t> alloc();  // nullopt when every number is taken
  void free(uint32_t id);           // throws std::invalid_argument when not allocated
  bool allocated(uint32_t id) const;
  uint32_t min() const { return min_; }
  uint32_t max() const { return max_; }
  uint32_t in_use() const { return used_; }

 private:
  std::vector<uint64_t> bits_;  // bit (id - min)
  uint32_t min_, max_, used_ = 0;
};

enum class TagType : uint8_t { kAsid, kVmid };

struct IotlbTag {
  TagType type = TagType::kAsid;
  uint16_t id = 0;
  bool operator==(const IotlbTag& o) const { return type == o.type && id == o.id; }
  bool operator!=(const IotlbTag& o) const { return !(*this == o); }
};

class IotlbTags {
 public:
  // asid_bits / vmid_bits: 8 or 16 (IDR0.ASID16 / IDR0.VMID16); anything else throws
  // std::invalid_argument. ASIDs come from [1, 2^asid_bits - 1], VMIDs likewise.
  IotlbTags(unsigned asid_bits, unsigned vmid_bits);
  static IotlbTags from_idr0(uint32_t idr0);

  unsigned asid_bits() const { return asid_bits_; }
  unsigned vmid_bits() const { return vmid_bits_; }

  // The tag of `domain` on this instance, with one more user; allocated on first use.
  // nullopt when the space is exhausted (then nothing changed).
  std::optional<IotlbTag> acquire(const void* domain, TagType type);
  std::optional<IotlbTag> find(const void* domain, TagType type) const;
  unsigned users(const void* domain, TagType type) const;

  // One user fewer. When it was the last, returns the tag: the domain no longer has it,
  // but the number stays reserved until free(tag), which the caller calls after flushing
  // it from the IOTLB. Throws std::invalid_argument when the domain has no such tag.
  std::optional<IotlbTag> release(const void* domain, TagType type);
  // After the flush. Throws std::invalid_argument unless release() returned this tag.
  void free(const IotlbTag& tag);

  // A vSMMU's VMID: allocated at vSMMU init, freed at vSMMU destroy (after its last
  // flush); never handed to a domain.
  std::optional<IotlbTag> alloc_vsmmu_vmid();
  void free_vsmmu_vmid(const IotlbTag& tag);  // throws unless it is a live vSMMU VMID

  uint32_t asids_in_use() const { return asids_.in_use(); }
  uint32_t vmids_in_use() const { return vmids_.in_use(); }
  size_t awaiting_free() const { return released_.size(); }

 private:
  struct Owned {
    uint16_t id;
    unsigned users;
  };
  using Key = std::pair<const void*, TagType>;
  using TagKey = std::pair<TagType, uint16_t>;
  IdAllocator& pool(TagType t) { return t == TagType::kAsid ? asids_ : vmids_; }

  unsigned asid_bits_, vmid_bits_;
  IdAllocator asids_, vmids_;
  std::map<Key, Owned> owned_;
  std::set<TagKey> released_;      // released, not yet freed (being flushed)
  std::set<uint16_t> vsmmu_vmids_;
};

}  // namespace smmu::driver
