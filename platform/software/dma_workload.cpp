// SPDX-License-Identifier: Apache-2.0
#include "platform/software/dma_workload.h"

#include <stdexcept>

namespace smmu::platform {

namespace {

constexpr unsigned kPage = 4096;

// b - a, field by field (counters only grow).
driver::CommandQueueStats difference(const driver::CommandQueueStats& b, const driver::CommandQueueStats& a) {
  driver::CommandQueueStats d;
  d.commands = b.commands - a.commands;
  d.syncs = b.syncs - a.syncs;
  d.publishes = b.publishes - a.publishes;
  d.full_waits = b.full_waits - a.full_waits;
  d.sync_polls = b.sync_polls - a.sync_polls;
  d.sync_timeouts = b.sync_timeouts - a.sync_timeouts;
  d.queue_timeouts = b.queue_timeouts - a.queue_timeouts;
  d.errors_seen = b.errors_seen - a.errors_seen;
  d.ill_skipped = b.ill_skipped - a.ill_skipped;
  d.reservations = b.reservations - a.reservations;
  d.cas_attempts = b.cas_attempts - a.cas_attempts;
  d.cas_failures = b.cas_failures - a.cas_failures;
  d.owner_gathers = b.owner_gathers - a.owner_gathers;
  d.gathered = b.gathered - a.gathered;
  d.cons_refreshes = b.cons_refreshes - a.cons_refreshes;
  return d;
}

}  // namespace

DmaWorkload::DmaWorkload(const WorkloadSpec& spec, unsigned soc_cpus, unsigned granule_shift, DmaFn dma)
    : spec_(spec), soc_cpus_(soc_cpus), granule_shift_(granule_shift), dma_(std::move(dma)),
      cpus_(spec.cpus.size()), data_(kPage, 0xa5) {
  for (size_t i = 0; i < cpus_.size(); ++i) cpus_[i].cpu = spec.cpus[i];
}

// The DmaApi goes first: its destructor drains (nothing is left after a finished run).
DmaWorkload::~DmaWorkload() = default;

void DmaWorkload::prepare(driver::Os& os, driver::Domain* domain, driver::SmmuDevice* device) {
  if (!domain || !device) {
    error_ = "the stream has no domain (the driver's set-up failed)";
    return;
  }
  driver::DmaApiConfig c;
  c.policy = spec_.lazy ? driver::DmaInvPolicy::kLazy : driver::DmaInvPolicy::kStrict;
  c.iova.base = spec_.iova_base;
  c.iova.limit = spec_.iova_limit;
  c.iova.granule_shift = granule_shift_;
  c.iova.cpus = soc_cpus_;
  c.fq.cpus = soc_cpus_;
  c.fq.entries = spec_.fq_entries;
  c.fq.timeout_ns = spec_.fq_timeout_ns;
  try {
    api_ = std::make_unique<driver::DmaApi>(os, *domain, c);
  } catch (const std::invalid_argument& e) {  // read_scenario's checks should prevent it
    error_ = e.what();
    return;
  }
  device_ = device;
}

void DmaWorkload::run(size_t pos, Cpu& cpu, driver::Os& os) {
  CpuState& st = cpus_.at(pos);
  st.started = true;
  st.start_ns = st.last_ns = os.now_ns();
  if (!any_started_) {
    any_started_ = true;
    first_start_ns_ = st.start_ns;
    if (device_) q_start_ = device_->queue_stats();
  }
  const uint64_t pa = spec_.pa + pos * spec_.buffer;
  for (; api_ && st.attempts < spec_.count; ++st.attempts) {
    const uint64_t iova = api_->map(pa, spec_.buffer);
    if (iova == 0) {
      ++st.map_failures;
      st.last_ns = os.now_ns();
      continue;
    }
    for (uint64_t off = 0; off < spec_.buffer; off += kPage) {
      cpu.sync();  // the device starts at the CPU's time
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      const bool ok = dma_(iova + off, data_.data(), kPage, delay);
      cpu.resume_after_wait();
      cpu.charge(delay);  // the CPU waits for the write
      if (!ok) {
        ++st.dma_faults;
        break;
      }
    }
    os.delay_ns(spec_.io_ns);
    if (api_->unmap(iova, spec_.buffer) != driver::SmmuStatus::kOk) ++st.unmap_errors;
    ++st.ops;
    st.last_ns = os.now_ns();
  }
  st.finished = true;
  finish_cpu(os);
}

void DmaWorkload::finish_cpu(driver::Os& os) {
  if (++cpus_done_ < cpus_.size()) return;
  if (api_) api_->drain();
  end_ns_ = os.now_ns();
  if (device_) q_end_ = device_->queue_stats();
  finished_ = true;
}

void DmaWorkload::abandon() {
  if (api_) api_->abandon();
}

driver::CommandQueueStats DmaWorkload::queue_stats() const {
  if (!device_ || !any_started_) return {};
  return difference(finished_ ? q_end_ : device_->queue_stats(), q_start_);
}

}  // namespace smmu::platform
