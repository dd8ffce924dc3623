// SPDX-License-Identifier: Apache-2.0
// Router: decode and address stripping, latency, errors, debug, DMI translation and
// clipping, invalidation forwarding, map validation.
#include "rtl_model/mem/router.h"

#include <gtest/gtest.h>

#include <string>

#include "rtl_model/mem/memory.h"
#include "tests/model/mem_test_util.h"

namespace smmu::model {
namespace {

using test::ns;
using test::TestInitiator;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kBase1 = 0x80000000;

// Two initiators, a router with 2 ns per hop, memory 0 at [0, 1 MiB) and memory 1 at
// [kBase1, kBase1 + 512 KiB) and, aliased, at [0x1'0000'0000, +1 MiB).
struct Soc {
  MemoryParams p0, p1;
  Memory mem0, mem1;
  Router router;
  TestInitiator cpu, dma;

  static MemoryParams params(uint64_t size, double latency_ns) {
    MemoryParams p;
    p.size = size;
    p.read_latency = ns(latency_ns);
    p.write_latency = ns(latency_ns);
    return p;
  }

  Soc()
      : mem0("mem0", params(kMiB, 50)),
        mem1("mem1", params(4 * kMiB, 30)),
        router("router", RouterParams{ns(2)}),
        cpu("cpu"),
        dma("dma") {
    cpu.socket.bind(router.target);
    dma.socket.bind(router.target);
    router.initiator.bind(mem0.socket);
    router.initiator.bind(mem1.socket);
    router.map(1, kBase1, kMiB / 2);
    router.map(0, 0, kMiB);
    router.map(1, 0x100000000ull, kMiB);
  }
};

TEST(MemRouter, WindowsAreSorted) {
  Soc soc;
  const auto& w = soc.router.windows();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].base, 0u);
  EXPECT_EQ(w[1].base, kBase1);
  EXPECT_EQ(w[1].last, kBase1 + kMiB / 2 - 1);
  EXPECT_EQ(w[2].base, 0x100000000ull);
}

