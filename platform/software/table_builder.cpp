// SPDX-License-Identifier: Apache-2.0
#include "platform/software/table_builder.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace smmu::platform {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

constexpr uint64_t low_mask(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

unsigned log2_of(uint64_t v) {
  unsigned n = 0;
  while (v > 1) {
    v >>= 1;
    ++n;
  }
  return n;
}

// Allocates a zeroed region, writing each word through to_pa (the memory behind a fresh
// allocation may hold anything).
template <typename ToPa>
uint64_t alloc_zeroed(MemoryWriter& mem, PageAllocator& alloc, uint64_t bytes, uint64_t align,
                      ToPa&& to_pa) {
  uint64_t a = alloc.alloc(bytes, align);
  for (uint64_t off = 0; off < bytes; off += 8) mem.write64(to_pa(a + off), 0);
  return a;
}

}  // namespace

// ---------------------------------------------------------------- SparseMemory

void SparseMemory::write64(uint64_t pa, uint64_t v) {
  if (pa & 7) throw std::invalid_argument("SparseMemory: unaligned write64 at " + hex(pa));
  ++writes_;
  if (v == 0)
    words_.erase(pa);  // zero is the default: keep the map small
  else
    words_[pa] = v;
}

uint64_t SparseMemory::read64(uint64_t pa) {
  if (pa & 7) throw std::invalid_argument("SparseMemory: unaligned read64 at " + hex(pa));
  auto it = words_.find(pa);
  return it == words_.end() ? 0 : it->second;
}

// ---------------------------------------------------------------- PageAllocator

PageAllocator::PageAllocator(uint64_t base, uint64_t size) : base_(base), size_(size), next_(base) {
  if (size == 0 || base + size < base)
    throw std::invalid_argument("PageAllocator: bad region base " + hex(base) + " size " + hex(size));
}

uint64_t PageAllocator::alloc(uint64_t size, uint64_t align) {
  if (!is_pow2(align))
    throw std::invalid_argument("PageAllocator: align " + hex(align) + " is not a power of two");
  uint64_t a = (next_ + align - 1) & ~(align - 1);
  if (a < next_ || size > base_ + size_ || a > base_ + size_ - size)
    throw std::runtime_error("PageAllocator: out of memory allocating " + hex(size) + " in [" +
                             hex(base_) + ", " + hex(base_ + size_) + ")");
  next_ = a + size;
  return a;
}

// ---------------------------------------------------------------- PageTableBuilder

PageTableBuilder::PageTableBuilder(MemoryWriter& mem, PageAllocator& alloc, arch::Granule granule,
                                   int start_level, unsigned concat_tables, Stage stage,
                                   Translate ipa_to_pa)
    : mem_(mem),
      alloc_(alloc),
      granule_(granule),
      start_level_(start_level),
      concat_(concat_tables),
      stage_(stage),
      ipa_to_pa_(std::move(ipa_to_pa)) {
  if (granule.shift != 12 && granule.shift != 14 && granule.shift != 16)
    throw std::invalid_argument("PageTableBuilder: granule shift " + std::to_string(granule.shift));
  if (start_level < 0 || start_level > 3 || granule.level_shift(start_level) >= 52)
    throw std::invalid_argument("PageTableBuilder: start level " + std::to_string(start_level) +
                                " not valid for the " + std::to_string(granule.size() / 1024) +
                                "K granule");
  if (!is_pow2(concat_tables) || concat_tables > 16 || (concat_tables > 1 && stage != Stage::kS2))
    throw std::invalid_argument("PageTableBuilder: concat_tables " + std::to_string(concat_tables) +
                                " (1..16, a power of two, stage 2 only)");
  input_bits_ = std::min(64u, granule.level_shift(start_level) + granule.bits_per_level() +
                                  log2_of(concat_tables));
  uint64_t bytes = granule.size() * concat_tables;
  root_ = new_table(bytes);
}

