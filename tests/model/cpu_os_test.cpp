// SPDX-License-Identifier: Apache-2.0
// Simulated CPUs and their OS services: MMIO timing and ordering, the quantum keeper,
// cached memory by DMI (and the debug fallback), delays, DMA allocation, interrupt and
// SEV latching, and the mutex, spinlock and rwlock shared by several CPUs.
#include "platform/cpu/cpu.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>

#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "tests/model/mem_test_util.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::platform {
namespace {

using sc_core::sc_time;
using sc_core::sc_time_stamp;

using model::test::ns;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kMemSize = 64 * kMiB;
constexpr uint64_t kDevBase = 0x10000000;
constexpr uint64_t kDmaBase = kMiB;
constexpr uint64_t kDmaSize = 16 * kMiB;
constexpr uint64_t kScratch = 32 * kMiB;  // plain memory the tests use directly

// A device register window that records when each access arrives: the SystemC time
// at the call and the delay already annotated (the arrival is their sum).
class ProbeTarget : public sc_core::sc_module {
 public:
  struct Access {
    bool write;
    uint64_t offset;
    uint64_t value;
    unsigned len;
    sc_time stamp, delay_in;
    sc_time arrival() const { return stamp + delay_in; }
  };
  tlm_utils::simple_target_socket<ProbeTarget, smmu::model::kBusWidth> socket;
  sc_time latency = ns(10);
  std::vector<Access> log;
  std::map<uint64_t, uint64_t> regs;

