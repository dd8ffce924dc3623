// SPDX-License-Identifier: Apache-2.0
// The Address Translation Cache of an ATS-capable PCIe function: the translations the
// SMMU returned to its Translation Requests, used to send pre-translated traffic.
//
// Entries are keyed by (SSV, SSID, Priv, untranslated base, size): a Translation Completion
// covers 2^size_shift bytes (4 KiB or more, aligned), so entries of several sizes live
// side by side and a lookup probes each size present, smallest first (like the SMMU's
// main TLB). An entry without a PASID (SSV = 0) has SSID 0 and Priv 0.
//
// Privilege and execute (IHI 0070 §3.9.1, §13.7): a completion's R/W/Exe are granted to
// the privilege level of its Priv bit only, and the PCIe ATC must not assume any
// correlation between the privileged and unprivileged permissions of a page. So an entry
// serves only requests of its own Priv (both levels may be cached for one address, side
// by side), and an instruction fetch needs the completion's Exe (which implies R).
//
// ATC_INV (what the endpoint does with the SMMU's CMD_ATC_INV message):
// - Range: SIZE is log2 of the number of 4 KiB pages; the range is
//   [ADDR aligned down to 2^(SIZE+12), + 2^(SIZE+12)). SIZE 52 (kAtcInvSizeAll) and above
//   span the whole 64-bit address space. An entry that overlaps the range at all is
//   removed (aligned power-of-two regions either nest or are disjoint).
// - Selection:
//     SSV = 1: only the entries of that SSID (PASID). GLOBAL is ignored: the PCIe Global
//              Invalidate bit reaches only entries with the Global Mapping attribute, and
//              the completions of this model carry none.
//     Both privilege levels: an Invalidate Request has no Priv, it names addresses.
//     SSV = 0: every entry in the range, with or without a PASID, whatever GLOBAL says.
//              An Invalidate Request without a PASID prefix invalidates all the ATC
//              entries of the range, PASID-tagged ones included; there is no way to
//              invalidate only the entries without PASID (PCIe ATS, as the Linux SMMUv3
//              driver documents in arm_smmu_atc_inv_to_cmd). Software relies on it.
// Removing more than asked would always be allowed; removing less never is.
#pragma once

#include <cstdint>
#include <optional>

#include <systemc>

#include "rtl_model/arch/command.h"
#include "rtl_model/common/set_associative_cache.h"

namespace smmu::model {

struct AtcParams {
  unsigned sets = 16;  // power of two
  unsigned ways = 4;   // 64 entries by default
  ReplacementPolicy policy = ReplacementPolicy::kLru;
  sc_core::sc_time lookup{2, sc_core::SC_NS};  // one lookup, however many sizes it probes
};

// Throws std::invalid_argument naming the bad key ("atc.sets", "atc.ways").
void validate_atc_params(const AtcParams& p);

struct AtcEntry {
  // --- tag
  bool ssv = false;
  uint32_t ssid = 0;          // 0 when !ssv
  bool priv = false;          // the completion's Priv; 0 when !ssv
  uint64_t untranslated = 0;  // aligned down to 2^size_shift
  uint8_t size_shift = 12;    // 12..63
  // --- data
  uint64_t translated = 0;    // aligned down to 2^size_shift
  bool read = false;
  bool write = false;
  bool exec = false;          // the completion's Exe

  uint64_t span_mask() const { return (uint64_t{1} << size_shift) - 1; }
  bool covers(uint64_t addr) const { return ((addr ^ untranslated) >> size_shift) == 0; }
  uint64_t translate(uint64_t addr) const { return translated | (addr & span_mask()); }
  // An instruction fetch is a read that needs Exe too (Exe implies R, §13.7).
  bool allows(bool is_write, bool is_exec = false) const {
    return is_write ? write : (read && (!is_exec || exec));
  }
  bool same_tag(bool ssv_, uint32_t ssid_, bool priv_) const {
    return ssv == ssv_ && ssid == ssid_ && priv == priv_;
  }
};

// The address range an ATC_INV names: [base, base + 2^shift); shift >= 64 means every
// address.
struct AtcInvRange {
  uint64_t base = 0;
  unsigned shift = 12;

  bool all() const { return shift >= 64; }
  // True when the aligned region [start, start + 2^size_shift) overlaps the range.
  bool overlaps(uint64_t start, unsigned size_shift) const {
    const unsigned s = size_shift > shift ? size_shift : shift;
    return s >= 64 || (start >> s) == (base >> s);
  }
};

// The range of an ATC_INV command (its SIZE and ADDR; the opcode is not checked).
AtcInvRange atc_inv_range(const arch::Command& atc_inv);

class Atc {
 public:
  // Throws std::invalid_argument naming a bad parameter.
  explicit Atc(const AtcParams& p = AtcParams());

  const AtcParams& params() const { return params_; }
  sc_core::sc_time lookup_time() const { return params_.lookup; }

  // The entry covering addr for that PASID and privilege level (ssid and priv ignored
  // when !ssv), or nullptr. Counts a hit or a miss and refreshes the entry's LRU age. The
  // pointer is valid until the next insert, invalidate or clear.
  const AtcEntry* lookup(uint32_t ssid, bool ssv, bool priv, uint64_t addr);
  // The same without counting or touching replacement state (host-side inspection).
  std::optional<AtcEntry> probe(uint32_t ssid, bool ssv, bool priv, uint64_t addr) const;

  // Caches a translation; the addresses are aligned down to its size. Entries of the same
  // PASID and privilege level that overlap it are dropped first (the newer answer wins),
  // so no two entries of one (PASID, Priv) ever cover one address. Throws
  // std::invalid_argument for a size_shift outside 12..63.
  void insert(const AtcEntry& e);

  // Applies an ATC_INV command (see the file comment); returns the entries removed.
  // The caller has checked that the StreamID is this function's. Throws
  // std::invalid_argument if the opcode is not ATC_INV.
  unsigned invalidate(const arch::Command& atc_inv);
  void clear();

  template <typename Fn>
  void for_each(Fn&& fn) const { cache_.for_each(fn); }
  unsigned capacity() const { return cache_.capacity(); }
  unsigned occupancy() const { return cache_.occupancy(); }

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t insertions() const { return insertions_; }
  uint64_t evictions() const { return cache_.evictions(); }  // valid entries replaced
  uint64_t invalidations() const { return invalidations_; }  // ATC_INV commands applied
  uint64_t entries_invalidated() const { return entries_invalidated_; }

 private:
  unsigned set_for(uint64_t addr, unsigned size_shift, uint32_t ssid) const;
  void recompute_sizes();

  AtcParams params_;
  SetAssociativeCache<AtcEntry> cache_;
  uint64_t sizes_present_ = 0;  // bit n set: some entry may have size_shift n
  uint64_t hits_ = 0, misses_ = 0, insertions_ = 0, invalidations_ = 0,
           entries_invalidated_ = 0;
};

}  // namespace smmu::model
