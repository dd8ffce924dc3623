// SPDX-License-Identifier: Apache-2.0
#include "platform/scenario/scenario.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "platform/config/config_reader.h"
#include "rtl_model/arch/registers.h"
#include "rtl_model/common/set_associative_cache.h"

namespace smmu::platform {

using nlohmann::json;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// "4 KiB", "256 MiB", else hex: sizes in messages read like the inputs.
std::string format_size(uint64_t v) {
  static const char* const kUnits[] = {"TiB", "GiB", "MiB", "KiB"};
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned shift = 40 - 10 * i;
    if (v != 0 && v % (uint64_t{1} << shift) == 0)
      return std::to_string(v >> shift) + " " + kUnits[i];
  }
  return std::to_string(v);
}

std::string range(uint64_t base, uint64_t size) {
  return "[" + hex(base) + ", " + hex(base + size) + ")";
}


uint64_t get_size(const ConfigReader& r, const std::string& key, uint64_t def, uint64_t min,
                  uint64_t max = UINT64_MAX) {
  const json* v = r.raw(key);
  if (!v) return def;
  if (!v->is_string()) return r.get_uint(key, def, min, max);
  uint64_t out = 0;
  try {
    out = parse_size(v->get<std::string>());
  } catch (const std::invalid_argument& e) {
    r.fail(key, e.what());
  }
  if (out < min || out > max) {
    const std::string bounds = max == UINT64_MAX ? ">= " + format_size(min)
                                                 : "in [" + format_size(min) + ", " +
                                                       format_size(max) + "]";
    r.fail(key, "expected a size " + bounds + ", got " + v->dump());
  }
  return out;
}

// Every time of a scenario: at most kMaxTimePs, so that sums of times stay far from
// sc_time's 2^64 ps.
sc_core::sc_time read_time(const ConfigReader& r, const std::string& key, const sc_core::sc_time& def,
                           uint64_t min_ps = 0, uint64_t max_ps = kMaxTimePs) {
  return r.get_time(key, def, min_ps, max_ps);
}

// An array given for `key` has at most `max` entries (`what` names them).
void check_entries(const ConfigReader& r, const std::string& key, size_t max,
                   const std::string& what = "entries") {
  const json* v = r.raw(key);
  if (v && v->is_array() && v->size() > max)
    r.fail(key, "expected at most " + std::to_string(max) + " " + what + ", got " +
                    std::to_string(v->size()));
}

// An array of objects of at most `max` entries.
std::vector<ConfigReader> read_array(const ConfigReader& r, const std::string& key, size_t max) {
  check_entries(r, key, max);
  return r.get_array(key);
}

uint64_t get_pow2(const ConfigReader& r, const std::string& key, uint64_t def, uint64_t max) {
  const uint64_t v = r.get_uint(key, def, 1, max);
  if (v & (v - 1)) r.fail(key, "expected a power of two, got " + std::to_string(v));
  return v;
}

model::ReplacementPolicy get_policy(const ConfigReader& r, model::ReplacementPolicy def) {
  return model::parse_replacement_policy(
      r.get_string("policy", model::to_string(def), {"lru", "fifo", "random"}));
}

// The ATC (the SMMU's caches are bounded by model::smmu_param_table()): bounded so that a
// typo cannot allocate gigabytes of lines.
constexpr uint64_t kMaxSets = 1 << 14;
constexpr uint64_t kMaxWays = 64;

// Reads the parameters of `table` into o, each key under r ("timing.link_cycles": r's
// timing object); an absent key keeps o's value. Entries whose key starts with `skip`
// are left out.
template <typename Owner>
void read_params(const ConfigReader& r, const std::vector<model::Param<Owner>>& table, Owner& o,
                 const std::string& skip = {}) {
  for (const model::Param<Owner>& p : table) {
    const std::string key = p.key;
    if (!skip.empty() && key.compare(0, skip.size(), skip) == 0) continue;
    const size_t dot = key.rfind('.');
    const ConfigReader c = dot == std::string::npos ? r : r.get_object(key.substr(0, dot));
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    std::visit(
        [&](auto get) {
          auto& v = get(o);
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            v = c.get_bool(leaf, v);
          } else if constexpr (std::is_same_v<T, unsigned>) {
            if (!p.allowed.empty()) {
              const uint64_t x = c.get_uint(leaf, v, 0, UINT32_MAX);
              if (std::find(p.allowed.begin(), p.allowed.end(), x) == p.allowed.end())
                c.fail(leaf, "expected one of " + model::param_range_text(p) + ", got " + std::to_string(x));
              v = static_cast<unsigned>(x);
            } else {
              const uint64_t x = c.get_uint(leaf, v, p.min, p.max);
              if (p.pow2 && (x & (x - 1)))
                c.fail(leaf, std::string(p.min == 0 ? "expected 0 or a power of two" : "expected a power of two") +
                                 ", got " + std::to_string(x));
              v = static_cast<unsigned>(x);
            }
          } else if constexpr (std::is_same_v<T, sc_core::sc_time>) {
            v = c.get_time(leaf, v, p.min, p.max);
          } else {
            v = model::parse_replacement_policy(
                c.get_string(leaf, model::to_string(v), {"lru", "fifo", "random"}));
          }
        },
        p.access);
  }
}

// What the table cannot say: rules between features, and the memory they must reach.
void check_features(const ConfigReader& f, const model::SmmuFeatures& F, uint64_t memory_size) {
  if (!F.gran4k && !F.gran16k && !F.gran64k)
    f.fail("gran4k", "at least one of gran4k, gran16k and gran64k must be true");
  // Without LPA2, 52-bit VAs and PAs exist only with the 64K granule (IHI 0070 §6.3.6).
  if (F.va52 && !F.gran64k) f.fail("va52", "52-bit VAs need gran64k (no LPA2)");
  if (F.oas_bits == 52 && !F.gran64k) f.fail("oas_bits", "52 bits need gran64k (no LPA2)");
  if (F.oas_bits < 64 && memory_size > (uint64_t{1} << F.oas_bits))
    f.fail("oas_bits", "a " + std::to_string(F.oas_bits) + "-bit output size cannot reach the " +
                           "translation tables at the top of the " + format_size(memory_size) +
                           " memory");
  // IDR1.ECMDQ needs COHACC and MSI (IHI 0070 §6.3.2).
  if (F.ecmdqs && !(F.coherent && F.msi)) f.fail("ecmdqs", "ECMDQs need coherent and msi");
}

template <typename Params>
void read_cache(const ConfigReader& c, Params& p) {
  p.sets = static_cast<unsigned>(get_pow2(c, "sets", p.sets, kMaxSets));
  p.ways = static_cast<unsigned>(c.get_uint("ways", p.ways, 1, kMaxWays));
  p.policy = get_policy(c, p.policy);
}

constexpr unsigned kMaxPorts = 64;

// One TBU of smmus[].tbus[]: its micro TLBs default to the SMMU's, it has no main TLB
// unless one is given.
model::TbuLayout read_tbu(const ConfigReader& r, const model::SmmuParams& smmu, unsigned ports) {
  model::TbuLayout t;
  r.require("ports");
  check_entries(r, "ports", ports, "ports (the SMMU has " + std::to_string(ports) + ")");
  for (uint64_t p : r.get_uint_array("ports", 0, UINT32_MAX)) {
    if (p >= ports)
      r.fail("ports", "the SMMU has no port " + std::to_string(p) + " (it has " +
                          std::to_string(ports) + ")");
    t.ports.push_back(static_cast<unsigned>(p));
  }
  if (t.ports.empty()) r.fail("ports", "expected at least one port");
  t.micro_tlb = smmu.micro_tlb;
  if (r.has("main_tlb")) t.main_tlb.emplace();
  read_params(r, model::tbu_param_table(), t, t.main_tlb ? "" : "main_tlb.");
  return t;
}

