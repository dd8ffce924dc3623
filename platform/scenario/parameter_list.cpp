// SPDX-License-Identifier: Apache-2.0
#include "platform/scenario/parameter_list.h"

#include <sstream>

#include "rtl_model/smmu/smmu_param_table.h"

namespace smmu::platform {

namespace {

template <typename Owner>
void rows(std::ostream& out, const std::string& prefix, const std::vector<model::Param<Owner>>& table) {
  for (const model::Param<Owner>& p : table) {
    out << "| `" << prefix << p.key << "` | " << model::param_type_name(p) << " | "
        << model::param_range_text(p) << " | " << model::param_default_text(p) << " | " << p.unit
        << " | " << p.doc << " |\n";
  }
}

}  // namespace

std::string parameter_table_markdown() {
  std::ostringstream out;
  out << "| key | type | values | default | unit | meaning |\n"
      << "|---|---|---|---|---|---|\n";
  rows(out, "smmus[].", model::smmu_param_table());
  rows(out, "smmus[].tbus[].", model::tbu_param_table());
  return out.str();
}

}  // namespace smmu::platform
