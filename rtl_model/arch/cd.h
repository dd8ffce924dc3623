// SPDX-License-Identifier: Apache-2.0
// Context descriptor (64 bytes) and the level-1 CD table descriptor.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace smmu::arch {

using CdWords = std::array<uint64_t, 8>;

struct Cd {
  // qw0
  uint8_t t0sz = 0;
  uint8_t tg0 = 0;     // 0 4K, 1 64K, 2 16K
  uint8_t irgn0 = 0, orgn0 = 0, sh0 = 0;
  bool epd0 = false;
  bool endi = false;
  uint8_t t1sz = 0;
  uint8_t tg1 = 0;     // 1 16K, 2 4K, 3 64K
  bool epd1 = false;
  bool valid = false;
  uint8_t ips = 0;
  bool affd = false;
  bool wxn = false;    // 36: writable implies execute-never (IHI 0070 §5.4)
  bool uwxn = false;   // 37: AArch32 (VMSAv8-32) only; IGNORED for AArch64 tables
  uint8_t tbi = 0;
  bool pan = false;    // 40: privileged data access to EL0-accessible pages faults
  bool aa64 = false;
  bool hd = false, ha = false;
  bool s = false, r = false, a = false;
  bool aset = false;
  uint16_t asid = 0;
  // qw1, qw2: byte addresses, bits [51:4]; HAD0 (bit 65) and HAD1 (bit 129) below them
  uint64_t ttb0 = 0;
  uint64_t ttb1 = 0;
  bool had0 = false, had1 = false;  // hierarchical attributes disabled for TTB0 / TTB1
  // qw3
  uint64_t mair = 0;

  CdWords other{};  // bits not named above, kept for round trips and reserved checks

  static Cd decode(const CdWords& qw);
  CdWords encode() const;
};

// Level-1 CD table descriptor (8 bytes).
struct L1CdDescriptor {
  bool valid = false;
  uint64_t l2ptr = 0;  // byte address, bits [51:12]

  static L1CdDescriptor decode(uint64_t raw);
  uint64_t encode() const;
};

// Granule size in bytes (0 if the encoding is reserved) of the TG fields.
// TG0 (CD) and S2TG (STE) share one encoding; TG1 uses another.
uint64_t tg0_granule(uint8_t tg0);
uint64_t tg1_granule(uint8_t tg1);

// Physical/intermediate address size in bits of IPS/PS/OAS encodings 0..6 (0 if reserved).
unsigned address_size_bits(uint8_t ps);

// The encodings, for software writing CDs and STEs: TG0/S2TG of a 4K, 16K or 64K
// granule (given as its shift: 12, 14, 16), and IPS/S2PS of an architected address size
// in bits (-1 for any other size).
uint8_t tg0_encoding(unsigned granule_shift);
int ps_encoding(unsigned bits);

}  // namespace smmu::arch
