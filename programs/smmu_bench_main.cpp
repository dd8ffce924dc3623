// SPDX-License-Identifier: Apache-2.0
// smmu-bench: how fast the host simulates device traffic through the model. Not a test:
// it prints figures. One SC_THREAD sends the same kind of DMA traffic (8-byte reads,
// blocking transport, a quantum keeper) through three paths elaborated side by side:
//   a) a plain router to memory (the baseline),
//   b) an SMMU with default caches (stage 1, 4K pages, warmed), driven four ways:
//      sequential reads over 8 pages (the micro TLB's last-hit shortcut), random pages
//      over the micro TLB's whole working set, a cycle of pages larger than the micro
//      TLB (every read misses it and hits the main TLB), and reads through DMI pointers
//      the SMMU granted;
//   c) an SMMU with one-entry caches, so every transaction walks four levels.
// Each phase is timed with a steady clock around its transaction loop only, and checks
// its responses, its data and the SMMU's counters, so a broken path cannot look fast.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "platform/bench/bench_topology.h"
#include "platform/config/cli.h"
#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/common/bus_width.h"

namespace {

using namespace smmu;
using namespace smmu::platform::bench_layout;
using platform::BenchPage;
using platform::CliError;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

constexpr uint64_t kDefaultTransactions = 2000000;  // phases a and b; c runs a tenth
constexpr unsigned kQuickDivisor = 20;
constexpr unsigned kWalkDivisor = 10;
constexpr unsigned kHitPages = 8;        // fits the default 32-entry micro TLB
constexpr uint64_t kRegionBytes = kHitPages * kPageSize;
constexpr uint64_t kHitVa = uint64_t{1} << 39;  // level-0 index 1
// Random pages over exactly the micro TLB's entries; a cycle of pages twice as many:
// with LRU replacement a cycle longer than the micro TLB misses it on every read.
const unsigned kMicroEntries = model::MicroTlbParams{}.entries;
const unsigned kMainPages = 2 * kMicroEntries;
constexpr uint64_t kRandomVa = uint64_t{2} << 39;  // level-0 index 2
constexpr uint64_t kMainVa = uint64_t{3} << 39;    // level-0 index 3
constexpr unsigned kTableLength = 4096;  // precomputed addresses; a power of two
constexpr uint32_t kSeed = 12345;        // fixed: every run sends the same addresses
constexpr unsigned kWalkPages = 64;      // power of two: the address is computed by masks
constexpr uint64_t kWarmup = 4096;       // untimed transactions before each phase
const sc_time kQuantum(10, SC_US);

// ---------------------------------------------------------------------------------------
// Command line.

struct Options {
  uint64_t transactions = kDefaultTransactions;  // phases a and b
  uint64_t walk_transactions = kDefaultTransactions / kWalkDivisor;
  unsigned repeat = 1;  // timed loops per phase; the fastest is reported
  std::string json_path;
  bool dmi = true;
  bool help = false;
  std::vector<std::string> phases;  // the keys to run, in the bench's order
};

// Every phase, in the order they run.
const std::vector<std::string> kPhases = {"router", "tlb_hit", "random_micro_tlb_hit",
                                          "main_tlb_hit", "dmi", "walk"};

namespace po = boost::program_options;

po::options_description bench_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("transactions", po::value<std::string>()->value_name("N"),
       "transactions of every phase but the walk (a positive integer, default "
       "2000000); the walk phase runs N/10 (at least 1)")
      ("quick", "1/20 of the default counts (100000, and 10000 walks); cannot be combined "
                "with --transactions")
      ("repeat", po::value<std::string>()->value_name("R"),
       "time each phase's loop R times (a positive integer, default 1) and report the "
       "fastest: steadier figures on a busy host")
      ("json", po::value<std::string>()->value_name("FILE"),
       "also write the figures as JSON to FILE: <phase>_tps for each phase run, "
       "tlb_hit_overhead_ratio, walk_over_router_tps, transactions{}, host_seconds{}, "
       "sim_ns_per_transaction{}")
      ("no-dmi", "memories refuse DMI and the SMMUs grant none (the traffic always uses "
                 "b_transport; this shows what DMI bookkeeping costs on that path); the dmi "
                 "phase does not run")
      ("phases", po::value<std::string>()->value_name("LIST"),
       "run only these phases (comma-separated: router, tlb_hit, random_micro_tlb_hit, "
       "main_tlb_hit, dmi, walk; default all), e.g. to count one phase's instructions "
       "under callgrind");
  return desc;
}

