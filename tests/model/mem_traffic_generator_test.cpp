// SPDX-License-Identifier: Apache-2.0
// Traffic generator: access sequences, timing (quantum, outstanding, gap, start),
// blocking targets, fault counting, stream attributes, write data and DMI.
#include "rtl_model/mem/traffic_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <tlm_utils/simple_target_socket.h>

#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/protocol/stream_extension.h"
#include "tests/model/mem_test_util.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {
namespace {

using test::ns;

std::vector<PlannedAccess> plan(const TrafficStream& s) {
  StreamSequence seq(s);
  std::vector<PlannedAccess> v;
  while (!seq.done()) v.push_back(seq.next());
  return v;
}

std::vector<uint64_t> addresses(const std::vector<PlannedAccess>& v) {
  std::vector<uint64_t> a;
  for (const auto& p : v) a.push_back(p.address);
  return a;
}

TrafficStream basic(uint64_t base, uint64_t length, unsigned size, uint64_t count) {
  TrafficStream s;
  s.base = base;
  s.length = length;
  s.size = size;
  s.count = count;
  return s;
}

// What a generator reported through on_complete.
struct Completion {
  uint64_t address;
  bool write;
  tlm::tlm_response_status status;
  sc_core::sc_time latency;
  sc_core::sc_time stamp;  // sc_time_stamp() when it completed (decoupling shows here)
};

void record_into(TrafficGenerator& gen, std::vector<Completion>& out) {
  gen.on_complete = [&out](const tlm::tlm_generic_payload& gp, sc_core::sc_time latency) {
    out.push_back({gp.get_address(), gp.is_write(), gp.get_response_status(), latency,
                   sc_core::sc_time_stamp()});
  };
}

// --- Sequences (no kernel) ---

TEST(MemTrafficSequence, SequentialWrapsWithinLength) {
  EXPECT_EQ(addresses(plan(basic(0x1000, 256, 64, 10))),
            (std::vector<uint64_t>{0x1000, 0x1040, 0x1080, 0x10C0, 0x1000, 0x1040, 0x1080,
                                   0x10C0, 0x1000, 0x1040}));
  // A tail shorter than one access is never touched.
  EXPECT_EQ(addresses(plan(basic(0, 200, 64, 5))),
            (std::vector<uint64_t>{0, 64, 128, 0, 64}));
}

TEST(MemTrafficSequence, Strided) {
  TrafficStream s = basic(0x10000, 0x400, 64, 6);
  s.pattern = TrafficStream::kStrided;
  s.stride = 0x100;
  EXPECT_EQ(addresses(plan(s)), (std::vector<uint64_t>{0x10000, 0x10100, 0x10200, 0x10300,
                                                       0x10000, 0x10100}));
  // Wraps when the next access would end past the region: 0x480 + 64 > 0x400.
  s.stride = 0x180;
  EXPECT_EQ(addresses(plan(s)), (std::vector<uint64_t>{0x10000, 0x10180, 0x10300, 0x10000,
                                                       0x10180, 0x10300}));
}

TEST(MemTrafficSequence, RandomWithinBoundsAlignedAndSeeded) {
  TrafficStream s = basic(0x40000, 0x10000, 64, 10000);
  s.pattern = TrafficStream::kRandom;
  s.seed = 42;
  const auto a = addresses(plan(s));
  std::set<uint64_t> distinct;
  for (uint64_t x : a) {
    ASSERT_GE(x, 0x40000u);
    ASSERT_LE(x + 64, 0x50000u);
    ASSERT_EQ(x % 64, 0u);
    distinct.insert(x);
  }
  EXPECT_GT(distinct.size(), 1000u);  // 1024 slots, 10000 draws: nearly all hit
  EXPECT_EQ(addresses(plan(s)), a);   // deterministic
  s.seed = 43;
  EXPECT_NE(addresses(plan(s)), a);

  // Sizes that are not powers of two: aligned relative to base.
  TrafficStream odd = basic(0x30, 480, 48, 1000);
  odd.pattern = TrafficStream::kRandom;
  std::set<uint64_t> slots;
  for (uint64_t x : addresses(plan(odd))) {
    ASSERT_EQ((x - 0x30) % 48, 0u);
    ASSERT_LE(x + 48, 0x30u + 480);
    slots.insert(x);
  }
  EXPECT_EQ(slots.size(), 10u);
}

TEST(MemTrafficSequence, WriteFraction) {
  TrafficStream s = basic(0, 1 << 20, 64, 10000);
  s.pattern = TrafficStream::kRandom;
  auto writes = [](const std::vector<PlannedAccess>& v) {
    return std::count_if(v.begin(), v.end(), [](const PlannedAccess& p) { return p.write; });
  };
  s.write_fraction = 0.0;
  const auto reads_only = plan(s);
  EXPECT_EQ(writes(reads_only), 0);
  s.write_fraction = 1.0;
  EXPECT_EQ(writes(plan(s)), 10000);
  s.write_fraction = 0.25;
  const auto mixed = plan(s);
  EXPECT_GT(writes(mixed), 2300);
  EXPECT_LT(writes(mixed), 2700);
  EXPECT_EQ(writes(plan(s)), writes(mixed));  // deterministic
  // The write fraction does not disturb the address sequence.
  EXPECT_EQ(addresses(mixed), addresses(reads_only));
  for (size_t i = 0; i < mixed.size(); ++i) ASSERT_EQ(mixed[i].index, i);
}

TEST(MemTrafficSequence, BadStreamsRejectedNamingKey) {
  auto message = [](TrafficStream s) -> std::string {
    try {
      validate_traffic_stream(s, 3);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  TrafficStream ok = basic(0, 4096, 64, 1);
  EXPECT_EQ(message(ok), "");
  TrafficStream s = ok;
  s.size = 0;
  EXPECT_NE(message(s).find("traffic stream 3: 'size'"), std::string::npos);
  s = ok;
  s.length = 32;
  EXPECT_NE(message(s).find("'length'"), std::string::npos);
  s = ok;
  s.outstanding = 0;
  EXPECT_NE(message(s).find("'outstanding'"), std::string::npos);
  s = ok;
  s.write_fraction = 1.5;
  EXPECT_NE(message(s).find("'write_fraction'"), std::string::npos);
  s = ok;
  s.pattern = TrafficStream::kStrided;
  EXPECT_NE(message(s).find("'stride'"), std::string::npos);
  s = ok;
  s.base = ~uint64_t{0} - 100;
  EXPECT_NE(message(s).find("'length'"), std::string::npos);

  std::vector<TrafficStream> streams{ok, ok};
  streams[1].outstanding = 0;
  try {
    TrafficGenerator gen("gen", streams);
    FAIL() << "bad stream accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("traffic stream 1: 'outstanding'"), std::string::npos)
        << e.what();
  }
}

TEST(MemTrafficGenerator, NoStreamsIsFinished) {
  TrafficGenerator gen("gen", {});
  EXPECT_TRUE(gen.finished());
  EXPECT_EQ(gen.total_stats().transactions(), 0u);
  EXPECT_EQ(gen.latency_percentile_ns(0.5), 0.0);
}

// --- Timing (one kernel per test) ---

// 10 sequential 64-byte reads, one outstanding, memory 50 ns: back to back, the last
// completes at 10 * 50 = 500 ns. With the 1 us quantum the thread never syncs on the way
// (everything completes at sc_time_stamp() == 0), then catches up to 500 ns at the end.
TEST(MemTrafficGenerator, TenSequentialReadsEndAt500ns) {
  Memory mem("mem");
  TrafficGenerator gen("gen", {basic(0x2000, 4096, 64, 10)});
  gen.socket.bind(mem.socket);
  std::vector<Completion> done;
  record_into(gen, done);
  sc_core::sc_time done_at = sc_core::SC_ZERO_TIME;
  test::ScriptThread watcher("watcher");
  watcher.body = [&] {
    sc_core::wait(gen.done_event());
    done_at = sc_core::sc_time_stamp();
  };
  sc_core::sc_start();

  ASSERT_EQ(done.size(), 10u);
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i].address, 0x2000 + 64 * i);
    EXPECT_FALSE(done[i].write);
    EXPECT_EQ(done[i].latency, ns(50));
    EXPECT_EQ(done[i].stamp, sc_core::SC_ZERO_TIME);
  }
  EXPECT_TRUE(gen.finished());
  EXPECT_EQ(gen.last_end_time(), ns(500));
  EXPECT_EQ(done_at, ns(500));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(500));

  const TrafficStats& st = gen.stream_stats(0);
  EXPECT_EQ(st.transactions(), 10u);
  EXPECT_EQ(st.reads(), 10u);
  EXPECT_EQ(st.writes(), 0u);
  EXPECT_EQ(st.bytes(), 640u);
  EXPECT_EQ(st.errors(), 0u);
  EXPECT_EQ(st.responses(tlm::TLM_OK_RESPONSE), 10u);
  EXPECT_EQ(st.min_latency(), ns(50));
  EXPECT_EQ(st.max_latency(), ns(50));
  EXPECT_EQ(gen.latency_percentile_ns(0.5), 50.0);
  EXPECT_EQ(gen.latency_percentile_ns(0.99), 50.0);
  EXPECT_EQ(gen.latency_percentile_ns(1.0), 50.0);
  EXPECT_EQ(mem.reads(), 10u);
}