  explicit ProbeTarget(const sc_core::sc_module_name& name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &ProbeTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    Access a{gp.is_write(), gp.get_address(), 0, gp.get_data_length(), sc_time_stamp(), delay};
    if (a.write) {
      std::memcpy(&a.value, gp.get_data_ptr(), a.len);
      regs[a.offset] = a.value;
    } else {
      a.value = regs[a.offset];
      std::memcpy(gp.get_data_ptr(), &a.value, a.len);
    }
    log.push_back(a);
    delay += latency;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

// Drives a test body in its own thread (pulses, notifications).
// A thread running a test script next to the CPUs.
using Stimulus = model::test::ScriptThread;

model::MemoryParams memory_params(bool dmi = true) {
  model::MemoryParams p;
  p.size = kMemSize;
  p.dmi_enabled = dmi;
  return p;
}

// Memory at 0, the probe at kDevBase (router: 5 ns per hop), n CPUs.
struct TestSoc {
  ScSync sync;
  model::Memory memory;
  model::Router router;
  ProbeTarget dev;
  DmaAllocator dma;
  std::vector<std::unique_ptr<Cpu>> cpus;

  explicit TestSoc(unsigned n, CpuParams p = CpuParams{}, bool dmi = true, ScSyncParams sp = ScSyncParams{})
      : sync("sync", sp),
        memory("memory", memory_params(dmi)),
        router("router", model::RouterParams{ns(5)}),
        dev("dev"),
        dma(kDmaBase, kDmaSize) {
    router.initiator.bind(memory.socket);
    router.initiator.bind(dev.socket);
    router.map(0, 0, kMemSize);
    router.map(1, kDevBase, 0x1000);
    for (unsigned i = 0; i < n; ++i) {
      p.id = i;
      cpus.push_back(std::make_unique<Cpu>(("cpu" + std::to_string(i)).c_str(), p, dma, sync));
      cpus.back()->bus.bind(router.target);
    }
  }
  Cpu& cpu(unsigned i) { return *cpus.at(i); }
};

// --- MMIO and memory timing

TEST(CpuOs, MmioArrivesAtTheCpuLocalTime) {
  TestSoc soc(1);
  uint64_t after_write = 0, after_read = 0, after_mem = 0;
  uint32_t read_back = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    for (unsigned i = 0; i < 5; ++i) os.write32(kScratch + 4 * i, i);  // 5 x 2 ns, no sync
    EXPECT_EQ(sc_time_stamp(), sc_core::SC_ZERO_TIME);  // ran ahead of SystemC time
    EXPECT_EQ(os.now_ns(), 10u);
    os.mmio_write32(kDevBase + 0x44, 0xabcd);  // synced first: arrives at 10 + 5 ns
    after_write = os.now_ns();                  // 10 + 5 (router) + 10 (device)
    read_back = os.mmio_read32(kDevBase + 0x44);
    after_read = os.now_ns();
    os.mem_read(kScratch, &read_back, 0);
    after_mem = os.now_ns();
  });
  sc_core::sc_start();
  ASSERT_EQ(soc.dev.log.size(), 2u);
  const auto& w = soc.dev.log[0];
  EXPECT_TRUE(w.write);
  EXPECT_EQ(w.offset, 0x44u);
  EXPECT_EQ(w.value, 0xabcdu);
  EXPECT_EQ(w.len, 4u);
  EXPECT_EQ(w.stamp, ns(10));    // the CPU synced before the access
  EXPECT_EQ(w.delay_in, ns(5));  // only the router's hop
  EXPECT_EQ(w.arrival(), ns(15));
  EXPECT_EQ(after_write, 25u);
  const auto& r = soc.dev.log[1];
  EXPECT_FALSE(r.write);
  EXPECT_EQ(r.stamp, ns(25));
  EXPECT_EQ(read_back, 0xabcdu);
  EXPECT_EQ(after_read, 40u);
  EXPECT_EQ(after_mem, 42u);  // a zero-length access still costs a call
  EXPECT_EQ(soc.cpu(0).stats().mmio_writes, 1u);
  EXPECT_EQ(soc.cpu(0).stats().mmio_reads, 1u);
  EXPECT_EQ(soc.cpu(0).stats().mmio_time, ns(30));
  EXPECT_TRUE(soc.cpu(0).finished());
  EXPECT_EQ(soc.cpu(0).finish_time(), ns(42));
}

TEST(CpuOs, MmioWritesOfTwoCpusReachTheDeviceInTimeOrder) {
  TestSoc soc(2);
  // cpu1 is later in simulated time but would run first in host order at time 0.
  soc.cpu(1).add_program([&](driver::Os& os) {
    for (unsigned i = 0; i < 20; ++i) os.write32(kScratch, i);  // 40 ns ahead
    os.mmio_write64(kDevBase + 8, 1);
  });
  soc.cpu(0).add_program([&](driver::Os& os) {
    for (unsigned i = 0; i < 10; ++i) os.write32(kScratch + 64, i);  // 20 ns
    os.mmio_write64(kDevBase + 8, 0);
  });
  sc_core::sc_start();
  ASSERT_EQ(soc.dev.log.size(), 2u);
  EXPECT_EQ(soc.dev.log[0].value, 0u);
  EXPECT_EQ(soc.dev.log[0].stamp, ns(20));
  EXPECT_EQ(soc.dev.log[0].len, 8u);
  EXPECT_EQ(soc.dev.log[1].value, 1u);
  EXPECT_EQ(soc.dev.log[1].stamp, ns(40));
  EXPECT_EQ(soc.dev.regs[8], 1u);
}

TEST(CpuOs, MmioErrorReadsAllOnesAndIsCounted) {
  TestSoc soc(1);
  uint64_t v = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    v = os.mmio_read64(0x20000000);  // nothing mapped there
  });
  sc_core::sc_start();
  EXPECT_EQ(v, ~uint64_t{0});
  EXPECT_EQ(soc.cpu(0).stats().mmio_errors, 1u);
}

TEST(CpuOs, QuantumKeeperSyncsAtTheQuantum) {
  CpuParams p;
  p.quantum = ns(100);
  TestSoc soc(1, p);
  soc.cpu(0).add_program([&](driver::Os& os) {
    for (unsigned i = 0; i < 49; ++i) os.write32(kScratch, i);
    EXPECT_EQ(sc_time_stamp(), sc_core::SC_ZERO_TIME);  // 98 ns ahead
    EXPECT_EQ(os.now_ns(), 98u);
    EXPECT_EQ(soc.cpu(0).stats().syncs, 0u);
    os.write32(kScratch, 49);
    EXPECT_EQ(sc_time_stamp(), ns(100));  // reached the quantum boundary: synced
    EXPECT_EQ(os.now_ns(), 100u);
    EXPECT_EQ(soc.cpu(0).stats().syncs, 1u);
    for (unsigned i = 0; i < 49; ++i) os.write32(kScratch, i);
    EXPECT_EQ(sc_time_stamp(), ns(100));
    os.write32(kScratch, 49);
    EXPECT_EQ(sc_time_stamp(), ns(200));
  });
  sc_core::sc_start();
  EXPECT_EQ(soc.cpu(0).stats().syncs, 2u);
}

