// SPDX-License-Identifier: Apache-2.0
// A master: one device behind one SMMU instance, with its stream IDs (kept sorted, as
// the invalidation array's ATS entries are), whether it can do ATS, its PASID width,
// and what attach left it with: the domain of its traffic without PASID (the "RID
// domain"), the IOTLB tag it uses on its SMMU, whether ATS is enabled, its CD table and
// the domains attached at its PASIDs.
// Everything attach needs that could fail for lack of memory is allocated when the
// master is probed (its STEs, the scratch list of invalidation entries), so that
// attaching it to the blocked or identity domain cannot fail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "driver/cd_table.h"
#include "driver/invalidation_array.h"
#include "driver/iotlb_tags.h"

namespace smmu::driver {

class Domain;
class SmmuDevice;

struct MasterConfig {
  std::vector<uint32_t> sids;  // at least one; duplicates are refused
  bool ats_capable = false;    // a PCIe function with an ATS capability (needs IDR0.ATS)
  // The device's PASID width (PCIe PASID capability); capped at the SMMU's IDR1.SSIDSIZE.
  // 0: no PASIDs, the CD table has one CD.
  unsigned ssid_bits = 0;
  // Firmware says the device needs its DMA untranslated (reserved regions): released
  // to the identity domain instead of the blocked one.
  bool requires_direct = false;
  // Sets the function's ATS Control Enable bit (config space). Called with true after
  // its STEs allow ATS, with false before they stop allowing it.
  std::function<void(bool)> set_ats_enable;
};

class Master {
 public:
  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;

  SmmuDevice& smmu() const { return smmu_; }
  const std::vector<uint32_t>& sids() const { return sids_; }
  bool ats_capable() const { return cfg_.ats_capable; }
  bool requires_direct() const { return cfg_.requires_direct; }
  Domain* domain() const { return domain_; }
  std::optional<IotlbTag> tag() const { return tag_; }
  bool ats_enabled() const { return ats_enabled_; }
  unsigned ssid_bits() const { return ssid_bits_; }
  // 0 until a stage-1 attach (of the RID domain or at a PASID).
  uint64_t cd_table_pa() const { return cd_table_ ? cd_table_->base_pa() : 0; }
  const CdTable* cd_table() const { return cd_table_.get(); }
  // The domain attached at ssid (nullptr: blocked there), and the PASIDs in use.
  Domain* pasid_domain(uint32_t ssid) const;
  size_t pasids_in_use() const { return pasids_.size(); }

 private:
  friend class Iommu;
  Master(SmmuDevice& smmu, MasterConfig cfg);

  SmmuDevice& smmu_;
  MasterConfig cfg_;
  std::vector<uint32_t> sids_;
  Domain* domain_ = nullptr;
  std::optional<IotlbTag> tag_;
  bool ats_enabled_ = false;
  unsigned ssid_bits_ = 0;
  std::unique_ptr<CdTable> cd_table_;  // allocated at the first stage-1 attach
  struct PasidAttachment {
    Domain* domain = nullptr;
    IotlbTag tag;
  };
  std::map<uint32_t, PasidAttachment> pasids_;  // SSID -> domain (never SSID 0)
  InvEntryBuffer scratch_;    // the entries to merge or unref, never reallocated
};

}  // namespace smmu::driver