void PageTableBuilder::set_input_bits(unsigned bits) {
  unsigned shift = granule_.level_shift(start_level_);
  unsigned max = shift + granule_.bits_per_level() + log2_of(concat_);
  if (bits <= shift || bits > max)
    throw std::invalid_argument("PageTableBuilder: input_bits " + std::to_string(bits) +
                                " not resolvable from start level " + std::to_string(start_level_));
  input_bits_ = bits;
  explicit_input_bits_ = true;
}

uint64_t PageTableBuilder::new_table(uint64_t bytes) {
  uint64_t t = alloc_zeroed(mem_, alloc_, bytes, bytes, [this](uint64_t a) { return to_pa(a); });
  tables_.push_back(t);
  return t;
}

unsigned PageTableBuilder::index_bits(int level) const {
  return level == start_level_ ? input_bits_ - granule_.level_shift(level) : granule_.bits_per_level();
}

uint64_t PageTableBuilder::index(uint64_t iova, int level) const {
  return (iova >> granule_.level_shift(level)) & low_mask(index_bits(level));
}

uint64_t PageTableBuilder::input_of(uint64_t iova) const {
  if (input_bits_ < 64 && (iova >> input_bits_) != 0 && !explicit_input_bits_)
    throw std::invalid_argument("PageTableBuilder: input address " + hex(iova) + " above " +
                                std::to_string(input_bits_) + " bits");
  return iova & low_mask(input_bits_);
}

uint64_t PageTableBuilder::entry_address(uint64_t iova, int level, bool create) {
  if (level < start_level_ || level > 3)
    throw std::invalid_argument("PageTableBuilder: level " + std::to_string(level));
  uint64_t in = input_of(iova);
  uint64_t table = root_;
  for (int l = start_level_; l < level; ++l) {
    uint64_t slot = table + index(in, l) * 8;
    uint64_t d = mem_.read64(to_pa(slot));
    switch (arch::descriptor_type(d, l)) {
      case arch::DescriptorType::kTable:
        table = arch::descriptor_address(d, granule_.shift);
        break;
      case arch::DescriptorType::kInvalid:
        if (!create)
          throw std::invalid_argument("PageTableBuilder: no level-" + std::to_string(l + 1) +
                                      " table for " + hex(iova));
        table = new_table(granule_.size());
        mem_.write64(to_pa(slot), arch::make_table_descriptor(table));
        break;
      default:
        throw std::invalid_argument("PageTableBuilder: " + hex(iova) + " is inside a level-" +
                                    std::to_string(l) + " block");
    }
  }
  return table + index(in, level) * 8;
}

uint64_t PageTableBuilder::entry_pa(uint64_t iova, int level, bool create) {
  return to_pa(entry_address(iova, level, create));
}

void PageTableBuilder::write_entry(uint64_t iova, int level, uint64_t desc) {
  mem_.write64(entry_pa(iova, level, true), desc);
}

uint64_t PageTableBuilder::read_entry(uint64_t iova, int level) {
  return mem_.read64(entry_pa(iova, level, false));
}

void PageTableBuilder::set_table_attrs(uint64_t iova, int level, const arch::S1TableAttrs& attrs) {
  if (stage_ != Stage::kS1)
    throw std::invalid_argument("PageTableBuilder: table attributes are stage 1 only");
  uint64_t pa = entry_pa(iova, level, false);
  uint64_t d = mem_.read64(pa);
  if (arch::descriptor_type(d, level) != arch::DescriptorType::kTable)
    throw std::invalid_argument("PageTableBuilder: no table descriptor at level " +
                                std::to_string(level) + " for " + hex(iova));
  mem_.write64(pa, arch::make_table_descriptor(arch::descriptor_address(d, granule_.shift), attrs));
}

void PageTableBuilder::map(uint64_t iova, uint64_t pa, uint64_t size, const arch::S1LeafAttrs& attrs,
                           bool use_blocks) {
  if (stage_ != Stage::kS1)
    throw std::invalid_argument("PageTableBuilder: stage-1 attributes given to a stage-2 table");
  map_any(iova, pa, size, attrs.encode(), use_blocks);
}

void PageTableBuilder::map(uint64_t iova, uint64_t pa, uint64_t size, const arch::S2LeafAttrs& attrs,
                           bool use_blocks) {
  if (stage_ != Stage::kS2)
    throw std::invalid_argument("PageTableBuilder: stage-2 attributes given to a stage-1 table");
  map_any(iova, pa, size, attrs.encode(), use_blocks);
}

