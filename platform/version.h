// The project's version, written into golden reports (platform/golden.h) so that a
// golden says which model produced it. Raised with every change of the model's timing
// or report that is released.
#pragma once

namespace smmu::platform {

constexpr const char* kVersion = "0.13.0";

}  // namespace smmu::platform