std::string usage() {
  return platform::usage_text(
      "smmu-bench [options]", bench_options(),
      "Prints host speed (transactions per host second) of 8-byte DMA reads sent by one\n"
      "master with a 10 us quantum keeper through (a) a router to memory, (b) an SMMU\n"
      "(stage 1, 4K pages, warmed): tlb_hit, sequential reads over 8 pages in its micro\n"
      "TLB; random_micro_tlb_hit, random pages over the micro TLB's 32 entries;\n"
      "main_tlb_hit, a cycle of 64 pages, each read missing the micro TLB and hitting\n"
      "the main TLB; dmi, reads through DMI pointers the SMMU granted; (c) walk, an\n"
      "SMMU whose one-entry TLBs and walk cache make every read a 4-level walk; then\n"
      "tlb_hit_overhead_ratio = router_tps / tlb_hit_tps and walk_tps / router_tps.\n"
      "Every phase checks its responses, data and SMMU counters; a failed check\n"
      "prints why and exits 1.\n");
}

Options parse_options(int argc, char** argv) {
  const po::variables_map vm = platform::parse_command_line(argc, argv, bench_options());
  Options o;
  if (vm.count("help")) {
    o.help = true;
    return o;
  }
  const bool quick = vm.count("quick") != 0;
  if (vm.count("transactions")) {
    if (quick) throw CliError("--quick cannot be combined with --transactions");
    o.transactions =
        platform::parse_positive_count("--transactions", vm["transactions"].as<std::string>());
  } else if (quick) {
    o.transactions = kDefaultTransactions / kQuickDivisor;
  }
  o.walk_transactions = std::max<uint64_t>(1, o.transactions / kWalkDivisor);
  if (vm.count("repeat")) {
    const uint64_t r = platform::parse_positive_count("--repeat", vm["repeat"].as<std::string>());
    if (r > 1000) throw CliError("--repeat: at most 1000, got " + std::to_string(r));
    o.repeat = static_cast<unsigned>(r);
  }
  if (vm.count("json")) {
    o.json_path = vm["json"].as<std::string>();
    if (o.json_path.empty()) throw CliError("--json: empty file name");
  }
  o.dmi = vm.count("no-dmi") == 0;
  if (vm.count("phases")) {
    const std::string list = vm["phases"].as<std::string>();
    std::vector<std::string> asked;
    std::stringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
      if (std::find(kPhases.begin(), kPhases.end(), name) == kPhases.end())
        throw CliError("--phases: unknown phase '" + name + "'");
      if (name == "dmi" && !o.dmi) throw CliError("--phases: dmi cannot run with --no-dmi");
      asked.push_back(name);
    }
    if (asked.empty()) throw CliError("--phases: empty list");
    for (const std::string& p : kPhases)
      if (std::find(asked.begin(), asked.end(), p) != asked.end()) o.phases.push_back(p);
  } else {
    for (const std::string& p : kPhases)
      if (p != "dmi" || o.dmi) o.phases.push_back(p);
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// The master and its phases.

struct PhaseResult {
  std::string key;    // JSON name
  std::string label;  // table name
  uint64_t transactions = 0;  // of one timed loop
  uint64_t sent = 0;          // over every repeat
  double host_seconds = 0;    // of the fastest loop
  sc_time sim_time;
  uint64_t bad = 0;   // error responses or wrong data
  uint64_t fallbacks = 0;  // dmi phase: reads that had no DMI pointer (b_transport)
  double tps() const { return host_seconds > 0 ? transactions / host_seconds : 0; }
  double sim_ns_per_transaction() const {
    return transactions ? sim_time.to_seconds() * 1e9 / transactions : 0;
  }
};

// Input address of the i-th read of a phase.
struct SequentialAddress {  // 8-byte steps over kRegionBytes from base, wrapping
  uint64_t base;
  uint64_t operator()(uint64_t i) const { return base + ((i << 3) & (kRegionBytes - 1)); }
};
struct SpreadAddress {  // page i mod kWalkPages, then the next word of the page
  const uint64_t* pages;
  uint64_t operator()(uint64_t i) const {
    return pages[i & (kWalkPages - 1)] + (((i / kWalkPages) << 3) & (kPageSize - 1));
  }
};

struct TableAddress {  // a precomputed cycle of kTableLength addresses
  const std::vector<uint64_t>* table;
  uint64_t operator()(uint64_t i) const { return (*table)[i & (kTableLength - 1)]; }
};

// Random pages among `pages` pages from va (a different page from one read to the next,
// the last differs from the first too), each at a random word.
std::vector<uint64_t> random_page_addresses(uint64_t va, unsigned pages) {
  std::mt19937 rng(kSeed);
  std::vector<uint64_t> t(kTableLength);
  unsigned page = 0;
  for (unsigned i = 0; i < kTableLength; ++i) {
    if (i > 0) {
      unsigned next;
      do next = static_cast<unsigned>(rng() % pages);
      while (next == page || (i == kTableLength - 1 && next == 0));
      page = next;
    }
    t[i] = va + page * kPageSize + (rng() % (kPageSize / 8)) * 8;
  }
  return t;
}

// A random order of `pages` pages from va, repeated (kTableLength is a multiple of it),
// each visit at a random word: with LRU, every read misses a smaller micro TLB.
std::vector<uint64_t> page_cycle_addresses(uint64_t va, unsigned pages) {
  std::mt19937 rng(kSeed);
  std::vector<unsigned> order(pages);
  for (unsigned p = 0; p < pages; ++p) order[p] = p;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<uint64_t> t(kTableLength);
  for (unsigned i = 0; i < kTableLength; ++i)
    t[i] = va + order[i % pages] * kPageSize + (rng() % (kPageSize / 8)) * 8;
  return t;
}

// Page j of the walk phase: levels 0..3 index j, so consecutive pages share no table.
uint64_t spread_va(uint64_t j) { return (j << 39) | (j << 30) | (j << 21) | (j << 12); }

class BenchMaster : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<BenchMaster, smmu::model::kBusWidth> socket_a, socket_b, socket_c;

  SC_HAS_PROCESS(BenchMaster);
  BenchMaster(const sc_core::sc_module_name& name, const Options& opt, platform::RouterPath& a,
              platform::SmmuPath& b, platform::SmmuPath& c)
      : sc_module(name), socket_a("socket_a"), socket_b("socket_b"), socket_c("socket_c"),
        opt_(opt), a_(a), b_(b), c_(c),
        random_addresses_(random_page_addresses(kRandomVa, kMicroEntries)),
        cycle_addresses_(page_cycle_addresses(kMainVa, kMainPages)) {
    for (unsigned j = 0; j < kWalkPages; ++j) walk_pages_[j] = spread_va(j);
    socket_b.register_invalidate_direct_mem_ptr(this, &BenchMaster::invalidate_dmi);
    SC_THREAD(run);
  }

  // Runs first in the thread: host-side setup of tables, data and registers, done once
  // elaboration has finished (the SMMUs create their micro TLBs at its end).
  std::function<void()> setup;
  std::vector<PhaseResult> results;
  std::vector<std::string> failures;  // empty: every check passed
  uint64_t walk_phase_walks = 0;

 private:
  void run() {
    if (setup) setup();
    for (const std::string& p : opt_.phases) {
      if (p == "router") run_router_phase();
      if (p == "tlb_hit") run_tlb_hit_phase();
      if (p == "random_micro_tlb_hit") run_random_micro_tlb_hit_phase();
      if (p == "main_tlb_hit") run_main_tlb_hit_phase();
      if (p == "dmi") run_dmi_phase();
      if (p == "walk") run_walk_phase();
    }
  }

  void check(bool ok, const std::string& what) {
    if (!ok) failures.push_back(what);
  }
  void check_data(const PhaseResult& r) {
    check(r.bad == 0, r.key + ": " + std::to_string(r.bad) +
                          " transactions answered an error or wrong data");
  }

  void run_router_phase() {
    const SequentialAddress addr{kDataBase};
    check_data(drive(socket_a, kWarmup, addr, "router warm-up", ""));
    const uint64_t reads0 = a_.mem.reads();
    PhaseResult r = repeat(socket_a, opt_.transactions, addr, "router", "a router -> memory");
    check_data(r);
    check(a_.mem.reads() - reads0 == r.sent, "router: memory did not see every read");
    results.push_back(r);
  }

  void run_tlb_hit_phase() {
    // The warm-up fills the micro TLB with the 8 pages.
    run_micro_tlb_hit_phase(SequentialAddress{kHitVa}, "tlb_hit", "b smmu, micro TLB hit");
  }

  void run_random_micro_tlb_hit_phase() {
    // The warm-up fills the micro TLB with its 32 pages (the table visits every one).
    run_micro_tlb_hit_phase(TableAddress{&random_addresses_}, "random_micro_tlb_hit",
                            "b smmu, random micro TLB");
  }

  // Path b after a warm-up: every timed read must hit the micro TLB.
  template <typename AddrOf>
  void run_micro_tlb_hit_phase(const AddrOf& addr, const std::string& key,
                               const std::string& label) {
    check_data(drive(socket_b, kWarmup, addr, key + " warm-up", ""));
    const model::SmmuStats s0 = b_.smmu.stats();
    const uint64_t reads0 = b_.mem.reads();
    const PhaseResult r = repeat(socket_b, opt_.transactions, addr, key, label);
    const model::SmmuStats& s = b_.smmu.stats();
    check_path_b(r, s0, reads0);
    check(s.micro_tlb_hits - s0.micro_tlb_hits == r.sent,
          key + ": " + std::to_string(s.micro_tlb_hits - s0.micro_tlb_hits) +
              " micro TLB hits for " + std::to_string(r.sent) + " transactions");
    results.push_back(r);
  }

  void run_main_tlb_hit_phase() {
    const TableAddress addr{&cycle_addresses_};
    // The warm-up walks each of the 64 pages once, filling the main TLB.
    check_data(drive(socket_b, kWarmup, addr, "main_tlb_hit warm-up", ""));
    const model::SmmuStats s0 = b_.smmu.stats();
    const uint64_t reads0 = b_.mem.reads();
    const PhaseResult r =
        repeat(socket_b, opt_.transactions, addr, "main_tlb_hit", "b smmu, main TLB hit");
    const model::SmmuStats& s = b_.smmu.stats();
    const uint64_t n = r.sent;
    check_path_b(r, s0, reads0);
    check(s.micro_tlb_misses - s0.micro_tlb_misses == n && s.micro_tlb_hits == s0.micro_tlb_hits,
          "main_tlb_hit: " + std::to_string(s.micro_tlb_misses - s0.micro_tlb_misses) +
              " micro TLB misses for " + std::to_string(n) + " transactions");
    check(s.main_tlb_hits - s0.main_tlb_hits == n,
          "main_tlb_hit: " + std::to_string(s.main_tlb_hits - s0.main_tlb_hits) +
              " main TLB hits for " + std::to_string(n) + " transactions");
    results.push_back(r);
  }

  // What every timed b_transport phase of path b must show: good data, the SMMU saw each
  // read, no walk, and exactly one memory read each (no STE, CD or descriptor fetch).
  void check_path_b(const PhaseResult& r, const model::SmmuStats& s0, uint64_t reads0) {
    const model::SmmuStats& s = b_.smmu.stats();
    check_data(r);
    check(s.transactions - s0.transactions == r.sent,
          r.key + ": the SMMU did not see every read");
    check(s.walks == s0.walks, r.key + ": the SMMU walked");
    check(b_.mem.reads() - reads0 == r.sent,
          r.key + ": memory did not see exactly one read each");
  }

  void run_dmi_phase() {
    const SequentialAddress addr{kHitVa};
    dmi_regions_.clear();
    const model::SmmuStats w0 = b_.smmu.stats();
    // The warm-up asks the SMMU for DMI on each of the 8 pages (one grant per page).
    PhaseResult warm = drive_dmi(kWarmup, addr, "dmi warm-up", "");
    check_data(warm);
    check(b_.smmu.stats().dmi_grants - w0.dmi_grants == kHitPages,
          "dmi: " + std::to_string(b_.smmu.stats().dmi_grants - w0.dmi_grants) +
              " DMI grants for " + std::to_string(kHitPages) + " pages");
    check(warm.fallbacks == 0, "dmi warm-up: the SMMU refused DMI");
    const model::SmmuStats s0 = b_.smmu.stats();
    const uint64_t reads0 = b_.mem.reads();
    const PhaseResult r = [&] {  // repeat(), for the DMI loop
      PhaseResult best = drive_dmi(opt_.transactions, addr, "dmi", "b smmu, DMI");
      for (unsigned i = 1; i < opt_.repeat; ++i) {
        const PhaseResult x = drive_dmi(opt_.transactions, addr, "dmi", "b smmu, DMI");
        best.bad += x.bad;
        best.fallbacks += x.fallbacks;
        if (x.host_seconds < best.host_seconds) best.host_seconds = x.host_seconds;
      }
      best.sent = opt_.transactions * opt_.repeat;
      return best;
    }();
    const model::SmmuStats& s = b_.smmu.stats();
    check_data(r);
    check(r.fallbacks == 0, "dmi: " + std::to_string(r.fallbacks) + " reads used b_transport");
    check(s.transactions == s0.transactions && b_.mem.reads() == reads0,
          "dmi: a read went through b_transport");
    check(s.dmi_grants == s0.dmi_grants, "dmi: the timed loop asked for DMI again");
    check(s.dmi_revocations == w0.dmi_revocations, "dmi: the SMMU revoked DMI");
    results.push_back(r);
  }

  void run_walk_phase() {
    const SpreadAddress addr{walk_pages_};
    // The warm-up brings the STE and CD into the config cache.
    check_data(drive(socket_c, kWarmup, addr, "walk warm-up", ""));
    const model::SmmuStats s0 = c_.smmu.stats();
    const uint64_t reads0 = c_.mem.reads();
    const uint64_t wc_hits0 = c_.smmu.walk_cache().hits();
    const uint64_t ste_fetches0 = c_.smmu.config_stats().ste_fetches;
    const uint64_t cd_fetches0 = c_.smmu.config_stats().cd_fetches;
    PhaseResult r = repeat(socket_c, opt_.walk_transactions, addr, "walk", "c smmu, full walk");
    const model::SmmuStats s = c_.smmu.stats();
    const uint64_t n = r.sent;
    walk_phase_walks = s.walks - s0.walks;
    check_data(r);
    check(s.transactions - s0.transactions == n, "walk: the SMMU did not see every read");
    check(walk_phase_walks == n, "walk: " + std::to_string(walk_phase_walks) + " walks for " +
                                     std::to_string(n) + " transactions");
    check(s.walk_reads - s0.walk_reads == 4 * n, "walk: walks did not read four levels each");
    check(s.micro_tlb_hits == s0.micro_tlb_hits && s.main_tlb_hits == s0.main_tlb_hits,
          "walk: a TLB hit");
    check(c_.smmu.walk_cache().hits() == wc_hits0, "walk: a walk cache hit");
    // No STE or CD fetch (the config cache hit). The memory sees the data and, for the
    // descriptors, only the reads that learn a DMI region (the TCU reads tables through
    // DMI, SmmuParams::walk_dmi): at least n, at most the 5 n of b_transport walks.
    const uint64_t mem_reads = c_.mem.reads() - reads0;
    check(c_.smmu.config_stats().ste_fetches == ste_fetches0 &&
              c_.smmu.config_stats().cd_fetches == cd_fetches0,
          "walk: an STE or CD fetch");
    check(mem_reads >= n && mem_reads <= 5 * n,
          "walk: " + std::to_string(mem_reads) + " memory reads for " + std::to_string(n) +
              " walks and their data");
    results.push_back(r);
  }

  // drive() opt_.repeat times; keeps the fastest loop, and every bad transaction.
  template <typename AddrOf>
  PhaseResult repeat(tlm_utils::simple_initiator_socket<BenchMaster, smmu::model::kBusWidth>& socket, uint64_t n,
                     const AddrOf& addr_of, const std::string& key, const std::string& label) {
    PhaseResult best = drive(socket, n, addr_of, key, label);
    uint64_t bad = best.bad;
    for (unsigned i = 1; i < opt_.repeat; ++i) {
      const PhaseResult r = drive(socket, n, addr_of, key, label);
      bad += r.bad;
      if (r.host_seconds < best.host_seconds) best = r;
    }
    best.bad = bad;
    best.sent = n * opt_.repeat;
    return best;
  }

  // An 8-byte read payload of the bench's stream, reused by every read of a loop.
  struct ReadPayload {
    tlm::tlm_generic_payload gp;
    uint64_t data = 0;
    model::StreamExtension ext{kStreamId};
    ReadPayload() {
      gp.set_command(tlm::TLM_READ_COMMAND);
      gp.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
      gp.set_data_length(8);
      gp.set_streaming_width(8);
      gp.set_byte_enable_ptr(nullptr);
      gp.set_extension(&ext);
    }
    ~ReadPayload() { gp.clear_extension(&ext); }  // ours: the payload must not free it
    // One blocking read at addr; false on an error response.
    bool read(tlm_utils::simple_initiator_socket<BenchMaster, smmu::model::kBusWidth>& socket, uint64_t addr,
              tlm_utils::tlm_quantumkeeper& qk) {
      gp.set_address(addr);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_time delay = qk.get_local_time();
      socket->b_transport(gp, delay);
      qk.set(delay);
      return gp.get_response_status() == tlm::TLM_OK_RESPONSE;
    }
  };

  // Sends n reads at addr_of(0..n-1) and checks each against bench_pattern. Only the
  // loop is timed. Every phase uses this same loop; read_at(payload, addr, qk) makes one
  // read and returns false on an error response.
  template <typename AddrOf, typename ReadAt>
  PhaseResult timed_loop(uint64_t n, const AddrOf& addr_of, ReadAt&& read_at,
                         const std::string& key, const std::string& label) {
    ReadPayload p;
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    const sc_time sim_start = qk.get_current_time();
    uint64_t bad = 0;
    const auto host_start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t addr = addr_of(i);
      bad += !read_at(p, addr, qk) | (p.data != platform::bench_pattern(addr));
      if (qk.need_sync()) qk.sync();
    }
    const auto host_end = std::chrono::steady_clock::now();
    const sc_time sim_end = qk.get_current_time();
    qk.sync();

    PhaseResult r;
    r.key = key;
    r.label = label;
    r.transactions = n;
    r.host_seconds = std::chrono::duration<double>(host_end - host_start).count();
    r.sim_time = sim_end - sim_start;
    r.bad = bad;
    return r;
  }

  template <typename AddrOf>
  PhaseResult drive(tlm_utils::simple_initiator_socket<BenchMaster, smmu::model::kBusWidth>& socket, uint64_t n,
                    const AddrOf& addr_of, const std::string& key, const std::string& label) {
    return timed_loop(
        n, addr_of,
        [&socket](ReadPayload& p, uint64_t addr, tlm_utils::tlm_quantumkeeper& qk) {
          return p.read(socket, addr, qk);
        },
        key, label);
  }

  // Like drive() on socket_b, through DMI: a read inside a region the SMMU granted copies
  // from its pointer and costs its read latency; elsewhere it asks for DMI first, and
  // without a grant falls back to b_transport (counted in fallbacks).
  template <typename AddrOf>
  PhaseResult drive_dmi(uint64_t n, const AddrOf& addr_of, const std::string& key,
                        const std::string& label) {
    uint64_t fallbacks = 0;
    PhaseResult r = timed_loop(
        n, addr_of,
        [&](ReadPayload& p, uint64_t addr, tlm_utils::tlm_quantumkeeper& qk) {
          const tlm::tlm_dmi* d = dmi_region(p.gp, addr);
          if (!d) {
            ++fallbacks;
            return p.read(socket_b, addr, qk);
          }
          std::memcpy(&p.data, d->get_dmi_ptr() + (addr - d->get_start_address()), 8);
          qk.inc(d->get_read_latency());
          return true;
        },
        key, label);
    r.fallbacks = fallbacks;
    return r;
  }

  // The granted region holding the 8 bytes at addr (the last one used is tried first),
  // else a new grant from the SMMU, else nullptr.
  const tlm::tlm_dmi* dmi_region(tlm::tlm_generic_payload& gp, uint64_t addr) {
    auto covers = [addr](const tlm::tlm_dmi& d) {
      return d.get_start_address() <= addr && addr + 7 <= d.get_end_address();
    };
    if (last_dmi_ < dmi_regions_.size() && covers(dmi_regions_[last_dmi_]))
      return &dmi_regions_[last_dmi_];
    for (size_t i = 0; i < dmi_regions_.size(); ++i)
      if (covers(dmi_regions_[i])) {
        last_dmi_ = i;
        return &dmi_regions_[i];
      }
    tlm::tlm_dmi d;
    gp.set_address(addr);
    if (!socket_b->get_direct_mem_ptr(gp, d) || !d.is_read_allowed() || !covers(d))
      return nullptr;
    last_dmi_ = dmi_regions_.size();
    dmi_regions_.push_back(d);
    return &dmi_regions_.back();
  }

  // The SMMU withdrew [start, end]: forget every region reaching into it.
  void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
    dmi_regions_.erase(std::remove_if(dmi_regions_.begin(), dmi_regions_.end(),
                                      [&](const tlm::tlm_dmi& d) {
                                        return d.get_start_address() <= end &&
                                               d.get_end_address() >= start;
                                      }),
                       dmi_regions_.end());
    last_dmi_ = 0;
  }

  const Options& opt_;
  platform::RouterPath& a_;
  platform::SmmuPath& b_;
  platform::SmmuPath& c_;
  uint64_t walk_pages_[kWalkPages];
  const std::vector<uint64_t> random_addresses_;  // random_micro_tlb_hit
  const std::vector<uint64_t> cycle_addresses_;   // main_tlb_hit
  std::vector<tlm::tlm_dmi> dmi_regions_;         // dmi: the grants in use
  size_t last_dmi_ = 0;
};