// With a 100 ns quantum the thread syncs whenever an issue time reaches the next
// multiple of 100 ns: access i (issued at 50i ns) completes with sc_time_stamp() at
// floor(50i / 100) * 100 ns. The results do not change.
// A start gate holds the traffic back; start times count from its notification: a
// stream starting at 100 ns behind a gate opened at 2 us ends its 10 reads at 2.6 us.
TEST(MemTrafficGenerator, StartGateDelaysTrafficAndStartTimesCountFromIt) {
  Memory mem("mem");
  sc_core::sc_event gate;
  GeneratorParams gp;
  gp.start_gate = &gate;
  TrafficStream s = basic(0x2000, 4096, 64, 10);
  s.start_time = ns(100);
  TrafficGenerator gen("gen", {s}, gp);
  gen.socket.bind(mem.socket);
  std::vector<Completion> done;
  record_into(gen, done);
  sc_core::sc_time done_at = sc_core::SC_ZERO_TIME;
  size_t before_gate = 99;
  test::ScriptThread opener("opener");
  opener.body = [&] {
    sc_core::wait(ns(2000));
    before_gate = done.size();
    gate.notify();
    sc_core::wait(gen.done_event());
    done_at = sc_core::sc_time_stamp();
  };
  sc_core::sc_start();
  EXPECT_EQ(before_gate, 0u);
  ASSERT_EQ(done.size(), 10u);
  EXPECT_EQ(done_at, ns(2600));
}