void PageTableBuilder::map_any(uint64_t iova, uint64_t pa, uint64_t size, uint64_t leaf_attrs,
                               bool use_blocks) {
  const uint64_t gmask = granule_.size() - 1;
  if ((iova | pa | size) & gmask || size == 0)
    throw std::invalid_argument("PageTableBuilder: map(" + hex(iova) + ", " + hex(pa) + ", " +
                                hex(size) + ") not aligned to the granule");
  input_of(iova);
  input_of(iova + size - 1);
  while (size) {
    uint64_t in = input_of(iova);
    uint64_t table = root_;
    for (int l = start_level_;; ++l) {
      const uint64_t span = uint64_t{1} << granule_.level_shift(l);
      const uint64_t slot = to_pa(table + index(in, l) * 8);
      const uint64_t d = mem_.read64(slot);
      const auto type = arch::descriptor_type(d, l);
      const bool leaf_fits = l == 3 || (use_blocks && granule_.block_allowed(l) &&
                                        ((iova | pa) & (span - 1)) == 0 && size >= span);
      if (leaf_fits && type != arch::DescriptorType::kTable) {
        uint64_t desc = arch::address_bits(pa, 47, granule_.shift) | leaf_attrs | (l == 3 ? 3 : 1);
        if (granule_.shift == 16) desc |= arch::extract(pa, 51, 48) << 12;  // OA[51:48] (LPA)
        mem_.write64(slot, desc);
        iova += span;
        pa += span;
        size -= span;
        break;
      }
      if (type == arch::DescriptorType::kTable) {
        table = arch::descriptor_address(d, granule_.shift);
      } else if (type == arch::DescriptorType::kInvalid) {
        uint64_t t = new_table(granule_.size());
        mem_.write64(slot, arch::make_table_descriptor(t));
        table = t;
      } else {
        throw std::invalid_argument("PageTableBuilder: " + hex(iova) +
                                    " is inside an existing level-" + std::to_string(l) + " block");
      }
    }
  }
}

void PageTableBuilder::unmap(uint64_t iova, uint64_t size) {
  const uint64_t gmask = granule_.size() - 1;
  if ((iova | size) & gmask)
    throw std::invalid_argument("PageTableBuilder: unmap(" + hex(iova) + ", " + hex(size) +
                                ") not aligned to the granule");
  while (size) {
    uint64_t in = input_of(iova);
    uint64_t table = root_;
    for (int l = start_level_;; ++l) {
      const uint64_t span = uint64_t{1} << granule_.level_shift(l);
      const uint64_t slot = to_pa(table + index(in, l) * 8);
      const uint64_t d = mem_.read64(slot);
      const auto type = arch::descriptor_type(d, l);
      if (type == arch::DescriptorType::kTable) {
        table = arch::descriptor_address(d, granule_.shift);
        continue;
      }
      // A hole or a leaf: skip to the end of this entry's span.
      uint64_t step = span - (iova & (span - 1));
      if (type != arch::DescriptorType::kInvalid) {
        if ((iova & (span - 1)) != 0 || size < span)
          throw std::invalid_argument("PageTableBuilder: unmap of " + hex(iova) +
                                      " would split a level-" + std::to_string(l) + " block");
        mem_.write64(slot, 0);
      }
      step = std::min(step, size);
      iova += step;
      size -= step;
      break;
    }
  }
}

// ---------------------------------------------------------------- StreamTableBuilder

StreamTableBuilder StreamTableBuilder::linear(MemoryWriter& mem, PageAllocator& alloc,
                                              unsigned log2size) {
  if (log2size > 32) throw std::invalid_argument("stream table log2size " + std::to_string(log2size));
  StreamTableBuilder b(mem, alloc);
  b.log2size_ = log2size;
  uint64_t bytes = uint64_t{64} << log2size;
  b.base_ = alloc_zeroed(mem, alloc, bytes, bytes, [](uint64_t a) { return a; });
  return b;
}

