// SPDX-License-Identifier: Apache-2.0
#include "platform/cpu/system_os.h"

#include <stdexcept>

namespace smmu::platform {

SystemOs::SystemOs(std::vector<Cpu*> cpus) : cpus_(std::move(cpus)) {
  if (cpus_.empty()) throw std::invalid_argument("SystemOs: no CPU");
}

driver::Os& SystemOs::current() const {
  for (Cpu* c : cpus_)
    if (c->on_cpu()) return c->os();
  return cpus_.front()->os();
}

}  // namespace smmu::platform
