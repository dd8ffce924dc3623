// SPDX-License-Identifier: Apache-2.0
// A platform of its own around one SMMU from the installed package: a master of ours,
// the package's router and memory, stage-1 tables written by the package's table
// builders before the simulation, the SMMU enabled through its registers. The master
// reads a mapped page through the SMMU (the data must be the page's) and an unmapped
// one (must fail with a translation fault event). Exit status 0 when both behave.
#include <cstdint>
#include <cstdio>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "platform/software/table_builder.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/smmu/smmu.h"
#include "rtl_model/common/bus_width.h"

using namespace smmu;

namespace {

constexpr uint64_t kMemSize = 256ull << 20, kTables = 0x100'0000, kPage = 0x1000;
constexpr uint64_t kSmmuBase = 1ull << 32, kVa = 0x4000'0000, kPa = 0x200'0000;
constexpr uint32_t kSid = 3;

// Our master: reads 8 bytes at an address with our StreamID.
struct Master : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Master, smmu::model::kBusWidth> socket{"socket"};
  int failures = 0;
  explicit Master(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  SC_HAS_PROCESS(Master);

  bool read(uint64_t va, uint64_t& data, sc_core::sc_time& delay) {
    tlm::tlm_generic_payload gp;
    model::StreamExtension ext(kSid);
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(va);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
    gp.set_data_length(8);
    gp.set_streaming_width(8);
    gp.set_extension(&ext);
    socket->b_transport(gp, delay);
    gp.clear_extension(&ext);
    return gp.is_response_ok();
  }

  void run() {
    uint64_t data = 0;
    sc_core::sc_time delay;
    const bool ok = read(kVa + 8, data, delay);
    std::printf("read of VA 0x%llx: %s, data 0x%llx, %s\n", (unsigned long long)(kVa + 8), ok ? "ok" : "error",
                (unsigned long long)data, delay.to_string().c_str());
    if (!ok || data != 0x1234'5678'9abc'def0ull) ++failures;
    delay = sc_core::SC_ZERO_TIME;
    const bool unmapped = read(kVa + kPage, data, delay);
    std::printf("read of unmapped VA 0x%llx: %s\n", (unsigned long long)(kVa + kPage), unmapped ? "ok" : "error");
    if (unmapped) ++failures;
  }
};

// The builders write through our memory's debug interface.
struct Writer : platform::MemoryWriter {
  model::Memory& mem;
  explicit Writer(model::Memory& m) : mem(m) {}
  void write64(uint64_t pa, uint64_t v) override { mem.write64(pa, v); }
  uint64_t read64(uint64_t pa) override { return mem.read64(pa); }
};

}  // namespace

int sc_main(int, char*[]) {
  model::MemoryParams mp;
  mp.size = kMemSize;
  model::Memory mem("mem", mp);
  model::Router router("router");
  model::Smmu smmu("smmu");
  Master master("master");
  router.initiator.bind(mem.socket);
  router.map(0, 0, kMemSize);
  router.initiator.bind(smmu.mmio);
  router.map(1, kSmmuBase, arch::reg::kWindowSize);
  master.socket.bind(smmu.upstream);
  smmu.downstream.bind(router.target);
  smmu.walk.bind(router.target);

  Writer w(mem);
  platform::PageAllocator alloc(kTables, 0x10'0000);
  // Stage-1 tables, a CD and a stream table for StreamID kSid: kVa -> kPa.
  const platform::Stage1StreamRegs regs = platform::build_stage1_stream(w, alloc, kSid, {{kVa, kPa}});
  mem.write64(kPa + 8, 0x1234'5678'9abc'def0ull);
  namespace r = arch::reg;
  if (!smmu.registers().write(r::kStrtabBase, 8, regs.strtab_base) ||
      !smmu.registers().write(r::kStrtabBaseCfg, 4, regs.strtab_base_cfg) ||
      !smmu.registers().write(r::kCr0, 4, r::cr0::kSmmuEn.mask())) {
    std::printf("register write refused\n");
    return 1;
  }

  sc_core::sc_start(sc_core::sc_time(10, sc_core::SC_US));
  std::printf("transactions %llu, faults %llu\n", (unsigned long long)smmu.stats().transactions,
              (unsigned long long)smmu.stats().faults);
  return master.failures == 0 ? 0 : 1;
}
