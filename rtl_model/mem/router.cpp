// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/mem/router.h"

#include <algorithm>
#include <sstream>
#include <string>

namespace smmu::model {

namespace {

std::string describe(uint64_t base, uint64_t last, unsigned target) {
  std::ostringstream os;
  os << "[0x" << std::hex << base << ", 0x" << last << "] (target " << std::dec << target
     << ")";
  return os.str();
}

// Bytes of the target's address space a payload touches (a streaming burst touches
// only its width).
uint64_t extent(const tlm::tlm_generic_payload& gp) {
  const unsigned len = gp.get_data_length();
  const unsigned sw = gp.get_streaming_width();
  return (sw != 0 && sw < len) ? sw : len;
}

}  // namespace

Router::Router(sc_core::sc_module_name name, const RouterParams& params)
    : sc_module(name), target("target"), initiator("initiator"), params_(params) {
  target.register_b_transport(this, &Router::b_transport);
  target.register_transport_dbg(this, &Router::transport_dbg);
  target.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  initiator.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

void Router::map(unsigned target_index, uint64_t base, uint64_t size) {
  if (size == 0 || base + (size - 1) < base) {
    std::ostringstream os;
    os << name() << ": window base 0x" << std::hex << base << " size 0x" << size
       << " for target " << std::dec << target_index << " is empty or wraps";
    SC_REPORT_ERROR("smmu/router", os.str().c_str());
    return;
  }
  const Window w{base, base + (size - 1), target_index};
  for (const Window& o : windows_) {
    if (w.base <= o.last && w.last >= o.base) {
      const std::string msg = std::string(name()) + ": window " +
                              describe(w.base, w.last, w.target) + " overlaps " +
                              describe(o.base, o.last, o.target);
      SC_REPORT_ERROR("smmu/router", msg.c_str());
      return;
    }
  }
  auto at = std::upper_bound(windows_.begin(), windows_.end(), w.base,
                             [](uint64_t b, const Window& x) { return b < x.base; });
  windows_.insert(at, w);
}

void Router::end_of_elaboration() {
  const unsigned bound = initiator.size();
  for (const Window& w : windows_) {
    if (w.target >= bound) {
      const std::string msg = std::string(name()) + ": window " +
                              describe(w.base, w.last, w.target) + " maps target " +
                              std::to_string(w.target) + " but only " +
                              std::to_string(bound) + " targets are bound";
      SC_REPORT_ERROR("smmu/router", msg.c_str());
    }
  }
}

const Router::Window* Router::decode(uint64_t addr) const {
  auto it = std::upper_bound(windows_.begin(), windows_.end(), addr,
                             [](uint64_t a, const Window& x) { return a < x.base; });
  if (it == windows_.begin()) return nullptr;
  --it;
  return addr <= it->last ? &*it : nullptr;
}

const Router::Window* Router::decode(uint64_t addr, uint64_t len) const {
  const Window* w = decode(addr);
  if (w && len > 1 && len - 1 > w->last - addr) return nullptr;  // runs off the window
  return w;
}

void Router::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  delay += params_.latency;
  const uint64_t addr = gp.get_address();
  const Window* w = decode(addr, extent(gp));
  if (!w) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_address(addr - w->base);
  initiator[w->target]->b_transport(gp, delay);
  gp.set_address(addr);
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const Window* w = decode(addr);
  if (!w) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  // Debug accesses are clipped at the window end rather than refused.
  const unsigned len = gp.get_data_length();
  const unsigned n =
      static_cast<unsigned>(std::min<uint64_t>(len, (w->last - addr) + uint64_t{1}));
  gp.set_data_length(n);
  gp.set_address(addr - w->base);
  const unsigned done = initiator[w->target]->transport_dbg(gp);
  gp.set_address(addr);
  gp.set_data_length(len);
  return done;
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const uint64_t addr = gp.get_address();
  const Window* w = decode(addr);
  if (!w) {
    // Refused over the whole gap between the neighbouring windows.
    auto next = std::upper_bound(windows_.begin(), windows_.end(), addr,
                                 [](uint64_t a, const Window& x) { return a < x.base; });
    dmi.set_start_address(next == windows_.begin() ? 0 : std::prev(next)->last + 1);
    dmi.set_end_address(next == windows_.end() ? ~uint64_t{0} : next->base - 1);
    return false;
  }
  gp.set_address(addr - w->base);
  const bool granted = initiator[w->target]->get_direct_mem_ptr(gp, dmi);
  gp.set_address(addr);
  // Back to global addresses, clipped to the window (the target may describe more).
  const uint64_t window_last = w->last - w->base;
  const uint64_t start = std::min<uint64_t>(dmi.get_start_address(), window_last);
  const uint64_t end = std::min<uint64_t>(dmi.get_end_address(), window_last);
  if (granted && start != dmi.get_start_address()) {
    // The target granted a region entirely past the window: useless, refuse it.
    dmi.set_start_address(w->base);
    dmi.set_end_address(w->last);
    return false;
  }
  dmi.set_start_address(w->base + start);
  dmi.set_end_address(w->base + end);
  if (granted) {
    dmi.set_read_latency(dmi.get_read_latency() + params_.latency);
    dmi.set_write_latency(dmi.get_write_latency() + params_.latency);
  }
  return granted;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  // The target speaks its own addresses: revoke them in every window that maps it.
  for (const Window& w : windows_) {
    if (w.target != static_cast<unsigned>(id)) continue;
    const uint64_t window_last = w.last - w.base;
    if (start > window_last) continue;
    const uint64_t first = w.base + start;
    const uint64_t last = w.base + std::min<uint64_t>(end, window_last);
    for (unsigned i = 0; i < target.size(); ++i)
      target[i]->invalidate_direct_mem_ptr(first, last);
  }
}

}  // namespace smmu::model
