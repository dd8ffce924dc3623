// SPDX-License-Identifier: Apache-2.0
// RCU on simulated CPUs: grace periods wait for exactly the readers that were inside
// when they started (nested, blocking and ahead-of-time readers included) and end at
// the simulated time the last of them left; call_rcu callbacks run later, in order, in
// the worker; and a randomized stress where readers must never see a freed object.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "platform/cpu/cpu.h"
#include "platform/cpu/sc_os.h"
#include "platform/cpu/sc_sync.h"
#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "tests/model/mem_test_util.h"

namespace smmu::platform {
namespace {

using sc_core::sc_time;
using sc_core::sc_time_stamp;

using model::test::ns;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kMemSize = 64 * kMiB;
constexpr uint64_t kDmaBase = kMiB;
constexpr uint64_t kDmaSize = 16 * kMiB;
constexpr uint64_t kScratch = 32 * kMiB;

// A thread running a test script next to the CPUs.
using Stimulus = model::test::ScriptThread;

model::MemoryParams memory_params() {
  model::MemoryParams p;
  p.size = kMemSize;
  return p;
}

struct TestSoc {
  ScSync sync;
  model::Memory memory;
  model::Router router;
  DmaAllocator dma;
  std::vector<std::unique_ptr<Cpu>> cpus;

  explicit TestSoc(unsigned n, CpuParams p = CpuParams{})
      : sync("sync"), memory("memory", memory_params()), router("router"), dma(kDmaBase, kDmaSize) {
    router.initiator.bind(memory.socket);
    router.map(0, 0, kMemSize);
    for (unsigned i = 0; i < n; ++i) {
      p.id = i;
      cpus.push_back(std::make_unique<Cpu>(("cpu" + std::to_string(i)).c_str(), p, dma, sync));
      cpus.back()->bus.bind(router.target);
    }
  }
  Cpu& cpu(unsigned i) { return *cpus.at(i); }
};

struct Obj {
  uint64_t value;
  bool freed = false;
};

// cpu0 holds an object in a read-side section from 100 ns to 5100 ns.
void hold_reader(TestSoc& soc, Obj*& published, uint64_t& exited) {
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.delay_ns(100);
    os.rcu_read_lock();
    Obj* p = published;
    for (unsigned i = 0; i < 5; ++i) {
      os.delay_ns(1000);
      EXPECT_FALSE(p->freed) << "freed under a reader at " << os.now_ns() << " ns";
      EXPECT_EQ(p->value, 1u);
    }
    os.rcu_read_unlock();
    exited = os.now_ns();
  });
}

TEST(Rcu, CallRcuFreesOnlyAfterTheReaderLeaves) {
  TestSoc soc(2);
  auto first = std::make_unique<Obj>(Obj{1});
  auto second = std::make_unique<Obj>(Obj{2});
  Obj* published = first.get();
  uint64_t exited = 0, call_returned = 0;
  sc_time freed_at;
  hold_reader(soc, published, exited);
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(1000);
    Obj* old = published;
    published = second.get();
    os.call_rcu([old, &freed_at] {
      old->freed = true;
      freed_at = sc_time_stamp();
    });
    call_returned = os.now_ns();
    EXPECT_FALSE(old->freed);  // never inline
    EXPECT_EQ(soc.sync.pending_callbacks(), 1u);
  });
  sc_core::sc_start();
  EXPECT_EQ(exited, 5100u);
  EXPECT_EQ(call_returned, 1002u);  // call_rcu does not wait
  EXPECT_TRUE(first->freed);
  EXPECT_EQ(freed_at, ns(5100));  // exactly when the reader left
  EXPECT_FALSE(second->freed);
  EXPECT_EQ(soc.sync.stats().callbacks_run, 1u);
  EXPECT_EQ(soc.sync.pending_callbacks(), 0u);
}

