// SPDX-License-Identifier: Apache-2.0
// The SoC interconnect: decodes global addresses to targets, which see offsets from
// their window base. Also the "plain router" baseline of the benchmarks, so the
// transport path is a binary search over a sorted window list and nothing else.
#pragma once

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include "rtl_model/common/bus_width.h"

namespace smmu::model {

struct RouterParams {
  // Added to every transaction that enters the router (decode errors included) and to
  // the latencies of DMI regions granted through it. Zero: an ideal crossbar.
  sc_core::sc_time latency = sc_core::SC_ZERO_TIME;
};

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router, smmu::model::kBusWidth> target;        // any number of initiators
  tlm_utils::multi_passthrough_initiator_socket<Router, smmu::model::kBusWidth> initiator;  // targets, in bind order

  Router(sc_core::sc_module_name name, const RouterParams& params = RouterParams());

  // Maps global [base, base+size) to the target bound at target_index (0 = first bound),
  // which sees address - base. A target may have several windows. An empty, wrapping or
  // overlapping window is an SC_REPORT_ERROR naming the ranges; an index without a bound
  // target is reported at end of elaboration.
  void map(unsigned target_index, uint64_t base, uint64_t size);

  struct Window {
    uint64_t base;
    uint64_t last;  // inclusive, so a window may end at 2^64 - 1
    unsigned target;
  };
  const std::vector<Window>& windows() const { return windows_; }

 private:
  void end_of_elaboration() override;

  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& gp);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  // The window holding addr, or nullptr.
  const Window* decode(uint64_t addr) const;
  // The window holding addr with room for len bytes (at least one), or nullptr.
  const Window* decode(uint64_t addr, uint64_t len) const;

  RouterParams params_;
  std::vector<Window> windows_;  // sorted by base, disjoint
};

}  // namespace smmu::model
