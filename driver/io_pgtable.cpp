// SPDX-License-Identifier: Apache-2.0
#include "driver/io_pgtable.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "rtl_model/arch/bits.h"

namespace smmu::driver {

namespace {

constexpr uint64_t low_mask(unsigned bits) {
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

bool aligned(uint64_t v, unsigned shift) { return (v & low_mask(shift)) == 0; }

// Leaf bits that are attributes (lower [11:2], upper [63:50]); a split copies them.
constexpr uint64_t kLeafAttrMask = arch::field_mask(11, 2) | arch::field_mask(63, 50);

[[noreturn]] void bad(const std::string& what) {
  throw std::invalid_argument("io-pgtable " + what);
}

// Whether S2SL0 can name `level` as the start level for this granule and output size.
bool s2_start_level_encodable(unsigned granule_shift, int level, unsigned oas) {
  if (granule_shift == 12) return level == 2 || level == 1 || (level == 0 && oas >= 44);
  if (level == 3 || level == 2) return true;
  return level == 1 && oas >= (granule_shift == 14 ? 42u : 44u);
}

uint8_t s2sl0_encoding(unsigned granule_shift, int level) {
  // 4K: SL0 0/1/2 = level 2/1/0; 16K and 64K: SL0 0/1/2 = level 3/2/1.
  return static_cast<uint8_t>((granule_shift == 12 ? 2 : 3) - level);
}

}  // namespace

// --- Gather

void Gather::add_leaf(uint64_t iova, unsigned shift) {
  start = std::min(start, iova);
  end = std::max(end, iova + (uint64_t{1} << shift));
  leaf_shift = leaf_shift == 0 ? shift : std::min(leaf_shift, shift);
  max_leaf_shift = std::max(max_leaf_shift, shift);
}

void free_gathered_tables(Os& os, Gather& gather) {
  for (const FreedTable& t : gather.freelist) os.dma_free(t.pa, t.size);
  gather.freelist.clear();
}

const char* to_string(PgtableStatus s) {
  switch (s) {
    case PgtableStatus::kOk: return "ok";
    case PgtableStatus::kInvalidArgument: return "invalid argument";
    case PgtableStatus::kNoMemory: return "out of memory";
    case PgtableStatus::kAlreadyMapped: return "already mapped";
  }
  return "unknown";
}

// --- construction

std::unique_ptr<IoPgtable> IoPgtable::create(Os& os, const IoPgtableConfig& cfg) {
  std::unique_ptr<IoPgtable> t(new IoPgtable(os, cfg));
  t->root_ = os.dma_alloc(t->root_bytes_, t->root_bytes_);
  if (t->root_ == 0) return nullptr;
  t->tables_[t->root_] = TableInfo{t->start_level_, t->root_bytes_, 0};
  return t;
}

IoPgtable::IoPgtable(Os& os, const IoPgtableConfig& cfg) : os_(os), cfg_(cfg) {
  const unsigned g = cfg.granule_shift;
  if (cfg.stage != PgtableStage::kS1 && cfg.stage != PgtableStage::kS2)
    bad("stage " + std::to_string(static_cast<int>(cfg.stage)) + ": must be 1 or 2");
  if (g != 12 && g != 14 && g != 16)
    bad("granule_shift " + std::to_string(g) + ": must be 12, 14 or 16");
  if (arch::ps_encoding(cfg.oas) < 0)
    bad("oas " + std::to_string(cfg.oas) + ": must be 32, 36, 40, 42, 44, 48 or 52");
  if (cfg.oas == 52 && g != 16) bad("oas 52: needs granule_shift 16 (no LPA2)");
  const bool s2 = cfg.stage == PgtableStage::kS2;
  const unsigned max_ias = s2 && g == 16 ? 52 : 48;
  if (cfg.ias < 25 || cfg.ias > max_ias)
    bad("ias " + std::to_string(cfg.ias) + ": outside 25.." + std::to_string(max_ias));
  if (s2 && cfg.ias > cfg.oas)
    bad("ias " + std::to_string(cfg.ias) + ": a stage-2 input cannot be wider than oas " +
        std::to_string(cfg.oas));
  if (s2 && cfg.ng) bad("ng: stage 2 leaves have no nG bit");

  granule_ = arch::Granule{g};
  oa52_ = cfg.oas == 52 && g == 16;
  const unsigned bpl = granule_.bits_per_level();
  const unsigned levels = (cfg.ias - g + bpl - 1) / bpl;
  start_level_ = 4 - static_cast<int>(levels);
  start_index_bits_ = cfg.ias - level_shift(start_level_);
  if (s2) {
    // Linux's rule: a level-0 table of at most 16 entries becomes 16 concatenated level-1 ones.
    if (start_level_ == 0 && start_index_bits_ <= 4) {
      start_level_ = 1;
      start_index_bits_ += bpl;
    }
    // A start level S2SL0 cannot name: concatenate one level down if 16 tables suffice.
    while (!s2_start_level_encodable(g, start_level_, cfg.oas)) {
      const unsigned next_bits = start_level_ < 3 ? cfg.ias - level_shift(start_level_ + 1) : 99;
      if (next_bits > bpl + 4)
        bad("ias " + std::to_string(cfg.ias) + ": no stage-2 start level for granule_shift " +
            std::to_string(g) + " with oas " + std::to_string(cfg.oas));
      ++start_level_;
      start_index_bits_ = next_bits;
    }
  }
  concat_ = start_index_bits_ > bpl ? 1u << (start_index_bits_ - bpl) : 1u;
  // The TTB is aligned to the table's size, at least 64 bytes.
  root_bytes_ = std::max<size_t>(64, size_t{8} << start_index_bits_);
}

IoPgtable::~IoPgtable() {
  if (root_) free_tree(root_, start_level_);
}

void IoPgtable::free_tree(uint64_t table, int level) {
  const TableInfo info = tables_.at(table);
  if (level < 3 && info.valid) {
    for (uint64_t off = 0; off < info.bytes; off += 8) {
      const uint64_t desc = os_.read64(table + off);
      if (arch::descriptor_type(desc, level) == arch::DescriptorType::kTable)
        free_tree(decode_address(desc), level + 1);
    }
  }
  os_.dma_free(table, info.bytes);
  tables_.erase(table);
}

// --- encodings

uint64_t IoPgtable::index(uint64_t iova, int level) const {
  const unsigned bits = level == start_level_ ? start_index_bits_ : granule_.bits_per_level();
  return (iova >> level_shift(level)) & low_mask(bits);
}

uint64_t IoPgtable::encode_address(uint64_t pa) const {
  uint64_t d = pa & arch::field_mask(47, granule_.shift);
  if (oa52_) d |= arch::extract(pa, 51, 48) << 12;  // 64K with 52-bit OA: OA[51:48] in [15:12]
  return d;
}

uint64_t IoPgtable::decode_address(uint64_t desc) const {
  return arch::descriptor_address(desc, granule_.shift, oa52_);
}

uint64_t IoPgtable::table_descriptor(uint64_t table) const { return encode_address(table) | 0x3; }

uint64_t IoPgtable::leaf_descriptor(uint64_t pa, int level, uint64_t attrs) const {
  return encode_address(pa) | attrs | (level == 3 ? 0x3 : 0x1);
}

uint64_t IoPgtable::leaf_attributes(const IommuProt& prot) const {
  if (cfg_.stage == PgtableStage::kS1) {
    arch::S1LeafAttrs a;
    a.attr_indx = prot.mem == MemType::kNormal ? 1 : prot.mem == MemType::kNonCacheable ? 0 : 2;
    // AP[2] (bit 7): read-only; AP[1] (bit 6): EL0 may access. Stage 1 cannot express
    // write-only: a writable mapping is readable.
    a.ap = static_cast<uint8_t>((prot.write ? 0 : 2) | (prot.priv ? 0 : 1));
    a.sh = 3;
    a.af = true;  // no access-flag faults: the SMMU does not manage AF here
    a.ng = cfg_.ng;
    a.uxn = a.pxn = !prot.exec;
    return a.encode();
  }
  arch::S2LeafAttrs a;
  a.mem_attr = prot.mem == MemType::kNormal ? 0xf : prot.mem == MemType::kNonCacheable ? 0x5 : 0x1;
  a.s2ap = static_cast<uint8_t>((prot.read ? 1 : 0) | (prot.write ? 2 : 0));
  a.sh = 3;
  a.af = true;
  a.xn = prot.exec ? 0 : 2;
  return a.encode();
}

uint64_t IoPgtable::pgsize_bitmap() const {
  uint64_t m = 0;
  for (int level = start_level_; level <= 3; ++level)
    if (leaf_allowed(level)) m |= uint64_t{1} << level_shift(level);
  return m;
}

// --- table bookkeeping

bool IoPgtable::alloc_tables(size_t n, std::vector<uint64_t>& pool) {
  const size_t bytes = granule_.size();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t pa = os_.dma_alloc(bytes, bytes);  // zeroed: every entry invalid
    if (pa == 0) {
      for (uint64_t p : pool) os_.dma_free(p, bytes);
      pool.clear();
      return false;
    }
    pool.push_back(pa);
  }
  return true;
}

uint64_t IoPgtable::take_table(std::vector<uint64_t>& pool, int level) {
  if (pool.empty()) throw std::logic_error("io-pgtable: table pool miscounted");
  const uint64_t pa = pool.back();
  pool.pop_back();
  tables_[pa] = TableInfo{level, static_cast<size_t>(granule_.size()), 0};
  return pa;
}

void IoPgtable::set_entry(uint64_t table, uint64_t slot, uint64_t old_desc, uint64_t desc) {
  os_.write64(slot, desc);
  TableInfo& info = tables_.at(table);
  const bool was = old_desc & 1, is = desc & 1;
  if (was && !is) --info.valid;
  if (!was && is) ++info.valid;
}

// --- map

struct IoPgtable::MapPass {
  bool dry = true;      // first pass: read only, count tables, find overlaps
  size_t needed = 0;    // tables the real pass will take
  std::vector<uint64_t> pool;
  uint64_t attrs = 0;
};

PgtableStatus IoPgtable::map(uint64_t iova, uint64_t pa, uint64_t size, const IommuProt& prot) {
  const unsigned g = granule_.shift;
  if (size == 0 || !aligned(iova, g) || !aligned(pa, g) || !aligned(size, g))
    return PgtableStatus::kInvalidArgument;
  if (iova + size < iova || ((iova + size - 1) >> cfg_.ias) != 0) return PgtableStatus::kInvalidArgument;
  if (pa + size < pa || ((pa + size - 1) >> cfg_.oas) != 0) return PgtableStatus::kInvalidArgument;
  if (!prot.read && !prot.write) return PgtableStatus::kInvalidArgument;

  MapPass pass;
  pass.attrs = leaf_attributes(prot);
  const PgtableStatus st = map_level(root_, start_level_, iova, pa, size, pass);
  if (st != PgtableStatus::kOk) return st;
  if (!alloc_tables(pass.needed, pass.pool)) return PgtableStatus::kNoMemory;
  pass.dry = false;
  map_level(root_, start_level_, iova, pa, size, pass);
  if (!pass.pool.empty()) throw std::logic_error("io-pgtable: table pool miscounted");
  // The new leaves are visible to the SMMU before the caller lets a device use them.
  os_.dma_wmb();
  return PgtableStatus::kOk;
}

// table == 0 (dry pass only): a table the real pass will create, still empty.
PgtableStatus IoPgtable::map_level(uint64_t table, int level, uint64_t iova, uint64_t pa,
                                   uint64_t size, MapPass& pass) {
  const unsigned shift = level_shift(level);
  const uint64_t esize = uint64_t{1} << shift;
  while (size) {
    const uint64_t entry_base = iova & ~(esize - 1);
    const uint64_t chunk = std::min(size, entry_base + esize - iova);
    const uint64_t slot = table + index(iova, level) * 8;
    const uint64_t desc = table ? os_.read64(slot) : 0;
    const arch::DescriptorType type = arch::descriptor_type(desc, level);
    if (type != arch::DescriptorType::kInvalid && type != arch::DescriptorType::kTable)
      return PgtableStatus::kAlreadyMapped;  // a leaf (or a reserved encoding) is in the way

    const bool leaf_fits = chunk == esize && aligned(pa, shift) && leaf_allowed(level);
    if (type == arch::DescriptorType::kInvalid && leaf_fits) {
      if (!pass.dry) set_entry(table, slot, desc, leaf_descriptor(pa, level, pass.attrs));
    } else {
      uint64_t next = 0;
      if (type == arch::DescriptorType::kTable) {
        next = decode_address(desc);
      } else if (pass.dry) {
        ++pass.needed;
      } else {
        next = take_table(pass.pool, level + 1);
        // The new table's (zeroed) contents must be visible to the SMMU before the
        // descriptor that leads to it: a walker following the new link must not read
        // stale memory behind it.
        os_.dma_wmb();
        set_entry(table, slot, desc, table_descriptor(next));
      }
      const PgtableStatus st = map_level(next, level + 1, iova, pa, chunk, pass);
      if (st != PgtableStatus::kOk) return st;
    }
    iova += chunk;
    pa += chunk;
    size -= chunk;
  }
  return PgtableStatus::kOk;
}

// --- unmap

struct IoPgtable::UnmapPass {
  bool dry = true;
  size_t needed = 0;  // tables the splits will take
  std::vector<uint64_t> pool;
  Gather* gather = nullptr;
  uint64_t unmapped = 0;
};

UnmapResult IoPgtable::unmap(uint64_t iova, uint64_t size, Gather& gather) {
  const unsigned g = granule_.shift;
  if (size == 0 || !aligned(iova, g) || !aligned(size, g) || iova + size < iova ||
      ((iova + size - 1) >> cfg_.ias) != 0)
    return {PgtableStatus::kInvalidArgument, 0};
  UnmapPass pass;
  unmap_level(root_, start_level_, iova, size, pass);
  if (!alloc_tables(pass.needed, pass.pool)) return {PgtableStatus::kNoMemory, 0};
  pass.dry = false;
  pass.gather = &gather;
  unmap_level(root_, start_level_, iova, size, pass);
  if (!pass.pool.empty()) throw std::logic_error("io-pgtable: table pool miscounted");
  return {PgtableStatus::kOk, pass.unmapped};
}

void IoPgtable::unmap_level(uint64_t table, int level, uint64_t iova, uint64_t size,
                            UnmapPass& pass) {
  const unsigned shift = level_shift(level);
  const uint64_t esize = uint64_t{1} << shift;
  while (size) {
    const uint64_t entry_base = iova & ~(esize - 1);
    const uint64_t chunk = std::min(size, entry_base + esize - iova);
    const uint64_t slot = table + index(iova, level) * 8;
    const uint64_t desc = os_.read64(slot);
    switch (arch::descriptor_type(desc, level)) {
      case arch::DescriptorType::kInvalid:
      case arch::DescriptorType::kReserved:  // never written by us: nothing mapped
        break;
      case arch::DescriptorType::kTable: {
        const uint64_t next = decode_address(desc);
        unmap_level(next, level + 1, iova, chunk, pass);
        const auto it = tables_.find(next);
        if (!pass.dry && it != tables_.end() && it->second.valid == 0 &&
            (cfg_.free_empty_tables || chunk == esize)) {
          // Empty: unlink it now, free it after the invalidation (the walk cache may
          // hold this descriptor, which leads to it).
          set_entry(table, slot, desc, 0);
          pass.gather->leaf = false;
          pass.gather->freelist.push_back({next, it->second.bytes});
          tables_.erase(it);
        }
        break;
      }
      case arch::DescriptorType::kBlock:
      case arch::DescriptorType::kPage:
        if (chunk == esize) {
          if (!pass.dry) {
            set_entry(table, slot, desc, 0);
            pass.gather->add_leaf(entry_base, shift);
            pass.unmapped += esize;
          }
        } else if (pass.dry) {
          pass.needed += split_tables_needed(level, iova, chunk);
        } else {
          const uint64_t t = build_split(desc, level, entry_base, iova, chunk, pass.pool);
          // The replacement table is complete in memory before the SMMU can reach it.
          os_.dma_wmb();
          set_entry(table, slot, desc, table_descriptor(t));
          // TLB entries of the old block cover all of it, at block size.
          pass.gather->add_leaf(entry_base, shift);
          pass.unmapped += chunk;
        }
        break;
    }
    iova += chunk;
    size -= chunk;
  }
}

size_t IoPgtable::split_tables_needed(int level, uint64_t iova, uint64_t size) const {
  size_t n = 1;
  const int child = level + 1;
  if (child == 3) return n;  // pages are either in the range or out of it
  const uint64_t csize = uint64_t{1} << level_shift(child);
  const uint64_t end = iova + size;
  const uint64_t first = iova & ~(csize - 1);
  const uint64_t last = (end - 1) & ~(csize - 1);
  for (uint64_t cb : {first, last}) {
    const uint64_t lo = std::max(cb, iova), hi = std::min(cb + csize, end);
    if (hi - lo != csize) n += split_tables_needed(child, lo, hi - lo);
    if (first == last) break;
  }
  return n;
}

uint64_t IoPgtable::build_split(uint64_t block_desc, int level, uint64_t block_base,
                                uint64_t iova, uint64_t size, std::vector<uint64_t>& pool) {
  const int child = level + 1;
  const unsigned cshift = level_shift(child);
  const uint64_t csize = uint64_t{1} << cshift;
  const uint64_t out = decode_address(block_desc) & ~low_mask(level_shift(level));
  const uint64_t attrs = block_desc & kLeafAttrMask;
  const uint64_t end = iova + size;
  const uint64_t t = take_table(pool, child);
  const uint64_t entries = uint64_t{1} << granule_.bits_per_level();
  // Not linked yet: the SMMU cannot see these writes until the caller links t.
  for (uint64_t i = 0; i < entries; ++i) {
    const uint64_t cb = block_base + i * csize;
    const uint64_t lo = std::max(cb, iova), hi = std::min(cb + csize, end);
    const uint64_t leaf = leaf_descriptor(out + i * csize, child, attrs);
    uint64_t d = leaf;
    if (lo < hi) {
      if (hi - lo == csize) continue;  // unmapped: stays invalid
      const uint64_t sub = build_split(leaf, child, cb, lo, hi - lo, pool);
      // Not needed while the parent is unreachable, but keeps the rule simple: a
      // table is complete in memory before any descriptor points to it.
      os_.dma_wmb();
      d = table_descriptor(sub);
    }
    set_entry(t, t + i * 8, 0, d);
  }
  return t;
}

// --- lookups and the CD / STE fields

std::optional<PgtableLeaf> IoPgtable::lookup(uint64_t iova) const {
  if ((iova >> cfg_.ias) != 0) return std::nullopt;
  uint64_t table = root_;
  for (int level = start_level_; level <= 3; ++level) {
    const uint64_t desc = os_.read64(table + index(iova, level) * 8);
    switch (arch::descriptor_type(desc, level)) {
      case arch::DescriptorType::kInvalid:
      case arch::DescriptorType::kReserved:
        return std::nullopt;
      case arch::DescriptorType::kTable:
        table = decode_address(desc);
        continue;
      case arch::DescriptorType::kBlock:
      case arch::DescriptorType::kPage: {
        PgtableLeaf leaf;
        leaf.level = level;
        leaf.shift = level_shift(level);
        leaf.desc = desc;
        leaf.pa = (decode_address(desc) & ~low_mask(leaf.shift)) | (iova & low_mask(leaf.shift));
        return leaf;
      }
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> IoPgtable::iova_to_phys(uint64_t iova) const {
  const auto leaf = lookup(iova);
  if (!leaf) return std::nullopt;
  return leaf->pa;
}

void IoPgtable::fill_cd(arch::Cd& cd) const {
  if (cfg_.stage != PgtableStage::kS1) throw std::logic_error("io-pgtable fill_cd: a stage-2 table");
  cd.t0sz = static_cast<uint8_t>(64 - cfg_.ias);
  cd.tg0 = arch::tg0_encoding(granule_.shift);
  cd.irgn0 = 1;  // write-back, read/write allocate
  cd.orgn0 = 1;
  cd.sh0 = 3;    // inner shareable
  cd.epd0 = false;
  cd.epd1 = true;  // no TTB1 half: its walks fault
  cd.ips = static_cast<uint8_t>(arch::ps_encoding(cfg_.oas));
  cd.aa64 = true;
  cd.ttb0 = root_;
  cd.mair = kS1Mair;
}

void IoPgtable::fill_ste(arch::Ste& ste) const {
  if (cfg_.stage != PgtableStage::kS2) throw std::logic_error("io-pgtable fill_ste: a stage-1 table");
  ste.s2t0sz = static_cast<uint8_t>(64 - cfg_.ias);
  ste.s2sl0 = s2sl0_encoding(granule_.shift, start_level_);
  ste.s2tg = arch::tg0_encoding(granule_.shift);
  ste.s2ps = static_cast<uint8_t>(arch::ps_encoding(cfg_.oas));
  ste.s2ir0 = 1;
  ste.s2or0 = 1;
  ste.s2sh0 = 3;
  ste.s2aa64 = true;
  ste.s2endi = false;
  ste.s2ttb = root_;
}

}  // namespace smmu::driver
