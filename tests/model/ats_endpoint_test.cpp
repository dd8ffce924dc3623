// SPDX-License-Identifier: Apache-2.0
// The ATS endpoint against a fake SMMU written here: translation requests and their
// exact timing, pre-translated and untranslated traffic, ATC hits, ATC_INV handling
// (ownership, bad messages, unanswered invalidations), streams and parameter checks.
#include "rtl_model/pcie/ats_endpoint.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "rtl_model/protocol/ats_protocol.h"
#include "rtl_model/protocol/stream_extension.h"
#include "rtl_model/common/bus_width.h"

namespace smmu::model {
namespace {

using arch::Command;
using arch::Opcode;
using sc_core::sc_time;
using Status = AtsTranslationRequest::Status;

sc_time ns(double v) { return sc_time(v, sc_core::SC_NS); }

// What the fake SMMU translates: one region of one PASID (or of no PASID).
struct Mapping {
  bool ssv = false;
  uint32_t ssid = 0;
  uint64_t base = 0;
  uint8_t shift = 12;
  uint64_t out = 0;
  bool read = true;
  bool write = true;
  bool exec = true;        // instruction fetches allowed (no XN)
  bool user_write = true;  // false: writable by privileged requests only (User-RO, Priv-RW)

  bool writable(bool priv) const { return write && (priv || user_write); }
  bool covers(bool s, uint32_t id, uint64_t a) const {
    return s == ssv && (!s || id == ssid) && (a >> shift) == (base >> shift);
  }
};

// An SMMU stand-in: answers translation requests from `mappings` after ats_delay (UR for
// the StreamIDs in `unsupported`; Exe and Priv as IHI 0070 §13.7.1 says), passes device
// traffic after upstream_delay (faulting untranslated accesses the mappings do not allow,
// as a real SMMU would) and sends ATC_INV messages from its test thread.
class FakeSmmu : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<FakeSmmu, smmu::model::kBusWidth> upstream;
  tlm_utils::simple_target_socket<FakeSmmu, smmu::model::kBusWidth> ats;
  tlm_utils::simple_initiator_socket<FakeSmmu, smmu::model::kBusWidth> ats_inv;

  sc_time upstream_delay = ns(30);
  sc_time ats_delay = ns(40);
  std::vector<Mapping> mappings;
  std::set<uint32_t> unsupported;
  tlm::tlm_response_status ats_response = tlm::TLM_OK_RESPONSE;
  std::function<void()> body;  // runs at time 0 in a thread

  struct Seen {
    uint64_t address;
    bool write;
    StreamExtension ext;
    sc_time at;  // arrival (local time)
  };
  std::vector<Seen> accesses;
  struct Request {
    uint64_t address;
    AtsTranslationRequest req;
    sc_time at;
  };
  std::vector<Request> requests;

  SC_HAS_PROCESS(FakeSmmu);
  explicit FakeSmmu(sc_core::sc_module_name name)
      : sc_module(name), upstream("upstream"), ats("ats"), ats_inv("ats_inv") {
    upstream.register_b_transport(this, &FakeSmmu::upstream_b_transport);
    ats.register_b_transport(this, &FakeSmmu::ats_b_transport);
    SC_THREAD(run);
  }

  // Sends a 16-byte command message (little-endian words) to the endpoint.
  tlm::tlm_response_status send_inv(const Command& c, sc_time& delay,
                                    tlm::tlm_command cmd = tlm::TLM_WRITE_COMMAND,
                                    unsigned length = 16) {
    unsigned char bytes[16];
    for (int w = 0; w < 2; ++w)
      for (int i = 0; i < 8; ++i) bytes[8 * w + i] = static_cast<unsigned char>(c.dw[w] >> (8 * i));
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(c.addr());
    gp.set_data_ptr(bytes);
    gp.set_data_length(length);
    gp.set_streaming_width(length);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    ats_inv->b_transport(gp, delay);
    return gp.get_response_status();
  }

 private:
  const Mapping* find(bool ssv, uint32_t ssid, uint64_t a) const {
    for (const Mapping& m : mappings)
      if (m.covers(ssv, ssid, a)) return &m;
    return nullptr;
  }