// smmus[].tbus: every port of the SMMU served by exactly one TBU.
void read_tbus(const ConfigReader& r, SmmuSpec& s) {
  if (!r.has("tbus")) return;
  const std::vector<ConfigReader> tbus = read_array(r, "tbus", s.ports);
  if (tbus.empty()) r.fail("tbus", "expected at least one TBU (or no tbus key: one TBU for every port)");
  std::vector<int> served_by(s.ports, -1);
  for (size_t j = 0; j < tbus.size(); ++j) {
    s.params.tbus.push_back(read_tbu(tbus[j], s.params, s.ports));
    for (unsigned p : s.params.tbus.back().ports) {
      if (served_by[p] >= 0)
        tbus[j].fail("ports", "port " + std::to_string(p) + " is already served by tbus[" +
                                  std::to_string(served_by[p]) + "]");
      served_by[p] = static_cast<int>(j);
    }
  }
  for (unsigned p = 0; p < s.ports; ++p)
    if (served_by[p] < 0)
      r.fail("tbus", "no TBU serves port " + std::to_string(p) + " (every port of the SMMU needs one)");
}

SmmuSpec read_smmu(const ConfigReader& r, uint64_t memory_size) {
  SmmuSpec s;
  model::SmmuParams& p = s.params;
  s.ports = static_cast<unsigned>(r.get_uint("ports", 1, 1, kMaxPorts));
  read_params(r, model::smmu_param_table(), p);
  check_features(r.get_object("features"), p.features, memory_size);
  s.atschk = r.get_bool("atschk", false);
  if (s.atschk && !p.features.ats)
    r.fail("atschk", "needs ATS, but features.ats is false");
  read_tbus(r, s);
  return s;
}

Translation parse_translation(const std::string& s) {
  if (s == "s1") return Translation::kS1;
  if (s == "s2") return Translation::kS2;
  if (s == "nested") return Translation::kNested;
  if (s == "bypass") return Translation::kBypass;
  return Translation::kAbort;
}

uint64_t low_mask(unsigned bits) { return bits >= 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1; }

// Checks that [base, base + size) of every mapping, as picked by `field`, are pairwise
// disjoint; names the later mapping of an overlapping pair.
template <typename Field>
void check_disjoint(const std::vector<ConfigReader>& readers, const std::vector<MappingSpec>& ms,
                    const char* key, Field field) {
  std::vector<size_t> order(ms.size());
  for (size_t i = 0; i < ms.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return field(ms[a]) != field(ms[b]) ? field(ms[a]) < field(ms[b]) : a < b;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const MappingSpec& prev = ms[order[k - 1]];
    const MappingSpec& cur = ms[order[k]];
    if (field(cur) < field(prev) + prev.size) {
      const size_t later = std::max(order[k - 1], order[k]);
      const size_t earlier = std::min(order[k - 1], order[k]);
      readers[later].fail(key, range(field(ms[later]), ms[later].size) + " overlaps mappings[" +
                                   std::to_string(earlier) + "] " +
                                   range(field(ms[earlier]), ms[earlier].size));
    }
  }
}

// The input address size of a stream's translation: the CD's 48-bit VA range with stage
// 1, else the IPA size (the driver's and the table builder's stage 2: OAS, at most 48).
unsigned input_bits(const StreamSpec& s, const Scenario& sc) {
  const unsigned max_ipa = std::min(sc.smmus[s.smmu].params.features.oas_bits, 48u);
  return has_stage1(s.translation) ? kStage1InputBits : max_ipa;
}

MappingSpec read_mapping(const ConfigReader& m, const StreamSpec& s, const Scenario& sc) {
  const model::SmmuFeatures& F = sc.smmus[s.smmu].params.features;
  const uint64_t granule = uint64_t{1} << s.granule_shift;
  MappingSpec out;
  m.require("iova");
  m.require("pa");
  m.require("size");
  out.iova = m.get_uint("iova", 0);
  out.pa = m.get_uint("pa", 0);
  out.size = get_size(m, "size", 0, 1);
  if (s.translation == Translation::kNested) {
    out.ipa = m.get_uint("ipa", out.pa);
  } else if (m.has("ipa")) {
    m.fail("ipa", s.translation == Translation::kS2
                      ? "only nested streams have one (the iova of an s2 stream is its IPA)"
                      : "only nested streams have an intermediate address");
  }
  out.blocks = m.get_bool("blocks", true);
  out.read_only = m.get_bool("read_only", false);

  auto check_aligned = [&](const char* key, uint64_t v) {
    if (v % granule)
      m.fail(key, hex(v) + " is not aligned to the stream's " + format_size(granule) + " granule");
  };
  check_aligned("iova", out.iova);
  check_aligned("pa", out.pa);
  if (s.translation == Translation::kNested) check_aligned("ipa", out.ipa);
  check_aligned("size", out.size);

  const uint64_t table_base = sc.table_region_base();
  if (out.pa > table_base || out.size > table_base - out.pa)
    m.fail("pa", range(out.pa, out.size) + " reaches into the translation-table region " +
                     range(table_base, kTableRegionSize) +
                     " at the top of memory: DMA buffers must end by " + hex(table_base));

  const unsigned max_ipa = std::min(F.oas_bits, 48u);
  const unsigned in_bits = input_bits(s, sc);
  if (out.iova > low_mask(in_bits) || out.size - 1 > low_mask(in_bits) - out.iova)
    m.fail("iova", range(out.iova, out.size) + " does not fit the " + std::to_string(in_bits) +
                       "-bit " + (has_stage1(s.translation) ? "stage-1 input" : "IPA") + " range");
  if (s.translation == Translation::kNested) {
    if (out.ipa > low_mask(max_ipa) || out.size - 1 > low_mask(max_ipa) - out.ipa)
      m.fail("ipa", range(out.ipa, out.size) + " does not fit the " + std::to_string(max_ipa) +
                        "-bit IPA range");
    // The stage-1 tables of a nested stream sit at IPA == PA in the table region.
    if (out.ipa < sc.memory.size && out.ipa + out.size > table_base)
      m.fail("ipa", range(out.ipa, out.size) + " overlaps the IPAs of the guest's tables " +
                        range(table_base, kTableRegionSize));
  }
  return out;
}

