// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/smmu/translation_types.h"

namespace smmu::model {

const char* to_string(FaultType f) {
  switch (f) {
    case FaultType::kNone: return "none";
    case FaultType::kTranslation: return "F_TRANSLATION";
    case FaultType::kAddrSize: return "F_ADDR_SIZE";
    case FaultType::kAccess: return "F_ACCESS";
    case FaultType::kPermission: return "F_PERMISSION";
    case FaultType::kWalkEabt: return "F_WALK_EABT";
  }
  return "?";
}

}  // namespace smmu::model
