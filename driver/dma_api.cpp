// SPDX-License-Identifier: Apache-2.0
#include "driver/dma_api.h"

#include <cstring>
#include <stdexcept>

namespace smmu::driver {

const char* to_string(DmaInvPolicy p) { return p == DmaInvPolicy::kStrict ? "strict" : "lazy"; }

bool dma_inv_policy_from_string(const char* s, DmaInvPolicy& out) {
  if (std::strcmp(s, "strict") == 0) {
    out = DmaInvPolicy::kStrict;
  } else if (std::strcmp(s, "lazy") == 0) {
    out = DmaInvPolicy::kLazy;
  } else {
    return false;
  }
  return true;
}

namespace {
const DmaApiConfig& checked(Domain& d, const DmaApiConfig& cfg) {
  if (!d.is_paging()) throw std::invalid_argument("dma api: the domain is not a paging domain");
  if (cfg.iova.granule_shift != d.config().granule_shift)
    throw std::invalid_argument("dma api: bad iova.granule_shift (not the domain's granule)");
  return cfg;
}
}  // namespace

DmaApi::DmaApi(Os& os, Domain& domain, const DmaApiConfig& cfg)
    : os_(os),
      domain_(domain),
      cfg_(checked(domain, cfg)),
      granule_mask_((uint64_t{1} << cfg.iova.granule_shift) - 1),
      iova_(os, cfg.iova) {
  latencies_.resize(cfg.iova.cpus);
  if (cfg.policy == DmaInvPolicy::kLazy)
    fq_ = std::make_unique<FlushQueue>(
        os, cfg.fq, [this] { return flush_domain(); }, [this](FlushEntry& e) { release(e); });
}

DmaApi::~DmaApi() { drain(); }

void DmaApi::record(uint64_t ns) { latencies_[os_.cpu_id() % latencies_.size()].push_back(ns); }

SmmuStatus DmaApi::flush_domain() {
  const uint64_t t0 = os_.now_ns();
  const SmmuStatus st = domain_.inv_all();
  record(os_.now_ns() - t0);
  return st;
}

void DmaApi::release(FlushEntry& e) {
  // A flush the SMMUs did not confirm leaves the entry possibly cached: neither its
  // tables nor its IOVA may be reused.
  if (fq_->stats().flush_errors.load() > 0) {
    ++stats_.leaked_iovas;
    e.gather.freelist.clear();
    return;
  }
  free_gathered_tables(os_, e.gather);
  iova_.free(e.iova, e.size);
}

uint64_t DmaApi::map(uint64_t pa, uint64_t size, const IommuProt& prot) {
  poll();
  const uint64_t offset = pa & granule_mask_;
  const uint64_t span = (offset + size + granule_mask_) & ~granule_mask_;
  if (size == 0) {
    ++stats_.map_failures;
    return 0;
  }
  const uint64_t iova = iova_.alloc(span);
  if (iova == 0) {
    ++stats_.map_failures;
    return 0;
  }
  if (domain_.map(iova, pa - offset, span, prot) != PgtableStatus::kOk) {
    iova_.free(iova, span);
    ++stats_.map_failures;
    return 0;
  }
  ++stats_.maps;
  return iova + offset;
}

SmmuStatus DmaApi::unmap(uint64_t dma_addr, uint64_t size) {
  const uint64_t iova = dma_addr & ~granule_mask_;
  const uint64_t span = ((dma_addr & granule_mask_) + size + granule_mask_) & ~granule_mask_;
  ++stats_.unmaps;
  if (cfg_.policy == DmaInvPolicy::kStrict) {
    const uint64_t t0 = os_.now_ns();
    const Domain::UnmapOutcome out = domain_.unmap(iova, span);
    record(os_.now_ns() - t0);
    if (out.pgtable.status != PgtableStatus::kOk) return SmmuStatus::kInvalidArgument;
    if (out.inv != SmmuStatus::kOk) {
      ++stats_.inv_failures;
      ++stats_.leaked_iovas;
      return out.inv;
    }
    iova_.free(iova, span);
    return SmmuStatus::kOk;
  }
  Gather gather;
  const UnmapResult r = domain_.unmap_noflush(iova, span, gather);
  if (r.status != PgtableStatus::kOk) return SmmuStatus::kInvalidArgument;
  if (!gather.freelist.empty()) {
    // Tables were unlinked: the walk caches must forget them before anything is mapped
    // through their replacements, so this unmap invalidates now (as Linux's
    // io-pgtable flushes the walk at once even in lazy mode) and is done.
    ++stats_.walk_flushes;
    const uint64_t t0 = os_.now_ns();
    const SmmuStatus st = domain_.inv_range(gather.start, gather.size(), gather.granule(), false);
    record(os_.now_ns() - t0);
    if (st != SmmuStatus::kOk) {
      ++stats_.inv_failures;
      ++stats_.leaked_iovas;
      return st;
    }
    free_gathered_tables(os_, gather);
    iova_.free(iova, span);
    poll();
    return SmmuStatus::kOk;
  }
  fq_->queue(iova, span, std::move(gather));
  poll();
  return SmmuStatus::kOk;
}

void DmaApi::poll() {
  if (fq_) fq_->poll();
}

void DmaApi::drain() {
  if (fq_) fq_->drain();
}

void DmaApi::abandon() {
  if (fq_) fq_->discard();
}

void DmaApi::clear_latencies() {
  for (auto& v : latencies_) v.clear();
}

std::vector<uint64_t> DmaApi::inv_latencies() const {
  std::vector<uint64_t> all;
  for (const auto& v : latencies_) all.insert(all.end(), v.begin(), v.end());
  return all;
}

}  // namespace smmu::driver