StreamSpec read_stream(const ConfigReader& r, const Scenario& sc) {
  StreamSpec s;
  s.smmu = static_cast<unsigned>(r.get_uint("smmu", 0, 0, UINT32_MAX));
  if (s.smmu >= sc.smmus.size())
    r.fail("smmu", "no SMMU " + std::to_string(s.smmu) + " (the scenario has " +
                       std::to_string(sc.smmus.size()) + ")");
  const std::string smmu_name = "smmus[" + std::to_string(s.smmu) + "]";
  const model::SmmuFeatures& F = sc.smmus[s.smmu].params.features;

  s.sid = static_cast<uint32_t>(r.get_uint("sid", 0, 0, UINT32_MAX));
  if (s.sid > low_mask(F.sid_bits))
    r.fail("sid", std::to_string(s.sid) + " does not fit " + smmu_name + ".features.sid_bits (" +
                      std::to_string(F.sid_bits) + ")");

  const std::string tname =
      r.get_string("translation", "s1", {"s1", "s2", "nested", "bypass", "abort"});
  s.translation = parse_translation(tname);
  if (has_stage1(s.translation) && !F.stage1)
    r.fail("translation", "\"" + tname + "\" needs stage 1, but " + smmu_name +
                              ".features.stage1 is false");
  if (has_stage2(s.translation) && !F.stage2)
    r.fail("translation", "\"" + tname + "\" needs stage 2, but " + smmu_name +
                              ".features.stage2 is false");

  const uint64_t granule = get_size(r, "granule", 4096, 1);
  const bool supported = (granule == 4096 && F.gran4k) || (granule == 16384 && F.gran16k) ||
                         (granule == 65536 && F.gran64k);
  if (granule != 4096 && granule != 16384 && granule != 65536)
    r.fail("granule", "expected 4096, 16384 or 65536, got " + std::to_string(granule));
  if (!supported)
    r.fail("granule", format_size(granule) + " is not supported by " + smmu_name + ".features");
  s.granule_shift = granule == 4096 ? 12 : granule == 16384 ? 14 : 16;

  if (sc.setup == Setup::kDriver) {
    for (const char* key : {"asid", "vmid"})
      if (r.has(key))
        r.fail(key, "the driver allocates ASIDs and VMIDs with setup \"driver\" (remove the key, "
                    "or use setup \"tables\")");
    if (r.has("ssids") && s.translation != Translation::kS1 &&
        r.get_uint_array("ssids", 0, UINT32_MAX) != std::vector<uint64_t>{0})
      r.fail("ssids", "the driver attaches stage-1 (s1) domains at PASIDs only");
  }
  s.domain = r.get_string("domain", "", {});
  if (!s.domain.empty() && sc.setup != Setup::kDriver)
    r.fail("domain", "shared domains need setup \"driver\"");
  if (!s.domain.empty() && s.translation != Translation::kS1 && s.translation != Translation::kS2)
    r.fail("domain", "only s1 and s2 streams can share a domain");
  const uint64_t asid_mask = F.asid16 ? 0xffff : 0xff;
  const uint64_t vmid_mask = F.vmid16 ? 0xffff : 0xff;
  s.asid = static_cast<uint16_t>(r.get_uint("asid", s.sid & asid_mask, 0, asid_mask));
  // Stage-1-only streams default to VMID 0, as Linux's stage-1 domains (their TLB
  // entries carry STE.S2VMID when the SMMU has stage 2; TLBI_NH_* name it).
  s.vmid = static_cast<uint16_t>(
      r.get_uint("vmid", has_stage2(s.translation) ? s.sid & vmid_mask : 0, 0, vmid_mask));

  if (r.has("ssids")) {
    if (!has_stage1(s.translation))
      r.fail("ssids", "only stage-1 streams (s1, nested) have substreams");
    check_entries(r, "ssids", kMaxArrayEntries, "SubstreamIDs");
    const auto ssids = r.get_uint_array("ssids", 0, low_mask(F.ssid_bits));
    if (ssids.empty()) r.fail("ssids", "expected at least one SubstreamID");
    s.ssids.clear();
    std::set<uint64_t> seen;
    for (uint64_t v : ssids) {
      if (!seen.insert(v).second) r.fail("ssids", "SubstreamID " + std::to_string(v) + " given twice");
      s.ssids.push_back(static_cast<uint32_t>(v));
    }
  }

  s.sva = r.get_bool("sva", false);
  if (s.sva) {
    if (sc.setup != Setup::kDriver) r.fail("sva", "SVA bindings need setup \"driver\"");
    if (s.translation != Translation::kS1) r.fail("sva", "an SVA binding is a stage-1 (s1) stream");
    if (s.granule_shift != 12) r.fail("granule", "an SVA process's pages are 4 KiB");
    if (std::find(s.ssids.begin(), s.ssids.end(), 0u) != s.ssids.end())
      r.fail("ssids", "an SVA binding is at PASIDs: list non-zero SubstreamIDs");
  }
  s.ats = r.get_bool("ats", false);
  if (s.ats && !F.ats)
    r.fail("ats", "needs ATS, but " + smmu_name + ".features.ats is false");
  if (s.ats && (s.translation == Translation::kBypass || s.translation == Translation::kAbort))
    r.fail("ats", "a stream with translation \"" + tname + "\" answers no ATS requests");

  const std::vector<ConfigReader> ms = read_array(r, "mappings", kMaxArrayEntries);
  if (!ms.empty() && (s.translation == Translation::kBypass || s.translation == Translation::kAbort))
    r.fail("mappings", "a stream with translation \"" + tname + "\" has no mappings");
  for (const ConfigReader& m : ms) s.mappings.push_back(read_mapping(m, s, sc));
  check_disjoint(ms, s.mappings, "iova", [](const MappingSpec& m) { return m.iova; });
  if (s.translation == Translation::kNested)
    check_disjoint(ms, s.mappings, "ipa", [](const MappingSpec& m) { return m.ipa; });
  return s;
}

// Streams of one SMMU must not share a SID, and their TLB tags must not clash: stage-1
// streams each need their own ASID, stage-2 streams their own VMID (otherwise TLB and
// walk-cache entries of one would serve the other).
void check_stream_tags(const std::vector<ConfigReader>& readers, const Scenario& sc) {
  struct Seen {
    std::map<uint32_t, size_t> sids, asids, vmids;
  };
  std::vector<Seen> seen(sc.smmus.size());
  auto clash = [&](const ConfigReader& r, const char* key, const std::string& what, size_t other,
                   unsigned smmu, const std::string& why) {
    r.fail(key, what + " is already used by streams[" + std::to_string(other) + "] on smmus[" +
                    std::to_string(smmu) + "]" + why);
  };
  for (size_t i = 0; i < sc.streams.size(); ++i) {
    const StreamSpec& s = sc.streams[i];
    Seen& k = seen[s.smmu];
    if (!k.sids.emplace(s.sid, i).second) {
      // The driver attaches domains at PASIDs: stage-1 streams of one device (one SID)
      // may name different PASIDs, each attached to its stream's domain.
      const StreamSpec& o = sc.streams[k.sids[s.sid]];
      const bool pasids = sc.setup == Setup::kDriver && s.translation == Translation::kS1 &&
                          o.translation == Translation::kS1;
      if (!pasids)
        clash(readers[i], "sid", "SID " + std::to_string(s.sid), k.sids[s.sid], s.smmu,
              sc.setup == Setup::kDriver ? " (only s1 streams may share a SID, at different ssids)" : "");
      if (o.ats != s.ats)
        readers[i].fail("ats", "differs from streams[" + std::to_string(k.sids[s.sid]) +
                                   "], a stream of the same device (SID " + std::to_string(s.sid) + ")");
      for (size_t j = 0; j < i; ++j) {
        const StreamSpec& p = sc.streams[j];
        if (p.smmu != s.smmu || p.sid != s.sid) continue;
        for (uint32_t ssid : s.ssids)
          if (std::find(p.ssids.begin(), p.ssids.end(), ssid) != p.ssids.end())
            readers[i].fail("ssids", "SubstreamID " + std::to_string(ssid) + " of SID " +
                                         std::to_string(s.sid) + " is already streams[" +
                                         std::to_string(j) + "]'s");
      }
    }
    if (sc.setup == Setup::kDriver) continue;  // the driver allocates the tags
    if (has_stage1(s.translation) && !k.asids.emplace(s.asid, i).second)
      clash(readers[i], "asid", "ASID " + std::to_string(s.asid), k.asids[s.asid], s.smmu,
            " (stage-1 streams need distinct ASIDs; the default is the SID)");
    if (has_stage2(s.translation) && !k.vmids.emplace(s.vmid, i).second)
      clash(readers[i], "vmid", "VMID " + std::to_string(s.vmid), k.vmids[s.vmid], s.smmu,
            " (stage-2 streams need distinct VMIDs; the default is the SID)");
  }
}