// ---------------------------------------------------------------------------------------
// Report.

// The result of a phase, or nullptr when it did not run.
const PhaseResult* find(const std::vector<PhaseResult>& rs, const std::string& key) {
  for (const PhaseResult& r : rs)
    if (r.key == key) return &r;
  return nullptr;
}

// tps(num) / tps(den) when both phases ran.
struct Ratio {
  const char* name;
  const char* num;
  const char* den;
};
const Ratio kRatios[] = {{"tlb_hit_overhead_ratio", "router", "tlb_hit"},
                         {"walk_overhead_ratio", "router", "walk"},
                         {"walk_over_router_tps", "walk", "router"}};

void print_table(const std::vector<PhaseResult>& rs, const Options& opt, uint64_t walks) {
  std::printf("smmu-bench: 8-byte reads, one master, quantum %s, DMI %s, fastest of %u\n",
              kQuantum.to_string().c_str(), opt.dmi ? "enabled" : "disabled", opt.repeat);
  std::printf("%-26s %12s %10s %16s %12s\n", "phase", "transactions", "host s",
              "transactions/s", "sim ns/txn");
  for (const PhaseResult& r : rs)
    std::printf("%-26s %12llu %10.3f %16.0f %12.1f\n", r.label.c_str(),
                static_cast<unsigned long long>(r.transactions), r.host_seconds, r.tps(),
                r.sim_ns_per_transaction());
  if (const PhaseResult* w = find(rs, "walk"))
    std::printf("walk phase: walks %llu == transactions %llu\n",
                static_cast<unsigned long long>(walks), static_cast<unsigned long long>(w->sent));
  for (const Ratio& q : kRatios) {
    const PhaseResult* n = find(rs, q.num);
    const PhaseResult* d = find(rs, q.den);
    if (n && d)
      std::printf("%s = %s_tps / %s_tps = %.3f\n", q.name, q.num, q.den, n->tps() / d->tps());
  }
}