TEST(Rcu, SynchronizeRcuReturnsWhenTheReaderLeaves) {
  TestSoc soc(2);
  auto first = std::make_unique<Obj>(Obj{1});
  auto second = std::make_unique<Obj>(Obj{2});
  Obj* published = first.get();
  uint64_t exited = 0, returned = 0;
  hold_reader(soc, published, exited);
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(1000);
    Obj* old = published;
    published = second.get();
    os.synchronize_rcu();
    returned = os.now_ns();
    EXPECT_EQ(sc_time_stamp(), ns(5100));
    old->freed = true;
    os.synchronize_rcu();  // no reader: returns at once (after its own cost)
    EXPECT_EQ(os.now_ns(), 5102u);
  });
  sc_core::sc_start();
  EXPECT_EQ(returned, 5100u);
  EXPECT_EQ(exited, 5100u);
  EXPECT_EQ(soc.sync.stats().synchronize_calls, 2u);
  EXPECT_EQ(soc.sync.stats().synchronize_waited, 1u);
}

TEST(Rcu, ReaderRunningAheadIsWaitedForUntilItsLocalExitTime) {
  TestSoc soc(2);
  uint64_t returned = 0, reader_exit = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.rcu_read_lock();
    os.delay_ns(100);
    for (unsigned i = 0; i < 300; ++i) os.write64(kScratch, i);  // 600 ns ahead of SystemC
    EXPECT_EQ(sc_time_stamp(), ns(100));
    os.rcu_read_unlock();
    reader_exit = os.now_ns();
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(50);
    os.synchronize_rcu();  // snapshot at 52 ns: cpu0 inside
    returned = os.now_ns();
  });
  sc_core::sc_start();
  EXPECT_EQ(reader_exit, 700u);
  EXPECT_EQ(returned, 700u);
}

TEST(Rcu, NestedSectionsEndAtTheOutermostUnlock) {
  TestSoc soc(2);
  uint64_t returned = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.rcu_read_lock();
    os.delay_ns(100);
    os.rcu_read_lock();
    EXPECT_EQ(soc.sync.rcu_nesting(), 2u);
    os.delay_ns(100);
    os.rcu_read_unlock();  // 200: still inside
    EXPECT_EQ(soc.sync.rcu_nesting(), 1u);
    os.delay_ns(100);
    os.rcu_read_unlock();  // 300
    EXPECT_EQ(soc.sync.rcu_nesting(), 0u);
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(150);
    EXPECT_EQ(soc.sync.rcu_readers(), 1u);
    os.synchronize_rcu();
    returned = os.now_ns();
  });
  sc_core::sc_start();
  EXPECT_EQ(returned, 300u);
}

TEST(Rcu, ReadersThatStartLaterDoNotDelayTheGracePeriod) {
  TestSoc soc(3);
  uint64_t returned = 0;
  sc_time callback_at;
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.rcu_read_lock();
    os.delay_ns(1000);
    os.rcu_read_unlock();  // 1000: the section the grace period waits for ends
    os.rcu_read_lock();    // and a new one starts at once
    os.delay_ns(2000);
    os.rcu_read_unlock();  // 3000
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(200);  // enters after the grace period started
    os.rcu_read_lock();
    os.delay_ns(4800);
    os.rcu_read_unlock();  // 5000
  });
  soc.cpu(2).add_program([&](driver::Os& os) {
    os.delay_ns(100);
    os.synchronize_rcu();  // starts at 102 ns: only cpu0's first section counts
    returned = os.now_ns();
    // Now both cpu0 (second section) and cpu1 are inside: a callback waits for both.
    os.call_rcu([&] { callback_at = sc_time_stamp(); });
  });
  sc_core::sc_start();
  EXPECT_EQ(returned, 1000u);
  EXPECT_EQ(callback_at, ns(5000));
}