// The SMMU index under `key`, checked against the scenario.
unsigned read_smmu_index(const ConfigReader& r, const Scenario& sc) {
  const unsigned smmu = static_cast<unsigned>(r.get_uint("smmu", 0, 0, UINT32_MAX));
  if (smmu >= sc.smmus.size())
    r.fail("smmu", "no SMMU " + std::to_string(smmu) + " (the scenario has " +
                       std::to_string(sc.smmus.size()) + ")");
  return smmu;
}

unsigned read_port(const ConfigReader& r, const Scenario& sc, unsigned smmu) {
  const unsigned ports = sc.smmus[smmu].ports;
  const unsigned port = static_cast<unsigned>(r.get_uint("port", 0, 0, UINT32_MAX));
  if (port >= ports)
    r.fail("port", "smmus[" + std::to_string(smmu) + "] has no port " + std::to_string(port) +
                       " (it has " + std::to_string(ports) + ")");
  return port;
}

// The keys of one DMA stream, but smmu, port and sid.
model::TrafficStream read_traffic_stream(const ConfigReader& r, uint32_t sid) {
  model::TrafficStream s;
  s.sid = sid;
  s.ssid = static_cast<uint32_t>(r.get_uint("ssid", 0, 0, 0xfffff));
  s.ssv = r.get_bool("ssv", false);
  s.base = r.get_uint("base", 0);
  s.length = get_size(r, "length", 4096, 1);
  const std::string pattern = r.get_string("pattern", "sequential", {"sequential", "strided", "random"});
  s.pattern = pattern == "sequential" ? model::TrafficStream::kSequential
              : pattern == "strided"  ? model::TrafficStream::kStrided
                                      : model::TrafficStream::kRandom;
  s.stride = get_size(r, "stride", 4096, 1);
  // Bus transactions do not cross a 4 KiB boundary.
  s.size = static_cast<unsigned>(r.get_uint("size", 64, 1, 4096));
  s.write_fraction = r.get_double("write_fraction", 0.0, 0.0, 1.0);
  s.count = r.get_uint("count", 1000, 0, kMaxTransactions);
  s.outstanding = static_cast<unsigned>(r.get_uint("outstanding", 1, 1, 1024));
  s.start_time = read_time(r, "start", sc_core::SC_ZERO_TIME);
  s.gap = read_time(r, "gap", sc_core::SC_ZERO_TIME);
  s.seed = r.get_uint("seed", 1);
  s.privileged = r.get_bool("privileged", false);
  s.instruction = r.get_bool("instruction", false);
  if (s.length < s.size)
    r.fail("length", std::to_string(s.length) + " is smaller than one transaction (size " +
                         std::to_string(s.size) + ")");
  if (s.base + (s.length - 1) < s.base) r.fail("length", "the region wraps past 2^64");
  return s;
}

TrafficSpec read_traffic(const ConfigReader& r, const Scenario& sc) {
  TrafficSpec t;
  t.smmu = read_smmu_index(r, sc);
  t.port = read_port(r, sc, t.smmu);
  const uint32_t sid = static_cast<uint32_t>(r.get_uint("sid", 0, 0, UINT32_MAX));
  t.stream = read_traffic_stream(r, sid);
  t.stream.dmi = r.get_bool("dmi", false);  // a generator's; ATS devices translate via ATS
  return t;
}

AtsDeviceSpec read_ats_device(const ConfigReader& r, const Scenario& sc) {
  AtsDeviceSpec d;
  d.smmu = read_smmu_index(r, sc);
  const std::string smmu_name = "smmus[" + std::to_string(d.smmu) + "]";
  d.port = read_port(r, sc, d.smmu);
  // A port has one master: a traffic generator or an ATS device.
  for (size_t k = 0; k < sc.traffic.size(); ++k)
    if (sc.traffic[k].smmu == d.smmu && sc.traffic[k].port == d.port)
      r.fail("port", "port " + std::to_string(d.port) + " of " + smmu_name +
                         " is already used by traffic[" + std::to_string(k) +
                         "] (a port has either traffic entries or one ATS device)");
  for (size_t j = 0; j < sc.ats_devices.size(); ++j)
    if (sc.ats_devices[j].smmu == d.smmu && sc.ats_devices[j].port == d.port)
      r.fail("port", "port " + std::to_string(d.port) + " of " + smmu_name +
                         " is already used by ats_devices[" + std::to_string(j) + "]");

  model::AtsEndpointParams& p = d.params;
  p.sid = static_cast<uint32_t>(r.get_uint("sid", 0, 0, UINT32_MAX));
  const bool has_stream = std::any_of(sc.streams.begin(), sc.streams.end(), [&](const StreamSpec& s) {
    return s.smmu == d.smmu && s.sid == p.sid;
  });
  if (!has_stream)
    r.fail("sid", "no stream of " + smmu_name + " has SID " + std::to_string(p.sid) +
                      " (an ATS device needs one)");
  for (size_t j = 0; j < sc.ats_devices.size(); ++j)
    if (sc.ats_devices[j].smmu == d.smmu && sc.ats_devices[j].params.sid == p.sid)
      r.fail("sid", "SID " + std::to_string(p.sid) + " is already used by ats_devices[" +
                        std::to_string(j) + "] on " + smmu_name);
  p.pcie_round_trip = read_time(r, "pcie_round_trip", p.pcie_round_trip);
  p.ats_enabled = r.get_bool("ats_enabled", p.ats_enabled);
  p.answer_invalidations = r.get_bool("answer_invalidations", p.answer_invalidations);
  p.quantum = sc.quantum;
  const ConfigReader atc = r.get_object("atc");
  read_cache(atc, p.atc);
  p.atc.lookup = read_time(atc, "lookup", p.atc.lookup);
  for (const ConfigReader& t : read_array(r, "traffic", kMaxArrayEntries)) {
    for (const char* key : {"smmu", "port", "sid"})
      if (t.has(key))
        t.fail(key, std::string("an ATS device's traffic uses the device's ") + key);
    p.traffic.push_back(read_traffic_stream(t, p.sid));
  }
  try {
    model::validate_ats_endpoint_params(p);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(r.path() + ": " + e.what());
  }
  return d;
}

// --- commands

