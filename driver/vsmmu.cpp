// SPDX-License-Identifier: Apache-2.0
#include "driver/vsmmu.h"

#include <algorithm>

#include "driver/iommu.h"

namespace smmu::driver {

SmmuStatus Vsmmu::cache_invalidate(const std::vector<arch::Command>& guest_cmds) {
  using arch::Opcode;
  std::vector<arch::Command> cmds;
  std::vector<size_t> sync_after;  // the guest's CMD_SYNCs end a batch there
  {
    LockGuard g(*iommu_.attach_lock_);  // sids_ changes with attach
    for (const arch::Command& gc : guest_cmds) {
      arch::Command c = gc;
      switch (gc.opcode()) {
        case Opcode::kTlbiNhAll:
        case Opcode::kTlbiNhAsid:
        case Opcode::kTlbiNhVa:
        case Opcode::kTlbiNhVaa:
          c.set_vmid(tag_.id);  // the guest cannot name another VM's VMID
          break;
        case Opcode::kCfgiCd:
        case Opcode::kCfgiCdAll:
        case Opcode::kAtcInv:
          if (std::find(sids_.begin(), sids_.end(), gc.sid()) == sids_.end())
            return SmmuStatus::kInvalidArgument;
          break;
        case Opcode::kSync:
          sync_after.push_back(cmds.size());
          continue;
        default:
          return SmmuStatus::kInvalidArgument;
      }
      cmds.push_back(c);
    }
  }
  CommandQueue::Batch batch(smmu_.cpu_cmdq());
  SmmuStatus result = SmmuStatus::kOk;
  auto note = [&result](SmmuStatus s) {
    if (result == SmmuStatus::kOk) result = s;
  };
  size_t next_sync = 0;
  for (size_t i = 0; i < cmds.size(); ++i) {
    while (next_sync < sync_after.size() && sync_after[next_sync] == i) {
      if (batch.size()) note(batch.submit(true));
      ++next_sync;
    }
    note(batch.add(cmds[i]));
  }
  note(batch.submit(true));
  return result;
}

}  // namespace smmu::driver
