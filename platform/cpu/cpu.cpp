// SPDX-License-Identifier: Apache-2.0
// sc_spawn needs the dynamic-process part of the SystemC header.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "platform/cpu/cpu.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "platform/cpu/bus_access.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"

namespace smmu::platform {

using sc_core::sc_time;
using sc_core::sc_time_stamp;

namespace {

constexpr const char* kMsgType = "smmu/cpu";

sc_time ns_time(uint64_t ns) { return sc_time::from_value(ns * sc_time(1, sc_core::SC_NS).value()); }

}  // namespace

sc_time Cpu::QuantumKeeper::compute_local_quantum() {
  if (quantum_ == sc_core::SC_ZERO_TIME) return sc_core::SC_ZERO_TIME;
  return quantum_ - (sc_time_stamp() % quantum_);
}

Cpu::Cpu(const sc_core::sc_module_name& name, const CpuParams& params, DmaAllocator& dma, ScSync& sync)
    : sc_module(name),
      bus("bus"),
      params_(params),
      sync_(sync),
      os_(std::make_unique<ScOs>(*this, dma, sync)),
      qk_(params.quantum) {
  bus.register_invalidate_direct_mem_ptr(this, &Cpu::invalidate_direct_mem_ptr);
  sync_.attach(*this);
  SC_THREAD(run);
}

Cpu::~Cpu() = default;

driver::Os& Cpu::os() { return *os_; }

void Cpu::add_program(Program program) {
  if (sc_core::sc_is_running() || finished_) {
    SC_REPORT_ERROR(kMsgType, (std::string(name()) + ": add_program after the simulation started").c_str());
    return;
  }
  programs_.push_back(std::move(program));
}

void Cpu::run() {
  thread_ = sc_core::sc_get_current_process_handle();
  qk_.reset();
  for (Program& p : programs_) p(*os_);
  sync();
  finished_ = true;
  finish_time_ = sc_time_stamp();
  if (sync_.rcu_nesting() > 0)
    SC_REPORT_ERROR(kMsgType, (std::string(name()) + ": programs ended inside an RCU read-side section").c_str());
  done_.notify();
}

// --- time

bool Cpu::on_cpu() const {
  return sc_core::sc_is_running() && thread_.valid() && sc_core::sc_get_current_process_handle() == thread_;
}

sc_time Cpu::local_time() const { return sc_time_stamp() + qk_.get_local_time(); }

void Cpu::charge(const sc_time& t) {
  if (!on_cpu()) return;
  qk_.inc(t);
  if (qk_.need_sync()) sync();
}

void Cpu::sync() {
  if (!on_cpu() || qk_.get_local_time() == sc_core::SC_ZERO_TIME) return;
  ++stats_.syncs;
  qk_.sync();
}

void Cpu::resume_after_wait() {
  if (on_cpu()) qk_.reset();
}

void Cpu::advance_to(const sc_time& t) {
  const sc_time now = local_time();
  if (t > now) charge(t - now);
}

void Cpu::delay_ns(uint64_t ns) {
  if (!require_on_cpu("delay_ns")) return;
  qk_.inc(ns_time(std::min(ns, kForeverNs)));
  sync();
}

uint64_t Cpu::now_ns() const {
  return local_time().value() / sc_time(1, sc_core::SC_NS).value();
}

bool Cpu::require_on_cpu(const char* what) const {
  if (on_cpu()) return true;
  SC_REPORT_ERROR(kMsgType, (std::string(name()) + ": " + what + " called outside the CPU's own thread").c_str());
  return false;
}

// --- MMIO

uint64_t Cpu::mmio_read(uint64_t pa, unsigned len) {
  uint8_t buf[8] = {};
  mmio_access(pa, buf, len, false);
  uint64_t v = 0;
  std::memcpy(&v, buf, std::min(len, 8u));
  return v;
}

void Cpu::mmio_write(uint64_t pa, uint64_t value, unsigned len) {
  uint8_t buf[8];
  std::memcpy(buf, &value, 8);
  mmio_access(pa, buf, len, true);
}

void Cpu::mmio_access(uint64_t pa, uint8_t* data, unsigned len, bool write) {
  const bool timed = on_cpu();
  // Strongly ordered: the access happens at the CPU's local time.
  if (timed) sync();
  sc_time delay = sc_core::SC_ZERO_TIME;
  const bool ok = mmio_transport(*bus.operator->(), pa, data, len, write, delay, name(), kMsgType);
  ++(write ? stats_.mmio_writes : stats_.mmio_reads);
  stats_.mmio_time += delay;
  if (!ok) ++stats_.mmio_errors;
  if (timed) {
    qk_.inc(delay);
    if (qk_.need_sync()) sync();
  }
}

// --- memory

void Cpu::mem_read(uint64_t pa, void* data, size_t len) {
  ++stats_.mem_reads;
  mem_access(pa, static_cast<uint8_t*>(data), len, false);
}

void Cpu::mem_write(uint64_t pa, const void* data, size_t len) {
  ++stats_.mem_writes;
  // The buffer is only read on a write.
  mem_access(pa, const_cast<uint8_t*>(static_cast<const uint8_t*>(data)), len, true);
}

void Cpu::mem_fill(uint64_t pa, uint8_t byte, size_t len) { mem_access(pa, nullptr, len, true, byte); }

const tlm::tlm_dmi* Cpu::find_dmi(uint64_t pa, bool write) {
  for (const tlm::tlm_dmi& d : dmi_)
    if (pa >= d.get_start_address() && pa <= d.get_end_address() &&
        (write ? d.is_write_allowed() : d.is_read_allowed()))
      return &d;
  for (const auto& [first, last] : no_dmi_)
    if (pa >= first && pa <= last) return nullptr;
  ++stats_.dmi_requests;
  tlm::tlm_generic_payload gp;
  gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  gp.set_address(pa);
  tlm::tlm_dmi dmi;
  const bool granted = bus->get_direct_mem_ptr(gp, dmi);
  const bool covers = pa >= dmi.get_start_address() && pa <= dmi.get_end_address();
  if (granted && covers && dmi.get_dmi_ptr()) {
    ++stats_.dmi_grants;
    dmi_.push_back(dmi);
    if (write ? dmi.is_write_allowed() : dmi.is_read_allowed()) return &dmi_.back();
  }
  // Not for this access: do not ask again for the range the target described.
  no_dmi_.emplace_back(covers && !granted ? dmi.get_start_address() : pa,
                       covers && !granted ? dmi.get_end_address() : pa);
  return nullptr;
}

void Cpu::mem_access(uint64_t pa, uint8_t* buf, size_t len, bool write, uint8_t fill) {
  while (len > 0) {
    if (const tlm::tlm_dmi* d = find_dmi(pa, write)) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(len - 1, d->get_end_address() - pa) + 1);
      uint8_t* p = d->get_dmi_ptr() + (pa - d->get_start_address());
      if (!write) {
        std::memcpy(buf, p, n);
      } else if (buf) {
        std::memcpy(p, buf, n);
      } else {
        std::memset(p, fill, n);
      }
      ++stats_.dmi_accesses;
      pa += n;
      len -= n;
      if (buf) buf += n;
      continue;
    }
    // No DMI here: a functional (debug) transport.
    ++stats_.debug_accesses;
    const size_t n = debug_transport_chunk(*bus.operator->(), pa, buf, len, write, fill, name(), kMsgType);
    if (!n) return;
    pa += n;
    len -= n;
    if (buf) buf += n;
  }
}

void Cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  ++stats_.dmi_invalidations;
  dmi_.erase(std::remove_if(dmi_.begin(), dmi_.end(),
                            [&](const tlm::tlm_dmi& d) {
                              return d.get_start_address() <= end && d.get_end_address() >= start;
                            }),
             dmi_.end());
  no_dmi_.clear();  // what a target refused may be granted now
}

// --- interrupts and events

void Cpu::connect_irq(unsigned irq, const sc_core::sc_signal_in_if<bool>& line) {
  connect_irq(irq, line.posedge_event());
}

void Cpu::connect_irq(unsigned irq, const sc_core::sc_event& pulse) {
  std::unique_ptr<Latch>& l = irqs_[irq];
  if (!l) l = std::make_unique<Latch>();
  watch(*l, pulse);
}

void Cpu::connect_sev(const sc_core::sc_event& sev) { watch(sev_, sev); }

void Cpu::before_end_of_elaboration() {
  watching_ = true;
  for (auto& [latch, source] : unwatched_) watch(*latch, *source);
  unwatched_.clear();
}

void Cpu::watch(Latch& latch, const sc_core::sc_event& source) {
  if (!watching_) {  // processes are created at the end of elaboration, inside the CPU
    unwatched_.emplace_back(&latch, &source);
    return;
  }
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.dont_initialize();
  opts.set_sensitivity(&source);
  Latch* l = &latch;
  sc_core::sc_spawn(
      [l] {
        l->pending = true;
        ++l->pulses;
        l->wake.notify();
      },
      sc_core::sc_gen_unique_name("latch"), &opts);
}

bool Cpu::wait_latch(Latch& latch, uint64_t timeout_ns) {
  sync();
  if (!latch.pending && timeout_ns > 0) {
    if (timeout_ns >= kForeverNs) {
      sc_core::wait(latch.wake);
    } else {
      sc_core::wait(ns_time(timeout_ns), latch.wake);
    }
    qk_.reset();
  }
  if (!latch.pending) return false;
  latch.pending = false;
  return true;
}

bool Cpu::wait_for_irq(unsigned irq, uint64_t timeout_ns) {
  if (!require_on_cpu("wait_for_irq")) return false;
  auto it = irqs_.find(irq);
  if (it == irqs_.end()) {
    SC_REPORT_ERROR(kMsgType, (std::string(name()) + ": wait_for_irq on irq " + std::to_string(irq) +
                               ", which is not connected").c_str());
    return false;
  }
  ++stats_.irq_waits;
  const bool fired = wait_latch(*it->second, timeout_ns);
  if (!fired) ++stats_.irq_timeouts;
  return fired;
}

bool Cpu::wait_for_event(uint64_t timeout_ns) {
  if (!require_on_cpu("wait_for_event")) return false;
  ++stats_.event_waits;
  const bool fired = wait_latch(sev_, timeout_ns);
  if (!fired) ++stats_.event_timeouts;
  return fired;
}

bool Cpu::irq_pending(unsigned irq) const {
  auto it = irqs_.find(irq);
  return it != irqs_.end() && it->second->pending;
}

}  // namespace smmu::platform