// The fields each opcode has, as named in a scenario (the fact sheet's table).
const std::vector<std::string>& fields_of(arch::Opcode op) {
  using arch::Opcode;
  static const std::vector<std::string> kNone, kSidOnly{"sid"}, kPrefetchConfig{"sid", "ssid", "ssv"},
      kPrefetchAddr{"sid", "ssid", "ssv", "addr", "size"}, kCfgiSte{"sid", "leaf"},
      kCfgiSteRange{"sid", "range"}, kCfgiCd{"sid", "ssid", "leaf"}, kVmid{"vmid"},
      kVmidAsid{"vmid", "asid"}, kAsid{"asid"},
      kNhVa{"vmid", "asid", "addr", "leaf", "tg", "ttl", "num", "scale"},
      kNhVaa{"vmid", "addr", "leaf", "tg", "ttl", "num", "scale"},
      kEl2Va{"asid", "addr", "leaf", "tg", "ttl", "num", "scale"},
      kEl2Vaa{"addr", "leaf", "tg", "ttl", "num", "scale"},
      kS2Ipa{"vmid", "ipa", "leaf", "tg", "ttl", "num", "scale"},
      kAtcInv{"sid", "ssid", "ssv", "global", "addr", "size"}, kSync{"cs"};
  switch (op) {
    case Opcode::kPrefetchConfig: return kPrefetchConfig;
    case Opcode::kPrefetchAddr: return kPrefetchAddr;
    case Opcode::kCfgiSte: return kCfgiSte;
    case Opcode::kCfgiSteRange: return kCfgiSteRange;
    case Opcode::kCfgiCd: return kCfgiCd;
    case Opcode::kCfgiCdAll: return kSidOnly;
    case Opcode::kTlbiNhAll: return kVmid;
    case Opcode::kTlbiNhAsid: return kVmidAsid;
    case Opcode::kTlbiNhVa: return kNhVa;
    case Opcode::kTlbiNhVaa: return kNhVaa;
    case Opcode::kTlbiEl2All: return kNone;
    case Opcode::kTlbiEl2Asid: return kAsid;
    case Opcode::kTlbiEl2Va: return kEl2Va;
    case Opcode::kTlbiEl2Vaa: return kEl2Vaa;
    case Opcode::kTlbiS12Vmall: return kVmid;
    case Opcode::kTlbiS2Ipa: return kS2Ipa;
    case Opcode::kTlbiNsnhAll: return kNone;
    case Opcode::kAtcInv: return kAtcInv;
    case Opcode::kPriResp: return kPrefetchConfig;  // sid, ssid, ssv (GRPID, RESP 0)
    case Opcode::kResume: return kSidOnly;
    case Opcode::kStallTerm: return kSidOnly;
    case Opcode::kSync: return kSync;
  }
  return kNone;
}

const std::vector<std::string>& opcode_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (unsigned op = 0; op < 256; ++op)
      if (arch::opcode_known(static_cast<uint8_t>(op)))
        v.push_back(arch::to_string(static_cast<arch::Opcode>(op)));
    return v;
  }();
  return names;
}

arch::Command read_command(const ConfigReader& r) {
  using arch::Opcode;
  r.require("op");
  const std::string name = r.get_string("op", "", opcode_names());
  Opcode op{};
  parse_opcode(name, op);
  arch::Command c(op);
  const std::vector<std::string>& mine = fields_of(op);
  static const char* const kAll[] = {"sid", "ssid", "ssv", "vmid", "asid", "addr", "ipa", "leaf",
                                     "tg", "ttl", "num", "scale", "range", "size", "global", "cs"};
  for (const char* f : kAll) {
    if (!r.has(f) || std::find(mine.begin(), mine.end(), f) != mine.end()) continue;
    std::string list;
    for (const std::string& m : mine) list += (list.empty() ? "" : ", ") + m;
    r.fail(f, name + " has no field " + f + " (its fields: " + (list.empty() ? "none" : list) + ")");
  }
  auto aligned = [&](const char* key, uint64_t max) {
    const uint64_t v = r.get_uint(key, 0, 0, max);
    if (v & 0xfff) r.fail(key, hex(v) + " is not 4 KiB aligned (the command holds bits [..:12])");
    return v;
  };
  auto small = [&](const char* key, uint64_t max) {
    return static_cast<uint8_t>(r.get_uint(key, 0, 0, max));
  };
  for (const std::string& f : mine) {
    if (f == "sid") c.set_sid(static_cast<uint32_t>(r.get_uint("sid", 0, 0, UINT32_MAX)));
    else if (f == "ssid") c.set_ssid(static_cast<uint32_t>(r.get_uint("ssid", 0, 0, 0xfffff)));
    else if (f == "ssv") c.set_ssv(r.get_bool("ssv", false));
    else if (f == "vmid") c.set_vmid(static_cast<uint16_t>(r.get_uint("vmid", 0, 0, 0xffff)));
    else if (f == "asid") c.set_asid(static_cast<uint16_t>(r.get_uint("asid", 0, 0, 0xffff)));
    else if (f == "addr") c.set_addr(aligned("addr", UINT64_MAX));
    else if (f == "ipa") c.set_ipa(aligned("ipa", low_mask(52)));
    else if (f == "leaf") c.set_leaf(r.get_bool("leaf", false));
    else if (f == "tg") c.set_tg(small("tg", 3));
    else if (f == "ttl") c.set_ttl(small("ttl", 3));
    else if (f == "num") c.set_num(small("num", 31));
    else if (f == "scale") c.set_scale(small("scale", 31));
    else if (f == "range") c.set_range(small("range", 31));
    else if (f == "size") c.set_size(small("size", op == Opcode::kAtcInv ? 63 : 31));
    else if (f == "global") c.set_global(r.get_bool("global", false));
    else if (f == "cs") {
      const std::string cs = r.get_string("cs", "irq", {"irq", "sev", "none"});
      c.set_cs(cs == "irq" ? arch::SyncCs::kIrq : cs == "sev" ? arch::SyncCs::kSev : arch::SyncCs::kNone);
    }
  }
  return c;
}

CommandBatchSpec read_command_batch(const ConfigReader& r, const Scenario& sc) {
  CommandBatchSpec b;
  b.smmu = read_smmu_index(r, sc);
  b.at = read_time(r, "at", sc_core::SC_ZERO_TIME);
  r.require("commands");
  const std::vector<ConfigReader> cmds = read_array(r, "commands", kMaxArrayEntries);
  if (cmds.empty()) r.fail("commands", "expected at least one command");
  for (const ConfigReader& c : cmds) b.commands.push_back(read_command(c));
  return b;
}

// Streams sharing a domain: one translation and granule, and mappings that are either
// the same in both or do not overlap (the domain maps their union).
void check_shared_domains(const std::vector<ConfigReader>& readers, const Scenario& sc) {
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < sc.streams.size(); ++i) {
    const StreamSpec& s = sc.streams[i];
    if (s.domain.empty()) continue;
    const auto [it, fresh] = first.emplace(s.domain, i);
    if (fresh) continue;
    const StreamSpec& f = sc.streams[it->second];
    const std::string other = "streams[" + std::to_string(it->second) + "]";
    if (f.translation != s.translation || f.granule_shift != s.granule_shift || f.sva != s.sva)
      readers[i].fail("domain", "\"" + s.domain + "\" is " + other + "'s domain, which has another "
                                "translation, granule or sva");
    for (const MappingSpec& m : s.mappings)
      for (const MappingSpec& o : f.mappings) {
        const bool same = m.iova == o.iova && m.pa == o.pa && m.size == o.size && m.read_only == o.read_only;
        if (!same && m.iova < o.iova + o.size && o.iova < m.iova + m.size)
          readers[i].fail("mappings", "overlaps a different mapping of the shared domain \"" +
                                          s.domain + "\" (" + other + ")");
      }
  }
}

