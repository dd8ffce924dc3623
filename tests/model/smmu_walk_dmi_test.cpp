// SPDX-License-Identifier: Apache-2.0
// MemoryPort reads through DMI: the same data and the same time as b_transport, the
// memory sees only the first read of a region, and a region the memory withdraws (here
// by an error range added later) is not used again.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "rtl_model/mem/memory.h"
#include "rtl_model/smmu/memory_port.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

// The TCU side: a walk socket whose DMI invalidations reach its port.
class Walker : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Walker, smmu::model::kBusWidth> socket;
  MemoryPort port;
  explicit Walker(const sc_core::sc_module_name& name)
      : sc_module(name), socket("socket"), port(socket) {
    socket.register_invalidate_direct_mem_ptr(this, &Walker::invalidate);
  }

 private:
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) { port.invalidate_dmi(start, end); }
};

struct Bench {
  Memory mem;
  Walker walker{"walker"};
  explicit Bench() : mem("mem", params()) {
    walker.socket.bind(mem.socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    for (uint64_t a = 0; a < 0x4000; a += 8) mem.write64(a, a * 3 + 1);
  }
  static MemoryParams params() {
    MemoryParams p;
    p.size = uint64_t{16} << 20;
    p.read_latency = sc_time(37, SC_NS);
    return p;
  }
  // A read of 8 bytes: its value (0 on error), whether it succeeded, its time.
  std::tuple<uint64_t, bool, sc_time> read(uint64_t pa) {
    uint64_t v = 0;
    sc_time d = sc_core::SC_ZERO_TIME;
    const bool ok = walker.port.read64(pa, v, d);
    return {v, ok, d};
  }
};

TEST(WalkDmi, ReadsAfterTheFirstSkipTheMemoryAndKeepTheirTime) {
  Bench b;
  for (uint64_t a = 0; a < 0x4000; a += 0x100) {
    const auto [v, ok, d] = b.read(a);
    ASSERT_TRUE(ok);
    EXPECT_EQ(v, a * 3 + 1);
    EXPECT_EQ(d, sc_time(37, SC_NS));
  }
  EXPECT_EQ(b.mem.reads(), 1u);  // the first; the rest came through the granted region
  EXPECT_EQ(b.walker.port.reads(), 64u);
}

TEST(WalkDmi, AWithdrawnRegionIsNotUsedAgain) {
  Bench b;
  ASSERT_TRUE(std::get<1>(b.read(0x1000)));
  b.mem.add_error_range(0x2000, 0x1000);  // withdraws the DMI region over it
  const auto [v, ok, d] = b.read(0x2008);
  EXPECT_FALSE(ok);  // the external abort, not the stale pointer's data
  EXPECT_EQ(d, sc_time(37, SC_NS));
  EXPECT_EQ(b.mem.stats().errors, 1u);  // the memory answered it
  EXPECT_TRUE(std::get<1>(b.read(0x1000)));
  EXPECT_EQ(b.mem.reads(), 2u);  // the region over 0x1000 went too: read again, granted again
}

TEST(WalkDmi, OffEveryReadIsATransaction) {
  Bench b;
  b.walker.port.set_use_dmi(false);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(std::get<1>(b.read(0x100)));
  EXPECT_EQ(b.mem.reads(), 5u);
}

}  // namespace
}  // namespace smmu::model