TEST(CpuOs, MemoryCostsCachedAccessAndUsesDmi) {
  CpuParams p;
  p.cached_access = ns(3);
  p.instruction_overhead = ns(1);
  TestSoc soc(1, p);
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.write64(kScratch, 0x1122334455667788ull);
    const CpuStats& s = soc.cpu(0).stats();
    EXPECT_EQ(s.dmi_requests, 1u);
    EXPECT_EQ(s.dmi_grants, 1u);
    EXPECT_EQ(s.dmi_accesses, 1u);  // the first access already goes by DMI
    EXPECT_EQ(os.read64(kScratch), 0x1122334455667788ull);
    EXPECT_EQ(os.read32(kScratch + 4), 0x11223344u);
    EXPECT_EQ(s.dmi_requests, 1u);  // cached
    EXPECT_EQ(s.dmi_accesses, 3u);
    EXPECT_EQ(os.now_ns(), 12u);  // 3 calls x (3 + 1) ns
    // Across the memory's 1 MiB DMI granule: two more grants, one call.
    std::vector<uint8_t> buf(64, 0x5a);
    os.mem_write(2 * kMiB - 32, buf.data(), buf.size());
    EXPECT_EQ(s.dmi_grants, 3u);
    EXPECT_EQ(os.now_ns(), 16u);
    // The memory revokes DMI: the CPU asks again.
    soc.memory.invalidate_dmi(0, kMemSize - 1);
    EXPECT_EQ(s.dmi_invalidations, 1u);
    EXPECT_EQ(os.read64(kScratch), 0x1122334455667788ull);
    EXPECT_EQ(s.dmi_requests, 4u);
    EXPECT_EQ(s.debug_accesses, 0u);
    EXPECT_EQ(os.now_ns(), 20u);
  });
  sc_core::sc_start();
  EXPECT_EQ(soc.memory.read64(kScratch), 0x1122334455667788ull);
  EXPECT_EQ(soc.memory.read32(2 * kMiB), 0x5a5a5a5au);
  EXPECT_EQ(soc.memory.reads(), 0u);  // cached accesses are not DRAM transactions
  EXPECT_EQ(soc.memory.writes(), 0u);
}

TEST(CpuOs, MemoryFallsBackToDebugTransportWithoutDmi) {
  TestSoc soc(1, CpuParams{}, /*dmi=*/false);
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.write64(kScratch, 42);
    EXPECT_EQ(os.read64(kScratch), 42u);
    EXPECT_EQ(os.read64(kScratch + 8), 0u);
    EXPECT_EQ(os.now_ns(), 6u);
  });
  sc_core::sc_start();
  const CpuStats& s = soc.cpu(0).stats();
  EXPECT_EQ(s.dmi_requests, 1u);  // refused over the whole memory: not asked again
  EXPECT_EQ(s.dmi_grants, 0u);
  EXPECT_EQ(s.debug_accesses, 3u);
  EXPECT_EQ(soc.memory.read64(kScratch), 42u);
  EXPECT_EQ(soc.memory.reads(), 0u);
}

TEST(CpuOs, MemoryAccessNobodyAnswersIsAnError) {
  TestSoc soc(1);
  soc.cpu(0).add_program([&](driver::Os& os) {
    EXPECT_THROW(os.read64(0x30000000), sc_core::sc_report);
  });
  sc_core::sc_start();
}

// --- time