// The stream an entry names by smmu, sid and (default 0) ssid: the one attached there.
size_t find_stream(const ConfigReader& r, const Scenario& sc) {
  const unsigned smmu = read_smmu_index(r, sc);
  r.require("sid");
  const uint64_t sid = r.get_uint("sid", 0, 0, UINT32_MAX);
  const uint64_t ssid = r.get_uint("ssid", 0, 0, 0xfffff);
  bool sid_found = false;
  for (size_t i = 0; i < sc.streams.size(); ++i) {
    const StreamSpec& s = sc.streams[i];
    if (s.smmu != smmu || s.sid != sid) continue;
    sid_found = true;
    if (std::find(s.ssids.begin(), s.ssids.end(), ssid) != s.ssids.end()) return i;
  }
  if (sid_found)
    r.fail("ssid", "no stream of SID " + std::to_string(sid) + " on smmus[" + std::to_string(smmu) +
                       "] lists SubstreamID " + std::to_string(ssid));
  r.fail("sid", "no stream with SID " + std::to_string(sid) + " on smmus[" + std::to_string(smmu) + "]");
  return 0;
}

DriverOpSpec read_driver_op(const ConfigReader& r, const Scenario& sc) {
  DriverOpSpec o;
  r.require("op");
  const std::string op = r.get_string("op", "", {"map", "unmap", "remap", "inv_range"});
  o.op = op == "map"     ? DriverOpSpec::Op::kMap
         : op == "unmap" ? DriverOpSpec::Op::kUnmap
         : op == "remap" ? DriverOpSpec::Op::kRemap
                         : DriverOpSpec::Op::kInvRange;
  o.at = read_time(r, "at", sc_core::SC_ZERO_TIME);
  o.cpu = static_cast<unsigned>(r.get_uint("cpu", 0, 0, sc.cpus.count - 1));
  o.domain = r.get_string("domain", "", {});
  if (o.domain.empty()) {
    o.stream = find_stream(r, sc);
  } else {
    // A shared domain by its name: it may span SMMUs, so no smmu or sid goes with it.
    for (const char* key : {"smmu", "sid", "ssid"})
      if (r.has(key)) r.fail(key, "give either domain or smmu and sid, not both");
    const auto it = std::find_if(sc.streams.begin(), sc.streams.end(),
                                 [&](const StreamSpec& s) { return s.domain == o.domain; });
    if (it == sc.streams.end()) r.fail("domain", "no stream has domain \"" + o.domain + "\"");
    o.stream = static_cast<size_t>(it - sc.streams.begin());
  }
  const StreamSpec& s = sc.streams[o.stream];
  if (s.translation != Translation::kS1 && s.translation != Translation::kS2)
    r.fail("sid", "the stream's translation is \"" + std::string(to_string(s.translation)) +
                      "\": driver_ops change s1 and s2 domains only");
  const uint64_t g = uint64_t{1} << s.granule_shift;
  r.require("iova");
  r.require("size");
  o.iova = r.get_uint("iova", 0);
  o.size = get_size(r, "size", 0, g);
  if (o.iova % g) r.fail("iova", "not aligned to the stream's granule (" + format_size(g) + ")");
  if (o.size % g) r.fail("size", "not a multiple of the stream's granule (" + format_size(g) + ")");
  // The domain's input range, as for the stream's mappings (the driver's page table
  // would refuse the rest).
  const unsigned in_bits = input_bits(s, sc);
  if (o.iova > low_mask(in_bits) || o.size - 1 > low_mask(in_bits) - o.iova)
    r.fail(o.iova > low_mask(in_bits) ? "iova" : "size",
           range(o.iova, o.size) + " does not fit the domain's " + std::to_string(in_bits) +
               "-bit input range");
  if (o.op == DriverOpSpec::Op::kMap || o.op == DriverOpSpec::Op::kRemap) {
    r.require("pa");
    o.pa = r.get_uint("pa", 0);
    if (o.pa % g) r.fail("pa", "not aligned to the stream's granule (" + format_size(g) + ")");
    const uint64_t table_base = sc.table_region_base();
    if (o.pa > table_base || o.size > table_base - o.pa)
      r.fail("pa", range(o.pa, o.size) + " must lie below the table region at " + hex(table_base));
  }
  return o;
}

// --- workloads

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kWorkloadBufferMax = kMiB;
constexpr uint64_t kWorkloadCountMax = 1'000'000;
constexpr uint64_t kIovaWindow = 64 * kGiB;       // default IOVA ranges are windows of this size
constexpr uint64_t kFirstIova = 256 * kMiB;       // the first window starts here (IOVA 0 is "none")

bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

// Streams share a domain when they name the same one; a stream without a name is alone.
bool same_domain(const Scenario& sc, size_t a, size_t b) {
  if (a == b) return true;
  const std::string& da = sc.streams[a].domain;
  return !da.empty() && da == sc.streams[b].domain;
}

// The first mapping of the workload's domain that overlaps [base, limit), or nullptr.
const MappingSpec* domain_mapping_in(const Scenario& sc, size_t stream, uint64_t base, uint64_t limit) {
  for (size_t i = 0; i < sc.streams.size(); ++i) {
    if (!same_domain(sc, stream, i)) continue;
    for (const MappingSpec& m : sc.streams[i].mappings)
      if (overlaps(m.iova, m.size, base, limit - base)) return &m;
  }
  return nullptr;
}

// The first other workload with an IOVA range in the same domain overlapping [base, limit).
int workload_range_in(const Scenario& sc, const std::vector<WorkloadSpec>& ws, size_t self,
                      uint64_t base, uint64_t limit) {
  for (size_t j = 0; j < ws.size(); ++j) {
    const WorkloadSpec& o = ws[j];
    if (j == self || o.iova_limit == 0 || !same_domain(sc, ws[self].stream, o.stream)) continue;
    if (overlaps(o.iova_base, o.iova_limit - o.iova_base, base, limit - base)) return static_cast<int>(j);
  }
  return -1;
}

// The stream a workload names: the one of that SMMU and SID attached at the RID
// (SubstreamID 0), since the device's DMA carries no PASID; s1 or s2 (a paging domain).
size_t find_workload_stream(const ConfigReader& r, const Scenario& sc, unsigned smmu, uint32_t sid) {
  bool sid_found = false;
  for (size_t i = 0; i < sc.streams.size(); ++i) {
    const StreamSpec& s = sc.streams[i];
    if (s.smmu != smmu || s.sid != sid) continue;
    sid_found = true;
    if (std::find(s.ssids.begin(), s.ssids.end(), 0u) == s.ssids.end()) continue;
    if (s.translation != Translation::kS1 && s.translation != Translation::kS2)
      r.fail("sid", "the stream's translation is \"" + std::string(to_string(s.translation)) +
                        "\": a dma_api workload needs an s1 or s2 (paging) domain");
    return i;
  }
  r.fail("sid", sid_found ? "no stream of SID " + std::to_string(sid) + " on smmus[" + std::to_string(smmu) +
                                "] is attached at SubstreamID 0 (the workload's DMA carries no PASID)"
                          : "no stream with SID " + std::to_string(sid) + " on smmus[" +
                                std::to_string(smmu) + "]");
  return 0;
}

// A time key in whole nanoseconds (the DMA API's clock).
uint64_t read_ns(const ConfigReader& r, const std::string& key, uint64_t def_ns, uint64_t min_ns) {
  const uint64_t ps = r.get_time_ps(key, def_ns * 1000, min_ns * 1000, kMaxTimePs);
  if (ps % 1000) r.fail(key, "expected whole nanoseconds, got " + std::to_string(ps) + " ps");
  return ps / 1000;
}