  void upstream_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    StreamExtension* ext = gp.get_extension<StreamExtension>();
    ASSERT_NE(ext, nullptr);
    accesses.push_back({gp.get_address(), gp.is_write(), *ext, sc_core::sc_time_stamp() + delay});
    delay += upstream_delay;
    if (!ext->ats_translated) {
      const Mapping* m = find(ext->ssv, ext->ssid, gp.get_address());
      if (!m || !(gp.is_write() ? m->writable(ext->privileged) : m->read) ||
          (ext->instruction && !m->exec)) {
        gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
      }
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  void ats_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
    AtsTranslationRequest* r = gp.get_extension<AtsTranslationRequest>();
    ASSERT_NE(r, nullptr);
    requests.push_back({gp.get_address(), *r, sc_core::sc_time_stamp() + delay});
    delay += ats_delay;
    gp.set_response_status(ats_response);
    if (unsupported.count(r->sid)) {
      r->status = Status::kUnsupported;
      return;
    }
    r->status = Status::kSuccess;
    r->entry_priv = r->priv;
    const Mapping* m = find(r->ssv, r->ssid, gp.get_address());
    r->read = m && m->read;
    r->write = m && m->writable(r->priv) && !r->no_write;
    r->exe = r->exec && r->read && m->exec;
    if (m) {
      r->translated = m->out;
      r->size_shift = m->shift;
    }
  }

  void run() {
    if (body) body();
  }
};

AtsEndpointParams params_for(uint32_t sid) {
  AtsEndpointParams p;
  p.sid = sid;
  return p;
}

TrafficStream stream(uint32_t sid, uint64_t base, uint64_t count) {
  TrafficStream s;
  s.sid = sid;
  s.base = base;
  s.length = 4096;
  s.size = 64;
  s.count = count;
  return s;
}

DmaAccess access(uint64_t address, bool write = false) {
  DmaAccess a;
  a.address = address;
  a.write = write;
  return a;
}

Command atc_inv(uint32_t sid, uint64_t addr, uint8_t size) {
  return Command(Opcode::kAtcInv).set_sid(sid).set_addr(addr).set_size(size);
}

void bind(FakeSmmu& smmu, AtsEndpoint& ep) {
  ep.dma.bind(smmu.upstream);
  ep.ats.bind(smmu.ats);
  smmu.ats_inv.bind(ep.inv);
}

struct Completion {
  DmaOutcome outcome;
  uint64_t address;
  sc_time latency;
};

// Timing with the defaults: ATC lookup 2 ns, PCIe round trip 500 ns (250 each way),
// fake ATS answer 40 ns, fake upstream 30 ns.
constexpr double kMissNs = 2 + 250 + 40 + 250 + 30;  // 572
constexpr double kHitNs = 2 + 30;

// --- the ATS flow, through a stream ---

// First access: lookup, Translation Request (reaching the SMMU at 2 + 250 ns), answer,
// the way back, then the pre-translated access. The next two hit the ATC.
TEST(PcieAtsEndpoint, FirstAccessRequestsThenHits) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpointParams p = params_for(3);
  p.traffic.push_back(stream(3, 0x10000, 3));
  p.traffic[0].privileged = true;
  AtsEndpoint ep("ep", p);
  bind(smmu, ep);
  std::vector<Completion> done;
  ep.on_complete = [&](const DmaAccess& a, const DmaOutcome& o, sc_time latency) {
    done.push_back({o, a.address, latency});
  };
  sc_time done_at;
  smmu.body = [&] {
    sc_core::wait(ep.done_event());
    done_at = sc_core::sc_time_stamp();
  };
  sc_core::sc_start();

  ASSERT_EQ(smmu.requests.size(), 1u);
  const AtsTranslationRequest& r = smmu.requests[0].req;
  EXPECT_EQ(smmu.requests[0].address, 0x10000u);
  EXPECT_EQ(smmu.requests[0].at, ns(252));
  EXPECT_EQ(r.sid, 3u);
  EXPECT_FALSE(r.ssv);
  EXPECT_TRUE(r.no_write);  // a read
  // Priv is a PASID prefix bit: a privileged stream without a PASID asks unprivileged
  // (IHI 0070 §13.7), while its traffic keeps the stream's attribute.
  EXPECT_FALSE(r.priv);
  EXPECT_FALSE(r.exec);

