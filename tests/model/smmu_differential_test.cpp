// SPDX-License-Identifier: Apache-2.0
// The real Smmu against the independent reference (tests/reference): thousands of
// random stream configurations per run (fixed seeds, printed), each cold (after
// CFGI_ALL + TLBI) and again with warm caches (the same access on the same port: micro
// TLB; another access in the same page on another port: main TLB, then on the first
// port: micro TLB with other access rights). Compared: the
// response, the output address (the data read, or where a write landed) and the event
// record (type, SID, SSV/SSID, InputAddr, RnW, InD, PnU, S2, CLASS, IPA).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "reference/config_generator.h"
#include "reference/reference_smmu.h"
#include "support/smmu_testbench.h"

using namespace smmu;
using namespace smmu::test;
using reference::Outcome;
using reference::Response;

namespace {

constexpr uint64_t kDataLo = 0x40000000, kDataHi = 0xc0000000;

reference::Implementation implementation_of(const model::SmmuFeatures& f) {
  reference::Implementation impl;
  impl.oas_bits = f.oas_bits;
  impl.ssid_bits = f.ssid_bits;
  impl.sid_bits = f.sid_bits;
  impl.stage1 = f.stage1;
  impl.stage2 = f.stage2;
  impl.gran4k = f.gran4k;
  impl.gran16k = f.gran16k;
  impl.gran64k = f.gran64k;
  impl.va52 = f.va52;
  impl.term_model_raz_wi = f.raz_wi_termination;
  return impl;
}

// Changes the reference's answer on purpose, to show that the comparison catches a
// model that differs in that way.
using Perturbation = std::function<void(Outcome&)>;

class Differential {
 public:
  // record_invalid_sid: SMMU_CR2.RECINVSID, on both sides.
  explicit Differential(const model::SmmuParams& params, bool record_invalid_sid = true)
      : tb_(params, 2),
        impl_(implementation_of(params.features)),
        st_(platform::StreamTableBuilder::linear(tb_.writer, tb_.alloc, 6)) {
    reference::GeneratorLayout layout;
    layout.stream_table = st_.base();
    layout.st_log2 = st_.log2size();
    layout.scratch_size = uint64_t{64} << 20;
    layout.scratch_base = tb_.alloc.alloc(layout.scratch_size, uint64_t{1} << 20);
    layout.data_lo = kDataLo;
    layout.data_hi = kDataHi;
    gen_ = std::make_unique<reference::ConfigGenerator>(
        impl_, layout, reference::GuestMemory{[this](uint64_t pa, uint64_t v) { tb_.mem.write64(pa, v); }});
    table_.base = st_.base();
    table_.log2size = st_.log2size();
    table_.record_invalid_sid = record_invalid_sid;
    tb_.enable(st_, 6, record_invalid_sid);
    tb_.enable_cmdq();
  }

  // Runs `configs` random configurations from `seed`; returns the number of mismatches
  // and prints the first few.
  unsigned run(uint64_t seed, unsigned configs, const Perturbation& perturb = {},
               bool quiet = false) {
    std::mt19937_64 rng(seed);
    unsigned mismatches = 0;
    for (unsigned i = 0; i < configs; ++i) {
      const reference::RandomCase rc = gen_->next(rng);
      invalidate_all();
      const reference::Transaction steps[4] = {rc.first, rc.first, rc.second, rc.second};
      static const unsigned kPort[4] = {0, 0, 1, 0};
      static const char* const kStep[4] = {"cold", "warm (same access, micro TLB)",
                                           "warm (same page, other port: main TLB)",
                                           "warm (same page, first port: micro TLB)"};
      for (unsigned s = 0; s < 4; ++s) {
        std::string why;
        if (!compare(steps[s], kPort[s], rng, perturb, why)) {
          if (!quiet && mismatches < 8) {
            std::printf("MISMATCH seed %llu config %u step %s\n%s%s\n",
                        static_cast<unsigned long long>(seed), i, kStep[s],
                        rc.description.c_str(), why.c_str());
          }
          ++mismatches;
          break;
        }
      }
      ++stats_[outcome_class_];
    }
    return mismatches;
  }

  void print_mix() const {
    std::printf("outcome mix (cold):");
    for (const auto& [k, n] : stats_) std::printf(" %s=%u", k.c_str(), n);
    std::printf("\n");
  }