WorkloadSpec read_workload(const ConfigReader& r, const Scenario& sc) {
  WorkloadSpec w;
  r.require("kind");
  r.get_string("kind", "", {"dma_api"});
  r.require("cpus");
  check_entries(r, "cpus", sc.cpus.count, "CPUs (the scenario has " + std::to_string(sc.cpus.count) + ")");
  std::set<uint64_t> seen;
  for (uint64_t c : r.get_uint_array("cpus", 0, sc.cpus.count - 1)) {
    if (!seen.insert(c).second) r.fail("cpus", "CPU " + std::to_string(c) + " given twice");
    w.cpus.push_back(static_cast<unsigned>(c));
  }
  if (w.cpus.empty()) r.fail("cpus", "expected at least one CPU");
  w.smmu = read_smmu_index(r, sc);
  r.require("sid");
  w.sid = static_cast<uint32_t>(r.get_uint("sid", 0, 0, UINT32_MAX));
  w.stream = find_workload_stream(r, sc, w.smmu, w.sid);
  const StreamSpec& s = sc.streams[w.stream];
  if (r.has("port")) {
    w.port = read_port(r, sc, w.smmu);
  } else {
    const auto t = std::find_if(sc.traffic.begin(), sc.traffic.end(), [&](const TrafficSpec& t) {
      return t.smmu == w.smmu && t.stream.sid == w.sid;
    });
    w.port = t != sc.traffic.end() ? t->port : 0;
  }
  w.buffer = get_size(r, "buffer", 4096, 4096, kWorkloadBufferMax);
  if (w.buffer % 4096) r.fail("buffer", "expected a multiple of 4 KiB, got " + std::to_string(w.buffer));
  w.lazy = r.get_string("policy", "strict", {"strict", "lazy"}) == "lazy";
  w.count = r.get_uint("count", w.count, 1, kWorkloadCountMax);
  w.io_ns = read_ns(r, "io", 0, 0);
  w.start = read_time(r, "start", sc_core::SC_ZERO_TIME);
  w.fq_entries = static_cast<unsigned>(r.get_uint("fq_entries", w.fq_entries, 1, 65536));
  w.fq_timeout_ns = read_ns(r, "fq_timeout", w.fq_timeout_ns, 1);

  const uint64_t g = uint64_t{1} << s.granule_shift;
  const uint64_t input_end = low_mask(input_bits(s, sc)) + 1;  // at most 2^48
  if (r.has("iova_base") || r.has("iova_limit")) {
    r.require("iova_base");
    r.require("iova_limit");
    w.iova_base = r.get_uint("iova_base", 0);
    w.iova_limit = r.get_uint("iova_limit", 0);
    if (w.iova_base < g || w.iova_base % g)
      r.fail("iova_base", hex(w.iova_base) + " must be a non-zero multiple of the stream's " +
                              format_size(g) + " granule");
    if (w.iova_limit % g) r.fail("iova_limit", "not aligned to the stream's " + format_size(g) + " granule");
    if (w.iova_limit > input_end)
      r.fail("iova_limit", hex(w.iova_limit) + " is beyond the domain's " +
                               std::to_string(input_bits(s, sc)) + "-bit input range");
    if (w.iova_limit <= w.iova_base || w.iova_limit - w.iova_base < 2 * kWorkloadBufferMax)
      r.fail("iova_limit", "[" + hex(w.iova_base) + ", " + hex(w.iova_limit) + ") must hold at least 2 MiB");
    if (const MappingSpec* m = domain_mapping_in(sc, w.stream, w.iova_base, w.iova_limit))
      r.fail("iova_base", "the range " + range(w.iova_base, w.iova_limit - w.iova_base) +
                              " overlaps the domain's mapping " + range(m->iova, m->size));
  }
  if (r.has("pa")) {
    w.pa = r.get_uint("pa", 0);
    if (w.pa % 4096) r.fail("pa", hex(w.pa) + " is not 4 KiB aligned");
    const uint64_t table_base = sc.table_region_base();
    if (w.pa > table_base || w.area() > table_base - w.pa)
      r.fail("pa", range(w.pa, w.area()) + " (one buffer per CPU) must lie below the table region at " +
                       hex(table_base));
  } else {
    w.pa = UINT64_MAX;  // placed once every workload is read
  }
  return w;
}

// The default IOVA range of workloads[k]: the first window clear of its domain's
// mappings and of other workloads' ranges there.
void place_iova(const ConfigReader& r, const Scenario& sc, std::vector<WorkloadSpec>& ws, size_t k) {
  WorkloadSpec& w = ws[k];
  const uint64_t input_end = low_mask(input_bits(sc.streams[w.stream], sc)) + 1;
  for (uint64_t lo = 0; lo < input_end; lo += kIovaWindow) {
    const uint64_t base = std::max(lo, kFirstIova);
    const uint64_t limit = std::min(lo + kIovaWindow, input_end);
    if (limit <= base || limit - base < 2 * kWorkloadBufferMax) continue;
    if (domain_mapping_in(sc, w.stream, base, limit) || workload_range_in(sc, ws, k, base, limit) >= 0) continue;
    w.iova_base = base;
    w.iova_limit = limit;
    return;
  }
  r.fail("iova_base", "no 64 GiB window of the domain's input range is clear of its mappings and "
                      "workloads: give iova_base and iova_limit");
}

// The default buffer area of workloads[k]: top down from the table region, below every
// mapping's PA and every other workload's area it would overlap.
void place_pa(const ConfigReader& r, const Scenario& sc, std::vector<WorkloadSpec>& ws, size_t k) {
  WorkloadSpec& w = ws[k];
  const uint64_t size = w.area();
  uint64_t top = sc.table_region_base();
  for (;;) {
    if (top < size) r.fail("pa", "no room for " + format_size(size) + " of buffers below the mappings' PAs: give pa");
    const uint64_t pa = top - size;
    uint64_t lowest = UINT64_MAX;  // the lowest start of what [pa, top) overlaps
    for (const StreamSpec& s : sc.streams)
      for (const MappingSpec& m : s.mappings)
        if (overlaps(m.pa, m.size, pa, size)) lowest = std::min(lowest, m.pa);
    for (size_t j = 0; j < ws.size(); ++j)
      if (j != k && ws[j].pa != UINT64_MAX && overlaps(ws[j].pa, ws[j].area(), pa, size))
        lowest = std::min(lowest, ws[j].pa);
    if (lowest == UINT64_MAX) {
      w.pa = pa;
      return;
    }
    top = lowest & ~uint64_t{0xfff};
  }
}

void read_workloads(const ConfigReader& root, Scenario& sc) {
  const std::vector<ConfigReader> rs = read_array(root, "workloads", kMaxArrayEntries);
  if (!rs.empty() && sc.setup != Setup::kDriver) root.fail("workloads", "workloads need setup \"driver\"");
  for (const ConfigReader& r : rs) {
    sc.workloads.push_back(read_workload(r, sc));
    const size_t k = sc.workloads.size() - 1;
    const WorkloadSpec& w = sc.workloads[k];
    if (w.iova_limit == 0) continue;
    const int other = workload_range_in(sc, sc.workloads, k, w.iova_base, w.iova_limit);
    if (other >= 0)
      r.fail("iova_base", "the range " + range(w.iova_base, w.iova_limit - w.iova_base) +
                              " overlaps workloads[" + std::to_string(other) + "]'s in the same domain");
  }
  for (size_t k = 0; k < rs.size(); ++k)
    if (sc.workloads[k].iova_limit == 0) place_iova(rs[k], sc, sc.workloads, k);
  for (size_t k = 0; k < rs.size(); ++k)
    if (sc.workloads[k].pa == UINT64_MAX) place_pa(rs[k], sc, sc.workloads, k);
}

}  // namespace

