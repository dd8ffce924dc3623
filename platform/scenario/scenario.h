// SPDX-License-Identifier: Apache-2.0
// The smmu-sim scenario: what SoC to build (memory, interconnect, SMMUs), which streams
// each SMMU translates and how, what DMA traffic runs (traffic generators and ATS
// devices), and which commands software issues when. Read strictly from JSON: every key
// is optional with a documented default (README, "smmu-sim: scenarios and reports"), an
// unknown key or a bad value is a ConfigError naming its path
// ("scenario.smmus[0].main_tlb.ways: ...").
//
// read_scenario also checks everything the SoC construction would otherwise reject
// later (SMMU parameters, cross references, mapping alignment and overlaps, ASID/VMID
// clashes), so a bad scenario fails before any SystemC module exists.
//
// Keys and defaults (times: "10 ns" or a number of ns; sizes: a number, "0x1000" or
// "4 KiB"/"2 MiB"/"4 GiB"; addresses: a number or "0x8000_0000"):
//   duration "0 ns" (0: until all traffic is done, the driver ops have run and the
//   command batches are consumed), quantum "1 us", setup "driver" ("tables"),
//   cpus.{count 1, cached_access "2 ns"}, driver.{completion "msi" ("cons", "irq"),
//   inv_all_then_wait false, event_log 16 (0..1024), event_handler_delay "0 ns", ecmdqs 0
//   (0..256)},
//   driver_ops[]: at "0 ns", cpu 0, op (required: "map",
//   "unmap", "remap", "inv_range"), smmu 0 and sid (required), or domain (a name of
//   streams[].domain), iova, size (required), pa (map, remap); streams[].domain (setup
//   "driver": shared by name). With setup
//   "driver", streams' asid/vmid and commands[] are errors; an s1 stream's ssids attach
//   its domain at those PASIDs (0: the RID; s1 streams of one SID may list different
//   SSIDs, the device's PASID width is the SMMU's ssid_bits), driver_ops pick one by
//   ssid (default 0), and sva true binds a process built from the mappings instead of a
//   DMA domain (non-zero ssids only, 4 KiB granule).
//   memory: size "4 GiB" (512 MiB..64 GiB, a multiple of 2 MiB), read_latency "50 ns",
//           write_latency "50 ns"
//   interconnect: latency "0 ns"
//   smmus[] (default: one SMMU with every default): ports 1, atschk false (CR0.ATSCHK:
//     check pre-translated traffic against the STE); the SmmuParams keys (grant_dmi,
//     features.*, timing.*, micro_tlb.*, main_tlb.*, walk_cache.*, config_cache.*), with
//     their values and defaults, are model::smmu_param_table()
//     (rtl_model/smmu/smmu_param_table.h; README, "SMMU parameters and defaults")
//     tbus[] (absent: one TBU serves every port): ports (required, SMMU port numbers in
//       binding order; every port of the SMMU in exactly one TBU) and the keys of
//       model::tbu_param_table(): micro_tlb defaults to the SMMU's, main_tlb absent or
//       null: none
//   streams[]: smmu 0, sid 0, translation "s1" ("s2", "nested", "bypass", "abort"),
//     granule 4096 (16384, 65536; both stages), asid = sid, vmid = sid (s2, nested; 0
//     for the others, as Linux's stage-1 domains: it tags their TLB entries), ssids [0]
//     (stage 1 only; more than one, or a non-zero one, gives a CD table with S1DSS =
//     substream 0), mappings[]: iova, pa, size (required, granule aligned), ipa (nested
//     only, default pa), blocks true, read_only false. PAs must lie below the table
//     region (the last 256 MiB of memory).
//   traffic[]: smmu 0, port 0, sid 0, ssid 0, ssv false, base 0, length 4096, pattern
//     "sequential" ("strided", "random"), stride 4096, size 64 (1..4096),
//     write_fraction 0, count 1000, outstanding 1, start "0 ns", gap "0 ns", seed 1,
//     privileged false, instruction false, dmi false (use the DMI the SMMU grants).
//     Traffic may name a SID without a stream.
//   Additions for ATS and commands:
//   streams[].ats false (true: STE.EATS = 1, full ATS; needs features.ats and a stream
//     that translates: s1, s2 or nested)
//   ats_devices[]: smmu 0, port 0 (an upstream port no traffic entry uses), sid 0 (a
//     stream of that SMMU must have it), pcie_round_trip "500 ns", ats_enabled true,
//     answer_invalidations true, atc.{sets 16, ways 4, policy "lru", lookup "2 ns"},
//     traffic[] (the keys of traffic[] but smmu, port, sid and dmi)
//   commands[]: smmu 0, at "0 ns", commands[] (at least one): op (required; the
//     architectural name without CMD_ but CMD_SYNC, e.g. "TLBI_NH_VA", "ATC_INV",
//     "CMD_SYNC") and the fields the opcode has, all 0 / false by default: sid, ssid, ssv,
//     vmid, asid, addr (4 KiB aligned), ipa (4 KiB aligned), leaf, tg, ttl, num, scale,
//     range, size, global, cs ("irq" (default), "sev", "none"). The scenario's stand-in
//     for software until the firmware driver issues commands itself.
//   driver.cmdq_design "locked" ("cas_loop", "fetch_add"): how CPUs share each SMMU's
//     command queue (driver/command_queue.h).
//   workloads[] (setup "driver"): kind (required: "dma_api"), cpus (required: CPU
//     indexes, distinct, < cpus.count), smmu 0 and sid (required: an s1 or s2 stream;
//     the workload maps into its domain), port (default: the port of the first traffic
//     entry of that smmu and sid, else 0), buffer "4 KiB" (a multiple of 4 KiB up to
//     1 MiB), policy "strict" ("lazy"), count 100 (map+unmap per CPU, 1..1e6), io "0 ns"
//     and fq_timeout "10 ms" (whole ns), start "0 ns" (after the set-up), fq_entries 256
//     (1..65536), iova_base / iova_limit (granule aligned, inside the domain's input
//     range, clear of its mappings and of other workloads' ranges in that domain;
//     default: the first 64 GiB window [k * 64 GiB, (k + 1) * 64 GiB), the first one
//     starting at 256 MiB and the last one cut at the input range's end, that is clear),
//     pa (4 KiB aligned; default: an area of one buffer per CPU placed top down below
//     the table region, clear of every mapping's PA and of the other workloads' areas).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc>

