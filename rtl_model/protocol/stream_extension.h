// SPDX-License-Identifier: Apache-2.0
// The attributes a master attaches to device traffic: which stream it belongs to and how
// it accesses memory. Ignorable: targets that do not know it just see the payload.
#pragma once

#include <cstdint>
#include <tlm>

namespace smmu::model {

struct StreamExtension : tlm::tlm_extension<StreamExtension> {
  uint32_t sid = 0;
  uint32_t ssid = 0;
  bool ssv = false;             // ssid is valid
  bool ats_translated = false;  // address already translated by a device ATC (ATS)
  bool privileged = false;
  bool instruction = false;

  StreamExtension() = default;
  StreamExtension(uint32_t sid_, uint32_t ssid_ = 0, bool ssv_ = false)
      : sid(sid_), ssid(ssid_), ssv(ssv_) {}

  tlm::tlm_extension_base* clone() const override { return new StreamExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const StreamExtension&>(other);
  }
};

}  // namespace smmu::model