TEST(CpuOs, DelayLetsTimePassAndNowIsExact) {
  TestSoc soc(2);
  uint64_t seen_at = 0;
  unsigned polls = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.delay_ns(123);
    EXPECT_EQ(sc_time_stamp(), ns(123));
    EXPECT_EQ(os.now_ns(), 123u);
    os.write32(kScratch, 0);  // 125
    os.delay_ns(0);           // syncs the offset
    EXPECT_EQ(sc_time_stamp(), ns(125));
    EXPECT_EQ(os.cpu_id(), 0u);
    os.delay_ns(430);  // 555
    os.write32(kScratch + 4, 1);
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    EXPECT_EQ(os.cpu_id(), 1u);
    // Polls every 10 ns (+2 ns per read): reads at 0, 12, 24, ... 552, 564.
    while (os.read32(kScratch + 4) == 0) {
      ++polls;
      os.delay_ns(10);
    }
    seen_at = os.now_ns();
  });
  sc_core::sc_start();
  EXPECT_EQ(polls, 47u);
  EXPECT_EQ(seen_at, 566u);
  EXPECT_EQ(soc.cpu(0).finish_time(), ns(557));
}

// --- DMA memory

TEST(CpuOs, DmaAllocZeroesAlignsAndFrees) {
  TestSoc soc(1);
  for (uint64_t a = kDmaBase; a < kDmaBase + 0x4000; a += 8) soc.memory.write64(a, ~a);
  soc.cpu(0).add_program([&](driver::Os& os) {
    const uint64_t a = os.dma_alloc(24, 8);
    EXPECT_EQ(a, kDmaBase);
    const uint64_t b = os.dma_alloc(4096, 4096);
    EXPECT_EQ(b, kDmaBase + 4096);
    for (uint64_t x = b; x < b + 4096; x += 8) ASSERT_EQ(os.read64(x), 0u);
    EXPECT_EQ(os.read64(a + 16), 0u);
    EXPECT_EQ(os.read64(a + 24), ~(a + 24));  // past the block: untouched
    const uint64_t c = os.dma_alloc(100, 64);  // the hole between a and b
    EXPECT_EQ(c, kDmaBase + 64);
    os.dma_free(b, 4096);
    EXPECT_THROW(os.dma_free(b, 4096), sc_core::sc_report);  // double free
    EXPECT_THROW(os.dma_free(a, 16), sc_core::sc_report);    // wrong size
    EXPECT_EQ(os.dma_alloc(4096, 4096), b);  // reused
    EXPECT_EQ(os.dma_alloc(kDmaSize, 8), 0u);  // does not fit
    EXPECT_EQ(os.dma_alloc(0, 8), 0u);
  });
  sc_core::sc_start();
  EXPECT_EQ(soc.dma.live_allocations(), 3u);
}

TEST(CpuOs, DmaAllocatorMergesFreedBlocks) {
  DmaAllocator dma(0x1000, 0x3000);
  const uint64_t a = dma.allocate(0x1000, 0x1000);
  const uint64_t b = dma.allocate(0x1000, 0x1000);
  const uint64_t c = dma.allocate(0x1000, 0x1000);
  EXPECT_EQ(a, 0x1000u);
  EXPECT_EQ(b, 0x2000u);
  EXPECT_EQ(c, 0x3000u);
  EXPECT_EQ(dma.allocate(1, 1), 0u);
  EXPECT_EQ(dma.bytes_free(), 0u);
  dma.free(a, 0x1000);
  dma.free(c, 0x1000);
  EXPECT_EQ(dma.allocate(0x2000, 1), 0u);  // two separate holes
  dma.free(b, 0x1000);
  EXPECT_EQ(dma.allocate(0x3000, 0x1000), 0x1000u);  // merged back into one
  EXPECT_THROW(DmaAllocator(0, 0x1000), std::invalid_argument);
  EXPECT_THROW(DmaAllocator(0x1000, 0), std::invalid_argument);
  EXPECT_THROW(dma.allocate(8, 3), sc_core::sc_report);
}

// --- interrupts and SEV

