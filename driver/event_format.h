// SPDX-License-Identifier: Apache-2.0
// One event record as a short line of text for logs and reports, with the fields its
// type has (IHI 0070 §7.3), e.g.
//   F_TRANSLATION sid=0x5 ssid=0x1 addr=0x40001000 read data unpriv stage=1 class=IN
#pragma once

#include <string>

#include "rtl_model/arch/event.h"

namespace smmu::driver {

std::string format_event(const arch::EventRecord& e);

}  // namespace smmu::driver
