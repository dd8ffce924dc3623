// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/pcie/atc.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace smmu::model {

namespace {

const AtcParams& checked(const AtcParams& p) {
  validate_atc_params(p);
  return p;
}

constexpr unsigned kMinShift = 12;  // ATS translations are never smaller than 4 KiB
constexpr unsigned kMaxShift = 63;

}  // namespace

void validate_atc_params(const AtcParams& p) {
  if (p.sets == 0 || (p.sets & (p.sets - 1)) != 0)
    throw std::invalid_argument("atc.sets (" + std::to_string(p.sets) +
                                ") must be a power of two");
  if (p.ways == 0) throw std::invalid_argument("atc.ways must be > 0");
}

AtcInvRange atc_inv_range(const arch::Command& atc_inv) {
  AtcInvRange r;
  r.shift = atc_inv.size() + kMinShift;
  r.base = r.all() ? 0 : atc_inv.addr() & ~((uint64_t{1} << r.shift) - 1);
  return r;
}

Atc::Atc(const AtcParams& p)
    : params_(checked(p)), cache_(params_.sets, params_.ways, params_.policy) {}

unsigned Atc::set_for(uint64_t addr, unsigned size_shift, uint32_t ssid) const {
  const uint64_t page = addr >> size_shift;
  // Mix the PASID in so that processes using the same addresses spread over the sets.
  return cache_.set_of(page ^ (page >> 11) ^ (uint64_t{ssid} * 0x9e37));
}

const AtcEntry* Atc::lookup(uint32_t ssid, bool ssv, bool priv, uint64_t addr) {
  if (!ssv) {
    ssid = 0;
    priv = false;
  }
  for (uint64_t sizes = sizes_present_; sizes; sizes &= sizes - 1) {
    const unsigned shift = static_cast<unsigned>(__builtin_ctzll(sizes));
    const AtcEntry* e = cache_.find(set_for(addr, shift, ssid), [&](const AtcEntry& t) {
      return t.size_shift == shift && t.same_tag(ssv, ssid, priv) && t.covers(addr);
    });
    if (e) {
      ++hits_;
      return e;
    }
  }
  ++misses_;
  return nullptr;
}

std::optional<AtcEntry> Atc::probe(uint32_t ssid, bool ssv, bool priv, uint64_t addr) const {
  if (!ssv) {
    ssid = 0;
    priv = false;
  }
  std::optional<AtcEntry> best;
  cache_.for_each([&](const AtcEntry& t) {
    if (t.same_tag(ssv, ssid, priv) && t.covers(addr) &&
        (!best || t.size_shift < best->size_shift))
      best = t;  // smallest first, as lookup probes
  });
  return best;
}

void Atc::insert(const AtcEntry& in) {
  if (in.size_shift < kMinShift || in.size_shift > kMaxShift)
    throw std::invalid_argument("Atc::insert: size_shift " + std::to_string(in.size_shift) +
                                " outside 12..63");
  AtcEntry e = in;
  if (!e.ssv) {
    e.ssid = 0;
    e.priv = false;
  }
  e.untranslated &= ~e.span_mask();
  e.translated &= ~e.span_mask();
  // The newer answer supersedes what the PASID had cached at that privilege level over the
  // same addresses, so at most one entry of a (PASID, Priv) covers an address (and a
  // smaller stale entry cannot hide it). The other level's entries stay: they are
  // separate grants (§13.7).
  const AtcInvRange region{e.untranslated, e.size_shift};
  if (cache_.invalidate_if([&](const AtcEntry& t) {
        return t.same_tag(e.ssv, e.ssid, e.priv) && region.overlaps(t.untranslated, t.size_shift);
      }))
    recompute_sizes();
  sizes_present_ |= uint64_t{1} << e.size_shift;
  ++insertions_;
  cache_.insert(set_for(e.untranslated, e.size_shift, e.ssid), e, [&](const AtcEntry& t) {
    return t.size_shift == e.size_shift && t.untranslated == e.untranslated &&
           t.same_tag(e.ssv, e.ssid, e.priv);
  });
}

unsigned Atc::invalidate(const arch::Command& c) {
  if (c.opcode() != arch::Opcode::kAtcInv) {
    char op[8];
    std::snprintf(op, sizeof op, "0x%02x", c.raw_opcode());
    throw std::invalid_argument(std::string("Atc::invalidate: opcode ") + op + " is not ATC_INV");
  }
  ++invalidations_;
  const AtcInvRange range = atc_inv_range(c);
  const bool ssv = c.ssv();
  const uint32_t ssid = c.ssid();
  const unsigned n = cache_.invalidate_if([&](const AtcEntry& e) {
    // SSV = 0 selects every entry; either way both privilege levels go.
    if (ssv && !(e.ssv && e.ssid == ssid)) return false;
    return range.overlaps(e.untranslated, e.size_shift);
  });
  entries_invalidated_ += n;
  if (n) recompute_sizes();
  return n;
}

void Atc::clear() {
  cache_.clear();
  sizes_present_ = 0;
}

void Atc::recompute_sizes() {
  sizes_present_ = 0;
  cache_.for_each([&](const AtcEntry& e) { sizes_present_ |= uint64_t{1} << e.size_shift; });
}

}  // namespace smmu::model