TEST(CpuOs, IrqPulseWhileBusyIsLatchedAndTimeoutIsExact) {
  TestSoc soc(2);
  Stimulus stim("stim");
  sc_core::sc_signal<bool> line("line");
  stim.body = [&] {
    for (double t : {100.0, 1000.0, 1100.0, 1200.0}) {
      sc_core::wait(ns(t) - sc_time_stamp());
      line.write(true);
      sc_core::wait(ns(1));
      line.write(false);
    }
  };
  soc.cpu(0).connect_irq(5, line);
  soc.cpu(1).connect_irq(5, line);
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.delay_ns(500);  // busy while the first pulse comes
    EXPECT_TRUE(soc.cpu(0).irq_pending(5));
    EXPECT_TRUE(os.wait_for_irq(5, 1000));  // latched: at once
    EXPECT_EQ(os.now_ns(), 500u);
    EXPECT_FALSE(soc.cpu(0).irq_pending(5));  // consumed
    EXPECT_FALSE(os.wait_for_irq(5, 300));
    EXPECT_EQ(os.now_ns(), 800u);  // exactly at the timeout
    EXPECT_TRUE(os.wait_for_irq(5, 10000));
    EXPECT_EQ(os.now_ns(), 1000u);  // woken by the pulse
    os.delay_ns(400);                // two pulses while busy: one pending state
    EXPECT_TRUE(os.wait_for_irq(5, 50));
    EXPECT_FALSE(os.wait_for_irq(5, 50));
    EXPECT_EQ(os.now_ns(), 1450u);
    EXPECT_FALSE(os.wait_for_irq(5, 0));  // a poll
    EXPECT_THROW(os.wait_for_irq(6, 10), sc_core::sc_report);  // not connected
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    // Every CPU on the line sees every pulse.
    EXPECT_TRUE(os.wait_for_irq(5, 2000));
    EXPECT_EQ(os.now_ns(), 100u);
  });
  sc_core::sc_start();
  // The latches are processes inside their CPU.
  EXPECT_NE(sc_core::sc_find_object("cpu0.latch_0"), nullptr);
  EXPECT_NE(sc_core::sc_find_object("cpu1.latch_0"), nullptr);
  EXPECT_EQ(soc.cpu(0).stats().irq_waits, 6u);
  EXPECT_EQ(soc.cpu(0).stats().irq_timeouts, 3u);
}

TEST(CpuOs, SevIsLatchedLikeWfe) {
  TestSoc soc(1);
  Stimulus stim("stim");
  sc_core::sc_event sev;
  sc_core::sc_event msi;
  stim.body = [&] {
    sc_core::wait(ns(200));
    sev.notify();
    sc_core::wait(ns(300));
    sev.notify(ns(7));  // at 507
    msi.notify(ns(20));
  };
  soc.cpu(0).connect_sev(sev);
  soc.cpu(0).connect_irq(9, msi);  // a pulse event, e.g. an MSI
  soc.cpu(0).add_program([&](driver::Os& os) {
    EXPECT_FALSE(os.wait_for_event(150));
    EXPECT_EQ(os.now_ns(), 150u);
    os.delay_ns(100);
    EXPECT_TRUE(os.wait_for_event(10));  // the SEV at 200 was latched
    EXPECT_EQ(os.now_ns(), 250u);
    EXPECT_TRUE(os.wait_for_event(1000));
    EXPECT_EQ(os.now_ns(), 507u);
    EXPECT_TRUE(os.wait_for_irq(9, Cpu::kForeverNs));
    EXPECT_EQ(os.now_ns(), 520u);
  });
  sc_core::sc_start();
  EXPECT_EQ(soc.cpu(0).stats().event_timeouts, 1u);
}

// --- locks

// n CPUs add 1 to a counter in memory `iters` times each, with random delays inside
// and outside the critical section; a host flag checks that no two are inside at once.
void run_counter(TestSoc& soc, driver::Lock& lock, unsigned n, unsigned iters) {
  bool inside = false;
  for (unsigned c = 0; c < n; ++c) {
    soc.cpu(c).add_program([&, c](driver::Os& os) {
      std::mt19937 rng(1234 + c);
      for (unsigned i = 0; i < iters; ++i) {
        lock.lock();
        EXPECT_FALSE(inside) << "cpu" << c << " entered while another CPU is inside";
        inside = true;
        const uint64_t v = os.read64(kScratch);
        os.delay_ns(rng() % 40);
        os.write64(kScratch, v + 1);
        inside = false;
        lock.unlock();
        os.delay_ns(rng() % 30);
      }
    });
  }
  sc_core::sc_start();
  EXPECT_EQ(soc.memory.read64(kScratch), uint64_t{n} * iters);
}