  ASSERT_EQ(smmu.accesses.size(), 3u);
  const double arrival[3] = {kMissNs - 30, kMissNs + 2, kMissNs + kHitNs + 2};
  for (unsigned i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(smmu.accesses[i].address, 0x80000u + 64 * i);
    EXPECT_TRUE(smmu.accesses[i].ext.ats_translated);
    EXPECT_EQ(smmu.accesses[i].ext.sid, 3u);
    EXPECT_TRUE(smmu.accesses[i].ext.privileged);
    EXPECT_EQ(smmu.accesses[i].at, ns(arrival[i]));
  }
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done[0].latency, ns(kMissNs));
  EXPECT_TRUE(done[0].outcome.translation_requested);
  EXPECT_EQ(done[1].latency, ns(kHitNs));
  EXPECT_FALSE(done[1].outcome.translation_requested);
  EXPECT_EQ(done[2].latency, ns(kHitNs));
  EXPECT_EQ(done[2].address, 0x10080u);
  EXPECT_EQ(done[2].outcome.sent_address, 0x80080u);

  const sc_time end = ns(kMissNs + 2 * kHitNs);  // 636 ns
  EXPECT_TRUE(ep.finished());
  EXPECT_EQ(ep.last_end_time(), end);
  EXPECT_EQ(done_at, end);
  const AtsEndpointStats& st = ep.stats();
  EXPECT_EQ(st.transactions, 3u);
  EXPECT_EQ(st.bytes, 192u);
  EXPECT_EQ(st.translated_sent, 3u);
  EXPECT_EQ(st.untranslated_sent, 0u);
  EXPECT_EQ(st.faults, 0u);
  EXPECT_EQ(st.translation_requests, 1u);
  EXPECT_EQ(st.translation_failures, 0u);
  EXPECT_EQ(st.atc_hits, 2u);
  EXPECT_EQ(st.atc_misses, 1u);
  EXPECT_EQ(ep.atc().hits(), 2u);
  EXPECT_EQ(ep.atc().misses(), 1u);
  EXPECT_EQ(ep.atc().occupancy(), 1u);
  const TrafficStats& ts = ep.stream_stats(0);
  EXPECT_EQ(ts.transactions(), 3u);
  EXPECT_EQ(ts.min_latency(), ns(kHitNs));
  EXPECT_EQ(ts.max_latency(), ns(kMissNs));
  EXPECT_EQ(ep.total_stats().total_latency(), ns(kMissNs + 2 * kHitNs));
}

// A 2 MiB completion covers every 4 KiB page of the block: one request for four pages.
TEST(PcieAtsEndpoint, BlockCompletionCoversManyPages) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x200000, 21, 0x40000000});
  AtsEndpointParams p = params_for(1);
  TrafficStream s = stream(1, 0x3f0000, 4);
  s.length = 0x10000;
  s.pattern = TrafficStream::kStrided;
  s.stride = 0x4000;
  p.traffic.push_back(s);
  AtsEndpoint ep("ep", p);
  bind(smmu, ep);
  sc_core::sc_start();
  EXPECT_EQ(smmu.requests.size(), 1u);
  ASSERT_EQ(smmu.accesses.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_TRUE(smmu.accesses[i].ext.ats_translated);
    EXPECT_EQ(smmu.accesses[i].address, 0x401f0000u + 0x4000 * i);
  }
  EXPECT_EQ(ep.last_end_time(), ns(kMissNs + 3 * kHitNs));
  EXPECT_EQ(ep.atc().probe(0, false, false, 0x200000)->size_shift, 21);
}

// --- permissions and failed translations, through the host API ---

TEST(PcieAtsEndpoint, WriteNeedsWritePermission) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000, true, true});
  smmu.mappings.push_back({false, 0, 0x20000, 12, 0x90000, true, false});  // read only
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    // A read asks for read only (NW): the entry is read-only.
    DmaOutcome o = ep.dma_access(access(0x10000), d);
    EXPECT_EQ(d, ns(kMissNs));
    EXPECT_TRUE(o.ats_translated);
    EXPECT_FALSE(ep.translate_cached(0, false, 0x10000, true).has_value());
    EXPECT_EQ(ep.translate_cached(0, false, 0x10010, false), 0x80010u);
    // So a write misses and asks again, without NW; then it hits.
    d = sc_core::SC_ZERO_TIME;
    o = ep.dma_access(access(0x10040, true), d);
    EXPECT_EQ(d, ns(kMissNs));
    EXPECT_TRUE(o.translation_requested);
    EXPECT_TRUE(o.ats_translated);
    EXPECT_EQ(o.sent_address, 0x80040u);
    d = sc_core::SC_ZERO_TIME;
    o = ep.dma_access(access(0x10080, true), d);
    EXPECT_EQ(d, ns(kHitNs));
    EXPECT_TRUE(o.ats_translated);
    EXPECT_EQ(ep.atc().occupancy(), 1u);  // the RW answer replaced the read-only one

    // A write to a read-only page: the answer allows reads only; it is cached, the write
    // goes untranslated and the SMMU faults it.
    d = sc_core::SC_ZERO_TIME;
    o = ep.dma_access(access(0x20000, true), d);
    EXPECT_EQ(d, ns(kMissNs));
    EXPECT_FALSE(o.ats_translated);
    EXPECT_EQ(o.sent_address, 0x20000u);
    EXPECT_EQ(o.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    d = sc_core::SC_ZERO_TIME;
    o = ep.dma_access(access(0x20100), d);  // a read then hits
    EXPECT_EQ(d, ns(kHitNs));
    EXPECT_EQ(o.sent_address, 0x90100u);
  };
  sc_core::sc_start();
  ASSERT_EQ(smmu.requests.size(), 3u);
  EXPECT_TRUE(smmu.requests[0].req.no_write);
  EXPECT_FALSE(smmu.requests[1].req.no_write);
  EXPECT_FALSE(smmu.requests[2].req.no_write);
  const AtsEndpointStats& st = ep.stats();
  EXPECT_EQ(st.transactions, 5u);
  EXPECT_EQ(st.translated_sent, 4u);
  EXPECT_EQ(st.untranslated_sent, 1u);
  EXPECT_EQ(st.faults, 1u);
  EXPECT_EQ(st.bytes, 4u * 64);
  EXPECT_EQ(st.translation_requests, 3u);
  EXPECT_EQ(st.translation_failures, 1u);
  EXPECT_EQ(st.atc_hits, 2u);
  EXPECT_EQ(st.atc_misses, 3u);
}

