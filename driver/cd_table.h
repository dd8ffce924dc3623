// SPDX-License-Identifier: Apache-2.0
// A master's context-descriptor table: one CD per SubstreamID (PASID) its STEs can
// select (IHI 0070 §5.4, §3.4.3). As Linux builds it:
//   - linear (STE.S1Fmt = 0b00) when the master has at most 2^10 SSIDs or the SMMU has
//     no 2-level CD tables (IDR0.CD2L = 0): 2^ssid_bits CDs, one allocation;
//   - 2-level with 64 KiB leaves (S1Fmt = 0b10: the SSID's top bits index the L1 table,
//     its 10 low bits a leaf of 1024 CDs) otherwise, the L1 table allocated at once and
//     each leaf when a CD in it is first written.
// An L1 descriptor may be cached by the SMMU even while invalid (§5.4.1: it is a
// configuration structure like any other), so the caller syncs (CFGI_CD of the SSID,
// leaf = 0) after a new leaf was linked and before the CD in it is used.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "driver/os.h"

namespace smmu::driver {

class CdTable {
 public:
  static constexpr unsigned kCdBytes = 64;
  static constexpr unsigned kLeafSplit = 10;  // SSID bits a leaf resolves (S1Fmt = 0b10)

  // ssid_bits: the master's PASID width (0: one CD, SSID 0 only). nullptr without memory.
  static std::unique_ptr<CdTable> create(Os& os, unsigned ssid_bits, bool two_level_allowed);
  ~CdTable();
  CdTable(const CdTable&) = delete;
  CdTable& operator=(const CdTable&) = delete;

  uint64_t base_pa() const { return base_pa_; }  // STE.S1ContextPtr
  unsigned ssid_bits() const { return ssid_bits_; }  // STE.S1CDMax
  uint8_t s1fmt() const { return two_level_ ? 2 : 0; }
  bool two_level() const { return two_level_; }
  size_t leaves() const;  // leaves allocated so far (0 for a linear table)

  // The CD of ssid, or 0 when its leaf does not exist yet (or ssid is out of range).
  uint64_t cd_pa(uint32_t ssid) const;
  // Makes the CD of ssid exist: allocates and links its leaf when needed. *linked is set
  // when a leaf was linked now (the caller syncs the SSID's L1 descriptor). 0 without
  // memory or for an out-of-range ssid.
  uint64_t ensure_cd(uint32_t ssid, bool* linked);

 private:
  CdTable(Os& os, unsigned ssid_bits, bool two_level);

  Os& os_;
  unsigned ssid_bits_;
  bool two_level_;
  uint64_t base_pa_ = 0;
  std::vector<uint64_t> leaf_pa_;  // 2-level: per L1 index, 0 until allocated
};

}  // namespace smmu::driver