TEST(MemRouter, DecodeStripsBaseAndAddsHopLatency) {
  Soc soc;
  soc.cpu.body = [&](TestInitiator& self) {
    std::vector<uint8_t> data{1, 2, 3, 4};
    sc_core::sc_time d;
    EXPECT_EQ(self.transport(tlm::TLM_WRITE_COMMAND, kBase1 + 0x10, data, d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(32));  // 2 ns router + 30 ns mem1
    EXPECT_EQ(self.last_address, kBase1 + 0x10);  // restored for the initiator
    EXPECT_TRUE(self.last_dmi_allowed);

    d = sc_core::SC_ZERO_TIME;
    std::vector<uint8_t> low{9, 9};
    EXPECT_EQ(self.transport(tlm::TLM_WRITE_COMMAND, 0x10, low, d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(52));
    EXPECT_EQ(self.last_address, 0x10u);
  };
  soc.dma.body = [&](TestInitiator& self) {
    sc_core::wait(ns(1));  // a second initiator reads what the first wrote
    std::vector<uint8_t> data(4);
    sc_core::sc_time d;
    EXPECT_EQ(self.transport(tlm::TLM_READ_COMMAND, 0x100000010ull, data, d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(32));
    EXPECT_EQ(data, (std::vector<uint8_t>{1, 2, 3, 4}));  // alias window, same bytes
  };
  sc_core::sc_start();
  EXPECT_EQ(soc.mem1.read32(0x10), 0x04030201u);
  EXPECT_EQ(soc.mem0.read32(0x10) & 0xFFFF, 0x0909u);
  EXPECT_EQ(soc.mem1.writes(), 1u);
  EXPECT_EQ(soc.mem1.reads(), 1u);
  EXPECT_EQ(soc.mem0.writes(), 1u);
}

TEST(MemRouter, UnmappedAndStraddlingAreAddressErrors) {
  Soc soc;
  soc.cpu.body = [&](TestInitiator& self) {
    std::vector<uint8_t> data(8);
    sc_core::sc_time d;
    // In the gap between windows: the router answers, after its own hop.
    EXPECT_EQ(self.transport(tlm::TLM_READ_COMMAND, 0x40000000, data, d),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(d, ns(2));
    // Past mem1's window although mem1 itself is larger.
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(self.transport(tlm::TLM_READ_COMMAND, kBase1 + kMiB / 2, data, d),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Starting inside, ending outside.
    EXPECT_EQ(self.transport(tlm::TLM_READ_COMMAND, kBase1 + kMiB / 2 - 4, data, d),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(self.last_address, kBase1 + kMiB / 2 - 4);
    // The last 8 bytes of the window are fine.
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(self.transport(tlm::TLM_READ_COMMAND, kBase1 + kMiB / 2 - 8, data, d),
              tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(32));
  };
  sc_core::sc_start();
  EXPECT_EQ(soc.mem1.reads(), 1u);
  EXPECT_EQ(soc.mem1.stats().errors, 0u);  // the router never forwarded the bad ones
}

TEST(MemRouter, DebugTransportForwarded) {
  Soc soc;
  soc.mem1.write32(0x20, 0x44332211);
  soc.cpu.body = [&](TestInitiator& self) {
    std::vector<uint8_t> data(4);
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(kBase1 + 0x20);
    gp.set_data_ptr(data.data());
    gp.set_data_length(4);
    EXPECT_EQ(self.socket->transport_dbg(gp), 4u);
    EXPECT_EQ(gp.get_address(), kBase1 + 0x20);
    EXPECT_EQ(data, (std::vector<uint8_t>{0x11, 0x22, 0x33, 0x44}));
    // Clipped at the window end.
    gp.set_address(kBase1 + kMiB / 2 - 2);
    EXPECT_EQ(self.socket->transport_dbg(gp), 2u);
    EXPECT_EQ(gp.get_data_length(), 4u);
    gp.set_address(0x40000000);
    EXPECT_EQ(self.socket->transport_dbg(gp), 0u);
  };
  sc_core::sc_start();
  EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
  EXPECT_EQ(soc.mem1.reads(), 0u);
}

TEST(MemRouter, DmiTranslatedAndClipped) {
  Soc soc;
  soc.cpu.body = [&](TestInitiator& self) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);

    // mem1 grants its whole first chunk (1 MiB); the window is only 512 KiB.
    tlm::tlm_dmi dmi;
    gp.set_address(kBase1 + 0x1234);
    ASSERT_TRUE(self.socket->get_direct_mem_ptr(gp, dmi));
    EXPECT_EQ(gp.get_address(), kBase1 + 0x1234);
    EXPECT_EQ(dmi.get_start_address(), kBase1);
    EXPECT_EQ(dmi.get_end_address(), kBase1 + kMiB / 2 - 1);
    EXPECT_EQ(dmi.get_read_latency(), ns(32));  // memory + router hop
    EXPECT_EQ(dmi.get_write_latency(), ns(32));
    dmi.get_dmi_ptr()[0x1234] = 0x77;
    EXPECT_EQ(soc.mem1.read32(0x1234), 0x77u);

    // Through the alias window the same chunk appears at the alias addresses.
    tlm::tlm_dmi alias;
    gp.set_address(0x100000000ull + 0x10);
    ASSERT_TRUE(self.socket->get_direct_mem_ptr(gp, alias));
    EXPECT_EQ(alias.get_start_address(), 0x100000000ull);
    EXPECT_EQ(alias.get_end_address(), 0x100000000ull + kMiB - 1);
    EXPECT_EQ(alias.get_dmi_ptr(), dmi.get_dmi_ptr());

    // Unmapped: refused over the whole gap between windows.
    tlm::tlm_dmi gap;
    gp.set_address(0x40000000);
    EXPECT_FALSE(self.socket->get_direct_mem_ptr(gp, gap));
    EXPECT_EQ(gap.get_start_address(), kMiB);
    EXPECT_EQ(gap.get_end_address(), kBase1 - 1);
  };
  sc_core::sc_start();
}

TEST(MemRouter, InvalidationForwardedInGlobalAddresses) {
  Soc soc;
  soc.cpu.body = [&](TestInitiator& self) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(kBase1);
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(self.socket->get_direct_mem_ptr(gp, dmi));
    sc_core::wait(ns(10));
    soc.mem1.add_error_range(0x300, 0x100);  // revoke mem1 [0x300, 0x3FF]
    soc.mem1.invalidate_dmi(kMiB, 2 * kMiB - 1);  // outside the small window
  };
  sc_core::sc_start();
  // Both initiators hear about both windows that map mem1, in global addresses.
  const std::vector<std::pair<uint64_t, uint64_t>> expect{
      {kBase1 + 0x300, kBase1 + 0x3FF},
      {0x100000000ull + 0x300, 0x100000000ull + 0x3FF},
  };
  EXPECT_EQ(soc.cpu.invalidations, expect);
  // The second invalidation (mem1 [1 MiB, 2 MiB)) lies outside both windows, which
  // end at 512 KiB - 1 and 1 MiB - 1: nothing is forwarded for it.
  EXPECT_EQ(soc.dma.invalidations, expect);
}

TEST(MemRouter, InvalidationClippedToWindow) {
  Soc soc;
  soc.cpu.body = [&](TestInitiator& self) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x100);
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(self.socket->get_direct_mem_ptr(gp, dmi));  // mem0
    soc.mem0.invalidate_dmi(0x80000, ~uint64_t{0});
  };
  sc_core::sc_start();
  const std::vector<std::pair<uint64_t, uint64_t>> expect{{0x80000, kMiB - 1}};
  EXPECT_EQ(soc.cpu.invalidations, expect);
  EXPECT_EQ(soc.dma.invalidations, expect);
}

TEST(MemRouter, OverlapRejectedNamingRanges) {
  Router router("router");
  router.map(0, 0x1000, 0x1000);
  try {
    router.map(1, 0x1800, 0x1000);
    FAIL() << "overlap accepted";
  } catch (const sc_core::sc_report& r) {
    const std::string msg = r.what();
    EXPECT_NE(msg.find("[0x1800, 0x27ff] (target 1)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[0x1000, 0x1fff] (target 0)"), std::string::npos) << msg;
  }
  EXPECT_THROW(router.map(0, 0x0, 0x1001), sc_core::sc_report);
  EXPECT_THROW(router.map(0, 0x5000, 0), sc_core::sc_report);
  EXPECT_THROW(router.map(0, ~uint64_t{0}, 2), sc_core::sc_report);
  // Adjacent windows are fine, including one that ends at 2^64 - 1.
  EXPECT_NO_THROW(router.map(1, 0x2000, 0x1000));
  EXPECT_NO_THROW(router.map(1, 0x0, 0x1000));
  EXPECT_NO_THROW(router.map(1, ~uint64_t{0} - 0xFFF, 0x1000));
  EXPECT_EQ(router.windows().size(), 4u);
}

TEST(MemRouter, UnboundTargetIndexReported) {
  Memory mem("mem");
  Router router("router");
  TestInitiator cpu("cpu");
  cpu.socket.bind(router.target);
  router.initiator.bind(mem.socket);
  router.map(0, 0, kMiB);
  router.map(3, 0x10000000, kMiB);
  try {
    sc_core::sc_start();
    FAIL() << "unbound target index accepted";
  } catch (const sc_core::sc_report& r) {
    EXPECT_NE(std::string(r.what()).find("maps target 3 but only 1"), std::string::npos) << r.what();
  }
}

}  // namespace
}  // namespace smmu::model
