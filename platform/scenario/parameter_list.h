// SPDX-License-Identifier: Apache-2.0
// The SMMU parameter tables (rtl_model/smmu/smmu_param_table.h) as the markdown table of
// the README ("SMMU parameters and defaults"), with their scenario key paths: what
// smmu-sim --list-parameters prints. tests/readme_parameters.cmake checks the README
// holds exactly this between its parameters markers.
#pragma once

#include <string>

namespace smmu::platform {

std::string parameter_table_markdown();

}  // namespace smmu::platform