#include "rtl_model/mem/memory.h"
#include "rtl_model/mem/router.h"
#include "rtl_model/arch/command.h"
#include "rtl_model/mem/traffic_stream.h"
#include "rtl_model/pcie/ats_endpoint.h"
#include "rtl_model/smmu/smmu_param_table.h"
#include "rtl_model/smmu/smmu_params.h"

namespace smmu::platform {

// The address map of the simulated SoC.
constexpr uint64_t kSmmuWindowBase = uint64_t{0x10} << 32;  // SMMU i at base + i * 192 KiB
// Tables, queues and nested streams' stage-1 structures live in the last 256 MiB of
// memory, so that DMA buffers (mappings' PAs) below it never collide with them.
constexpr uint64_t kTableRegionSize = uint64_t{256} << 20;
constexpr uint64_t kMinMemorySize = uint64_t{512} << 20;
constexpr uint64_t kMaxMemorySize = kSmmuWindowBase;  // memory ends below the SMMU windows
// Stage-1 input size of the CDs the SoC writes (T0SZ 16).
constexpr unsigned kStage1InputBits = 48;

// Limits of one scenario (README, "Limits"): beyond them an input is a typo rather than
// a plan, and would cost memory or run time without bound.
constexpr uint64_t kMaxTransactions = 100'000'000;  // all traffic entries together
constexpr size_t kMaxArrayEntries = 4096;  // traffic[], ats_devices[].traffic[], commands[]
                                           // (and their commands[]), driver_ops[], workloads[],
                                           // streams[].mappings[], streams[].ssids
constexpr size_t kMaxStreams = 65536;
constexpr size_t kMaxSmmus = 64;
constexpr uint64_t kMaxTimePs = model::kMaxParamTimePs;  // 1000 s, any time key

// The root of every key path in messages.
constexpr const char* kScenarioRoot = "scenario";

enum class Translation { kS1, kS2, kNested, kBypass, kAbort };
const char* to_string(Translation t);
inline bool has_stage1(Translation t) { return t == Translation::kS1 || t == Translation::kNested; }
inline bool has_stage2(Translation t) { return t == Translation::kS2 || t == Translation::kNested; }

// One contiguous mapping of a stream. s1: iova (VA) -> pa. s2: iova (IPA) -> pa.
// nested: stage 1 maps iova -> ipa, stage 2 maps ipa -> pa.
struct MappingSpec {
  uint64_t iova = 0;
  uint64_t pa = 0;
  uint64_t ipa = 0;  // nested only; equals pa unless given
  uint64_t size = 0;
  bool blocks = true;  // use block descriptors where alignment allows
  bool read_only = false;
};

struct StreamSpec {
  unsigned smmu = 0;
  // setup "driver": streams naming the same domain share one (one page table, a tag on
  // each SMMU); empty: a domain of its own.
  std::string domain;
  uint32_t sid = 0;
  Translation translation = Translation::kS1;
  unsigned granule_shift = 12;  // both stages
  uint16_t asid = 0;            // stage 1: ASID of every CD of the stream
  uint16_t vmid = 0;            // STE.S2VMID (tags stage-1-only entries too)
  std::vector<uint32_t> ssids{0};  // stage 1: the CDs written (they share tables and ASID)
  std::vector<MappingSpec> mappings;
  bool ats = false;  // STE.EATS = 1 (full ATS)
  // setup "driver", s1: the mappings are a process's (its own stage-1 table, a CPU-side
  // ProcessMm), bound as an SVA domain at the stream's PASIDs; streams naming the same
  // domain share the process. driver_ops change the process's mappings.
  bool sva = false;
  // Stage 1 uses a CD table with substreams (S1DSS = substream 0) rather than one CD.
  bool substreams() const { return ssids.size() > 1 || ssids.at(0) != 0; }
};

struct TrafficSpec {
  unsigned smmu = 0;
  unsigned port = 0;
  model::TrafficStream stream;
};

struct SmmuSpec {
  unsigned ports = 1;
  bool atschk = false;  // CR0.ATSCHK
  model::SmmuParams params;
};

// An ATS-capable PCIe endpoint on an SMMU upstream port (instead of a traffic generator).
// params.quantum is the scenario's quantum; every traffic stream has params.sid.
struct AtsDeviceSpec {
  unsigned smmu = 0;
  unsigned port = 0;
  model::AtsEndpointParams params;
};

// Commands written into an SMMU's command queue at one time, as a driver would. A
// CMD_SYNC with CS = IRQ gets its MSI address (its own queue slot, MSIDATA 0, as Linux
// does) when the SoC writes it, if the SMMU has MSIs.
struct CommandBatchSpec {
  unsigned smmu = 0;
  sc_core::sc_time at = sc_core::SC_ZERO_TIME;
  std::vector<arch::Command> commands;
};

// Who sets translation up: the firmware driver on simulated CPUs (streams become
// domains and masters, commands come from the driver), or the host-side table builder
// before simulation (raw `commands[]` then stand in for software).
enum class Setup { kDriver, kTables };

struct CpuSpec {
  unsigned count = 1;
  sc_core::sc_time cached_access{2, sc_core::SC_NS};
};

struct DriverSpec {
  std::string completion = "msi";  // "msi", "cons" or "irq"
  bool inv_all_then_wait = false;
  unsigned event_log = 16;  // decoded event records kept (and reported) per SMMU
  unsigned ecmdqs = 0;      // ECMDQs the driver uses per SMMU (of those it offers); CPU c on c % n
  std::string cmdq_design = "locked";  // "locked", "cas_loop" or "fetch_add"
  // The event handler's delay from its interrupt to its drain.
  sc_core::sc_time event_handler_delay = sc_core::SC_ZERO_TIME;
};

// Something software does on a CPU after set-up (setup "driver").
struct DriverOpSpec {
  enum class Op { kMap, kUnmap, kRemap, kInvRange };
  Op op = Op::kUnmap;
  sc_core::sc_time at = sc_core::SC_ZERO_TIME;  // after the set-up finished
  unsigned cpu = 0;
  size_t stream = 0;  // index into Scenario::streams: its domain
  std::string domain;  // the shared domain's name when the op named it (else by sid)
  uint64_t iova = 0, size = 0, pa = 0;
};
const char* to_string(DriverOpSpec::Op op);

// A DMA-API workload (setup "driver"): each of its CPUs, from `start` after the set-up,
// runs `count` times: map a buffer through the DMA API on the stream's domain (one
// DmaApi per workload, shared by its CPUs), let the device write every 4 KiB page of it
// through `port`, `io_ns` of other CPU work, unmap.
struct WorkloadSpec {
  std::vector<unsigned> cpus;  // CPU indexes; CPU cpus[i] uses buffer i
  unsigned smmu = 0;
  uint32_t sid = 0;
  size_t stream = 0;           // index into Scenario::streams
  unsigned port = 0;
  uint64_t buffer = 4096;      // bytes per map
  bool lazy = false;           // "lazy": a flush queue; else "strict"
  uint64_t count = 100;        // map+unmap per CPU
  uint64_t io_ns = 0;
  sc_core::sc_time start = sc_core::SC_ZERO_TIME;
  uint64_t iova_base = 0, iova_limit = 0;
  uint64_t pa = 0;             // buffer i at pa + i * buffer
  unsigned fq_entries = 256;
  uint64_t fq_timeout_ns = 10'000'000;
  uint64_t area() const { return buffer * cpus.size(); }
};

struct Scenario {
  Setup setup = Setup::kDriver;
  CpuSpec cpus;
  DriverSpec driver;
  std::vector<DriverOpSpec> driver_ops;
  std::vector<WorkloadSpec> workloads;
  sc_core::sc_time duration = sc_core::SC_ZERO_TIME;  // zero: until all traffic is done
  sc_core::sc_time quantum{1, sc_core::SC_US};
  model::MemoryParams memory;
  model::RouterParams interconnect;
  std::vector<SmmuSpec> smmus;
  std::vector<StreamSpec> streams;
  std::vector<TrafficSpec> traffic;
  std::vector<AtsDeviceSpec> ats_devices;
  std::vector<CommandBatchSpec> commands;

  Scenario() { memory.size = uint64_t{4} << 30; }
  uint64_t table_region_base() const { return memory.size - kTableRegionSize; }
};

// Reads and checks a scenario document. Throws ConfigError naming the key.
Scenario read_scenario(const nlohmann::json& doc);

// The opcode whose name (arch::to_string) is `name`; false when none is.
bool parse_opcode(const std::string& name, arch::Opcode& op);

// The built-in scenario, as text (JSON with // comments) and parsed.
const std::string& default_scenario_text();
nlohmann::json default_scenario_json();

// The scenario document smmu-sim runs: the file (or the built-in default when path is
// empty) with the --set overrides applied in order. Throws ConfigError.
nlohmann::json load_scenario_document(const std::string& path,
                                      const std::vector<std::string>& overrides);

// A byte count: a JSON integer, a decimal or 0x string, or a string with a binary unit
// ("64 KiB", "4 GiB"; KiB, MiB, GiB, TiB). Throws std::invalid_argument with a reason.
uint64_t parse_size(const std::string& text);

}  // namespace smmu::platform
