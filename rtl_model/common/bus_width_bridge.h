// SPDX-License-Identifier: Apache-2.0
// Binds a socket of another width to the model's kBusWidth sockets (TLM sockets bind only
// when their BUSWIDTH matches): a target socket of width `Outside` and an initiator of
// width `Inside`, with every base-protocol call passed through unchanged in both
// directions (b_transport, nb_transport, DMI, debug, DMI invalidation). It adds no time
// and keeps no state, so a transaction through it is timed as one bound directly.
//
//   smmu::model::BusWidthBridge<32> bridge("bridge");
//   my_32bit_master.socket.bind(bridge.target);
//   bridge.initiator.bind(smmu.upstream);
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "rtl_model/common/bus_width.h"

namespace smmu::model {

template <unsigned Outside, unsigned Inside = kBusWidth>
class BusWidthBridge : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<BusWidthBridge, Outside> target;
  tlm_utils::simple_initiator_socket<BusWidthBridge, Inside> initiator;

  explicit BusWidthBridge(const sc_core::sc_module_name& name) : sc_core::sc_module(name), target("target"),
                                                                 initiator("initiator") {
    target.register_b_transport(this, &BusWidthBridge::b_transport);
    target.register_nb_transport_fw(this, &BusWidthBridge::nb_transport_fw);
    target.register_get_direct_mem_ptr(this, &BusWidthBridge::get_direct_mem_ptr);
    target.register_transport_dbg(this, &BusWidthBridge::transport_dbg);
    initiator.register_nb_transport_bw(this, &BusWidthBridge::nb_transport_bw);
    initiator.register_invalidate_direct_mem_ptr(this, &BusWidthBridge::invalidate_direct_mem_ptr);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) { initiator->b_transport(trans, delay); }
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase, sc_core::sc_time& t) {
    return initiator->nb_transport_fw(trans, phase, t);
  }
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& trans, tlm::tlm_phase& phase, sc_core::sc_time& t) {
    return target->nb_transport_bw(trans, phase, t);
  }
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    return initiator->get_direct_mem_ptr(trans, dmi);
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& trans) { return initiator->transport_dbg(trans); }
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    target->invalidate_direct_mem_ptr(start, end);
  }
};

}  // namespace smmu::model