TEST(Rcu, ReaderMayBlockInsideItsSection) {
  TestSoc soc(2);
  Stimulus stim("stim");
  sc_core::sc_signal<bool> line("line");
  stim.body = [&] {
    sc_core::wait(ns(2000));
    line.write(true);
    sc_core::wait(ns(1));
    line.write(false);
  };
  soc.cpu(0).connect_irq(3, line);
  uint64_t returned = 0;
  soc.cpu(0).add_program([&](driver::Os& os) {
    driver::RcuReadGuard guard(os);
    EXPECT_TRUE(os.wait_for_irq(3, Cpu::kForeverNs));  // sleeps inside the section (SRCU-like)
    EXPECT_EQ(os.now_ns(), 2000u);
  });
  soc.cpu(1).add_program([&](driver::Os& os) {
    os.delay_ns(100);
    os.synchronize_rcu();
    returned = os.now_ns();
  });
  sc_core::sc_start();
  EXPECT_EQ(returned, 2000u);
}

TEST(Rcu, CallbacksRunInCallOrderInTheWorker) {
  TestSoc soc(1);
  std::vector<std::pair<char, sc_time>> log;
  soc.cpu(0).add_program([&](driver::Os& os) {
    os.delay_ns(1000);
    os.call_rcu([&] { log.emplace_back('A', sc_time_stamp()); });
    os.call_rcu([&] {
      log.emplace_back('B', sc_time_stamp());
      // A callback may queue another (it runs after a later grace period).
      soc.sync.call_rcu([&] { log.emplace_back('C', sc_time_stamp()); });
    });
    EXPECT_TRUE(log.empty());  // no reader, but still not inline
    os.delay_ns(1);            // lets the worker run
    const std::vector<std::pair<char, sc_time>> want{{'A', ns(1002)}, {'B', ns(1004)}, {'C', ns(1004)}};
    EXPECT_EQ(log, want);
  });
  sc_core::sc_start();
  EXPECT_EQ(soc.sync.stats().callbacks_queued, 3u);
  EXPECT_EQ(soc.sync.stats().callbacks_run, 3u);
}

TEST(Rcu, MisuseIsReported) {
  TestSoc soc(1);
  soc.cpu(0).add_program([&](driver::Os& os) {
    EXPECT_THROW(os.rcu_read_unlock(), sc_core::sc_report);
    os.rcu_read_lock();
    EXPECT_THROW(os.synchronize_rcu(), sc_core::sc_report);  // would wait for itself
    os.rcu_read_unlock();
    os.synchronize_rcu();
  });
  sc_core::sc_start();
}

TEST(Rcu, ProgramEndingInsideASectionIsAnError) {
  TestSoc soc(1);
  soc.cpu(0).add_program([&](driver::Os& os) { os.rcu_read_lock(); });
  EXPECT_THROW(sc_core::sc_start(), sc_core::sc_report);
}

// --- randomized stress

constexpr uint64_t kAlive = 0xa11fea11fea11feull;
constexpr uint64_t kPoison = 0xdeadbeefdeadbeefull;
constexpr uint64_t kPublished = kScratch;  // the published object's address
constexpr size_t kObjSize = 64;            // in DRAM: magic, id

// A host twin of each object (freed with delete: AddressSanitizer sees a late reader).
struct Twin {
  uint64_t magic = kAlive;
  uint64_t id = 0;
};

struct StressCase {
  unsigned seed;
  unsigned quantum_ns;
};

void PrintTo(const StressCase& c, std::ostream* os) { *os << "seed " << c.seed << ", quantum " << c.quantum_ns << " ns"; }

class RcuStress : public testing::TestWithParam<StressCase> {};

