// SPDX-License-Identifier: Apache-2.0
// One simulated CPU: an SC_THREAD that runs driver code and workloads (programs, in
// sequence) over driver::Os (see sc_os.h), with a bus socket to the router for MMIO and
// memory, its own quantum keeper, and latched interrupt lines.
//
// Time. The CPU runs ahead of SystemC time (temporal decoupling, TLM LT style): every
// service adds its cost to the CPU's local time, and the thread syncs (wait()s its
// local offset) when the offset crosses the next multiple of CpuParams::quantum (its
// own quantum, aligned as tlm_global_quantum aligns the global one; the global one is
// left alone). now_ns() is sc_time_stamp() plus that offset.
//
// MMIO is strongly ordered: the CPU syncs BEFORE each MMIO access, so the access
// reaches its target at the CPU's local time with a zero incoming delay (the target's
// side effects, e.g. the SMMU's CMDQ_PROD write waking its command engine, happen at the
// right simulated time, after everything the CPU did before in simulated time). The
// latency that the router and the target annotate is then added to the local time (a
// read waits for its data; a write is non-posted, it completes when the target answers).
// An error response is reported as a warning and counted; a failed read returns all
// ones, as a bus that aborts does.
//
// Normal memory (tables, queues) is cached and coherent with the SMMU (IDR0.COHACC):
// an access costs CpuParams::cached_access per call, not the DRAM latency, and moves its
// data by DMI when the target grants it (pointers cached per region, dropped on
// invalidate_direct_mem_ptr), else by transport_dbg (functional: a hit in the caches is
// neither DRAM traffic nor DRAM time). Memory accesses do not sync: their data moves at
// once, in host order, which is safe because everything that publishes to the device
// (MMIO) or to other CPUs (locks, RCU) is a synchronisation point.
//
// Interrupts. connect_irq() wires a line (its posedge) or a pulse event to an irq number
// of this CPU; connect_sev() wires an SEV source (the SMMU's sev_event()). Each CPU has
// its own pending latch per irq and one event register for SEV: a pulse sets it whether
// or not the CPU waits (several pulses coalesce), wait_for_irq()/wait_for_event()
// consume it. Every CPU connected to a line sees every pulse (a broadcast: a waiter may
// wake for a pulse it did not cause and must recheck its condition, as with WFE; no
// wake-up is ever lost). Connect during elaboration (or later, from a process).
//
// Os services (see sc_os.h) are for the CPU's programs, during simulation: before it
// the sockets may not be bound yet.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "driver/os.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::platform {

class DmaAllocator;
class ScOs;
class ScSync;

struct CpuParams {
  unsigned id = 0;  // Os::cpu_id()
  // How far the CPU may run ahead of SystemC time before it syncs.
  sc_core::sc_time quantum{1, sc_core::SC_US};
  // A normal memory access (and a lock or unlock) as seen from a CPU with caches.
  sc_core::sc_time cached_access{2, sc_core::SC_NS};
  // Added to every Os call except now_ns() and cpu_id() (the call's own code).
  sc_core::sc_time instruction_overhead = sc_core::SC_ZERO_TIME;
};

struct CpuStats {
  uint64_t mmio_reads = 0, mmio_writes = 0, mmio_errors = 0;
  sc_core::sc_time mmio_time;       // latency annotated by the bus on MMIO accesses
  uint64_t mem_reads = 0, mem_writes = 0;  // Os-level calls
  uint64_t dmi_requests = 0, dmi_grants = 0, dmi_invalidations = 0;
  uint64_t dmi_accesses = 0, debug_accesses = 0;  // how the memory data moved
  uint64_t syncs = 0;               // quantum-keeper syncs that waited
  uint64_t irq_waits = 0, irq_timeouts = 0;
  uint64_t event_waits = 0, event_timeouts = 0;
};

class Cpu : public sc_core::sc_module {
 public:
  using Program = std::function<void(driver::Os&)>;
  // A timeout at least this long waits forever (sc_time would overflow).
  static constexpr uint64_t kForeverNs = uint64_t{1} << 50;

  tlm_utils::simple_initiator_socket<Cpu, smmu::model::kBusWidth> bus;

  SC_HAS_PROCESS(Cpu);
  // The allocator and the sync object are the SoC's (shared by all CPUs) and must
  // outlive the CPU. Registers the CPU with `sync`.
  Cpu(const sc_core::sc_module_name& name, const CpuParams& params, DmaAllocator& dma,
      ScSync& sync);
  ~Cpu() override;

