// SPDX-License-Identifier: Apache-2.0
// Memory: timing, data, sparse allocation, error responses, DMI and invalidation.
#include "rtl_model/mem/memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "tests/model/mem_test_util.h"

namespace smmu::model {
namespace {

using test::ns;
using test::Txn;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

TEST(MemMemory, DefaultParams) {
  const MemoryParams p;
  EXPECT_EQ(p.size, kGiB);
  EXPECT_EQ(p.read_latency, ns(50));
  EXPECT_EQ(p.write_latency, ns(50));
  EXPECT_TRUE(p.dmi_enabled);
  EXPECT_EQ(Memory::kChunkSize, kMiB);
}

TEST(MemMemory, ZeroSizeRejected) {
  MemoryParams p;
  p.size = 0;
  EXPECT_THROW(Memory("mem", p), std::invalid_argument);
}

TEST(MemMemory, WriteThenReadWithExactLatencies) {
  MemoryParams p;
  p.read_latency = ns(40);
  p.write_latency = ns(7.5);
  Memory mem("mem", p);

  Txn w(tlm::TLM_WRITE_COMMAND, 0x1000, 8);
  for (unsigned i = 0; i < 8; ++i) w.data[i] = static_cast<uint8_t>(0xA0 + i);
  sc_core::sc_time delay = ns(10);  // latency adds to what the initiator already has
  mem.b_transport(w.gp, delay);
  EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(delay, ns(17.5));
  EXPECT_TRUE(w.gp.is_dmi_allowed());

  Txn r(tlm::TLM_READ_COMMAND, 0x1000, 8);
  delay = sc_core::SC_ZERO_TIME;
  mem.b_transport(r.gp, delay);
  EXPECT_EQ(r.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(delay, ns(40));
  EXPECT_EQ(r.data, w.data);
  EXPECT_EQ(mem.read64(0x1000), 0xA7A6A5A4A3A2A1A0ull);

  EXPECT_EQ(mem.reads(), 1u);
  EXPECT_EQ(mem.writes(), 1u);
  EXPECT_EQ(mem.bytes(), 16u);
  EXPECT_EQ(mem.stats().errors, 0u);
}

TEST(MemMemory, LatencyIndependentOfLength) {
  Memory mem("mem");
  Txn small(tlm::TLM_READ_COMMAND, 0, 1);
  Txn big(tlm::TLM_READ_COMMAND, 0, 4096);
  sc_core::sc_time d1, d2;
  mem.b_transport(small.gp, d1);
  mem.b_transport(big.gp, d2);
  EXPECT_EQ(d1, ns(50));
  EXPECT_EQ(d2, ns(50));
  EXPECT_EQ(mem.bytes(), 4097u);
}

TEST(MemMemory, SparseAllocationAcrossChunks) {
  MemoryParams p;
  p.size = 64 * kGiB;  // costs nothing until touched
  Memory mem("mem", p);
  EXPECT_EQ(mem.allocated_chunks(), 0u);

  // Reading untouched memory gives zeros and allocates nothing.
  Txn r0(tlm::TLM_READ_COMMAND, 60 * kGiB, 16, 0xEE);
  sc_core::sc_time d;
  mem.b_transport(r0.gp, d);
  EXPECT_EQ(r0.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r0.data, std::vector<uint8_t>(16, 0));
  EXPECT_EQ(mem.allocated_chunks(), 0u);

  // A write straddling a chunk boundary allocates both chunks.
  const uint64_t boundary = 60 * kGiB + 3 * kMiB;
  Txn w(tlm::TLM_WRITE_COMMAND, boundary - 5, 10);
  for (unsigned i = 0; i < 10; ++i) w.data[i] = static_cast<uint8_t>(i + 1);
  mem.b_transport(w.gp, d);
  EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(mem.allocated_chunks(), 2u);

  Txn r(tlm::TLM_READ_COMMAND, boundary - 8, 16, 0xEE);
  mem.b_transport(r.gp, d);
  const std::vector<uint8_t> expect{0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0};
  EXPECT_EQ(r.data, expect);
  EXPECT_EQ(mem.allocated_chunks(), 2u);

  // Host accessors see the same bytes and also cross chunks.
  uint8_t buf[10];
  mem.read(boundary - 5, buf, sizeof buf);
  EXPECT_EQ(std::memcmp(buf, w.data.data(), sizeof buf), 0);
  EXPECT_EQ(mem.read32(boundary - 2), 0x07060504u);
  // A read of a never-written chunk via the host does not allocate either.
  EXPECT_EQ(mem.read64(63 * kGiB), 0u);
  EXPECT_EQ(mem.allocated_chunks(), 2u);
}

TEST(MemMemory, OutOfRangeIsAddressErrorWithoutLatency) {
  MemoryParams p;
  p.size = 2 * kMiB;
  Memory mem("mem", p);
  for (uint64_t addr : {p.size - 4, p.size, ~uint64_t{0} - 1}) {
    Txn w(tlm::TLM_WRITE_COMMAND, addr, 8, 0x55);
    sc_core::sc_time d = ns(3);
    mem.b_transport(w.gp, d);
    EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE) << std::hex << addr;
    EXPECT_EQ(d, ns(3));
    EXPECT_FALSE(w.gp.is_dmi_allowed());
  }
  EXPECT_EQ(mem.read32(p.size - 4), 0u);  // nothing written
  EXPECT_EQ(mem.stats().errors, 3u);
  EXPECT_EQ(mem.writes(), 0u);
  // The last 8 bytes are fine.
  Txn ok(tlm::TLM_WRITE_COMMAND, p.size - 8, 8, 0x55);
  sc_core::sc_time d;
  mem.b_transport(ok.gp, d);
  EXPECT_EQ(ok.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
}

TEST(MemMemory, ByteEnables) {
  Memory mem("mem");
  mem.write64(0x100, 0x1111111111111111ull);
  Txn w(tlm::TLM_WRITE_COMMAND, 0x100, 8, 0xAB);
  uint8_t be[2] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED};  // repeats: even bytes only
  w.gp.set_byte_enable_ptr(be);
  w.gp.set_byte_enable_length(2);
  sc_core::sc_time d;
  mem.b_transport(w.gp, d);
  EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, ns(50));
  EXPECT_EQ(mem.read64(0x100), 0x11AB11AB11AB11ABull);

