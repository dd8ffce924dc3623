// SPDX-License-Identifier: Apache-2.0
// The scenario smmu-sim runs when none is given (smmu-sim --print-default-scenario shows
// it). Small enough to run in a fraction of a second, large enough to exercise every
// cache: micro-TLB, main-TLB, walk-cache and config-cache hits and misses, an ATS
// device's ATC, and the driver's invalidations (range TLBIs, ATC_INV, CMD_SYNC); no
// faults. The firmware driver on a simulated CPU sets everything up.
#include "platform/scenario/scenario.h"

namespace smmu::platform {

const std::string& default_scenario_text() {
  static const std::string kText = R"json(// smmu-sim's built-in scenario: one SMMU with three ports and four devices.
// Every key is optional; see README.md, "smmu-sim: scenarios and reports", for all
// keys and their defaults.
{
  "duration": "0 ns",        // 0: run until all traffic and driver operations are done
  "quantum": "1 us",         // temporal decoupling of the CPUs, traffic generators and devices
  "setup": "driver",         // the firmware driver sets the SMMU up (on CPU 0, from time 0)
  "cpus": {"count": 1, "cached_access": "2 ns"},
  "driver": {"completion": "msi", "inv_all_then_wait": false, "event_log": 16,
             "event_handler_delay": "0 ns"},
  "memory": {"size": "4 GiB", "read_latency": "50 ns", "write_latency": "50 ns"},
  "interconnect": {"latency": "0 ns"},
  "smmus": [
    {"ports": 3, "atschk": false}  // default features, caches and timing
  ],
  "streams": [
    // A device with its own stage-1 address space: 8 MiB of 4 KiB pages.
    {"sid": 1, "translation": "s1", "granule": 4096,
     "mappings": [{"iova": "0x4000_0000", "pa": "0x1000_0000", "size": "8 MiB", "blocks": false}]},
    // A device assigned to a VM (stage 2 only): 128 MiB of guest RAM in 2 MiB blocks.
    {"sid": 2, "translation": "s2", "granule": 4096,
     "mappings": [{"iova": "0x8000_0000", "pa": "0x2000_0000", "size": "128 MiB"}]},
    // A device the guest gives its own stage 1 (nested, through a vSMMU): 4 MiB of pages.
    {"sid": 3, "translation": "nested", "granule": 4096,
     "mappings": [{"iova": "0x1_0000_0000", "pa": "0x3000_0000", "size": "4 MiB", "blocks": false}]},
    // A PCIe device with ATS (STE.EATS = 1): 2 MiB of stage-1 pages.
    {"sid": 4, "translation": "s1", "granule": 4096, "ats": true,
     "mappings": [{"iova": "0x2_0000_0000", "pa": "0x4000_0000", "size": "2 MiB", "blocks": false}]}
  ],
  "traffic": [
    // Streaming through the buffers: mostly micro-TLB hits, a walk per new page.
    {"port": 0, "sid": 1, "base": "0x4000_0000", "length": "8 MiB", "pattern": "sequential",
     "size": 64, "write_fraction": 0.3, "count": 4000, "outstanding": 4},
    // Random reads over 64 blocks: more than the micro TLB holds, so main-TLB hits.
    {"port": 1, "sid": 2, "base": "0x8000_0000", "length": "128 MiB", "pattern": "random",
     "size": 64, "count": 3000, "outstanding": 4, "seed": 7},
    // One access per page, twice over 1009 pages: the second pass hits the main TLB.
    {"port": 0, "sid": 3, "base": "0x1_0000_0000", "length": "4 MiB", "pattern": "strided",
     "stride": "0x1040", "size": 64, "count": 2000, "outstanding": 4}
  ],
  "ats_devices": [
    // The PCIe device on port 2: it asks for translations once per page and caches them
    // in its ATC; sequential accesses over 16 pages hit it (until the remap below).
    {"smmu": 0, "port": 2, "sid": 4, "pcie_round_trip": "500 ns", "ats_enabled": true,
     "answer_invalidations": true,
     "atc": {"sets": 16, "ways": 4, "policy": "lru", "lookup": "2 ns"},
     "traffic": [{"base": "0x2_0000_0000", "length": "64 KiB", "pattern": "sequential",
                  "size": 64, "write_fraction": 0.25, "count": 2000, "outstanding": 2}]}
  ],
  "driver_ops": [
    // 30 us after the set-up, software remaps 128 KiB of sid 1's buffer (a range TLBI
    // and a CMD_SYNC), and invalidates 64 KiB of the ATS device's mappings (the TLBI is
    // synced before the device's ATC_INV, which has its own CMD_SYNC).
    {"at": "30 us", "op": "remap", "sid": 1, "iova": "0x4001_0000", "size": "128 KiB",
     "pa": "0x1001_0000"},
    {"at": "30 us", "op": "inv_range", "sid": 4, "iova": "0x2_0000_0000", "size": "64 KiB"}
  ]
}
)json";
  return kText;
}

}  // namespace smmu::platform
