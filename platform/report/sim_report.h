// SPDX-License-Identifier: Apache-2.0
// What smmu-sim reports about a run: the report object (printed as text by print_report
// and written as JSON); the Chrome/Perfetto trace is perfetto_trace.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/report/perfetto_trace.h"
#include "platform/soc/soc.h"

namespace smmu::platform {

// The report of a finished run, hit rates included. Keys (times in ns):
//   sim_time_ns, traffic_done
//   dma: transactions, reads, writes, bytes (of successful ones), faults (error
//        responses), gbytes_per_s; dmi_accesses when a traffic entry has dmi
//   translation.latency_ns: count, mean, p50, p99, max, min over every DMA transaction
//        (issue to completion: translation plus the memory access)
//   memory: reads, writes, bytes
//   smmus[i]: name, ports, transactions, bypassed, aborted, faults, boundary_errors,
//        micro_tlb / main_tlb / walk_cache: hits, misses, hit_rate;
//        config_cache: hits, misses, hit_rate (STE + CD lookups), ste, cd;
//        walks, walk_reads, events, events_lost, evtq_irqs, gerror_irqs,
//        translation_slot_stalls, translation_slot_wait_ns, walk_slot_stalls,
//        walk_slot_wait_ns, dmi_grants,
//        ats: requests, unsupported, no_access, translated, translated_refused;
//        commands (executed, by name; only non-zero), commands_total, command_fetches,
//        syncs, sync_latency_ns: mean, max (CMDQ_PROD write to completion),
//        command_errors: ill, abt, atc_inv_sync; entries_invalidated: tlb, walk_cache,
//        config_cache; atc_inv_sent, atc_inv_timeouts;
//        tbus[j] (one per TBU, the default layout's one too): ports (SMMU port numbers,
//        in binding order), micro_tlb: hits, misses, hit_rate; main_tlb: the same, or
//        null when the TBU has none; dti_requests, dti_invalidations, dti_syncs,
//        token_stalls, token_wait_ns
//   driver (set-up "driver"): setup_ns, setup_end_ns, setup_finished, cpus, completion,
//        inv_all_then_wait, domains, attaches, error (when the set-up failed);
//        smmus[i]: enabled, asids_in_use, vmids_in_use, ste_writes, ste_syncs,
//        commands_issued, syncs_issued, cmdq_publishes, and what the event handler
//        drained: events, events_by_type (architectural names, only non-zero),
//        event_overflows, gerrors, event_log (the first driver.event_log records, as
//        driver/event_format.h renders them); event_handler: cpu, wakeups, drains,
//        finished; ops[]
//   devices[k] (ports with traffic, and every ATS device): name, kind ("generator" or
//        "ats_endpoint"), smmu, port, transactions, reads, writes, bytes, faults,
//        latency_ns; generators: traffic (scenario indices), with dmi: dmi_accesses,
//        dmi_invalidations; ATS endpoints: ats_device,
//        sid, translation_requests, translation_failures, translated_sent,
//        untranslated_sent, page_crossings, invalidations_answered,
//        atc: hits, misses, hit_rate, invalidations, entries_invalidated, evictions, entries
nlohmann::json build_report(Soc& soc);

}  // namespace smmu::platform