TEST(CpuOs, MutexGivesMutualExclusionToFourCpus) {
  TestSoc soc(4);
  auto lock = soc.cpu(0).os().make_mutex();
  run_counter(soc, *lock, 4, 200);
  EXPECT_EQ(soc.sync.stats().mutex_acquires, 800u);
  EXPECT_GT(soc.sync.stats().mutex_contended, 100u);
  EXPECT_GT(soc.sync.stats().mutex_wait, sc_core::SC_ZERO_TIME);
}

TEST(CpuOs, SpinlockGivesMutualExclusionToFourCpus) {
  TestSoc soc(4);
  auto lock = soc.cpu(0).os().make_spinlock();
  run_counter(soc, *lock, 4, 200);
  EXPECT_EQ(soc.sync.stats().spin_acquires, 800u);
  EXPECT_GT(soc.sync.stats().spin_contended, 100u);
  EXPECT_GT(soc.sync.stats().spin_wait, sc_core::SC_ZERO_TIME);
}

TEST(CpuOs, TwoCpusShareAMutexUnderAQuantumOfZero) {
  CpuParams p;
  p.quantum = sc_core::SC_ZERO_TIME;  // every cost syncs at once
  TestSoc soc(2, p);
  auto lock = soc.cpu(0).os().make_mutex();
  run_counter(soc, *lock, 2, 100);
}

TEST(CpuOs, MutexHandsOverAtTheUnlockTime) {
  TestSoc soc(3);
  auto lock = soc.cpu(0).os().make_mutex();
  uint64_t got1 = 0, got2 = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    lock->lock();  // 2 ns
    EXPECT_EQ(os.now_ns(), 2u);
    os.delay_ns(100);
    lock->unlock();  // released at 104
    EXPECT_EQ(os.now_ns(), 104u);
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(20);
    lock->lock();  // waits from 22, first in line
    got1 = os.now_ns();
    os.delay_ns(50);
    lock->unlock();  // 104 + 50 + 2
  });
  soc.cpu(2).add_program([&](driver::Os& os) {
    os.delay_ns(10);
    os.delay_ns(20);
    lock->lock();  // waits from 32, second
    got2 = os.now_ns();
    lock->unlock();
  });
  sc_core::sc_start();
  EXPECT_EQ(got1, 104u);
  EXPECT_EQ(got2, 156u);
  EXPECT_EQ(soc.sync.stats().mutex_wait, ns(104 - 22) + ns(156 - 32));
}

TEST(CpuOs, SpinlockWaiterGetsItAtItsNextRetry) {
  ScSyncParams sp;
  sp.spin_interval = ns(10);
  TestSoc soc(2, CpuParams{}, true, sp);
  auto lock = soc.cpu(0).os().make_spinlock();
  uint64_t got = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    lock->lock();
    os.delay_ns(100);
    lock->unlock();  // released at 104
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(10);
    lock->lock();  // first try at 12, retries at 22, ..., 102, 112
    got = os.now_ns();
    lock->unlock();
  });
  sc_core::sc_start();
  EXPECT_EQ(got, 112u);
  EXPECT_EQ(soc.sync.stats().spin_wait, ns(100));
}

TEST(CpuOs, RwLockReadersOverlapWritersExcludeInFifoOrder) {
  TestSoc soc(4);
  auto rw = soc.cpu(0).os().make_rwlock();
  int readers_inside = 0, max_readers = 0;
  bool writer_inside = false;
  std::vector<std::pair<unsigned, uint64_t>> grants;  // (cpu, time)
  auto read_section = [&](driver::Os& os, unsigned cpu, uint64_t hold) {
    rw->read_lock();
    grants.emplace_back(cpu, os.now_ns());
    EXPECT_FALSE(writer_inside);
    max_readers = std::max(max_readers, ++readers_inside);
    os.delay_ns(hold);
    --readers_inside;
    rw->read_unlock();
  };
  auto write_section = [&](driver::Os& os, unsigned cpu, uint64_t hold) {
    rw->write_lock();
    grants.emplace_back(cpu, os.now_ns());
    EXPECT_FALSE(writer_inside);
    EXPECT_EQ(readers_inside, 0);
    writer_inside = true;
    os.delay_ns(hold);
    writer_inside = false;
    rw->write_unlock();
  };
  soc.cpu(0).add_program([&](driver::Os& os) {
    write_section(os, 0, 100);  // 2 .. unlock at 104
    os.delay_ns(110);
    read_section(os, 0, 10);  // at 216, while cpu3 reads: overlaps
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(10);
    read_section(os, 1, 50);  // queued at 12; granted alone at 104 (a writer queued next)
  });
  soc.cpu(2).add_program([&](driver::Os& os) {
    os.delay_ns(20);
    write_section(os, 2, 50);  // queued at 22; granted when cpu1 leaves (104 + 50 + 2)
  });
  soc.cpu(3).add_program([&](driver::Os& os) {
    os.delay_ns(30);
    read_section(os, 3, 60);  // queued at 32 behind the writer; granted at 208
  });
  sc_core::sc_start();
  const std::vector<std::pair<unsigned, uint64_t>> want{{0, 2}, {1, 104}, {2, 156}, {3, 208}, {0, 216}};
  EXPECT_EQ(grants, want);
  EXPECT_EQ(max_readers, 2);
}