  // Programs run one after the other in the CPU's thread, from time 0. Add them before
  // the simulation starts.
  void add_program(Program program);
  void connect_irq(unsigned irq, const sc_core::sc_signal_in_if<bool>& line);  // posedge
  void connect_irq(unsigned irq, const sc_core::sc_event& pulse);
  void connect_sev(const sc_core::sc_event& sev);

  driver::Os& os();
  const CpuParams& params() const { return params_; }
  unsigned id() const { return params_.id; }
  const CpuStats& stats() const { return stats_; }
  // All programs returned; done_event() is notified then, at the CPU's local time.
  bool finished() const { return finished_; }
  const sc_core::sc_event& done_event() const { return done_; }
  sc_core::sc_time finish_time() const { return finish_time_; }

  // --- the services ScOs and ScSync build on. Timing applies when the caller is this
  // CPU's own thread (on_cpu()); from another process (the RCU worker running a
  // callback) costs are not counted and MMIO latencies are dropped.
  bool on_cpu() const;
  sc_core::sc_time local_time() const;  // sc_time_stamp() + offset (from the CPU's thread)
  void charge(const sc_core::sc_time& t);  // adds to the local time, syncs past the quantum
  void sync();                             // lets SystemC time catch up with the local time
  void resume_after_wait();  // after a wait() taken with a zero offset: re-arm the keeper
  // Moves local time on to `t` (absolute, not before the local time).
  void advance_to(const sc_core::sc_time& t);

  uint64_t mmio_read(uint64_t pa, unsigned len);  // len 4 or 8
  void mmio_write(uint64_t pa, uint64_t value, unsigned len);
  // Functional memory access (DMI, else debug transport); the caller charges the time.
  // An address nothing answers is an SC_REPORT_ERROR.
  void mem_read(uint64_t pa, void* data, size_t len);
  void mem_write(uint64_t pa, const void* data, size_t len);
  void mem_fill(uint64_t pa, uint8_t byte, size_t len);

  // Os semantics (CPU thread only): delay adds and syncs; the waits sync first, return
  // true at once when the latch is set (consuming it), else block until a pulse (true)
  // or the timeout (false, at exactly local time + timeout).
  void delay_ns(uint64_t ns);
  uint64_t now_ns() const;
  bool wait_for_irq(unsigned irq, uint64_t timeout_ns);
  bool wait_for_event(uint64_t timeout_ns);
  bool irq_pending(unsigned irq) const;  // the latch, for tests

 private:
  class QuantumKeeper : public tlm_utils::tlm_quantumkeeper {
   public:
    explicit QuantumKeeper(const sc_core::sc_time& q) : quantum_(q) {}

   protected:
    sc_core::sc_time compute_local_quantum() override;

   private:
    sc_core::sc_time quantum_;
  };
  // A pending latch and the event that wakes a waiter on it.
  struct Latch {
    bool pending = false;
    uint64_t pulses = 0;
    sc_core::sc_event wake;
  };

  void run();
  void before_end_of_elaboration() override;
  void watch(Latch& latch, const sc_core::sc_event& source);
  bool wait_latch(Latch& latch, uint64_t timeout_ns);
  bool require_on_cpu(const char* what) const;  // false after an SC_REPORT_ERROR
  void mmio_access(uint64_t pa, uint8_t* data, unsigned len, bool write);
  // Moves len bytes at pa (read into / write from buf; fill when buf is null on write).
  void mem_access(uint64_t pa, uint8_t* buf, size_t len, bool write, uint8_t fill = 0);
  const tlm::tlm_dmi* find_dmi(uint64_t pa, bool write);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  CpuParams params_;
  ScSync& sync_;
  std::unique_ptr<ScOs> os_;
  QuantumKeeper qk_;
  std::vector<Program> programs_;
  sc_core::sc_process_handle thread_;
  bool finished_ = false;
  sc_core::sc_time finish_time_;
  sc_core::sc_event done_;
  CpuStats stats_;

  std::map<unsigned, std::unique_ptr<Latch>> irqs_;
  Latch sev_;
  // Sources connected before elaboration ended; watched from before_end_of_elaboration.
  std::vector<std::pair<Latch*, const sc_core::sc_event*>> unwatched_;
  bool watching_ = false;

  std::vector<tlm::tlm_dmi> dmi_;                          // granted regions
  std::vector<std::pair<uint64_t, uint64_t>> no_dmi_;      // refused ranges [first, last]
};

}  // namespace smmu::platform
