// SPDX-License-Identifier: Apache-2.0
// An approximately-timed initiator on the SMMU's upstream socket (base protocol:
// BEGIN_REQ / END_REQ / BEGIN_RESP / END_RESP with a memory manager): translated reads
// complete with the data and at the time a b_transport of the same access takes, two
// outstanding requests both complete, and a fault comes back as an error response.
#include <gtest/gtest.h>

#include <memory>

#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "platform/soc/smmu_fabric.h"
#include "platform/software/table_builder.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/common/bus_width.h"
#include "rtl_model/common/bus_width_bridge.h"
#include "rtl_model/smmu/smmu.h"

using namespace smmu;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint64_t kMemSize = 256ull << 20, kTables = 0x100'0000, kPage = 0x1000;
constexpr uint64_t kSmmuBase = 1ull << 32, kVa = 0x4000'0000, kPa = 0x200'0000;
constexpr uint32_t kSid = 3;

// Payloads from a pool, released by the reference count as the base protocol wants.
class Pool : public tlm::tlm_mm_interface {
 public:
  tlm::tlm_generic_payload* get() {
    auto* gp = new tlm::tlm_generic_payload(this);
    gp->acquire();
    ++live;
    return gp;
  }
  void free(tlm::tlm_generic_payload* gp) override {
    delete gp;
    --live;
  }
  int live = 0;
};

// Width: its socket's BUSWIDTH (the model's 64, or another through a BusWidthBridge).
template <unsigned Width = model::kBusWidth>
struct AtMaster : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<AtMaster, Width> socket{"socket"};
  Pool pool;
  struct Done {
    uint64_t va = 0, data = 0;
    bool ok = false;
    sc_time at;
  };
  std::vector<Done> done;
  std::vector<uint64_t> buffers = std::vector<uint64_t>(8, 0);

  explicit AtMaster(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_nb_transport_bw(this, &AtMaster::nb_transport_bw);
  }

  // Sends a read of va; returns the payload (held by the master until its response).
  void read(uint64_t va, unsigned slot) {
    tlm::tlm_generic_payload* gp = pool.get();
    gp->set_command(tlm::TLM_READ_COMMAND);
    gp->set_address(va);
    gp->set_data_ptr(reinterpret_cast<unsigned char*>(&buffers.at(slot)));
    gp->set_data_length(8);
    gp->set_streaming_width(8);
    gp->set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    gp->set_extension(new model::StreamExtension(kSid));
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_time delay = sc_core::SC_ZERO_TIME;
    const tlm::tlm_sync_enum r = socket->nb_transport_fw(*gp, phase, delay);
    EXPECT_EQ(r, tlm::TLM_UPDATED);
    EXPECT_EQ(phase, tlm::END_REQ);
  }

  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_time&) {
    EXPECT_EQ(phase, tlm::BEGIN_RESP);
    Done d;
    d.va = gp.get_address();
    d.ok = gp.is_response_ok();
    d.data = *reinterpret_cast<uint64_t*>(gp.get_data_ptr());
    d.at = sc_core::sc_time_stamp();
    done.push_back(d);
    gp.release();
    phase = tlm::END_RESP;
    return tlm::TLM_COMPLETED;
  }
};

// Memory, router and one SMMU with a stage-1 stream kSid mapping kVa -> kPa (one page);
// the master bound to the upstream port directly, or through a bridge of its width.
template <unsigned Width = model::kBusWidth>
struct Soc {
  model::Memory mem{"mem", [] {
                      model::MemoryParams mp;
                      mp.size = kMemSize;
                      return mp;
                    }()};
  model::Router router{"router"};
  model::Smmu smmu{"smmu"};
  AtMaster<Width> master{"master"};
  std::unique_ptr<model::BusWidthBridge<Width>> bridge;