StreamTableBuilder StreamTableBuilder::two_level(MemoryWriter& mem, PageAllocator& alloc,
                                                 unsigned log2size, unsigned split) {
  if (log2size > 32) throw std::invalid_argument("stream table log2size " + std::to_string(log2size));
  if (split != 6 && split != 8 && split != 10)
    throw std::invalid_argument("stream table split " + std::to_string(split) + " (6, 8 or 10)");
  StreamTableBuilder b(mem, alloc);
  b.two_level_ = true;
  b.log2size_ = log2size;
  b.split_ = split;
  uint64_t l1_entries = uint64_t{1} << (log2size > split ? log2size - split : 0);
  uint64_t bytes = std::max<uint64_t>(64, l1_entries * 8);
  b.base_ = alloc_zeroed(mem, alloc, bytes, bytes, [](uint64_t a) { return a; });
  return b;
}

uint64_t StreamTableBuilder::base_cfg() const {
  uint64_t v = 0;
  v = arch::deposit(v, 17, 16, two_level_ ? 1 : 0);
  v = arch::deposit(v, 10, 6, split_);
  v = arch::deposit(v, 5, 0, log2size_);
  return v;
}

uint64_t StreamTableBuilder::ste_address(uint32_t sid) {
  if (log2size_ < 32 && (uint64_t{sid} >> log2size_) != 0)
    throw std::invalid_argument("StreamTableBuilder: sid " + std::to_string(sid) +
                                " above log2size " + std::to_string(log2size_));
  if (!two_level_) return base_ + uint64_t{sid} * 64;
  uint64_t l1 = base_ + (uint64_t{sid} >> split_) * 8;
  arch::L1StreamDescriptor d = arch::L1StreamDescriptor::decode(mem_->read64(l1));
  if (d.span == 0) {
    uint64_t bytes = uint64_t{64} << split_;
    d.l2ptr = alloc_zeroed(*mem_, *alloc_, bytes, bytes, [](uint64_t a) { return a; });
    d.span = static_cast<uint8_t>(split_ + 1);
    mem_->write64(l1, d.encode());
  }
  return d.l2ptr + (sid & low_mask(split_)) * 64;
}

void StreamTableBuilder::write_ste(uint32_t sid, const arch::Ste& ste) {
  uint64_t a = ste_address(sid);
  arch::SteWords w = ste.encode();
  // Word 0 (with V) last, as a driver would.
  for (std::size_t i = w.size(); i-- > 0;) mem_->write64(a + i * 8, w[i]);
}

arch::Ste StreamTableBuilder::read_ste(uint32_t sid) {
  uint64_t a = ste_address(sid);
  arch::SteWords w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = mem_->read64(a + i * 8);
  return arch::Ste::decode(w);
}

// ---------------------------------------------------------------- CdTableBuilder

CdTableBuilder CdTableBuilder::linear(MemoryWriter& mem, PageAllocator& alloc, unsigned s1cdmax,
                                      Translate ipa_to_pa) {
  if (s1cdmax > 20) throw std::invalid_argument("CD table s1cdmax " + std::to_string(s1cdmax));
  CdTableBuilder b(mem, alloc, std::move(ipa_to_pa));
  b.s1cdmax_ = s1cdmax;
  uint64_t bytes = uint64_t{64} << s1cdmax;
  b.base_ = alloc_zeroed(mem, alloc, bytes, bytes, [&b](uint64_t a) { return b.to_pa(a); });
  return b;
}

CdTableBuilder CdTableBuilder::two_level(MemoryWriter& mem, PageAllocator& alloc, unsigned s1cdmax,
                                         uint8_t s1fmt, Translate ipa_to_pa) {
  if (s1cdmax == 0 || s1cdmax > 20)
    throw std::invalid_argument("2-level CD table s1cdmax " + std::to_string(s1cdmax) +
                                " (1..20: with 0 the SMMU ignores S1FMT)");
  if (s1fmt != 1 && s1fmt != 2)
    throw std::invalid_argument("2-level CD table s1fmt " + std::to_string(s1fmt) + " (1 or 2)");
  CdTableBuilder b(mem, alloc, std::move(ipa_to_pa));
  b.s1cdmax_ = s1cdmax;
  b.s1fmt_ = s1fmt;
  unsigned lb = b.leaf_bits();
  uint64_t l1_entries = uint64_t{1} << (s1cdmax > lb ? s1cdmax - lb : 0);
  uint64_t bytes = std::max<uint64_t>(64, l1_entries * 8);
  b.base_ = alloc_zeroed(mem, alloc, bytes, bytes, [&b](uint64_t a) { return b.to_pa(a); });
  return b;
}