TEST(CpuOs, RwLockReadersGrantedTogether) {
  TestSoc soc(3);
  auto rw = soc.cpu(0).os().make_rwlock();
  uint64_t r1 = 0, r2 = 0, w2 = 0;
  int inside = 0, max_inside = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    rw->write_lock();
    os.delay_ns(100);
    rw->write_unlock();  // 104
    os.delay_ns(1);
    rw->write_lock();  // queued at 107 behind the two readers
    w2 = os.now_ns();
    EXPECT_EQ(inside, 0);
    rw->write_unlock();
  });
  for (unsigned c = 1; c <= 2; ++c) {
    soc.cpu(c).add_program([&, c](driver::Os& os) {
      os.delay_ns(10 * c);
      rw->read_lock();
      (c == 1 ? r1 : r2) = os.now_ns();
      max_inside = std::max(max_inside, ++inside);
      rw->read_lock();  // recursive
      os.delay_ns(20 * c);
      rw->read_unlock();
      --inside;
      rw->read_unlock();
    });
  }
  sc_core::sc_start();
  EXPECT_EQ(r1, 104u);
  EXPECT_EQ(r2, 104u);
  EXPECT_EQ(max_inside, 2);
  EXPECT_EQ(w2, 104u + 2 + 40 + 2 + 2);  // after the longer reader's two unlocks
}

TEST(CpuOs, LockMisuseIsReported) {
  TestSoc soc(2);
  auto m = soc.cpu(0).os().make_mutex();
  auto s = soc.cpu(0).os().make_spinlock();
  auto rw = soc.cpu(0).os().make_rwlock();
  soc.cpu(0).add_program([&](driver::Os& os) {
    EXPECT_THROW(m->unlock(), sc_core::sc_report);  // free
    EXPECT_THROW(s->unlock(), sc_core::sc_report);
    m->lock();
    EXPECT_THROW(m->lock(), sc_core::sc_report);  // recursive: would deadlock
    s->lock();
    EXPECT_THROW(s->lock(), sc_core::sc_report);
    EXPECT_THROW(rw->read_unlock(), sc_core::sc_report);
    EXPECT_THROW(rw->write_unlock(), sc_core::sc_report);
    rw->read_lock();
    EXPECT_THROW(rw->write_lock(), sc_core::sc_report);  // upgrade would deadlock
    rw->read_unlock();
    rw->write_lock();
    EXPECT_THROW(rw->read_lock(), sc_core::sc_report);
    os.delay_ns(100);
    rw->write_unlock();
    m->unlock();
    s->unlock();
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(50);  // while cpu0 holds them all
    try {
      m->unlock();
      ADD_FAILURE() << "unlock by a non-owner was accepted";
    } catch (const sc_core::sc_report& r) {
      EXPECT_NE(std::string(r.what()).find("unlock by cpu1.run while cpu0.run holds it"), std::string::npos)
          << r.what();
    }
    EXPECT_THROW(s->unlock(), sc_core::sc_report);
    EXPECT_THROW(rw->write_unlock(), sc_core::sc_report);
    m->lock();  // the failed unlocks changed nothing: it waits for cpu0
    EXPECT_EQ(os.now_ns(), 130u);
    m->unlock();
  });
  sc_core::sc_start();
}

}  // namespace
}  // namespace smmu::platform