TEST(MemTrafficGenerator, QuantumBoundsDecoupling) {
  Memory mem("mem");
  GeneratorParams gp;
  gp.quantum = ns(100);
  TrafficGenerator gen("gen", {basic(0, 4096, 64, 10)}, gp);
  gen.socket.bind(mem.socket);
  std::vector<Completion> done;
  record_into(gen, done);
  sc_core::sc_start();
  ASSERT_EQ(done.size(), 10u);
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i].stamp, ns(100.0 * (i / 2))) << i;
    EXPECT_EQ(done[i].latency, ns(50));
  }
  EXPECT_EQ(gen.last_end_time(), ns(500));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(500));
}

// The same random stream with 1, 2 and 4 outstanding: the same accesses in the same order,
// issued N per 50 ns, so the last completes at ceil(10 / N) * 50 ns.
TEST(MemTrafficGenerator, OutstandingKeepsSequenceAndOverlaps) {
  TrafficStream s = basic(0x100000, 0x8000, 64, 10);
  s.pattern = TrafficStream::kRandom;
  s.write_fraction = 0.5;
  s.seed = 7;
  const auto expected = plan(s);

  const unsigned outstanding[3] = {1, 2, 4};
  const double end_ns[3] = {500, 250, 150};
  std::vector<std::unique_ptr<Memory>> mems;
  std::vector<std::unique_ptr<TrafficGenerator>> gens;
  std::vector<Completion> done[3];
  for (int g = 0; g < 3; ++g) {
    s.outstanding = outstanding[g];
    mems.push_back(std::make_unique<Memory>(("mem" + std::to_string(g)).c_str()));
    gens.push_back(std::make_unique<TrafficGenerator>(("gen" + std::to_string(g)).c_str(),
                                                      std::vector<TrafficStream>{s}));
    gens[g]->socket.bind(mems[g]->socket);
    record_into(*gens[g], done[g]);
  }
  sc_core::sc_start();

  for (int g = 0; g < 3; ++g) {
    SCOPED_TRACE("outstanding " + std::to_string(outstanding[g]));
    ASSERT_EQ(done[g].size(), expected.size());
    std::multiset<std::pair<uint64_t, bool>> got, want;
    for (size_t i = 0; i < expected.size(); ++i) {
      // Issue order is index order, and with a fixed latency so is completion order.
      EXPECT_EQ(done[g][i].address, expected[i].address);
      EXPECT_EQ(done[g][i].write, expected[i].write);
      EXPECT_EQ(done[g][i].latency, ns(50));
      got.emplace(done[g][i].address, done[g][i].write);
      want.emplace(expected[i].address, expected[i].write);
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(gens[g]->last_end_time(), ns(end_ns[g]));
    EXPECT_TRUE(gens[g]->finished());
  }
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(500));
  // The data landed the same way: the three memories hold the same bytes.
  for (const auto& p : expected) {
    EXPECT_EQ(mems[0]->read64(p.address), mems[1]->read64(p.address));
    EXPECT_EQ(mems[0]->read64(p.address), mems[2]->read64(p.address));
  }
}