// UR: nothing is cached, the access goes untranslated (the SMMU translates it), and the
// next access asks again. An error response on the ats socket is handled the same way.
TEST(PcieAtsEndpoint, UnsupportedSendsUntranslated) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  smmu.unsupported.insert(3);
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    for (int i = 0; i < 2; ++i) {
      sc_time d;
      const DmaOutcome o = ep.dma_access(access(0x10000 + 64 * i), d);
      EXPECT_EQ(d, ns(kMissNs));
      EXPECT_TRUE(o.translation_requested);
      EXPECT_FALSE(o.ats_translated);
      EXPECT_EQ(o.sent_address, 0x10000u + 64 * i);
      EXPECT_EQ(o.status, tlm::TLM_OK_RESPONSE);
      sc_core::wait(d);
    }
    smmu.unsupported.clear();
    smmu.ats_response = tlm::TLM_GENERIC_ERROR_RESPONSE;
    sc_time d;
    EXPECT_FALSE(ep.dma_access(access(0x10000), d).ats_translated);
  };
  sc_core::sc_start();
  EXPECT_EQ(smmu.requests.size(), 3u);
  ASSERT_EQ(smmu.accesses.size(), 3u);
  for (const auto& a : smmu.accesses) EXPECT_FALSE(a.ext.ats_translated);
  EXPECT_EQ(smmu.accesses[1].at, ns(kMissNs + kMissNs - 30));
  EXPECT_EQ(ep.atc().occupancy(), 0u);
  EXPECT_EQ(ep.stats().translation_failures, 3u);
  EXPECT_EQ(ep.stats().untranslated_sent, 3u);
}

// A completion with no access: not cached, the access goes untranslated and faults.
TEST(PcieAtsEndpoint, NoAccessCompletionFaults) {
  FakeSmmu smmu("smmu");
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    const DmaOutcome o = ep.dma_access(access(0x5000, true), d);
    EXPECT_EQ(d, ns(kMissNs));
    EXPECT_FALSE(o.ats_translated);
    EXPECT_EQ(o.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  EXPECT_EQ(ep.atc().occupancy(), 0u);
  EXPECT_EQ(ep.stats().faults, 1u);
  EXPECT_EQ(ep.stats().bytes, 0u);
  EXPECT_EQ(ep.stats().translation_failures, 1u);
}

// An access crossing 4 KiB cannot be pre-translated: untranslated, no lookup, no request.
TEST(PcieAtsEndpoint, PageCrossingAccessGoesUntranslated) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 16, 0x80000});  // 64 KiB
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    const DmaOutcome o = ep.dma_access(access(0x10fe0), d);
    EXPECT_EQ(d, ns(30));
    EXPECT_FALSE(o.ats_translated);
    EXPECT_FALSE(o.translation_requested);
  };
  sc_core::sc_start();
  EXPECT_TRUE(smmu.requests.empty());
  EXPECT_EQ(ep.stats().page_crossings, 1u);
  EXPECT_EQ(ep.atc().misses(), 0u);
}