  // A read with byte enables fills only the enabled bytes of the buffer.
  Txn r(tlm::TLM_READ_COMMAND, 0x100, 8, 0xEE);
  r.gp.set_byte_enable_ptr(be);
  r.gp.set_byte_enable_length(2);
  mem.b_transport(r.gp, d);
  EXPECT_EQ(r.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  const std::vector<uint8_t> expect{0xAB, 0xEE, 0xAB, 0xEE, 0xAB, 0xEE, 0xAB, 0xEE};
  EXPECT_EQ(r.data, expect);

  // A byte-enable pointer without a length is malformed.
  Txn bad(tlm::TLM_WRITE_COMMAND, 0x100, 8, 0);
  bad.gp.set_byte_enable_ptr(be);
  bad.gp.set_byte_enable_length(0);
  sc_core::sc_time d2;
  mem.b_transport(bad.gp, d2);
  EXPECT_EQ(bad.gp.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  EXPECT_EQ(d2, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(mem.read64(0x100), 0x11AB11AB11AB11ABull);
}

TEST(MemMemory, StreamingWidthRepeatsAddresses) {
  Memory mem("mem");
  Txn w(tlm::TLM_WRITE_COMMAND, 0x200, 8);
  for (unsigned i = 0; i < 8; ++i) w.data[i] = static_cast<uint8_t>(i + 1);
  w.gp.set_streaming_width(4);
  sc_core::sc_time d;
  mem.b_transport(w.gp, d);
  EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(mem.read32(0x200), 0x08070605u);  // second beat overwrote the first
  EXPECT_EQ(mem.read32(0x204), 0u);
}

TEST(MemMemory, ErrorRangeGivesGenericErrorAfterLatency) {
  Memory mem("mem");
  mem.write32(0x1080, 0xCAFEF00D);
  mem.add_error_range(0x1000, 0x100);
  struct Case {
    uint64_t addr;
    unsigned len;
    bool error;
  };
  for (const Case& c : {Case{0x1080, 4, true}, Case{0xFFC, 8, true}, Case{0x10FF, 1, true},
                        Case{0xFF8, 8, false}, Case{0x1100, 8, false}}) {
    Txn r(tlm::TLM_READ_COMMAND, c.addr, c.len, 0xEE);
    sc_core::sc_time d;
    mem.b_transport(r.gp, d);
    EXPECT_EQ(r.gp.get_response_status(),
              c.error ? tlm::TLM_GENERIC_ERROR_RESPONSE : tlm::TLM_OK_RESPONSE)
        << std::hex << c.addr;
    EXPECT_EQ(d, ns(50));
    EXPECT_EQ(r.gp.is_dmi_allowed(), !c.error);
  }
  Txn w(tlm::TLM_WRITE_COMMAND, 0x1080, 4, 0);
  sc_core::sc_time d;
  mem.b_transport(w.gp, d);
  EXPECT_EQ(w.gp.get_response_status(), tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(mem.read32(0x1080), 0xCAFEF00Du);  // the write did not land
  EXPECT_EQ(mem.stats().errors, 4u);
  EXPECT_EQ(mem.reads(), 2u);

  EXPECT_THROW(mem.add_error_range(0, 0), std::invalid_argument);
  EXPECT_THROW(mem.add_error_range(kGiB - 4, 8), std::invalid_argument);
}

TEST(MemMemory, DmiGrantsTheChunk) {
  MemoryParams p;
  p.size = kMiB + kMiB / 2;  // last chunk is partial
  p.read_latency = ns(30);
  p.write_latency = ns(20);
  Memory mem("mem", p);

  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);
  gp.set_address(0x12345);
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(mem.get_direct_mem_ptr(gp, dmi));
  EXPECT_EQ(dmi.get_start_address(), 0u);
  EXPECT_EQ(dmi.get_end_address(), kMiB - 1);
  EXPECT_TRUE(dmi.is_read_write_allowed());
  EXPECT_EQ(dmi.get_read_latency(), ns(30));
  EXPECT_EQ(dmi.get_write_latency(), ns(20));
  // The pointer is the backing store itself.
  dmi.get_dmi_ptr()[0x12345] = 0x5A;
  EXPECT_EQ(mem.read32(0x12345), 0x5Au);
  mem.write32(0x10, 0xDEADBEEF);
  EXPECT_EQ(dmi.get_dmi_ptr()[0x10], 0xEF);

  gp.set_address(kMiB + 0x10);
  tlm::tlm_dmi dmi2;
  ASSERT_TRUE(mem.get_direct_mem_ptr(gp, dmi2));
  EXPECT_EQ(dmi2.get_start_address(), kMiB);
  EXPECT_EQ(dmi2.get_end_address(), p.size - 1);

  gp.set_address(p.size);
  tlm::tlm_dmi dmi3;
  EXPECT_FALSE(mem.get_direct_mem_ptr(gp, dmi3));
  EXPECT_EQ(dmi3.get_start_address(), p.size);
}

TEST(MemMemory, DmiAvoidsErrorRanges) {
  Memory mem("mem");
  mem.add_error_range(kMiB + 0x4000, 0x1000);
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_READ_COMMAND);

  tlm::tlm_dmi below;
  gp.set_address(kMiB + 0x10);
  ASSERT_TRUE(mem.get_direct_mem_ptr(gp, below));
  EXPECT_EQ(below.get_start_address(), kMiB);
  EXPECT_EQ(below.get_end_address(), kMiB + 0x3FFF);

  tlm::tlm_dmi above;
  gp.set_address(kMiB + 0x8000);
  ASSERT_TRUE(mem.get_direct_mem_ptr(gp, above));
  EXPECT_EQ(above.get_start_address(), kMiB + 0x5000);
  EXPECT_EQ(above.get_end_address(), 2 * kMiB - 1);
  // The pointer still maps the start address.
  mem.write32(kMiB + 0x5000, 0x01020304);
  EXPECT_EQ(above.get_dmi_ptr()[0], 0x04);

  tlm::tlm_dmi inside;
  gp.set_address(kMiB + 0x4800);
  EXPECT_FALSE(mem.get_direct_mem_ptr(gp, inside));
  EXPECT_EQ(inside.get_start_address(), kMiB + 0x4000);
  EXPECT_EQ(inside.get_end_address(), kMiB + 0x4FFF);
}

TEST(MemMemory, DmiDisabled) {
  MemoryParams p;
  p.dmi_enabled = false;
  Memory mem("mem", p);
  Txn r(tlm::TLM_READ_COMMAND, 0x40, 8);
  sc_core::sc_time d;
  mem.b_transport(r.gp, d);
  EXPECT_EQ(r.gp.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_FALSE(r.gp.is_dmi_allowed());
  tlm::tlm_dmi dmi;
  EXPECT_FALSE(mem.get_direct_mem_ptr(r.gp, dmi));
  EXPECT_EQ(mem.allocated_chunks(), 0u);
}

TEST(MemMemory, DebugTransportIsUntimedAndUncounted) {
  MemoryParams p;
  p.size = 2 * kMiB;
  Memory mem("mem", p);
  mem.add_error_range(0x100, 0x10);  // debug ignores error ranges
  Txn w(tlm::TLM_WRITE_COMMAND, 0x100, 4);
  w.data = {1, 2, 3, 4};
  w.gp.set_data_ptr(w.data.data());
  EXPECT_EQ(mem.transport_dbg(w.gp), 4u);
  EXPECT_EQ(mem.read32(0x100), 0x04030201u);
  Txn r(tlm::TLM_READ_COMMAND, p.size - 2, 8, 0xEE);  // clipped at the end
  EXPECT_EQ(mem.transport_dbg(r.gp), 2u);
  Txn out(tlm::TLM_READ_COMMAND, p.size, 4);
  EXPECT_EQ(mem.transport_dbg(out.gp), 0u);
  EXPECT_EQ(mem.reads() + mem.writes() + mem.bytes(), 0u);
}

TEST(MemMemory, HostAccessors) {
  Memory mem("mem");
  mem.write64(0x10, 0x1122334455667788ull);
  EXPECT_EQ(mem.read32(0x10), 0x55667788u);
  EXPECT_EQ(mem.read32(0x14), 0x11223344u);
  mem.write32(0x14, 0xAABBCCDD);
  EXPECT_EQ(mem.read64(0x10), 0xAABBCCDD55667788ull);
  EXPECT_THROW(mem.read64(kGiB - 4), std::invalid_argument);
  EXPECT_THROW(mem.write32(kGiB, 0), std::invalid_argument);
  EXPECT_NO_THROW(mem.write32(kGiB - 4, 0));
  EXPECT_EQ(mem.reads() + mem.writes(), 0u);  // host accesses are not bus traffic
}

// Adding an error range over a granted DMI region revokes it at the initiator.
TEST(MemMemory, ErrorRangeRevokesDmi) {
  Memory mem("mem");
  test::TestInitiator init("init");
  init.socket.bind(mem.socket);
  bool granted = false;
  init.body = [&](test::TestInitiator& self) {
    tlm::tlm_generic_payload gp;
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0x2000);
    tlm::tlm_dmi dmi;
    granted = self.socket->get_direct_mem_ptr(gp, dmi);
    sc_core::wait(ns(100));
    mem.add_error_range(0x3000, 0x200);
  };
  sc_core::sc_start();
  EXPECT_TRUE(granted);
  ASSERT_EQ(init.invalidations.size(), 1u);
  EXPECT_EQ(init.invalidations[0].first, 0x3000u);
  EXPECT_EQ(init.invalidations[0].second, 0x31FFu);
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(100));
}

}  // namespace
}  // namespace smmu::model
