// SPDX-License-Identifier: Apache-2.0
// The width of every TLM socket of the model (upstream, downstream, walk, MMIO, ATS, DTI):
// 64 bits, as most virtual platforms' buses. BUSWIDTH only has to match for binding; the
// model's timing does not depend on it. An initiator or target of another width binds
// through BusWidthBridge (rtl_model/common/bus_width_bridge.h).
#pragma once

namespace smmu::model {

constexpr unsigned kBusWidth = 64;

}  // namespace smmu::model