const char* to_string(DriverOpSpec::Op op) {
  switch (op) {
    case DriverOpSpec::Op::kMap: return "map";
    case DriverOpSpec::Op::kUnmap: return "unmap";
    case DriverOpSpec::Op::kRemap: return "remap";
    case DriverOpSpec::Op::kInvRange: return "inv_range";
  }
  return "?";
}

const char* to_string(Translation t) {
  switch (t) {
    case Translation::kS1: return "s1";
    case Translation::kS2: return "s2";
    case Translation::kNested: return "nested";
    case Translation::kBypass: return "bypass";
    case Translation::kAbort: return "abort";
  }
  return "?";
}

bool parse_opcode(const std::string& name, arch::Opcode& op) {
  for (unsigned v = 0; v < 256; ++v) {
    const uint8_t raw = static_cast<uint8_t>(v);
    if (arch::opcode_known(raw) && name == arch::to_string(static_cast<arch::Opcode>(raw))) {
      op = static_cast<arch::Opcode>(raw);
      return true;
    }
  }
  return false;
}

uint64_t parse_size(const std::string& text) {
  static const struct {
    const char* name;
    unsigned shift;
  } kUnits[] = {{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}};
  std::string number = text;
  unsigned shift = 0;
  for (const auto& u : kUnits) {
    const std::string n(u.name);
    if (text.size() > n.size() && text.compare(text.size() - n.size(), n.size(), n) == 0) {
      number = text.substr(0, text.size() - n.size());
      shift = u.shift;
      break;
    }
  }
  while (!number.empty() && number.back() == ' ') number.pop_back();
  uint64_t v = 0;
  if (!parse_uint_text(number, v))
    throw std::invalid_argument("expected a size such as 4096, \"0x1000\" or \"4 KiB\" (KiB, "
                                "MiB, GiB, TiB), got \"" + text + "\"");
  if (shift && v > (UINT64_MAX >> shift))
    throw std::invalid_argument("size \"" + text + "\" does not fit in 64 bits");
  return v << shift;
}

Scenario read_scenario(const json& doc) {
  const ConfigReader root(doc, kScenarioRoot);
  Scenario sc;
  sc.duration = read_time(root, "duration", sc_core::SC_ZERO_TIME);
  sc.quantum = read_time(root, "quantum", sc.quantum, 1);
  sc.setup = root.get_string("setup", "driver", {"driver", "tables"}) == "driver" ? Setup::kDriver
                                                                                : Setup::kTables;
  const ConfigReader cpus = root.get_object("cpus");
  sc.cpus.count = static_cast<unsigned>(cpus.get_uint("count", 1, 1, 64));
  sc.cpus.cached_access = read_time(cpus, "cached_access", sc.cpus.cached_access);
  const ConfigReader drv = root.get_object("driver");
  sc.driver.completion = drv.get_string("completion", "msi", {"msi", "cons", "irq"});
  sc.driver.inv_all_then_wait = drv.get_bool("inv_all_then_wait", false);
  sc.driver.event_log = static_cast<unsigned>(drv.get_uint("event_log", sc.driver.event_log, 0, 1024));
  sc.driver.ecmdqs = static_cast<unsigned>(drv.get_uint("ecmdqs", sc.driver.ecmdqs, 0, 1u << arch::reg::kMaxLog2NumQ));
  sc.driver.event_handler_delay = read_time(drv, "event_handler_delay", sc.driver.event_handler_delay);
  sc.driver.cmdq_design = drv.get_string("cmdq_design", sc.driver.cmdq_design, {"locked", "cas_loop", "fetch_add"});

  const ConfigReader mem = root.get_object("memory");
  sc.memory.size = get_size(mem, "size", sc.memory.size, kMinMemorySize, kMaxMemorySize);
  if (sc.memory.size % (2 * kMiB))
    mem.fail("size", "expected a multiple of 2 MiB, got " + std::to_string(sc.memory.size));
  sc.memory.read_latency = read_time(mem, "read_latency", sc.memory.read_latency);
  sc.memory.write_latency = read_time(mem, "write_latency", sc.memory.write_latency);
  sc.interconnect.latency = read_time(root.get_object("interconnect"), "latency", sc.interconnect.latency);

  if (root.has("smmus")) {
    const auto smmus = read_array(root, "smmus", kMaxSmmus);
    if (smmus.empty()) root.fail("smmus", "expected at least one SMMU");
    for (const ConfigReader& s : smmus) sc.smmus.push_back(read_smmu(s, sc.memory.size));
  } else {
    sc.smmus.push_back(SmmuSpec{});
  }

  const auto streams = read_array(root, "streams", kMaxStreams);
  for (const ConfigReader& s : streams) sc.streams.push_back(read_stream(s, sc));
  check_stream_tags(streams, sc);
  check_shared_domains(streams, sc);
  for (const ConfigReader& t : read_array(root, "traffic", kMaxArrayEntries)) sc.traffic.push_back(read_traffic(t, sc));
  for (const ConfigReader& d : read_array(root, "ats_devices", kMaxArrayEntries))
    sc.ats_devices.push_back(read_ats_device(d, sc));
  uint64_t transactions = 0;  // each entry is at most kMaxTransactions: no overflow
  for (const TrafficSpec& t : sc.traffic) transactions += t.stream.count;
  for (const AtsDeviceSpec& d : sc.ats_devices)
    for (const model::TrafficStream& t : d.params.traffic) transactions += t.count;
  if (transactions > kMaxTransactions)
    root.fail("traffic", "the traffic entries (ats_devices' included) ask for " + std::to_string(transactions) +
                             " transactions; at most " + std::to_string(kMaxTransactions) + " in a scenario");
  const std::vector<ConfigReader> batches = read_array(root, "commands", kMaxArrayEntries);
  if (!batches.empty() && sc.setup == Setup::kDriver)
    root.fail("commands", "raw commands would race the driver's command queue: with setup "
                          "\"driver\" use driver_ops (or setup \"tables\")");
  for (const ConfigReader& c : batches) sc.commands.push_back(read_command_batch(c, sc));
  const std::vector<ConfigReader> ops = read_array(root, "driver_ops", kMaxArrayEntries);
  if (!ops.empty() && sc.setup != Setup::kDriver)
    root.fail("driver_ops", "driver operations need setup \"driver\"");
  for (const ConfigReader& o : ops) sc.driver_ops.push_back(read_driver_op(o, sc));
  read_workloads(root, sc);

  root.finish();
  return sc;
}

json default_scenario_json() {
  return json::parse(default_scenario_text(), nullptr, /*allow_exceptions=*/true,
                     /*ignore_comments=*/true);
}

json load_scenario_document(const std::string& path, const std::vector<std::string>& overrides) {
  json doc = path.empty() ? default_scenario_json() : load_json_file(path);
  for (const std::string& o : overrides) apply_override(doc, o);
  return doc;
}

}  // namespace smmu::platform
