// SPDX-License-Identifier: Apache-2.0
// The simulated SoC of smmu-sim: DRAM and the SMMUs' register windows behind one router,
// N SMMUs whose TBUs' downstream sockets and whose walk socket go back into the router,
// and one master per SMMU port, bound to the upstream of the TBU serving that port
// (smmus[].tbus; by default one TBU serves them all): a DMA traffic generator (streams of
// the same port share it) or an ATS PCIe
// endpoint (its ats socket on the SMMU's ats socket, the SMMU's ats_inv on its inv
// socket), each seen through a transaction tap that reports start and end times for
// traces.
//
// Address map: memory at 0 (scenario memory.size); SMMU i's 192 KiB register window
// (page 0, page 1, the ECMDQ control page) at kSmmuWindowBase + i * 192 KiB. The last
// 256 MiB of memory hold the SMMUs' tables.
//
// Set-up "driver" (the default): `cpus.count` simulated CPUs (each sees SMMU i's
// interrupts as irqs 3i, 3i+1, 3i+2 and every SEV) run the firmware driver
// (driver_setup.h): CPU 0 sets everything up from time 0, with DMA memory from the
// table region; the devices' traffic waits for that (start times count from the end of
// the set-up); then each CPU runs its driver_ops and its workloads (dma_workload.h) in
// order of their times (driver_ops first at equal times; one after the other: a CPU
// busy at an item's time starts it when it is free). A workload's device DMA goes
// through its port's tap initiator to the TBU binding of that port (its micro TLB),
// beside the port's own master; it is neither in the trace nor in devices[]. The run
// lasts until every workload has finished (duration 0). One more CPU, the
// event CPU (id cpus.count, not one of cpus()), runs the driver's event handler
// (driver/event_handler.h) from the end of the set-up: it sees every SMMU's event-queue
// and GERROR lines as one shared irq (kEventIrq) and drains the queues as they fill.
// It is no work of the run: once everything else is done the SoC asks it to stop, it
// drains a last time, and the run ends (end_time() is when the rest was done).
//
// Set-up "tables" (platform/software/bare_tables.h): the SoC sets translation up from
// the scenario's streams, as a driver would at probe and attach time: stream table,
// event queue, CDs and page tables written into memory by the table builders, then
// STRTAB_BASE/_CFG, EVTQ_BASE/PROD/CONS, IRQ_CTRL and CR0 written before simulation.
//
// Commands (set-up "tables"): for each SMMU that the scenario gives command batches,
// the set-up also places a command queue (CR0.CMDQEN) and the SoC runs a command program
// (platform/software/command_program.h) on a HostOs of its `host` initiator: the
// scenario's stand-in for software, polling every kPollIntervalNs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "driver/event_handler.h"
#include "platform/cpu/cpu.h"
#include "platform/software/bare_tables.h"
#include "platform/software/command_program.h"
#include "platform/software/dma_workload.h"
#include "platform/software/driver_setup.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "platform/scenario/scenario.h"
#include "platform/soc/smmu_fabric.h"
#include "platform/cpu/system_os.h"
#include "platform/software/table_builder.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/mem/traffic_generator.h"
#include "rtl_model/pcie/ats_endpoint.h"
#include "rtl_model/smmu/smmu.h"
#include "platform/soc/latency_stat.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::platform {

// One DMA transaction as it passed an SMMU port.
struct TransactionRecord {
  unsigned smmu = 0;
  unsigned port = 0;
  size_t traffic = 0;  // index into Scenario::traffic, or into the ATS device's traffic
  int ats_device = -1; // index into Scenario::ats_devices, or -1 (a traffic generator)
  bool write = false;
  bool ok = false;     // TLM_OK_RESPONSE (an ATS translation request: answered with access)
  bool ats_request = false;  // an ATS device's translation request, not a DMA access
  uint64_t address = 0;
  uint32_t sid = 0;
  sc_core::sc_time start, end;  // absolute simulated times
};