nlohmann::json to_json(const std::vector<PhaseResult>& rs, const Options& opt, uint64_t walks) {
  nlohmann::json j;
  for (const PhaseResult& r : rs) {
    j[r.key + "_tps"] = r.tps();
    j["transactions"][r.key] = r.transactions;
    j["host_seconds"][r.key] = r.host_seconds;
    j["sim_ns_per_transaction"][r.key] = r.sim_ns_per_transaction();
  }
  for (const Ratio& q : kRatios) {
    const PhaseResult* n = find(rs, q.num);
    const PhaseResult* d = find(rs, q.den);
    if (n && d) j[q.name] = n->tps() / d->tps();
  }
  if (find(rs, "walk")) j["walk_phase_walks"] = walks;
  j["quantum_ns"] = kQuantum.to_seconds() * 1e9;
  j["dmi"] = opt.dmi;
  j["repeat"] = opt.repeat;
  return j;
}

// `count` pages from va, backed by physical pages from kDataBase + first_pa_page pages.
std::vector<BenchPage> contiguous_pages(uint64_t va, unsigned count, unsigned first_pa_page = 0) {
  std::vector<BenchPage> pages;
  for (unsigned p = 0; p < count; ++p)
    pages.push_back({va + p * kPageSize, kDataBase + (first_pa_page + p) * kPageSize});
  return pages;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  Options opt;
  std::ofstream json_out;
  try {
    opt = parse_options(argc, argv);
    if (opt.help) {
      std::cout << usage();
      return 0;
    }
    platform::open_output(json_out, "--json", opt.json_path);
  } catch (const CliError& e) {
    std::cerr << "smmu-bench: " << e.what() << "\n";
    return 2;
  }

  try {
    model::MemoryParams mp;
    mp.size = kMemSize;
    mp.dmi_enabled = opt.dmi;
    model::SmmuParams hit_params;
    hit_params.grant_dmi = opt.dmi;
    model::SmmuParams walk_params = hit_params;
    walk_params.micro_tlb.entries = 1;
    walk_params.main_tlb.sets = 1;
    walk_params.main_tlb.ways = 1;
    walk_params.walk_cache.sets = 1;
    walk_params.walk_cache.ways = 1;

    tlm::tlm_global_quantum::instance().set(kQuantum);
    platform::RouterPath path_a("path_a", mp);
    platform::SmmuPath path_b("path_b", mp, hit_params);
    platform::SmmuPath path_c("path_c", mp, walk_params);
    BenchMaster master("master", opt, path_a, path_b, path_c);
    master.socket_a.bind(path_a.router.target);
    master.socket_b.bind(path_b.smmu.upstream);
    master.socket_c.bind(path_c.smmu.upstream);

    master.setup = [&] {
      platform::fill_bench_pages(path_a.mem, contiguous_pages(kDataBase, kHitPages));
      // Path b maps the pages of all its phases, each set on its own physical pages.
      std::vector<BenchPage> b_pages = contiguous_pages(kHitVa, kHitPages);
      for (const BenchPage& p : contiguous_pages(kRandomVa, kMicroEntries, kHitPages))
        b_pages.push_back(p);
      for (const BenchPage& p : contiguous_pages(kMainVa, kMainPages, kHitPages + kMicroEntries))
        b_pages.push_back(p);
      path_b.configure_stage1(b_pages);
      std::vector<BenchPage> spread;
      for (unsigned j = 0; j < kWalkPages; ++j)
        spread.push_back({spread_va(j), kDataBase + j * kPageSize});
      path_c.configure_stage1(spread);
    };
    sc_core::sc_start();

    if (master.results.size() != opt.phases.size())
      master.failures.push_back("not every phase ran");
    if (!master.failures.empty()) {
      for (const std::string& f : master.failures) std::cerr << "smmu-bench: FAILED: " << f << "\n";
      return 1;
    }
    const auto& rs = master.results;
    print_table(rs, opt, master.walk_phase_walks);
    if (json_out.is_open()) {
      json_out << to_json(rs, opt, master.walk_phase_walks).dump(2) << "\n";
      if (!json_out) {
        std::cerr << "smmu-bench: --json: write to '" << opt.json_path << "' failed\n";
        return 1;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "smmu-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
