// SPDX-License-Identifier: Apache-2.0
// A small SoC for model tests: memory and one SMMU behind a router, a CPU-side master
// for MMIO, one device master per SMMU port, and table builders writing into the memory.
// One testbench per process (SystemC elaborates once); ctest runs each test alone.
#pragma once

#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "platform/soc/smmu_fabric.h"
#include "platform/software/table_builder.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/arch/event.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/pcie/ats_endpoint.h"
#include "rtl_model/smmu/smmu.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::test {

// A master that issues single blocking transactions from the test body.
class Master : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Master, smmu::model::kBusWidth> socket;
  explicit Master(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {}

  struct Result {
    tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
    sc_core::sc_time latency;  // annotated delay the transaction took
    uint64_t data = 0;         // read data (up to 8 bytes)
    bool ok() const { return status == tlm::TLM_OK_RESPONSE; }
  };
  // A read or write of len (<= 8) bytes at addr; with ext == nullptr no extension.
  Result access(uint64_t addr, unsigned len, bool write, uint64_t wdata = 0,
                const model::StreamExtension* ext = nullptr);
};

// A master that asks for DMI (as StreamID 0) and counts revocations.
class DmiMaster : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmiMaster, smmu::model::kBusWidth> socket;
  std::vector<std::pair<uint64_t, uint64_t>> revoked;
  explicit DmiMaster(const sc_core::sc_module_name& name);
  bool request(uint64_t addr, tlm::tlm_dmi& dmi);

 private:
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { revoked.emplace_back(start, end); }
};

inline sc_core::sc_time ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// Records the times an event fires, from a process spawned after elaboration (the
// vector lives until the process ends with the test).
std::vector<sc_core::sc_time>* watch(const sc_core::sc_event& e);

struct DmaAttrs {
  uint32_t sid = 0;
  uint32_t ssid = 0;
  bool ssv = false;
  bool write = false;
  bool priv = false;
  bool exec = false;
};

class SmmuTestbench {
 public:
  static constexpr uint64_t kMemSize = uint64_t{4} << 30;       // DRAM at 0
  static constexpr uint64_t kSmmuBase = uint64_t{0x10} << 32;   // register window
  static constexpr uint64_t kTableBase = 0x10000000;            // tables, queues: 256 MiB
  static constexpr uint64_t kTableSize = 0x10000000;

  // ports device masters on upstream ports 0..ports-1; with_dmi_master adds a
  // DmiMaster on the next port; then one ATS endpoint per entry of endpoints. With
  // params.tbus (a distributed layout), master p binds to the TBU that lists port p, and
  // every TBU's downstream goes into the router (device masters only).
  explicit SmmuTestbench(const model::SmmuParams& params = model::SmmuParams{},
                         unsigned ports = 1,
                         const model::MemoryParams& mem = default_memory(),
                         bool with_dmi_master = false,
                         const std::vector<model::AtsEndpointParams>& endpoints = {});
  static model::MemoryParams default_memory();

  // Finishes elaboration (sc_start(0)); called by the constructor.
  platform::SmmuFabric fabric;
  model::Memory& mem;
  model::Router& router;
  model::Smmu& smmu;
  Master cpu;
  std::vector<std::unique_ptr<Master>> masters;
  std::unique_ptr<DmiMaster> dmi_master;
  // ATS endpoints: each on the next upstream port, with its ats/inv sockets bound.
  std::vector<std::unique_ptr<model::AtsEndpoint>> endpoints;
  platform::ModelMemoryWriter& writer;  // the builders' view of mem
  platform::PageAllocator alloc;

  // Register access through the register file (untimed).
  uint64_t reg(uint64_t offset, unsigned size = 4);
  void set_reg(uint64_t offset, uint64_t value, unsigned size = 4);

  // Points the SMMU at the stream table, sets up an event queue of 2^evtq_log2 entries,
  // sets CR2.RECINVSID unless told not to (C_BAD_STREAMID recorded, as Linux has it),
  // and enables translation and the event queue.
  void enable(const platform::StreamTableBuilder& st, unsigned evtq_log2 = 4, bool record_invalid_sid = true);
  uint64_t evtq_base() const { return evtq_base_; }

  // A command queue of 2^log2 entries, enabled (CR0.CMDQEN added to what is set).
  void enable_cmdq(unsigned log2 = 8);
  uint64_t cmdq_base() const { return cmdq_base_; }
  // Writes the commands at CMDQ_PROD and publishes them with one PROD write (at the
  // current simulated time). Does not run the simulation.
  void submit(const std::vector<arch::Command>& cmds);
  // Runs the simulation for `time` (the command engine works meanwhile).
  void run(sc_core::sc_time time);
  uint32_t cmdq_cons() { return static_cast<uint32_t>(reg(arch::reg::kCmdqCons)); }
  uint32_t cmdq_prod() { return static_cast<uint32_t>(reg(arch::reg::kCmdqProd)); }

  // Event records between EVTQ_CONS and EVTQ_PROD; consumes them when consume is set.
  std::vector<arch::EventRecord> events(bool consume = true);

  // A device transaction on port `port` at address va.
  Master::Result dma(uint64_t va, const DmaAttrs& a = DmaAttrs{}, unsigned port = 0,
                     unsigned len = 8, uint64_t wdata = 0);

 private:
  uint64_t evtq_base_ = 0;
  uint64_t cmdq_base_ = 0;
};

// What most single-SMMU stage-1 tests start from: a linear stream table of 2^6 STEs, a
// linear CD table of 2^s1cdmax CDs and a 4K stage-1 page table, all in the testbench's
// memory. Tests derive their rigs from it and add the STE/CD shapes they need.
struct Stage1Tables {
  SmmuTestbench& tb;
  platform::StreamTableBuilder st;
  platform::CdTableBuilder cds;
  platform::PageTableBuilder pt;
  explicit Stage1Tables(SmmuTestbench& t, unsigned s1cdmax = 0);
  void enable() { tb.enable(st); }
};

// Common table shapes.
arch::Cd make_cd_4k(uint64_t ttb0, uint16_t asid, unsigned t0sz = 16, uint8_t ips = 5);
arch::Ste make_s1_ste(const platform::CdTableBuilder& cds, uint16_t vmid = 0);
arch::Ste make_s2_ste(uint64_t s2ttb, uint16_t vmid, uint8_t s2t0sz, uint8_t s2sl0,
                      uint8_t s2tg = 0, uint8_t s2ps = 5);
arch::S1LeafAttrs rw_s1();  // AF set, read/write, EL0 allowed
arch::S1LeafAttrs rw_s1_ng();  // the same, non-global (tagged by ASID)
arch::S2LeafAttrs rw_s2();  // AF set, read/write

}  // namespace smmu::test