TEST(PcieAtsEndpoint, AtsDisabledSendsEverythingUntranslated) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpointParams p = params_for(3);
  p.ats_enabled = false;
  p.traffic.push_back(stream(3, 0x10000, 4));
  p.traffic[0].outstanding = 2;  // issues at 0, 0, 30, 30
  AtsEndpoint ep("ep", p);
  bind(smmu, ep);
  sc_core::sc_start();
  EXPECT_TRUE(smmu.requests.empty());
  ASSERT_EQ(smmu.accesses.size(), 4u);
  const double arrival[4] = {0, 0, 30, 30};
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_FALSE(smmu.accesses[i].ext.ats_translated);
    EXPECT_EQ(smmu.accesses[i].address, 0x10000u + 64 * i);
    EXPECT_EQ(smmu.accesses[i].at, ns(arrival[i]));
  }
  EXPECT_EQ(ep.last_end_time(), ns(60));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(60));
  EXPECT_EQ(ep.atc().misses(), 0u);
  EXPECT_EQ(ep.stats().untranslated_sent, 4u);
  EXPECT_EQ(ep.stream_stats(0).max_latency(), ns(30));
}

// With a 100 ns quantum the stream thread syncs (to the issue time) at the first issue
// that reaches the next multiple of 100 ns: accesses issued every 30 ns sync at 120 and
// 210 ns. The timing itself does not change.
TEST(PcieAtsEndpoint, QuantumBoundsDecoupling) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpointParams p = params_for(3);
  p.ats_enabled = false;
  p.quantum = ns(100);
  p.traffic.push_back(stream(3, 0x10000, 10));
  AtsEndpoint ep("ep", p);
  bind(smmu, ep);
  std::vector<sc_time> stamps;
  ep.on_complete = [&](const DmaAccess&, const DmaOutcome&, sc_time latency) {
    EXPECT_EQ(latency, ns(30));
    stamps.push_back(sc_core::sc_time_stamp());
  };
  sc_core::sc_start();
  ASSERT_EQ(stamps.size(), 10u);
  const double stamp_ns[10] = {0, 0, 0, 0, 120, 120, 120, 210, 210, 210};
  for (unsigned i = 0; i < 10; ++i) EXPECT_EQ(stamps[i], ns(stamp_ns[i])) << i;
  EXPECT_EQ(ep.last_end_time(), ns(300));
  EXPECT_EQ(sc_core::sc_time_stamp(), ns(300));
}

// --- invalidation ---

TEST(PcieAtsEndpoint, AtcInvRemovesAndNextAccessRequestsAgain) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    ep.dma_access(access(0x10000), d);
    d = sc_core::SC_ZERO_TIME;
    EXPECT_TRUE(ep.dma_access(access(0x10040), d).ats_translated);
    EXPECT_EQ(d, ns(kHitNs));

    // Another page of this function: answered, nothing removed.
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(smmu.send_inv(atc_inv(3, 0x11000, 0), d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(500));
    EXPECT_EQ(ep.translate_cached(0, false, 0x10000, false), 0x80000u);

    // Pages [0x10, 0x11]: SIZE 1 at page 0x10.
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(smmu.send_inv(atc_inv(3, 0x10000, 1), d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(500));
    EXPECT_FALSE(ep.translate_cached(0, false, 0x10000, false).has_value());

    d = sc_core::SC_ZERO_TIME;
    const DmaOutcome o = ep.dma_access(access(0x10080), d);
    EXPECT_EQ(d, ns(kMissNs));
    EXPECT_TRUE(o.translation_requested);
    EXPECT_TRUE(o.ats_translated);
  };
  sc_core::sc_start();
  EXPECT_EQ(smmu.requests.size(), 2u);
  const AtsEndpointStats& st = ep.stats();
  EXPECT_EQ(st.inv_messages, 2u);
  EXPECT_EQ(st.invalidations_received, 2u);
  EXPECT_EQ(st.invalidation_answers, 2u);
  EXPECT_EQ(ep.atc().invalidations(), 2u);
  EXPECT_EQ(ep.atc().entries_invalidated(), 1u);
}

