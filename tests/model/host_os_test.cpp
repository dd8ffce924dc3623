// SPDX-License-Identifier: Apache-2.0
// HostOs, the driver::Os of a SystemC thread that is no simulated CPU (set-up "tables"'s
// command program): MMIO waits each access's latency, memory moves by debug transport at
// no cost, errors are all ones and counted, DMA memory, and the one-thread locks and RCU.
#include "platform/cpu/host_os.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "platform/cpu/sc_os.h"
#include "rtl_model/common/bus_width.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "tests/model/mem_test_util.h"

namespace smmu::platform {
namespace {

using model::test::ns;
using sc_core::sc_time;
using sc_core::sc_time_stamp;

constexpr uint64_t kMemSize = uint64_t{16} << 20;
constexpr uint64_t kDevBase = 0x40000000;

// One 32-bit register at offset 0 and a bad offset (0x8) that answers with an error;
// 7 ns per access. Records when each access arrived.
class Register : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Register, smmu::model::kBusWidth> socket;
  uint64_t value = 0;
  std::vector<sc_time> arrivals;

  explicit Register(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &Register::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    arrivals.push_back(sc_time_stamp() + delay);
    delay += ns(7);
    if (gp.get_address() == 0x8) {
      gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    if (gp.is_write())
      std::memcpy(&value, gp.get_data_ptr(), gp.get_data_length());
    else
      std::memcpy(gp.get_data_ptr(), &value, gp.get_data_length());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Memory at 0 and the register at kDevBase behind a router (3 ns a hop); the host
// thread's socket on the router.
struct Bench : sc_core::sc_module {
  model::Memory memory;
  model::Router router;
  Register reg;
  tlm_utils::simple_initiator_socket<Bench, smmu::model::kBusWidth> host;
  model::test::ScriptThread script;

  Bench()
      : sc_module("bench"),
        memory("memory", [] {
          model::MemoryParams p;
          p.size = kMemSize;
          return p;
        }()),
        router("router", model::RouterParams{ns(3)}),
        reg("reg"),
        host("host"),
        script("script") {
    router.initiator.bind(memory.socket);
    router.initiator.bind(reg.socket);
    router.map(0, 0, kMemSize);
    router.map(1, kDevBase, 0x1000);
    host.bind(router.target);
  }
};

TEST(HostOs, MmioWaitsForEachAccessAndMemoryIsFree) {
  Bench b;
  uint32_t read = 0;
  sc_time after_write, after_read, after_memory;
  uint64_t now_after_delay = 0;
  b.script.body = [&] {
    HostOs os(*b.host.operator->());
    os.mmio_write32(kDevBase, 0x1234);
    after_write = sc_time_stamp();
    read = os.mmio_read32(kDevBase);
    after_read = sc_time_stamp();
    const uint64_t words[2] = {0x1111, 0x2222};
    os.mem_write(0x1000, words, sizeof words);
    uint64_t back[2] = {};
    os.mem_read(0x1000, back, sizeof back);
    EXPECT_EQ(back[1], 0x2222u);
    after_memory = sc_time_stamp();
    os.delay_ns(5);
    now_after_delay = os.now_ns();
  };
  sc_core::sc_start();
  EXPECT_EQ(read, 0x1234u);
  ASSERT_EQ(b.reg.arrivals.size(), 2u);
  EXPECT_EQ(b.reg.arrivals[0], ns(3));       // the router's hop
  EXPECT_EQ(after_write, ns(10));            // non-posted: 3 + 7
  EXPECT_EQ(b.reg.arrivals[1], ns(13));      // strongly ordered: after the write
  EXPECT_EQ(after_read, ns(20));
  EXPECT_EQ(after_memory, ns(20));           // memory costs nothing
  EXPECT_EQ(now_after_delay, 25u);
  EXPECT_EQ(b.memory.read64(0x1008), 0x2222u);
}

TEST(HostOs, AnErrorResponseReadsAllOnesAndIsCounted) {
  sc_core::sc_report_handler::set_actions("smmu/host_os", sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  Bench b;
  uint32_t r32 = 0;
  uint64_t r64 = 0, errors = 0;
  b.script.body = [&] {
    HostOs os(*b.host.operator->());
    r32 = os.mmio_read32(kDevBase + 0x8);
    r64 = os.mmio_read64(kDevBase + 0x8);
    os.mmio_write32(kDevBase + 0x8, 1);
    errors = os.mmio_errors();
  };
  sc_core::sc_start();
  EXPECT_EQ(r32, 0xffffffffu);
  EXPECT_EQ(r64, ~uint64_t{0});
  EXPECT_EQ(errors, 3u);
  EXPECT_EQ(b.reg.value, 0u);
}

TEST(HostOs, DmaMemoryIsZeroedAndWithoutAnAllocatorThereIsNone) {
  Bench b;
  DmaAllocator dma(0x100000, 0x100000);
  uint64_t pa = 0, none = 1;
  b.script.body = [&] {
    b.memory.write64(0x100000, ~uint64_t{0});  // stale data where the block will be
    HostOs with(*b.host.operator->(), &dma);
    pa = with.dma_alloc(4096, 4096);
    HostOs without(*b.host.operator->());
    none = without.dma_alloc(4096, 4096);
  };
  sc_core::sc_start();
  EXPECT_EQ(pa, 0x100000u);
  EXPECT_EQ(b.memory.read64(0x100000), 0u);
  EXPECT_TRUE(dma.is_allocated(pa));
  EXPECT_EQ(none, 0u);
}

TEST(HostOs, CallRcuWaitsForTheThreadToLeaveItsReadSideSections) {
  Bench b;
  std::vector<int> order;
  b.script.body = [&] {
    HostOs os(*b.host.operator->());
    os.call_rcu([&] { order.push_back(1); });  // no reader: at once
    os.rcu_read_lock();
    os.rcu_read_lock();
    os.call_rcu([&] { order.push_back(3); });
    order.push_back(2);
    os.rcu_read_unlock();
    EXPECT_EQ(order.size(), 2u);  // still inside the outer section
    os.rcu_read_unlock();
    os.synchronize_rcu();
  };
  sc_core::sc_start();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(HostOs, TakingAHeldLockAgainIsAnErrorNotAHang) {
  Bench b;
  bool reported = false;
  b.script.body = [&] {
    HostOs os(*b.host.operator->());
    auto m = os.make_mutex();
    m->lock();
    m->unlock();
    m->lock();  // fine: it was released
    try {
      m->lock();
    } catch (const sc_core::sc_report& r) {
      reported = std::string(r.get_msg()).find("deadlock") != std::string::npos;
    }
    auto rw = os.make_rwlock();
    rw->read_lock();
    rw->read_lock();  // readers share
    rw->read_unlock();
    rw->read_unlock();
    rw->write_lock();
    rw->write_unlock();
  };
  sc_core::sc_start();
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace smmu::platform
