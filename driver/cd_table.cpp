// SPDX-License-Identifier: Apache-2.0
#include "driver/cd_table.h"

#include <algorithm>

#include "rtl_model/arch/cd.h"

namespace smmu::driver {

namespace {
constexpr uint64_t kLeafBytes = uint64_t{CdTable::kCdBytes} << CdTable::kLeafSplit;  // 64 KiB
constexpr unsigned kL1DescBytes = 8;
}  // namespace

CdTable::CdTable(Os& os, unsigned ssid_bits, bool two_level)
    : os_(os), ssid_bits_(ssid_bits), two_level_(two_level) {}

std::unique_ptr<CdTable> CdTable::create(Os& os, unsigned ssid_bits, bool two_level_allowed) {
  const bool two_level = two_level_allowed && ssid_bits > kLeafSplit;
  std::unique_ptr<CdTable> t(new CdTable(os, ssid_bits, two_level));
  size_t bytes, align;
  if (two_level) {
    const size_t l1 = size_t{1} << (ssid_bits - kLeafSplit);
    t->leaf_pa_.assign(l1, 0);
    bytes = l1 * kL1DescBytes;
    align = std::max<size_t>(bytes, 64);  // S1ContextPtr is 64-byte aligned at least
  } else {
    bytes = size_t{kCdBytes} << ssid_bits;
    align = std::min<size_t>(bytes, 4096);
  }
  t->base_pa_ = os.dma_alloc(bytes, align);
  if (!t->base_pa_) return nullptr;
  return t;
}

CdTable::~CdTable() {
  if (!base_pa_) return;
  if (two_level_) {
    for (uint64_t pa : leaf_pa_)
      if (pa) os_.dma_free(pa, kLeafBytes);
    os_.dma_free(base_pa_, leaf_pa_.size() * kL1DescBytes);
  } else {
    os_.dma_free(base_pa_, size_t{kCdBytes} << ssid_bits_);
  }
}

size_t CdTable::leaves() const {
  return static_cast<size_t>(std::count_if(leaf_pa_.begin(), leaf_pa_.end(), [](uint64_t p) { return p != 0; }));
}

uint64_t CdTable::cd_pa(uint32_t ssid) const {
  if (ssid >> ssid_bits_) return 0;
  if (!two_level_) return base_pa_ + uint64_t{ssid} * kCdBytes;
  const uint64_t leaf = leaf_pa_[ssid >> kLeafSplit];
  if (!leaf) return 0;
  return leaf + uint64_t{ssid & ((1u << kLeafSplit) - 1)} * kCdBytes;
}

uint64_t CdTable::ensure_cd(uint32_t ssid, bool* linked) {
  if (linked) *linked = false;
  if (ssid >> ssid_bits_) return 0;
  if (two_level_ && !leaf_pa_[ssid >> kLeafSplit]) {
    const uint64_t leaf = os_.dma_alloc(kLeafBytes, kLeafBytes);
    if (!leaf) return 0;
    leaf_pa_[ssid >> kLeafSplit] = leaf;
    // The leaf's zeroed CDs reach memory before the descriptor that makes them reachable.
    os_.dma_wmb();
    arch::L1CdDescriptor d;
    d.valid = true;
    d.l2ptr = leaf;
    os_.write64(base_pa_ + uint64_t{ssid >> kLeafSplit} * kL1DescBytes, d.encode());
    if (linked) *linked = true;
  }
  return cd_pa(ssid);
}

}  // namespace smmu::driver