TEST(PcieAtsEndpoint, PasidInvalidationSelectsItsEntries) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({true, 5, 0x10000, 12, 0x80000});
  smmu.mappings.push_back({true, 6, 0x10000, 12, 0x90000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    for (uint32_t ssid : {5u, 6u}) {
      DmaAccess a = access(0x10000);
      a.ssv = true;
      a.ssid = ssid;
      a.instruction = true;
      sc_time d;
      EXPECT_EQ(ep.dma_access(a, d).sent_address, ssid == 5 ? 0x80000u : 0x90000u);
    }
    sc_time d;
    Command c = atc_inv(3, 0x10000, 0).set_ssv(true).set_ssid(6);
    EXPECT_EQ(smmu.send_inv(c, d), tlm::TLM_OK_RESPONSE);
    EXPECT_TRUE(ep.translate_cached(5, true, 0x10000, false).has_value());
    EXPECT_FALSE(ep.translate_cached(6, true, 0x10000, false).has_value());
  };
  sc_core::sc_start();
  ASSERT_EQ(smmu.requests.size(), 2u);
  EXPECT_TRUE(smmu.requests[0].req.ssv);
  EXPECT_EQ(smmu.requests[0].req.ssid, 5u);
  EXPECT_TRUE(smmu.requests[0].req.exec);
  EXPECT_EQ(smmu.requests[1].req.ssid, 6u);
  ASSERT_EQ(smmu.accesses.size(), 2u);
  EXPECT_TRUE(smmu.accesses[1].ext.ssv);
  EXPECT_EQ(smmu.accesses[1].ext.ssid, 6u);
  EXPECT_TRUE(smmu.accesses[1].ext.instruction);
}

// --- privilege levels and execute (IHI 0070 §13.7: a completion's permissions are for
// its Priv level only; Exe must be granted for a fetch) ---

DmaAccess pasid_access(uint64_t address, bool write, bool priv, bool instruction = false) {
  DmaAccess a = access(address, write);
  a.ssv = true;
  a.ssid = 5;
  a.privileged = priv;
  a.instruction = instruction;
  return a;
}

// User-RO, Priv-RW: the privileged write gets RW for privileged requests; an unprivileged
// write must not use that entry. It asks for itself, gets read only, goes untranslated
// and the SMMU faults it. Then each level hits its own entry.
TEST(PcieAtsEndpoint, PrivilegedEntryIsNotUsedUnprivileged) {
  FakeSmmu smmu("smmu");
  Mapping m{true, 5, 0x10000, 12, 0x80000};
  m.user_write = false;
  smmu.mappings.push_back(m);
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  std::vector<DmaOutcome> out;
  std::vector<sc_time> lat;
  smmu.body = [&] {
    for (const DmaAccess& a :
         {pasid_access(0x10000, true, true), pasid_access(0x10040, true, false),
          pasid_access(0x10080, false, false), pasid_access(0x100c0, true, true)}) {
      sc_time d;
      out.push_back(ep.dma_access(a, d));
      lat.push_back(d);
    }
  };
  sc_core::sc_start();
  ASSERT_EQ(smmu.requests.size(), 2u);
  EXPECT_TRUE(smmu.requests[0].req.priv);
  EXPECT_FALSE(smmu.requests[1].req.priv);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].ats_translated);
  EXPECT_EQ(lat[0], ns(kMissNs));
  EXPECT_TRUE(out[1].translation_requested);
  EXPECT_FALSE(out[1].ats_translated);
  EXPECT_EQ(out[1].status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(lat[1], ns(kMissNs));
  EXPECT_FALSE(out[2].translation_requested);  // the unprivileged read-only entry
  EXPECT_EQ(out[2].sent_address, 0x80080u);
  EXPECT_EQ(lat[2], ns(kHitNs));
  EXPECT_FALSE(out[3].translation_requested);  // the privileged RW entry survived
  EXPECT_EQ(out[3].sent_address, 0x800c0u);
  EXPECT_EQ(lat[3], ns(kHitNs));
  EXPECT_EQ(ep.atc().occupancy(), 2u);
  EXPECT_EQ(ep.translate_cached(5, true, 0x10000, true, true), 0x80000u);
  EXPECT_FALSE(ep.translate_cached(5, true, 0x10000, true, false).has_value());
}

// And the other way round: an unprivileged entry does not serve a privileged read.
TEST(PcieAtsEndpoint, UnprivilegedEntryIsNotUsedPrivileged) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({true, 5, 0x10000, 12, 0x80000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    EXPECT_TRUE(ep.dma_access(pasid_access(0x10000, false, false), d).translation_requested);
    d = sc_core::SC_ZERO_TIME;
    const DmaOutcome o = ep.dma_access(pasid_access(0x10040, false, true), d);
    EXPECT_TRUE(o.translation_requested);
    EXPECT_TRUE(o.ats_translated);
    EXPECT_EQ(d, ns(kMissNs));
    for (bool priv : {false, true}) {
      d = sc_core::SC_ZERO_TIME;
      EXPECT_FALSE(ep.dma_access(pasid_access(0x10080, false, priv), d).translation_requested);
      EXPECT_EQ(d, ns(kHitNs));
    }
  };
  sc_core::sc_start();
  ASSERT_EQ(smmu.requests.size(), 2u);
  EXPECT_FALSE(smmu.requests[0].req.priv);
  EXPECT_TRUE(smmu.requests[1].req.priv);
  EXPECT_EQ(ep.atc().occupancy(), 2u);
  EXPECT_EQ(ep.stats().atc_hits, 2u);
}