// Passes a master's transactions on unchanged (no delay of its own) and tells the
// observer when each started and ended, in absolute simulated time (on_start, when set,
// just before it goes on). DMI requests and invalidations go through as they are.
class TransactionTap : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TransactionTap, smmu::model::kBusWidth> target;
  tlm_utils::simple_initiator_socket<TransactionTap, smmu::model::kBusWidth> initiator;
  std::function<void(const tlm::tlm_generic_payload&, const sc_core::sc_time& start,
                     const sc_core::sc_time& end)>
      observer;
  std::function<void()> on_start;

  explicit TransactionTap(const sc_core::sc_module_name& name);

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
};

class Soc : public sc_core::sc_module {
 public:
  // The master on one SMMU port: an ATS device of the scenario, else a traffic
  // generator. A port nothing uses gets an idle generator (the SMMU needs every port
  // bound); it has no traffic entries.
  struct Device {
    Device(const std::string& name, unsigned smmu, unsigned port);
    std::string name;  // "smmu0_port1"
    unsigned smmu, port;
    std::vector<size_t> traffic;  // generator: Scenario::traffic indices, in stream order
    int ats_device = -1;          // index into Scenario::ats_devices, or -1
    std::unique_ptr<model::TrafficGenerator> generator;  // null for an ATS device
    std::unique_ptr<model::AtsEndpoint> endpoint;         // ATS devices only
    std::unique_ptr<TransactionTap> tap;
    std::unique_ptr<TransactionTap> ats_tap;  // ATS devices: their translation requests
    LatencyStat latency;       // per-transaction latency, issue to completion
    sc_core::sc_signal<bool> done;    // set when its traffic has completed (for waves)
    bool idle() const { return !endpoint && traffic.empty(); }
    bool finished() const { return endpoint ? endpoint->finished() : generator->finished(); }
    const sc_core::sc_event& done_event() const {
      return endpoint ? endpoint->done_event() : generator->done_event();
    }
    model::TrafficStats total_stats() const {
      return endpoint ? endpoint->total_stats() : generator->total_stats();
    }
  };

  // How often a command program reads CMDQ_CONS while it waits for the queue.
  static constexpr unsigned kPollIntervalNs = 100;

  SC_HAS_PROCESS(Soc);
  // Builds the modules and the translation tables. Throws ConfigError (naming the
  // stream) when the tables do not fit the table region.
  Soc(const sc_core::sc_module_name& name, const Scenario& scenario);
  ~Soc() override;

  // The command programs' initiator (their MMIO and queue memory).
  tlm_utils::simple_initiator_socket<Soc, smmu::model::kBusWidth> host;
  SmmuFabric fabric;  // memory, router, SMMUs (smmu_fabric.h)
  model::Memory& memory;
  model::Router& router;
  std::vector<std::unique_ptr<model::Smmu>>& smmus;
  std::vector<std::unique_ptr<Device>> devices;  // by SMMU, then port

  const Scenario& scenario() const { return scenario_; }
  // Latency of every device's transactions together.
  const LatencyStat& latency() const { return latency_; }
  // Called for every completed DMA transaction (and ATS translation request) when set
  // (before the simulation starts); on_transaction_start, when set too, just before each
  // goes into the SMMU (for collecting its steps, model::StepRecorder).
  std::function<void(const TransactionRecord&)> on_transaction;
  std::function<void()> on_transaction_start;
  // Set-up "driver", when set: a CPU begins (begin) or ends a piece of driver work, at
  // its local time: "driver set-up" (CPU 0), each driver op (its name), each workload
  // run ("workload[w]").
  std::function<void(unsigned cpu, const std::string& what, bool begin, const sc_core::sc_time& at)>
      on_driver_work;
  // The id of the CPU whose thread is running, or -1 (another process, or none).
  int current_cpu() const;

  // Runs the simulation until every device has finished its traffic and every command
  // batch has been issued and consumed, or until the scenario's duration when that is
  // non-zero and comes first. Once per process. With `progress`, the run goes in slices
  // of simulated time and progress(now, transactions so far) is called between them
  // (the same events in the same order: only the caller's view changes).
  void run(const std::function<void(const sc_core::sc_time&, uint64_t)>& progress = {});
  bool traffic_done() const { return traffic_done_; }
  // When the last transaction completed or the last command queue was seen drained
  // (traffic done), else when the run stopped.
  sc_core::sc_time end_time() const;
  // Command-queue errors the command program acknowledged, per SMMU.
  uint64_t command_errors_handled(size_t smmu) const { return queues_.at(smmu)->program.errors_handled(); }

