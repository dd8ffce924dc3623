// SPDX-License-Identifier: Apache-2.0
// MemoryPort: the SMMU's own timed accesses, through one reusable payload; an access
// that re-enters the port (a target that makes the SMMU access memory again while it
// answers) must get a payload of its own and leave the outer one intact.
#include "rtl_model/smmu/memory_port.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include "rtl_model/common/bus_width.h"

namespace smmu::model {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

constexpr uint64_t kReenter = 0x8000;  // a write here makes the target read 0x40 through the port
constexpr uint64_t kNestedAddr = 0x40;

uint64_t pattern(uint64_t addr) { return addr * 0x9e3779b97f4a7c15ull + 1; }

// The SMMU side: a walk-like initiator socket, its port, and a thread for the test body.
class PortOwner : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<PortOwner, smmu::model::kBusWidth> socket;  // as the SMMU's walk socket
  MemoryPort port;
  std::function<void()> body;

  SC_HAS_PROCESS(PortOwner);
  explicit PortOwner(const sc_core::sc_module_name& name)
      : sc_module(name), socket("socket"), port(socket) {
    SC_THREAD(run);
  }

 private:
  void run() {
    if (body) body();
  }
};

// Memory that answers reads with pattern(address), records writes, costs 10 ns, and on a
// write to kReenter reads kNestedAddr through the owner's port before it answers.
class ReentrantTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ReentrantTarget, smmu::model::kBusWidth> socket;
  MemoryPort* port = nullptr;
  uint64_t last_write = 0;
  uint64_t nested_value = 0;
  bool nested_ok = false;
  bool outer_intact = false;  // the outer payload after the nested access

  explicit ReentrantTarget(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &ReentrantTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    delay += sc_time(10, SC_NS);
    const uint64_t addr = gp.get_address();
    if (gp.is_read()) {
      const uint64_t v = pattern(addr);
      std::memcpy(gp.get_data_ptr(), &v, 8);
    } else {
      std::memcpy(&last_write, gp.get_data_ptr(), 8);
      if (addr == kReenter) {
        unsigned char* data = gp.get_data_ptr();
        nested_ok = port->read(kNestedAddr, &nested_value, 8, delay);
        outer_intact = gp.get_address() == kReenter && gp.is_write() &&
                       gp.get_data_ptr() == data && gp.get_data_length() == 8 &&
                       gp.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE;
      }
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Bench {
  PortOwner owner{"owner"};
  ReentrantTarget target{"target"};
  Bench() {
    owner.socket.bind(target.socket);
    target.port = &owner.port;
  }
};

TEST(SmmuMemoryPort, ReadsAndWritesAreTimedAndCounted) {
  Bench b;
  b.owner.body = [&] {
    sc_time d = sc_core::SC_ZERO_TIME;
    uint64_t v = 0;
    EXPECT_TRUE(b.owner.port.read64(0x100, v, d));
    EXPECT_EQ(v, pattern(0x100));
    EXPECT_TRUE(b.owner.port.read64(0x208, v, d));  // the reused payload, new address
    EXPECT_EQ(v, pattern(0x208));
    const uint64_t w = 0x1122334455667788ull;
    EXPECT_TRUE(b.owner.port.write(0x300, &w, 8, d));
    EXPECT_EQ(b.target.last_write, w);
    EXPECT_EQ(d, sc_time(30, SC_NS));
    EXPECT_EQ(b.owner.port.reads(), 2u);
    EXPECT_EQ(b.owner.port.writes(), 1u);
  };
  sc_core::sc_start();
}

TEST(SmmuMemoryPort, AnAccessThatReentersThePortGetsItsOwnPayload) {
  Bench b;
  b.owner.body = [&] {
    sc_time d = sc_core::SC_ZERO_TIME;
    const uint64_t w = 42;
    EXPECT_TRUE(b.owner.port.write(kReenter, &w, 8, d));
    EXPECT_TRUE(b.target.nested_ok);
    EXPECT_EQ(b.target.nested_value, pattern(kNestedAddr));
    EXPECT_TRUE(b.target.outer_intact);
    EXPECT_EQ(b.target.last_write, w);
    EXPECT_EQ(d, sc_time(20, SC_NS));  // the write and the read inside it
    // The port is usable again afterwards.
    uint64_t v = 0;
    EXPECT_TRUE(b.owner.port.read64(0x500, v, d));
    EXPECT_EQ(v, pattern(0x500));
    EXPECT_EQ(b.owner.port.reads(), 2u);
    EXPECT_EQ(b.owner.port.writes(), 1u);
  };
  sc_core::sc_start();
}

}  // namespace
}  // namespace smmu::model
