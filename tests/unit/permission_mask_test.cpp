// SPDX-License-Identifier: Apache-2.0
// allowed_accesses(): the hit path's one-bit permission test must agree with
// check_permissions() for every access and every combination of both stages' bits.
#include <gtest/gtest.h>

#include "rtl_model/smmu/translation_types.h"

using namespace smmu::model;

namespace {

StagePerms perms_of(unsigned bits) {
  StagePerms p;
  p.read = bits & 1;
  p.write = bits & 2;
  p.user = bits & 4;
  p.priv_data = bits & 8;
  p.uexec = bits & 16;
  p.pexec = bits & 32;
  return p;
}

}  // namespace

TEST(PermissionMask, AgreesWithCheckPermissionsEverywhere) {
  unsigned allowed = 0, denied = 0;
  for (unsigned s1 = 0; s1 < 64; ++s1) {
    for (unsigned s2 = 0; s2 < 64; ++s2) {
      Permissions perms{perms_of(s1), perms_of(s2)};
      const uint8_t mask = allowed_accesses(perms);
      for (unsigned i = 0; i < 8; ++i) {
        Access a;
        a.write = i & 1;
        a.exec = i & 2;
        a.priv = i & 4;
        ASSERT_EQ(access_index(a), i);
        bool s2_denied;
        const bool ok = check_permissions(perms, a, s2_denied) == FaultType::kNone;
        ASSERT_EQ(((mask >> i) & 1) != 0, ok) << "s1 " << s1 << " s2 " << s2 << " access " << i;
        ok ? ++allowed : ++denied;
      }
    }
  }
  EXPECT_GT(allowed, 0u);
  EXPECT_GT(denied, 0u);
}
