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

namespace {
bool stage_allows(const StagePerms& p, const Access& a) {
  if (!a.priv && !p.user) return false;
  if (a.write ? !p.write : !p.read) return false;
  if (a.exec && !(a.priv ? p.pexec : p.uexec)) return false;
  return true;
}
}  // namespace

FaultType check_permissions(const Permissions& perms, const Access& access, bool& fault_stage2) {
  fault_stage2 = false;
  if (!stage_allows(perms.s1, access)) return FaultType::kPermission;
  // Stage 2 has no notion of EL0: only read/write/execute.
  Access s2_access = access;
  s2_access.priv = true;
  StagePerms s2 = perms.s2;
  s2.user = true;
  if (!stage_allows(s2, s2_access)) {
    fault_stage2 = true;
    return FaultType::kPermission;
  }
  return FaultType::kNone;
}

}  // namespace smmu::model
