// SPDX-License-Identifier: Apache-2.0
// What a guest builds in its own memory for a nested domain (driver::Iommu::
// alloc_nested_domain): an empty stage-1 table, one CD pointing at it with the guest's
// ASID, and the vSTE it hands to the host. The guest maps its pages into `s1` after;
// the host's nesting parent must map the guest's table memory (the DMA memory these
// come from) 1:1.
#pragma once

#include <cstdint>
#include <memory>

#include "driver/io_pgtable.h"
#include "driver/os.h"
#include "rtl_model/arch/ste.h"

namespace smmu::platform {

struct GuestStage1 {
  std::unique_ptr<driver::IoPgtable> s1;
  uint64_t cd_pa = 0;
  arch::Ste vste;  // Config stage 1, one CD (S1CDMax 0), walks write-back inner shareable
};

// False when the DMA memory runs out (out is then incomplete).
bool make_guest_stage1(driver::Os& os, unsigned granule_shift, uint16_t asid, GuestStage1& out);

}  // namespace smmu::platform
