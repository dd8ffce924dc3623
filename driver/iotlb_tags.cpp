// SPDX-License-Identifier: Apache-2.0
#include "driver/iotlb_tags.h"

#include <stdexcept>
#include <string>

namespace smmu::driver {

// --- IdAllocator

IdAllocator::IdAllocator(uint32_t min, uint32_t max) : min_(min), max_(max) {
  if (min > max)
    throw std::invalid_argument("IdAllocator: min " + std::to_string(min) + " > max " +
                                std::to_string(max));
  bits_.assign((uint64_t{max} - min) / 64 + 1, 0);
}

std::optional<uint32_t> IdAllocator::alloc() {
  const uint64_t span = uint64_t{max_} - min_ + 1;
  for (size_t w = 0; w < bits_.size(); ++w) {
    if (bits_[w] == ~uint64_t{0}) continue;
    for (unsigned b = 0; b < 64; ++b) {
      const uint64_t off = uint64_t{w} * 64 + b;
      if (off >= span) return std::nullopt;
      if (!(bits_[w] >> b & 1)) {
        bits_[w] |= uint64_t{1} << b;
        ++used_;
        return static_cast<uint32_t>(min_ + off);
      }
    }
  }
  return std::nullopt;
}

bool IdAllocator::allocated(uint32_t id) const {
  if (id < min_ || id > max_) return false;
  const uint64_t off = uint64_t{id} - min_;
  return bits_[off / 64] >> (off % 64) & 1;
}

void IdAllocator::free(uint32_t id) {
  if (!allocated(id))
    throw std::invalid_argument("IdAllocator::free: id " + std::to_string(id) +
                                " is not allocated");
  const uint64_t off = uint64_t{id} - min_;
  bits_[off / 64] &= ~(uint64_t{1} << (off % 64));
  --used_;
}

// --- IotlbTags

namespace {

unsigned checked_bits(unsigned bits, const char* what) {
  if (bits != 8 && bits != 16)
    throw std::invalid_argument(std::string("IotlbTags: ") + what + " " + std::to_string(bits) +
                                " is not 8 or 16");
  return bits;
}

const char* name(TagType t) { return t == TagType::kAsid ? "ASID" : "VMID"; }

}  // namespace

IotlbTags::IotlbTags(unsigned asid_bits, unsigned vmid_bits)
    : asid_bits_(checked_bits(asid_bits, "asid_bits")),
      vmid_bits_(checked_bits(vmid_bits, "vmid_bits")),
      asids_(1, (1u << asid_bits) - 1),
      vmids_(1, (1u << vmid_bits) - 1) {}

IotlbTags IotlbTags::from_idr0(uint32_t idr0) {
  const bool asid16 = idr0 >> 12 & 1;
  const bool vmid16 = idr0 >> 18 & 1;
  return IotlbTags(asid16 ? 16 : 8, vmid16 ? 16 : 8);
}

std::optional<IotlbTag> IotlbTags::acquire(const void* domain, TagType type) {
  if (!domain) throw std::invalid_argument("IotlbTags::acquire: domain is null");
  auto it = owned_.find({domain, type});
  if (it != owned_.end()) {
    ++it->second.users;
    return IotlbTag{type, it->second.id};
  }
  const auto id = pool(type).alloc();
  if (!id) return std::nullopt;
  owned_[{domain, type}] = Owned{static_cast<uint16_t>(*id), 1};
  return IotlbTag{type, static_cast<uint16_t>(*id)};
}

std::optional<IotlbTag> IotlbTags::find(const void* domain, TagType type) const {
  auto it = owned_.find({domain, type});
  if (it == owned_.end()) return std::nullopt;
  return IotlbTag{type, it->second.id};
}

unsigned IotlbTags::users(const void* domain, TagType type) const {
  auto it = owned_.find({domain, type});
  return it == owned_.end() ? 0 : it->second.users;
}

std::optional<IotlbTag> IotlbTags::release(const void* domain, TagType type) {
  auto it = owned_.find({domain, type});
  if (it == owned_.end())
    throw std::invalid_argument(std::string("IotlbTags::release: the domain has no ") +
                                name(type));
  if (--it->second.users > 0) return std::nullopt;
  const IotlbTag tag{type, it->second.id};
  owned_.erase(it);
  released_.insert({tag.type, tag.id});
  return tag;
}

void IotlbTags::free(const IotlbTag& tag) {
  if (!released_.erase({tag.type, tag.id}))
    throw std::invalid_argument(std::string("IotlbTags::free: ") + name(tag.type) + " " +
                                std::to_string(tag.id) + " was not released");
  pool(tag.type).free(tag.id);
}

std::optional<IotlbTag> IotlbTags::alloc_vsmmu_vmid() {
  const auto id = vmids_.alloc();
  if (!id) return std::nullopt;
  vsmmu_vmids_.insert(static_cast<uint16_t>(*id));
  return IotlbTag{TagType::kVmid, static_cast<uint16_t>(*id)};
}

void IotlbTags::free_vsmmu_vmid(const IotlbTag& tag) {
  if (tag.type != TagType::kVmid || !vsmmu_vmids_.erase(tag.id))
    throw std::invalid_argument("IotlbTags::free_vsmmu_vmid: " + std::string(name(tag.type)) +
                                " " + std::to_string(tag.id) + " is not a vSMMU VMID");
  vmids_.free(tag.id);
}

}  // namespace smmu::driver