// The gap is a minimum issue-to-issue time; the stream starts at start_time.
TEST(MemTrafficGenerator, GapAndStartTime) {
  TrafficStream slow = basic(0, 4096, 64, 10);
  slow.start_time = ns(2000);
  slow.gap = ns(100);  // longer than the latency: issues every 100 ns
  TrafficStream fast = slow;
  fast.gap = ns(20);  // shorter: latency-bound, every 50 ns
  Memory mem_slow("mem_slow"), mem_fast("mem_fast");
  TrafficGenerator gen_slow("gen_slow", {slow}), gen_fast("gen_fast", {fast});
  gen_slow.socket.bind(mem_slow.socket);
  gen_fast.socket.bind(mem_fast.socket);
  std::vector<Completion> ds, df;
  record_into(gen_slow, ds);
  record_into(gen_fast, df);
  sc_core::sc_start();
  ASSERT_EQ(ds.size(), 10u);
  ASSERT_EQ(df.size(), 10u);
  // slow issues at 2000 + 100 i, fast at 2000 + 50 i; each access takes 50 ns.
  EXPECT_EQ(gen_slow.last_end_time(), ns(2000 + 900 + 50));
  EXPECT_EQ(gen_fast.last_end_time(), ns(2000 + 500));
  // The 1 us quantum: nothing before 2 us, so the first sync lands exactly there.
  EXPECT_EQ(ds[0].stamp, ns(2000));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(2950));
}

// A target that blocks (waits out its latency inside b_transport): the next free thread
// starts meanwhile, so N outstanding still overlap.
class BlockingTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<BlockingTarget, smmu::model::kBusWidth> socket;
  unsigned in_flight = 0, max_in_flight = 0, count = 0;

  explicit BlockingTarget(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &BlockingTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    ++count;
    max_in_flight = std::max(max_in_flight, ++in_flight);
    sc_core::wait(delay + ns(50));
    delay = sc_core::SC_ZERO_TIME;
    --in_flight;
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

TEST(MemTrafficGenerator, BlockingTargetStillOverlaps) {
  TrafficStream s = basic(0, 4096, 64, 10);
  TrafficStream s2 = s;
  s2.outstanding = 2;
  TrafficStream s3 = s;
  s3.outstanding = 3;
  BlockingTarget t1("t1"), t2("t2"), t3("t3");
  TrafficGenerator g1("g1", {s}), g2("g2", {s2}), g3("g3", {s3});
  g1.socket.bind(t1.socket);
  g2.socket.bind(t2.socket);
  g3.socket.bind(t3.socket);
  std::vector<Completion> d2;
  record_into(g2, d2);
  sc_core::sc_start();
  EXPECT_EQ(g1.last_end_time(), ns(500));
  EXPECT_EQ(g2.last_end_time(), ns(250));
  EXPECT_EQ(g3.last_end_time(), ns(200));  // ceil(10 / 3) * 50
  EXPECT_EQ(t1.max_in_flight, 1u);
  EXPECT_EQ(t2.max_in_flight, 2u);
  EXPECT_EQ(t3.max_in_flight, 3u);
  EXPECT_EQ(t3.count, 10u);
  std::multiset<uint64_t> got;
  for (const auto& c : d2) got.insert(c.address);
  const auto want_v = addresses(plan(s));
  EXPECT_EQ(got, std::multiset<uint64_t>(want_v.begin(), want_v.end()));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(500));
}

// A generator of 10 reads, `outstanding` at a time, told its target never waits: it
// arms no helper thread per transaction.
std::unique_ptr<TrafficGenerator> promised_non_blocking(unsigned outstanding) {
  TrafficStream s = basic(0x100000, 0x8000, 64, 10);
  s.outstanding = outstanding;
  GeneratorParams p;
  p.target_may_block = false;
  return std::make_unique<TrafficGenerator>("gen", std::vector<TrafficStream>{s}, p);
}

