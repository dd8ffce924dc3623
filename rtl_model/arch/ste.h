// SPDX-License-Identifier: Apache-2.0
// Stream table entry (64 bytes) and the level-1 stream table descriptor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace smmu::arch {

using SteWords = std::array<uint64_t, 8>;

// STE.Config[3:1] values.
enum class SteConfig : uint8_t {
  kAbort = 0,  // any 0b0xx value aborts
  kBypass = 4,
  kS1 = 5,
  kS2 = 6,
  kNested = 7,
};

// STE.S1DSS: what traffic without a SubstreamID does when a CD table is in use.
enum class S1Dss : uint8_t { kTerminate = 0, kBypass = 1, kSubstream0 = 2 };

// STE.EATS.
enum class Eats : uint8_t { kAbort = 0, kFull = 1, kSplit = 2 };

struct Ste {
  // qw0
  bool valid = false;
  uint8_t config = 0;        // raw Config[3:1]; see SteConfig
  uint8_t s1fmt = 0;         // 0 linear, 1 2-level 4K leaf, 2 2-level 64K leaf
  uint64_t s1_context_ptr = 0;  // byte address, bits [51:6]
  uint8_t s1cdmax = 0;       // log2 of the number of CDs
  // qw1
  uint8_t s1dss = 0;
  uint8_t s1cir = 0, s1cor = 0, s1csh = 0;
  bool mev = false;
  bool s2fwb = false;
  bool s1stalld = false;
  uint8_t eats = 0;
  uint8_t strw = 0;
  uint8_t shcfg = 0;
  // qw2
  uint16_t s2vmid = 0;
  uint8_t s2t0sz = 0;
  uint8_t s2sl0 = 0;
  uint8_t s2ir0 = 0, s2or0 = 0, s2sh0 = 0;
  uint8_t s2tg = 0;          // 0 4K, 1 64K, 2 16K
  uint8_t s2ps = 0;
  bool s2aa64 = false, s2endi = false, s2affd = false, s2ptw = false, s2s = false, s2r = false;
  bool s2hd = false, s2ha = false;  // 55, 56: stage-2 HTTU (ILLEGAL without IDR0.HTTU)
  // qw3
  uint64_t s2ttb = 0;        // byte address, bits [51:4]

  // Bits of the 64-byte entry that this struct does not name (reserved or unmodelled);
  // kept so decode/encode round-trips and so the model can check reserved bits.
  SteWords other{};

  SteConfig kind() const {
    return config < 4 ? SteConfig::kAbort : static_cast<SteConfig>(config);
  }
  bool stage1() const { return config == 5 || config == 7; }
  bool stage2() const { return config == 6 || config == 7; }

  static Ste decode(const SteWords& qw);
  SteWords encode() const;
};

// Level-1 stream table descriptor (8 bytes).
struct L1StreamDescriptor {
  uint8_t span = 0;      // L2 table holds 2^(span-1) STEs; 0 = invalid
  uint64_t l2ptr = 0;    // byte address, bits [51:6]

  static L1StreamDescriptor decode(uint64_t raw);
  uint64_t encode() const;
};

}  // namespace smmu::arch
