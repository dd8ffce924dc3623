// A master: one device behind one SMMU instance, with its stream IDs (kept sorted, as
// the invalidation array's ATS entries are), whether it can do ATS, and what attach
// left it with: the domain, the IOTLB tag it uses on its SMMU, whether ATS is enabled.
// Everything attach needs that could fail for lack of memory is allocated when the
// master is probed (its STEs, the scratch list of invalidation entries), so that
// attaching it to the blocked or identity domain cannot fail.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "driver/invalidation_array.h"
#include "driver/iotlb_tags.h"

namespace smmu::driver {

class Domain;
class SmmuDevice;

struct MasterConfig {
  std::vector<uint32_t> sids;  // at least one; duplicates are refused
  bool ats_capable = false;    // a PCIe function with an ATS capability (needs IDR0.ATS)
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
  uint64_t cd_table_pa() const { return cd_table_pa_; }  // 0 until a stage-1 attach

 private:
  friend class Iommu;
  Master(SmmuDevice& smmu, MasterConfig cfg);

  SmmuDevice& smmu_;
  MasterConfig cfg_;
  std::vector<uint32_t> sids_;
  Domain* domain_ = nullptr;
  std::optional<IotlbTag> tag_;
  bool ats_enabled_ = false;
  uint64_t cd_table_pa_ = 0;  // one CD (SSID 0), allocated at the first stage-1 attach
  InvEntryBuffer scratch_;    // the entries to merge or unref, never reallocated
};

}  // namespace smmu::driver