unsigned CdTableBuilder::leaf_bits() const { return s1fmt_ == 1 ? 6 : 10; }

void CdTableBuilder::attach(arch::Ste& ste) const {
  ste.s1_context_ptr = base_;
  ste.s1fmt = s1fmt_;
  ste.s1cdmax = static_cast<uint8_t>(s1cdmax_);
}

uint64_t CdTableBuilder::cd_address(uint32_t ssid) {
  if ((uint64_t{ssid} >> s1cdmax_) != 0)
    throw std::invalid_argument("CdTableBuilder: ssid " + std::to_string(ssid) +
                                " above s1cdmax " + std::to_string(s1cdmax_));
  if (s1fmt_ == 0) return base_ + uint64_t{ssid} * 64;
  unsigned lb = leaf_bits();
  uint64_t l1 = base_ + (uint64_t{ssid} >> lb) * 8;
  arch::L1CdDescriptor d = arch::L1CdDescriptor::decode(mem_->read64(to_pa(l1)));
  if (!d.valid) {
    // A leaf need not be larger than the CD count; L2Ptr is 4 KiB aligned.
    uint64_t bytes = uint64_t{64} << std::min(lb, s1cdmax_);
    d.l2ptr = alloc_zeroed(*mem_, *alloc_, bytes, std::max<uint64_t>(bytes, 4096),
                           [this](uint64_t a) { return to_pa(a); });
    d.valid = true;
    mem_->write64(to_pa(l1), d.encode());
  }
  return d.l2ptr + (ssid & low_mask(lb)) * 64;
}

void CdTableBuilder::write_cd(uint32_t ssid, const arch::Cd& cd) {
  uint64_t a = cd_address(ssid);
  arch::CdWords w = cd.encode();
  for (std::size_t i = w.size(); i-- > 0;) mem_->write64(to_pa(a + i * 8), w[i]);
}

arch::Cd CdTableBuilder::read_cd(uint32_t ssid) {
  uint64_t a = cd_address(ssid);
  arch::CdWords w{};
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = mem_->read64(to_pa(a + i * 8));
  return arch::Cd::decode(w);
}

Stage1StreamRegs build_stage1_stream(MemoryWriter& mem, PageAllocator& alloc, uint32_t sid,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& pages,
                                     uint16_t asid, unsigned log2_sids) {
  PageTableBuilder pt(mem, alloc, arch::Granule{12}, 0);
  arch::S1LeafAttrs rw;
  rw.af = true;
  rw.ap = 1;  // read/write at any EL
  for (const auto& [va, pa] : pages) pt.map(va, pa, 0x1000, rw, false);
  CdTableBuilder cds = CdTableBuilder::linear(mem, alloc, 0);
  arch::Cd cd;
  cd.valid = true;
  cd.aa64 = true;
  cd.t0sz = 16;  // 48-bit VA: a 4K walk starts at level 0
  cd.tg0 = 0;    // 4K
  cd.epd1 = true;
  cd.ips = 5;    // 48-bit output
  cd.asid = asid;
  cd.ttb0 = pt.root();
  cd.r = cd.a = true;  // record faults and abort them
  cds.write_cd(0, cd);
  StreamTableBuilder st = StreamTableBuilder::linear(mem, alloc, log2_sids);
  arch::Ste ste;
  ste.valid = true;
  ste.config = static_cast<uint8_t>(arch::SteConfig::kS1);
  cds.attach(ste);
  st.write_ste(sid, ste);
  return Stage1StreamRegs{st.base_reg(), static_cast<uint32_t>(st.base_cfg())};
}

}  // namespace smmu::platform
