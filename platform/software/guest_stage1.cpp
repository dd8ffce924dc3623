// SPDX-License-Identifier: Apache-2.0
#include "platform/software/guest_stage1.h"

#include "rtl_model/arch/cd.h"

namespace smmu::platform {

bool make_guest_stage1(driver::Os& os, unsigned granule_shift, uint16_t asid, GuestStage1& out) {
  driver::IoPgtableConfig c;
  c.stage = driver::PgtableStage::kS1;
  c.granule_shift = granule_shift;
  c.ng = true;  // the guest's ASID tags its entries
  out.s1 = driver::IoPgtable::create(os, c);
  if (!out.s1) return false;
  out.cd_pa = os.dma_alloc(64, 64);
  if (!out.cd_pa) return false;
  arch::Cd cd;
  out.s1->fill_cd(cd);
  cd.valid = true;
  cd.asid = asid;
  cd.r = cd.a = true;  // record faults, abort (no stall)
  const arch::CdWords w = cd.encode();
  for (unsigned i = 0; i < 8; ++i) os.write64(out.cd_pa + 8 * i, w[i]);
  out.vste = arch::Ste{};
  out.vste.valid = true;
  out.vste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  out.vste.s1_context_ptr = out.cd_pa;
  out.vste.s1cir = out.vste.s1cor = 1;  // write-back
  out.vste.s1csh = 3;                   // inner shareable
  return true;
}

}  // namespace smmu::platform
