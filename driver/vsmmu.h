// SPDX-License-Identifier: Apache-2.0
// A vSMMU: the SMMU instance a guest sees, backed by one physical SMMU and a nesting-
// parent S2 domain (the guest's memory). It owns a VMID on its SMMU from creation to
// destruction, apart from the parent domain's own tags: every nested domain created on
// it translates under that VMID, and the VMID is flushed when the last of their masters
// goes but stays the vSMMU's until it is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "driver/command_queue.h"
#include "driver/iotlb_tags.h"
#include "rtl_model/arch/command.h"

namespace smmu::driver {

class Domain;
class Iommu;
class SmmuDevice;

class Vsmmu {
 public:
  Vsmmu(const Vsmmu&) = delete;
  Vsmmu& operator=(const Vsmmu&) = delete;

  SmmuDevice& smmu() const { return smmu_; }
  Domain& parent() const { return parent_; }
  uint16_t vmid() const { return tag_.id; }
  unsigned nested_domains() const { return nested_.load(); }

  // The guest's invalidation commands, forwarded to the SMMU under the vSMMU's VMID:
  // TLBI_NH_ALL / _ASID / _VA / _VAA (their VMID replaced), CFGI_CD / CFGI_CD_ALL and
  // ATC_INV for a StreamID of a master attached to one of this vSMMU's nested domains
  // (guest StreamIDs are the physical ones), CMD_SYNC (dropped: the forwarded batch ends
  // with one). Anything else is refused with kInvalidArgument and nothing is issued.
  SmmuStatus cache_invalidate(const std::vector<arch::Command>& guest_cmds);

 private:
  friend class Iommu;
  Vsmmu(Iommu& iommu, SmmuDevice& smmu, Domain& parent, IotlbTag tag)
      : iommu_(iommu), smmu_(smmu), parent_(parent), tag_(tag) {}

  Iommu& iommu_;
  SmmuDevice& smmu_;
  Domain& parent_;
  IotlbTag tag_;
  std::atomic<unsigned> nested_{0};
  std::vector<uint32_t> sids_;  // of masters attached to its nested domains (attach mutex)
};

}  // namespace smmu::driver