  // Set-up "driver": the CPUs and the driver's set-up and operations (nullptr / empty
  // with set-up "tables").
  const std::vector<std::unique_ptr<Cpu>>& cpus() const { return cpus_; }
  DriverSetup* driver() const { return driver_.get(); }
  bool setup_finished() const { return setup_finished_; }
  sc_core::sc_time setup_end() const { return setup_end_; }
  // The event CPU's irq: every SMMU's evtq_irq and gerror_irq, and the stop request.
  static constexpr unsigned kEventIrq = 0;
  // Set-up "driver": the CPU of the event handler, and the handler once the set-up is
  // done (nullptr before, and with set-up "tables").
  const Cpu* event_cpu() const { return event_cpu_.get(); }
  const driver::EventHandler* event_handler() const { return event_handler_.get(); }
  // Set-up "driver": one per scenario workload, in order.
  const std::vector<std::unique_ptr<DmaWorkload>>& workloads() const { return workloads_; }

  // Adds the SMMUs' interrupt lines, their queue pointers, slot peaks and cumulative
  // TLB figures (Smmu::add_to_trace) and the devices' done flags to a trace file.
  void trace(sc_core::sc_trace_file* tf) const override;

  // Where the set-up put each SMMU's stream table and queues (for tests and tools).
  using SmmuTables = platform::SmmuTables;
  const SmmuTables& tables(size_t smmu) const { return tables_.at(smmu); }
  uint64_t table_bytes_used() const { return alloc_.used(); }

 private:
  // Set-up "tables": one SMMU's command program, and whether it has finished.
  struct CommandQueue {
    CommandQueue(const std::vector<CommandBatchSpec>& all, unsigned smmu);
    CommandProgram program;
    bool done = true;
    sc_core::sc_event drained;
  };

  void start_of_simulation() override;
  void monitor();
  void run_commands(unsigned smmu);
  void build_devices(unsigned smmu);
  void bind_to_tbus(model::Smmu& smmu, size_t first_device);
  // One completed transaction's latency, into the device's and the SoC's statistics.
  void record_latency(Device& d, const sc_core::sc_time& latency);
  void observe(const Device& d, const tlm::tlm_generic_payload& gp, const sc_core::sc_time& start,
               const sc_core::sc_time& end);
  void observe_ats(const Device& d, const tlm::tlm_generic_payload& gp, const sc_core::sc_time& start,
                   const sc_core::sc_time& end);

  void build_cpus();
  void build_workloads();
  void setup_program();
  void ops_program(unsigned cpu, driver::Os& os);
  void event_program();
  // Asks the event handler for its last drain (from the monitor, everything else done).
  void stop_event_handler();

  Scenario scenario_;
  std::unique_ptr<DmaAllocator> dma_;
  std::unique_ptr<ScSync> sync_;
  std::vector<std::unique_ptr<Cpu>> cpus_;
  std::unique_ptr<SystemOs> system_os_;
  std::unique_ptr<DriverSetup> driver_;
  // What a CPU runs after the set-up: a driver op, or its place in a workload.
  struct PlanItem {
    sc_core::sc_time at;
    bool workload = false;
    size_t index = 0;  // into Scenario::driver_ops or workloads_
    size_t pos = 0;    // workload: the CPU's index in its cpus
  };
  std::vector<std::vector<PlanItem>> cpu_plan_;  // per CPU, by time
  std::vector<std::unique_ptr<DmaWorkload>> workloads_;
  sc_core::sc_event event_stop_;  // pulses the event CPU's kEventIrq (outlives the CPU)
  std::unique_ptr<Cpu> event_cpu_;
  std::unique_ptr<driver::EventHandler> event_handler_;
  bool event_stop_requested_ = false;
  sc_core::sc_event setup_done_;
  bool setup_finished_ = false;
  sc_core::sc_time setup_end_;
  PageAllocator alloc_;
  std::vector<SmmuTables> tables_;
  std::vector<std::unique_ptr<CommandQueue>> queues_;  // by SMMU
  LatencyStat latency_;
  bool traffic_done_ = false;
  sc_core::sc_time done_time_;
};

}  // namespace smmu::platform