TEST_P(RcuStress, ReadersNeverSeeAFreedObject) {
  const StressCase sc = GetParam();
  CpuParams p;
  p.quantum = ns(sc.quantum_ns);
  TestSoc soc(4, p);
  auto writers_lock = soc.cpu(0).os().make_spinlock();
  uint64_t next_id = 1, violations = 0, reads = 0, writes = 0, objects_seen = 0;

  // The first object, set up before the simulation.
  const uint64_t first = soc.dma.allocate(kObjSize, kObjSize);
  soc.memory.write64(first, kAlive);
  soc.memory.write64(first + 8, 0);
  soc.memory.write64(kPublished, first);
  Twin* twin = new Twin{kAlive, 0};

  auto check = [&](driver::Os& os, uint64_t pa, uint64_t id, const Twin* t) {
    if (os.read64(pa) != kAlive || os.read64(pa + 8) != id || t->magic != kAlive || t->id != id) {
      ++violations;
      ADD_FAILURE() << "cpu" << os.cpu_id() << " at " << os.now_ns() << " ns: object " << id
                    << " freed under its reader";
    }
  };

  for (unsigned c = 0; c < 4; ++c) {
    soc.cpu(c).add_program([&, c](driver::Os& os) {
      std::mt19937 rng(sc.seed * 100 + c);
      uint64_t last_id = ~uint64_t{0};
      for (unsigned iter = 0; iter < 2000; ++iter) {
        if (rng() % 100 < 65) {  // reader
          os.rcu_read_lock();
          const uint64_t pa = os.read64(kPublished);
          const Twin* t = twin;  // published separately: each is protected on its own
          const uint64_t id = os.read64(pa + 8);
          objects_seen += id != last_id;
          last_id = id;
          check(os, pa, id, t);
          for (unsigned step = rng() % 4; step > 0; --step) {
            switch (rng() % 3) {
              case 0:
                os.delay_ns(rng() % 300);
                break;
              case 1:  // nested section across a delay
                os.rcu_read_lock();
                os.delay_ns(rng() % 100);
                os.rcu_read_unlock();
                break;
              default:
                for (unsigned i = 0; i < 10; ++i) (void)os.read64(pa);
            }
            check(os, pa, id, t);
          }
          ++reads;
          os.rcu_read_unlock();
        } else {  // writer: replace, then free after a grace period
          const uint64_t npa = os.dma_alloc(kObjSize, kObjSize);
          ASSERT_NE(npa, 0u);
          writers_lock->lock();
          const uint64_t id = next_id++;
          os.write64(npa, kAlive);
          os.write64(npa + 8, id);
          Twin* nt = new Twin{kAlive, id};
          const uint64_t old = os.read64(kPublished);
          Twin* old_twin = twin;
          os.write64(kPublished, npa);
          twin = nt;
          writers_lock->unlock();
          ++writes;
          auto free_old = [&os, old, old_twin] {
            os.write64(old, kPoison);
            os.dma_free(old, kObjSize);
            old_twin->magic = kPoison;
            delete old_twin;
          };
          if (rng() % 4 == 0) {
            os.synchronize_rcu();
            free_old();
          } else {
            os.call_rcu(free_old);
          }
        }
        os.delay_ns(rng() % 200);
      }
    });
  }
  sc_core::sc_start();
  EXPECT_EQ(violations, 0u);
  EXPECT_GT(reads, 4500u);
  EXPECT_GT(writes, 2000u);
  EXPECT_GT(objects_seen, 1500u);
  EXPECT_EQ(soc.sync.pending_callbacks(), 0u);
  EXPECT_EQ(soc.sync.stats().callbacks_run, soc.sync.stats().callbacks_queued);
  EXPECT_GT(soc.sync.stats().synchronize_waited, 0u);
  EXPECT_EQ(soc.dma.live_allocations(), 1u);  // only the published object is left
  EXPECT_EQ(soc.memory.read64(soc.memory.read64(kPublished)), kAlive);
  delete twin;
}

INSTANTIATE_TEST_SUITE_P(Seeds, RcuStress,
                         testing::Values(StressCase{1, 1000}, StressCase{2, 1000}, StressCase{3, 1000},
                                         StressCase{4, 100}, StressCase{5, 0}),
                         [](const testing::TestParamInfo<StressCase>& info) {
                           return "seed" + std::to_string(info.param.seed) + "_quantum" +
                                  std::to_string(info.param.quantum_ns) + "ns";
                         });

}  // namespace
}  // namespace smmu::platform