 private:
  SmmuTestbench tb_;
  reference::Implementation impl_;
  platform::StreamTableBuilder st_;
  reference::StreamTable table_;
  std::unique_ptr<reference::ConfigGenerator> gen_;
  std::map<std::string, unsigned> stats_;
  std::string outcome_class_;

  void invalidate_all() {
    using arch::Command;
    using arch::Opcode;
    tb_.submit({Command(Opcode::kCfgiSteRange).set_range(31), Command(Opcode::kTlbiNsnhAll),
                Command(Opcode::kTlbiEl2All), Command(Opcode::kSync)});
    for (int i = 0; i < 100 && tb_.cmdq_cons() != tb_.cmdq_prod(); ++i) tb_.run(ns(1000));
    EXPECT_EQ(tb_.cmdq_cons(), tb_.cmdq_prod());
  }

  bool read_memory(uint64_t pa, uint64_t& v) {
    if (pa >= SmmuTestbench::kMemSize) return false;
    v = tb_.mem.read64(pa);
    return true;
  }

  static bool in_tables(uint64_t pa) {
    return pa >= SmmuTestbench::kTableBase &&
           pa < SmmuTestbench::kTableBase + SmmuTestbench::kTableSize;
  }

  bool compare(reference::Transaction t, unsigned port, std::mt19937_64& rng,
               const Perturbation& perturb, std::string& why) {
    auto mem = [this](uint64_t pa, uint64_t& v) { return read_memory(pa, v); };
    Outcome ref = reference::translate(impl_, table_, t, mem);
    if (ref.response == Response::kOk && t.write && in_tables(ref.pa)) {
      t.write = false;  // a write into the tables would change the next walks
      ref = reference::translate(impl_, table_, t, mem);
    }
    if (perturb) perturb(ref);
    const bool in_memory = ref.pa + 8 <= SmmuTestbench::kMemSize;
    // Make the output address visible: a fresh tag at the expected PA for reads.
    const uint64_t tag = rng() | 1;
    if (ref.response == Response::kOk && in_memory && !t.write && !in_tables(ref.pa))
      tb_.mem.write64(ref.pa, tag);
    if (outcome_class_.empty() || port == 0) {
      outcome_class_ = ref.response == Response::kOk ? "ok"
                       : ref.has_event ? reference::event_name(ref.event.id)
                       : ref.response == Response::kRazWi ? "razwi-silent" : "abort-silent";
    }

    DmaAttrs a;
    a.sid = t.sid;
    a.ssid = t.ssid;
    a.ssv = t.ssv;
    a.write = t.write;
    a.priv = t.priv;
    a.exec = t.exec;
    const uint64_t wdata = rng();
    const Master::Result res = tb_.dma(t.va, a, port, 8, wdata);
    const auto events = tb_.events();

    std::ostringstream o;
    bool ok = true;
    auto fail = [&](const std::string& what) {
      ok = false;
      o << "  " << what << "\n";
    };
    tlm::tlm_response_status want = tlm::TLM_ADDRESS_ERROR_RESPONSE;
    if (ref.response == Response::kRazWi || (ref.response == Response::kOk && in_memory))
      want = tlm::TLM_OK_RESPONSE;
    if (res.status != want)
      fail(std::string("response: model ") + (res.ok() ? "OK" : "error") + ", reference " +
           (want == tlm::TLM_OK_RESPONSE ? "OK" : "error"));
    if (ok && res.ok()) {
      if (ref.response == Response::kRazWi) {
        if (!t.write && res.data != 0) fail("RAZ/WI read returned data");
      } else if (t.write) {
        if (tb_.mem.read64(ref.pa) != wdata) fail("the write did not land at the reference PA");
      } else {
        const uint64_t expect = in_tables(ref.pa) ? tb_.mem.read64(ref.pa) : tag;
        if (res.data != expect) fail("the read did not come from the reference PA");
      }
    }
    if (ref.has_event != !events.empty() || events.size() > 1) {
      fail("events: model " + std::to_string(events.size()) + ", reference " +
           std::to_string(ref.has_event));
    } else if (ref.has_event) {
      const auto& m = events[0];
      const auto& e = ref.event;
      std::ostringstream d;
      d << "model event " << arch::to_string(m.id) << " SID " << m.sid << " SSV " << m.ssv
        << " SSID " << m.ssid << " InputAddr 0x" << std::hex << m.input_addr << std::dec
        << " RnW " << m.rnw << " InD " << m.ind << " PnU " << m.pnu << " S2 " << m.s2
        << " CLASS " << static_cast<int>(m.class_) << " IPA 0x" << std::hex << m.ipa;
      bool same = static_cast<uint8_t>(m.id) == e.id && m.sid == e.sid && m.ssv == e.ssv &&
                  (!e.ssv || m.ssid == e.ssid);
      if (same && e.has_address) {
        same = m.input_addr == e.input_addr && m.rnw == e.rnw && m.ind == e.ind &&
               m.pnu == e.pnu && m.s2 == e.s2;
        if (same && e.s2)
          same = static_cast<uint8_t>(m.class_) == e.cls && (m.ipa >> 12) == (e.ipa >> 12);
      }
      if (!same) fail(d.str());
    }
    if (!ok) {
      char line[160];
      std::snprintf(line, sizeof line, "  access SID %u SSV %d SSID %u VA 0x%llx %s%s %s port %u\n",
                    t.sid, t.ssv, t.ssid, static_cast<unsigned long long>(t.va),
                    t.write ? "W" : "R", t.exec ? "X" : "", t.priv ? "priv" : "user", port);
      why = line + o.str() + "  reference: " + reference::describe(ref) + "\n  reference trace: " +
            ref.why;
    }
    return ok;
  }
};

constexpr unsigned kConfigs = 2500;  // per seed; 2 seeds per SMMU shape

void run_seeds(const model::SmmuParams& params, std::initializer_list<uint64_t> seeds,
               bool record_invalid_sid = true) {
  Differential diff(params, record_invalid_sid);
  const auto t0 = std::chrono::steady_clock::now();
  unsigned total = 0, configs = 0;
  for (uint64_t seed : seeds) {
    const unsigned m = diff.run(seed, kConfigs);
    std::printf("seed %llu: %u configurations x 4 accesses, %u mismatches\n",
                static_cast<unsigned long long>(seed), kConfigs, m);
    total += m;
    configs += kConfigs;
  }
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  diff.print_mix();
  std::printf("%u configurations in %.2f s\n", configs, s);
  EXPECT_EQ(total, 0u);
}

}  // namespace