  Soc() {
    router.initiator.bind(mem.socket);
    router.map(0, 0, kMemSize);
    router.initiator.bind(smmu.mmio);
    router.map(1, kSmmuBase, arch::reg::kWindowSize);
    if constexpr (Width == model::kBusWidth) {
      master.socket.bind(smmu.upstream);
    } else {
      bridge = std::make_unique<model::BusWidthBridge<Width>>("bridge");
      master.socket.bind(bridge->target);
      bridge->initiator.bind(smmu.upstream);
    }
    smmu.downstream.bind(router.target);
    smmu.walk.bind(router.target);
    platform::ModelMemoryWriter w(mem);
    platform::PageAllocator alloc(kTables, 0x10'0000);
    const platform::Stage1StreamRegs regs = platform::build_stage1_stream(w, alloc, kSid, {{kVa, kPa}});
    mem.write64(kPa, 0x1111);
    mem.write64(kPa + 8, 0x2222);
    namespace r = arch::reg;
    EXPECT_TRUE(smmu.registers().write(r::kStrtabBase, 8, regs.strtab_base));
    EXPECT_TRUE(smmu.registers().write(r::kStrtabBaseCfg, 4, regs.strtab_base_cfg));
    EXPECT_TRUE(smmu.registers().write(r::kCr0, 4, r::cr0::kSmmuEn.mask()));
  }
};

}  // namespace

TEST(SmmuApproximatelyTimed, TwoOutstandingReadsCompleteWithTheirDataAndAFaultIsAnError) {
  Soc<> soc;
  sc_core::sc_spawn([&soc] {
    soc.master.read(kVa, 0);
    soc.master.read(kVa + 8, 1);  // outstanding beside the first
    sc_core::wait(5000, SC_NS);
    soc.master.read(kVa + 8, 2);  // the TLBs hold the page now
    soc.master.read(kVa + kPage, 3);  // unmapped
  });
  sc_core::sc_start(sc_time(20, sc_core::SC_US));
  ASSERT_EQ(soc.master.done.size(), 4u);
  EXPECT_TRUE(soc.master.done[0].ok);
  EXPECT_TRUE(soc.master.done[1].ok);
  const unsigned first = soc.master.done[0].va == kVa ? 0 : 1;
  EXPECT_EQ(soc.master.done[first].data, 0x1111u);
  EXPECT_EQ(soc.master.done[1 - first].data, 0x2222u);
  // The times two b_transport calls from two threads get (the walk's 374 ns for the
  // one that walked; the other finds the TLB entry the walk wrote: 51 ns).
  EXPECT_EQ(soc.master.done[0].at, sc_time(51, SC_NS));
  EXPECT_EQ(soc.master.done[1].at, sc_time(374, SC_NS));
  // A TLB hit: the memory's 50 ns and the micro TLB's cycle after its request.
  EXPECT_TRUE(soc.master.done[2].ok);
  EXPECT_EQ(soc.master.done[2].data, 0x2222u);
  EXPECT_EQ(soc.master.done[2].at, sc_time(5051, SC_NS));
  EXPECT_FALSE(soc.master.done[3].ok);  // unmapped: the fault is an error response
  EXPECT_EQ(soc.master.pool.live, 0);  // every payload back in the pool
}


// A 32-bit AT initiator binds through BusWidthBridge<32> and sees the same data, times
// and error response as the 64-bit one bound directly (the bridge adds no time).
TEST(SmmuApproximatelyTimed, ThirtyTwoBitInitiatorThroughTheBridgeIsTimedAsDirect) {
  static_assert(model::kBusWidth == 64, "the model's documented socket width");
  Soc<32> soc;
  sc_core::sc_spawn([&soc] {
    soc.master.read(kVa, 0);
    sc_core::wait(5000, SC_NS);
    soc.master.read(kVa + 8, 1);
    soc.master.read(kVa + kPage, 2);
  });
  sc_core::sc_start(sc_time(20, sc_core::SC_US));
  ASSERT_EQ(soc.master.done.size(), 3u);
  EXPECT_TRUE(soc.master.done[0].ok);
  EXPECT_EQ(soc.master.done[0].data, 0x1111u);
  EXPECT_EQ(soc.master.done[0].at, sc_time(374, SC_NS));  // the walk, as with b_transport
  EXPECT_EQ(soc.master.done[1].data, 0x2222u);
  EXPECT_EQ(soc.master.done[1].at, sc_time(5051, SC_NS));  // a TLB hit
  EXPECT_FALSE(soc.master.done[2].ok);
  EXPECT_EQ(soc.master.pool.live, 0);
}