// With a target that indeed does not wait, the times stay those of the default.
TEST(MemTrafficGenerator, NonBlockingTargetPromiseKeepsTheTimes) {
  Memory mem("mem");
  auto gen = promised_non_blocking(4);
  gen->socket.bind(mem.socket);
  std::vector<Completion> done;
  record_into(*gen, done);
  sc_core::sc_start();
  ASSERT_EQ(done.size(), 10u);
  for (const auto& c : done) EXPECT_EQ(c.latency, ns(50));
  EXPECT_EQ(gen->last_end_time(), ns(150));  // as OutstandingKeepsSequenceAndOverlaps
}

// A target that waits all the same is an error, not silently serialised traffic.
TEST(MemTrafficGenerator, TargetWaitingDespiteThePromiseIsAnError) {
  BlockingTarget t("t");
  auto gen = promised_non_blocking(2);
  gen->socket.bind(t.socket);
  try {
    sc_core::sc_start();
    FAIL() << "no error";
  } catch (const sc_core::sc_report& e) {
    EXPECT_NE(std::string(e.get_msg()).find("target_may_block"), std::string::npos) << e.get_msg();
  }
}

// External aborts from an error range and decode errors from the router are counted
// per stream and by response.
TEST(MemTrafficGenerator, FaultsCounted) {
  Memory mem("mem");
  Router router("router");
  router.initiator.bind(mem.socket);
  router.map(0, 0x80000000, 1 << 20);
  mem.add_error_range(0x100, 0x100);  // slots 4..7 of the 16 the stream cycles through

  TrafficStream hits = basic(0x80000000, 1024, 64, 32);
  TrafficStream unmapped = basic(0x40000000, 4096, 64, 5);
  unmapped.sid = 2;
  unmapped.write_fraction = 1.0;
  TrafficGenerator gen("gen", {hits, unmapped});
  gen.socket.bind(router.target);
  sc_core::sc_start();

  const TrafficStats& a = gen.stream_stats(0);
  EXPECT_EQ(a.transactions(), 32u);
  EXPECT_EQ(a.errors(), 8u);
  EXPECT_EQ(a.responses(tlm::TLM_GENERIC_ERROR_RESPONSE), 8u);
  EXPECT_EQ(a.responses(tlm::TLM_OK_RESPONSE), 24u);
  EXPECT_EQ(a.bytes(), 24u * 64);
  EXPECT_EQ(a.max_latency(), ns(50));  // the aborts took the memory latency too

  const TrafficStats& b = gen.stream_stats(1);
  EXPECT_EQ(b.transactions(), 5u);
  EXPECT_EQ(b.writes(), 5u);
  EXPECT_EQ(b.responses(tlm::TLM_ADDRESS_ERROR_RESPONSE), 5u);
  EXPECT_EQ(b.bytes(), 0u);
  EXPECT_EQ(b.max_latency(), sc_core::SC_ZERO_TIME);

  const TrafficStats total = gen.total_stats();
  EXPECT_EQ(total.transactions(), 37u);
  EXPECT_EQ(total.errors(), 13u);
  EXPECT_EQ(total.responses(tlm::TLM_GENERIC_ERROR_RESPONSE), 8u);
  EXPECT_EQ(total.responses(tlm::TLM_ADDRESS_ERROR_RESPONSE), 5u);
  EXPECT_EQ(total.min_latency(), sc_core::SC_ZERO_TIME);
  // 5 of 37 at 0 ns, the rest at 50 ns.
  EXPECT_EQ(total.latency_percentile_ns(0.1), 0.0);
  EXPECT_EQ(total.latency_percentile_ns(0.2), 50.0);
  EXPECT_EQ(gen.last_end_time(), ns(32 * 50));
  EXPECT_EQ(mem.reads(), 24u);
}