TEST(SmmuDifferential, Oas48AllGranules) {
  run_seeds(model::SmmuParams{}, {1, 2});
}

TEST(SmmuDifferential, Oas52With52BitVas) {
  model::SmmuParams p;
  p.features.oas_bits = 52;
  p.features.va52 = true;
  run_seeds(p, {3, 4});
}

TEST(SmmuDifferential, Oas40TermModel1) {
  model::SmmuParams p;
  p.features.oas_bits = 40;
  p.features.raz_wi_termination = false;
  run_seeds(p, {5, 6});
}

TEST(SmmuDifferential, Oas44No16kGranule8BitSubstreams) {
  model::SmmuParams p;
  p.features.oas_bits = 44;
  p.features.gran16k = false;
  p.features.ssid_bits = 8;
  run_seeds(p, {10, 11});
}

// SMMU_CR2.RECINVSID = 0: invalid StreamIDs (2% of the transactions) abort unrecorded.
TEST(SmmuDifferential, Oas48WithoutRecordingInvalidStreamIds) {
  run_seeds(model::SmmuParams{}, {12}, false);
}

// The comparison is not blind: a reference that is wrong in one rule is caught.
TEST(SmmuDifferential, CatchesADeliberatelyWrongAnswer) {
  Differential diff(model::SmmuParams{});
  // A model that drops stage-2 fault records, or one that sends DMA a page off.
  const unsigned no_s2_records = diff.run(7, 300, [](Outcome& o) {
    if (o.has_event && o.event.s2) o.has_event = false;
  }, true);
  const unsigned page_off = diff.run(8, 300, [](Outcome& o) {
    if (o.response == Response::kOk) o.pa ^= 0x1000;
  }, true);
  const unsigned exact = diff.run(9, 300);
  std::printf("perturbed: %u and %u mismatches of 300; unperturbed: %u\n", no_s2_records,
              page_off, exact);
  EXPECT_GT(no_s2_records, 10u);
  EXPECT_GT(page_off, 30u);
  EXPECT_EQ(exact, 0u);
}
