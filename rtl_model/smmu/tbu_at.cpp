// SPDX-License-Identifier: Apache-2.0
// The TBU's upstream for approximately-timed initiators (TLM-2.0 base protocol,
// IEEE 1666 §15.2): a BEGIN_REQ is accepted at once (END_REQ on the return path), a
// process of its own then runs the transaction through the same path b_transport uses
// — from the request's arrival time, so its timing is the loosely-timed one — and
// sends BEGIN_RESP backwards when it is done; the initiator's END_RESP (or a
// TLM_COMPLETED answer to BEGIN_RESP) ends it. Transactions run concurrently, as
// b_transport calls from several threads do.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "rtl_model/smmu/tbu.h"

namespace smmu::model {

using sc_core::sc_time;

tlm::tlm_sync_enum Tbu::upstream_nb_transport_fw(int port, tlm::tlm_generic_payload& trans,
                                                 tlm::tlm_phase& phase, sc_time& delay) {
  if (phase == tlm::BEGIN_REQ) {
    // Held until BEGIN_RESP has been answered (the initiator's memory manager).
    if (trans.has_mm()) trans.acquire();
    const sc_time arrival = delay;
    sc_core::sc_spawn([this, port, &trans, arrival] { run_at_transaction(port, trans, arrival); },
                      sc_core::sc_gen_unique_name("at_transaction"));
    phase = tlm::END_REQ;
    return tlm::TLM_UPDATED;
  }
  if (phase == tlm::END_RESP) return tlm::TLM_COMPLETED;
  // END_REQ and BEGIN_RESP travel the other way: a protocol error of the initiator's,
  // answered without crashing.
  trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  return tlm::TLM_COMPLETED;
}

void Tbu::run_at_transaction(int port, tlm::tlm_generic_payload& trans, sc_time arrival) {
  sc_core::wait(arrival);
  sc_time delay = sc_core::SC_ZERO_TIME;
  upstream_b_transport(port, trans, delay);
  sc_core::wait(delay);
  tlm::tlm_phase phase = tlm::BEGIN_RESP;
  sc_time bw_delay = sc_core::SC_ZERO_TIME;
  upstream[port]->nb_transport_bw(trans, phase, bw_delay);
  // TLM_ACCEPTED: END_RESP comes later through nb_transport_fw and needs nothing more;
  // TLM_UPDATED with END_RESP or TLM_COMPLETED: done. Either way our hold ends here.
  if (trans.has_mm()) trans.release();
}

}  // namespace smmu::model
