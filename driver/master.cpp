// SPDX-License-Identifier: Apache-2.0
#include "driver/master.h"

#include <algorithm>

#include "driver/smmu_device.h"

namespace smmu::driver {

Master::Master(SmmuDevice& smmu, MasterConfig cfg)
    : smmu_(smmu),
      cfg_(std::move(cfg)),
      sids_(cfg_.sids),
      ssid_bits_(cfg_.ssid_bits),
      scratch_(InvEntryBuffer::capacity_for_master(cfg_.sids.size(), cfg_.ats_capable)) {
  std::sort(sids_.begin(), sids_.end());
}

Domain* Master::pasid_domain(uint32_t ssid) const {
  auto it = pasids_.find(ssid);
  return it == pasids_.end() ? nullptr : it->second.domain;
}

}  // namespace smmu::driver
