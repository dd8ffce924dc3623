// SPDX-License-Identifier: Apache-2.0
// smmu-sim's software with setup "driver": the firmware driver brings every SMMU up and
// turns the scenario's streams into domains and masters, on simulated CPU 0 at time 0
// (set_up), then runs the scenario's driver_ops (run_op) on their CPUs. No table
// builder: every table, queue and descriptor is the driver's, in DMA memory from the
// table region.
//
// Streams become: s1 / s2 -> a paging domain (shared by the streams naming the same
// `domain`; its mappings are the union), bypass -> the identity domain, abort -> the
// blocked domain, nested -> a nesting-parent S2 domain (ipa -> pa), a vSMMU on the
// stream's SMMU, and a nested domain whose stage 1 the "guest" builds (an io-pgtable
// iova -> ipa and one CD, in memory the parent maps 1:1). A stream with `ats` on an ATS
// device's port is an ATS-capable master; the driver enables the device's ATS. An s1
// stream's non-zero ssids attach its domain at those PASIDs; with sva its mappings are a
// process's (driver::ProcessMm, one per domain name), bound there as an SVA domain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/iommu.h"
#include "platform/software/guest_stage1.h"
#include "platform/scenario/scenario.h"

namespace smmu::platform {

struct DriverOpResult {
  // A run stopped early (scenario duration) may end before an op started or finished.
  bool started = false, finished = false;
  uint64_t start_ns = 0, end_ns = 0;
  driver::SmmuStatus status = driver::SmmuStatus::kOk;
  std::string error;  // a page-table failure, when there was one
};

class DriverSetup {
 public:
  // Sets the ATS Enable bit of the device with this StreamID behind this SMMU.
  using AtsEnable = std::function<void(unsigned smmu, uint32_t sid, bool on)>;
  // os: the machine's Os (platform/cpu/system_os.h). ats_capable(smmu, sid): a stream's
  // device is an ATS endpoint with ATS allowed by the scenario.
  DriverSetup(const Scenario& sc, driver::Os& os, AtsEnable ats_enable,
              std::function<bool(unsigned, uint32_t)> ats_capable);
  ~DriverSetup();

  // Everything of the set-up; false (and error()) on the first failure.
  bool set_up();
  // One driver operation (index into the scenario's driver_ops).
  void run_op(size_t index);

  const std::string& error() const { return error_; }
  uint64_t setup_ns() const { return setup_ns_; }
  const std::vector<DriverOpResult>& op_results() const { return ops_; }
  size_t num_devices() const { return devices_.size(); }
  driver::SmmuDevice& device(size_t i) { return *devices_.at(i); }
  driver::Iommu& iommu() { return *iommu_; }
  size_t num_domains() const { return domains_.size(); }
  // The domain the set-up gave streams[stream] (nullptr when it did not get that far).
  driver::Domain* stream_domain(size_t stream) const {
    const auto it = stream_domain_.find(stream);
    return it == stream_domain_.end() ? nullptr : it->second;
  }

 private:
  bool fail(const std::string& what);
  driver::Domain* paging_domain(size_t stream);
  bool map_mappings(driver::Domain& d, const StreamSpec& s, bool nested_ipa);
  driver::Domain* nested_domain(size_t stream);
  driver::Domain* sva_domain(size_t stream);

  const Scenario& sc_;
  driver::Os& os_;
  AtsEnable ats_enable_;
  std::function<bool(unsigned, uint32_t)> ats_capable_;
  std::vector<std::unique_ptr<driver::SmmuDevice>> devices_;
  std::unique_ptr<driver::Iommu> iommu_;
  // SVA processes by domain name: they outlive their domains (declared before them).
  std::map<std::string, std::unique_ptr<driver::ProcessMm>> processes_;
  std::map<std::string, std::unique_ptr<driver::Domain>> domains_;  // by name
  std::vector<std::unique_ptr<driver::IoPgtable>> guest_tables_;
  std::vector<std::unique_ptr<driver::Vsmmu>> vsmmus_;
  std::vector<std::unique_ptr<driver::Domain>> nested_;
  std::vector<std::unique_ptr<driver::Master>> masters_;
  std::map<size_t, driver::Domain*> stream_domain_;  // stream index -> its domain
  std::string error_;
  uint64_t setup_ns_ = 0;
  std::vector<DriverOpResult> ops_;
};

}  // namespace smmu::platform