// A fetch asks with Exe. On an XN page the answer grants R only: cached (a data read then
// hits), but the fetch goes untranslated and faults, and the next fetch asks again. On an
// executable page Exe is granted and later fetches hit. Writes never ask for Exe.
TEST(PcieAtsEndpoint, InstructionFetchNeedsExe) {
  FakeSmmu smmu("smmu");
  Mapping xn{true, 5, 0x10000, 12, 0x80000};
  xn.exec = false;
  smmu.mappings.push_back(xn);
  smmu.mappings.push_back({true, 5, 0x20000, 12, 0x90000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  std::vector<DmaOutcome> out;
  smmu.body = [&] {
    for (const DmaAccess& a :
         {pasid_access(0x10000, false, false, true), pasid_access(0x10040, false, false),
          pasid_access(0x10080, false, false, true), pasid_access(0x20000, false, false, true),
          pasid_access(0x20040, false, false, true), pasid_access(0x20080, true, false, true)}) {
      sc_time d;
      out.push_back(ep.dma_access(a, d));
    }
  };
  sc_core::sc_start();
  ASSERT_EQ(out.size(), 6u);
  EXPECT_TRUE(out[0].translation_requested);
  EXPECT_FALSE(out[0].ats_translated);
  EXPECT_EQ(out[0].status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_FALSE(out[1].translation_requested);  // R was granted
  EXPECT_EQ(out[1].sent_address, 0x80040u);
  EXPECT_TRUE(out[2].translation_requested);   // still no Exe
  EXPECT_FALSE(out[2].ats_translated);
  EXPECT_TRUE(out[3].translation_requested);
  EXPECT_EQ(out[3].sent_address, 0x90000u);
  EXPECT_FALSE(out[4].translation_requested);  // Exe was granted
  EXPECT_EQ(out[4].sent_address, 0x90040u);
  EXPECT_TRUE(out[5].translation_requested);   // a write: the entry was asked with NW
  EXPECT_TRUE(out[5].ats_translated);
  ASSERT_EQ(smmu.requests.size(), 4u);
  for (unsigned i = 0; i < 3; ++i) EXPECT_TRUE(smmu.requests[i].req.exec) << i;
  EXPECT_FALSE(smmu.requests[3].req.exec);  // PCIe: Execute Requested is for reads only
  EXPECT_FALSE(ep.translate_cached(5, true, 0x10000, false, false, true).has_value());
  EXPECT_EQ(ep.translate_cached(5, true, 0x10000, false), 0x80000u);
}

// Without a PASID there is no Priv or Exe: a privileged fetch asks as unprivileged data
// and uses that entry.
TEST(PcieAtsEndpoint, NoPasidIsUnprivilegedData) {
  FakeSmmu smmu("smmu");
  Mapping m{false, 0, 0x10000, 12, 0x80000};
  m.exec = false;
  smmu.mappings.push_back(m);
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    DmaAccess a = access(0x10000);
    a.privileged = a.instruction = true;
    sc_time d;
    EXPECT_TRUE(ep.dma_access(a, d).ats_translated);
    a.address = 0x10040;
    EXPECT_FALSE(ep.dma_access(a, d).translation_requested);
    EXPECT_FALSE(ep.dma_access(access(0x10080), d).translation_requested);
  };
  sc_core::sc_start();
  ASSERT_EQ(smmu.requests.size(), 1u);
  EXPECT_FALSE(smmu.requests[0].req.priv);
  EXPECT_FALSE(smmu.requests[0].req.exec);
  EXPECT_EQ(ep.atc().occupancy(), 1u);
}

// An ATC_INV names addresses, not a privilege level: both levels' entries go.
TEST(PcieAtsEndpoint, InvalidationDropsBothPrivilegeLevels) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({true, 5, 0x10000, 12, 0x80000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    for (bool priv : {false, true}) {
      sc_time d;
      ep.dma_access(pasid_access(0x10000, false, priv), d);
    }
    EXPECT_EQ(ep.atc().occupancy(), 2u);
    sc_time d;
    EXPECT_EQ(smmu.send_inv(atc_inv(3, 0x10000, 0).set_ssv(true).set_ssid(5), d),
              tlm::TLM_OK_RESPONSE);
    for (bool priv : {false, true})
      EXPECT_FALSE(ep.translate_cached(5, true, 0x10000, false, priv).has_value()) << priv;
  };
  sc_core::sc_start();
  EXPECT_EQ(ep.atc().occupancy(), 0u);
  EXPECT_EQ(ep.atc().entries_invalidated(), 2u);
}

// Messages this function does not own, or cannot read, are refused at once and change
// nothing.
TEST(PcieAtsEndpoint, ForeignAndMalformedMessagesRefused) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpoint ep("ep", params_for(3));
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    ep.dma_access(access(0x10000), d);
    const Command all = atc_inv(3, 0, arch::kAtcInvSizeAll);
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(smmu.send_inv(atc_inv(4, 0, arch::kAtcInvSizeAll), d),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);  // another StreamID
    EXPECT_EQ(smmu.send_inv(Command(Opcode::kTlbiNhAll).set_sid(3), d),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);  // not ATC_INV
    EXPECT_EQ(smmu.send_inv(all, d, tlm::TLM_READ_COMMAND), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(smmu.send_inv(all, d, tlm::TLM_WRITE_COMMAND, 8), tlm::TLM_BURST_ERROR_RESPONSE);
    EXPECT_EQ(d, sc_core::SC_ZERO_TIME);
    EXPECT_TRUE(ep.translate_cached(0, false, 0x10000, false).has_value());
    // The same command for this StreamID does clear it.
    EXPECT_EQ(smmu.send_inv(all, d), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(d, ns(500));
    EXPECT_EQ(ep.atc().occupancy(), 0u);
  };
  sc_core::sc_start();
  EXPECT_EQ(ep.stats().inv_messages, 5u);
  EXPECT_EQ(ep.stats().invalidations_received, 1u);
  EXPECT_EQ(ep.stats().invalidation_answers, 1u);
  EXPECT_EQ(ep.atc().invalidations(), 1u);
}

// answer_invalidations = false: the ATC is invalidated but the message is never
// completed, so the SMMU's CMD_SYNC would time out.
TEST(PcieAtsEndpoint, UnansweredInvalidationStaysIncomplete) {
  FakeSmmu smmu("smmu");
  smmu.mappings.push_back({false, 0, 0x10000, 12, 0x80000});
  AtsEndpointParams p = params_for(3);
  p.answer_invalidations = false;
  AtsEndpoint ep("ep", p);
  bind(smmu, ep);
  smmu.body = [&] {
    sc_time d;
    ep.dma_access(access(0x10000), d);
    d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(smmu.send_inv(atc_inv(3, 0x10000, 0), d), tlm::TLM_INCOMPLETE_RESPONSE);
    EXPECT_EQ(d, sc_core::SC_ZERO_TIME);
  };
  sc_core::sc_start();
  EXPECT_EQ(ep.atc().occupancy(), 0u);
  EXPECT_EQ(ep.stats().invalidations_received, 1u);
  EXPECT_EQ(ep.stats().invalidation_answers, 0u);
}

// --- configuration ---

TEST(PcieAtsEndpoint, BadParamsNameTheKey) {
  auto message = [](const AtsEndpointParams& p) -> std::string {
    try {
      validate_ats_endpoint_params(p);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  AtsEndpointParams p = params_for(7);
  p.traffic = {stream(7, 0, 1), stream(8, 0, 1)};
  EXPECT_NE(message(p).find("traffic stream 1: 'sid' (8)"), std::string::npos) << message(p);
  p.traffic[1].sid = 7;
  EXPECT_EQ(message(p), "");
  p.traffic[0].size = 0;
  EXPECT_NE(message(p).find("traffic stream 0: 'size'"), std::string::npos);
  p = params_for(7);
  p.atc.sets = 3;
  EXPECT_NE(message(p).find("atc.sets"), std::string::npos);
  // The constructor checks too, before it builds anything.
  p = params_for(7);
  p.traffic = {stream(9, 0, 1)};
  EXPECT_THROW(AtsEndpoint("ep", p), std::invalid_argument);
}

TEST(PcieAtsEndpoint, NoTrafficIsFinished) {
  AtsEndpoint ep("ep", params_for(1));
  EXPECT_TRUE(ep.finished());
  EXPECT_EQ(ep.stream_count(), 0u);
  EXPECT_EQ(ep.total_stats().transactions(), 0u);
  EXPECT_EQ(ep.atc().capacity(), 64u);
  EXPECT_THROW(ep.stream_stats(0), std::out_of_range);
}

}  // namespace
}  // namespace smmu::model
