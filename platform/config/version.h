// SPDX-License-Identifier: Apache-2.0
// The project's version, written into golden reports (platform/report/golden.h) so that a
// golden says which model produced it. Raised with every change of the model's timing
// or report that is released.
#pragma once

namespace smmu::platform {

constexpr const char* kVersion = "0.14.0";
// The JSON report's layout: raised when a key is renamed, moved or changes meaning.
constexpr int kReportSchemaVersion = 1;

}  // namespace smmu::platform