// Records each access with its stream attributes and keeps written bytes.
class ProbeTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProbeTarget, smmu::model::kBusWidth> socket;
  struct Seen {
    uint64_t address;
    bool write;
    bool has_ext;
    StreamExtension ext;
    std::vector<uint8_t> data;
  };
  std::vector<Seen> seen;

  explicit ProbeTarget(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
    socket.register_b_transport(this, &ProbeTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    Seen s{gp.get_address(), gp.is_write(), false, {}, {}};
    if (auto* e = gp.get_extension<StreamExtension>()) {
      s.has_ext = true;
      s.ext = *e;
    }
    if (gp.is_write())
      s.data.assign(gp.get_data_ptr(), gp.get_data_ptr() + gp.get_data_length());
    seen.push_back(std::move(s));
    delay += ns(10);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

TEST(MemTrafficGenerator, StreamAttributesAndWriteData) {
  TrafficStream a = basic(0x10000, 4096, 32, 6);
  a.sid = 5;
  a.ssid = 3;
  a.ssv = true;
  a.privileged = true;
  a.write_fraction = 1.0;
  a.outstanding = 2;
  TrafficStream b = basic(0x20000, 4096, 16, 4);
  b.sid = 9;
  b.instruction = true;
  b.write_fraction = 0.5;
  b.pattern = TrafficStream::kRandom;
  ProbeTarget probe("probe");
  TrafficGenerator gen("gen", {a, b});
  gen.socket.bind(probe.socket);
  sc_core::sc_start();

  ASSERT_EQ(probe.seen.size(), 10u);
  unsigned from_a = 0, writes_b = 0;
  for (const auto& s : probe.seen) {
    ASSERT_TRUE(s.has_ext);
    const bool is_a = s.address < 0x20000;
    const TrafficStream& cfg = is_a ? a : b;
    from_a += is_a;
    EXPECT_EQ(s.ext.sid, cfg.sid);
    EXPECT_EQ(s.ext.ssid, cfg.ssid);
    EXPECT_EQ(s.ext.ssv, cfg.ssv);
    EXPECT_EQ(s.ext.privileged, cfg.privileged);
    EXPECT_EQ(s.ext.instruction, cfg.instruction);
    EXPECT_FALSE(s.ext.ats_translated);
    if (s.write) {
      writes_b += !is_a;
      ASSERT_EQ(s.data.size(), cfg.size);
      for (unsigned j = 0; j < cfg.size; ++j)
        ASSERT_EQ(s.data[j], traffic_pattern_byte(cfg.sid, s.address + j));
    } else {
      EXPECT_FALSE(is_a);
    }
  }
  EXPECT_EQ(from_a, 6u);
  const auto pb = plan(b);
  EXPECT_EQ(writes_b, std::count_if(pb.begin(), pb.end(), [](const PlannedAccess& p) { return p.write; }));
  EXPECT_EQ(gen.stream_stats(1).writes(), writes_b);
  // a: two in flight, 10 ns each -> 3 rounds; b: one at a time -> 4 rounds.
  EXPECT_EQ(gen.last_end_time(), ns(40));
}

// With DMI, the first access goes through b_transport and obtains the region; the rest
// use the pointer at the region's latency. An invalidation sends the next access back
// to b_transport, which obtains DMI again.
TEST(MemTrafficGenerator, DmiAndInvalidation) {
  Memory mem("mem");
  GeneratorParams gp;
  gp.use_dmi = true;
  gp.quantum = ns(100);
  TrafficStream s = basic(0, 4096, 64, 20);
  s.write_fraction = 0.5;
  s.pattern = TrafficStream::kRandom;
  TrafficGenerator gen("gen", {s}, gp);
  gen.socket.bind(mem.socket);
  std::vector<Completion> done;
  record_into(gen, done);
  // The generator waits at 400 ns (sync) and runs to 500 ns ahead; then syncs to 500 ns.
  // Revoking at 475 ns falls between, so access 10 (issued at 500 ns) misses DMI.
  test::ScriptThread revoker("revoker");
  size_t cached_before = 0;
  revoker.body = [&] {
    sc_core::wait(ns(475));
    cached_before = gen.dmi_regions_cached();
    mem.invalidate_dmi(0, ~uint64_t{0});
  };
  sc_core::sc_start();

  EXPECT_EQ(cached_before, 1u);
  EXPECT_EQ(gen.dmi_invalidations(), 1u);
  EXPECT_EQ(gen.dmi_regions_cached(), 1u);
  EXPECT_EQ(mem.reads() + mem.writes(), 2u);
  ASSERT_EQ(done.size(), 20u);
  for (const auto& c : done) {
    EXPECT_EQ(c.latency, ns(50));
    EXPECT_EQ(c.status, tlm::TLM_OK_RESPONSE);
  }
  EXPECT_EQ(gen.last_end_time(), ns(1000));
  // Writes through the pointer landed in memory.
  const auto p = plan(s);
  for (const auto& a : p) {
    if (a.write) {
      EXPECT_EQ(mem.read32(a.address) & 0xFF, traffic_pattern_byte(0, a.address));
    }
  }
}

}  // namespace
}  // namespace smmu::model
