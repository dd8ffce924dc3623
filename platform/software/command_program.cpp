// SPDX-License-Identifier: Apache-2.0
#include "platform/software/command_program.h"

#include <algorithm>

#include "rtl_model/arch/registers.h"

namespace smmu::platform {

namespace r = arch::reg;

CommandProgram::CommandProgram(const std::vector<CommandBatchSpec>& all, unsigned smmu, uint64_t poll_ns)
    : poll_ns_(poll_ns) {
  const uint64_t ns = sc_core::sc_time(1, sc_core::SC_NS).value();
  for (const CommandBatchSpec& b : all)
    if (b.smmu == smmu) batches_.push_back({b.at.value() / ns, &b.commands});
  std::stable_sort(batches_.begin(), batches_.end(),
                   [](const Batch& a, const Batch& b) { return a.at_ns < b.at_ns; });
}

uint64_t CommandProgram::slot(uint32_t ptr) const {
  return q_.base + uint64_t{r::queue_index(ptr, q_.log2)} * r::kCommandBytes;
}

void CommandProgram::write_command(driver::Os& os, uint32_t ptr, const arch::Command& c) {
  const uint64_t dw[2] = {c.dw[0], c.dw[1]};  // little-endian words, as the host's
  os.mem_write(slot(ptr), dw, sizeof dw);
}

void CommandProgram::refresh_cons(driver::Os& os) {
  cons_ = os.mmio_read32(q_.window + r::kCmdqCons);
  // CONS.ERR keeps its value after the queue resumes: GERROR says whether it is live.
  if (r::cmdq_cons_error(cons_) == r::CmdqError::kNone) return;
  const uint32_t gerror = os.mmio_read32(q_.window + r::kGerror);
  const uint32_t gerrorn = os.mmio_read32(q_.window + r::kGerrorN);
  if (!(r::gerror_active(gerror, gerrorn) & r::gerror::kCmdqErr.mask())) return;
  if (r::cmdq_cons_error(cons_) == r::CmdqError::kIll)
    write_command(os, cons_, arch::Command(arch::Opcode::kSync).set_cs(arch::SyncCs::kNone));
  ++errors_handled_;
  os.mmio_write32(q_.window + r::kGerrorN, gerrorn ^ r::gerror::kCmdqErr.mask());
}

void CommandProgram::run(driver::Os& os) {
  uint32_t published = prod_;
  auto publish = [&]() {
    if (published == prod_) return;
    os.mmio_write32(q_.window + r::kCmdqProd, prod_);
    published = prod_;
  };
  for (const Batch& b : batches_) {
    const uint64_t now = os.now_ns();
    if (b.at_ns > now) os.delay_ns(b.at_ns - now);
    refresh_cons(os);  // room in the queue, and any error to handle
    for (const arch::Command& cmd : *b.commands) {
      while (r::queue_full(prod_, cons_, q_.log2)) {
        publish();
        os.delay_ns(poll_ns_);
        refresh_cons(os);
      }
      arch::Command c = cmd;
      if (c.opcode() == arch::Opcode::kSync && c.cs() == static_cast<uint8_t>(arch::SyncCs::kIrq) && q_.msi)
        c.set_msiaddr(slot(prod_)).set_msidata(0);
      write_command(os, prod_, c);
      prod_ = r::queue_increment(prod_, q_.log2);
    }
    publish();
  }
  // Wait for the SMMU to consume everything, so the run covers the commands' effects.
  while (!r::queue_empty(prod_, cons_, q_.log2)) {
    os.delay_ns(poll_ns_);
    refresh_cons(os);
  }
}

}  // namespace smmu::platform
