// SPDX-License-Identifier: Apache-2.0
#include "rtl_model/common/set_associative_cache.h"

namespace smmu::model {

ReplacementPolicy parse_replacement_policy(const std::string& name) {
  if (name == "lru") return ReplacementPolicy::kLru;
  if (name == "fifo") return ReplacementPolicy::kFifo;
  if (name == "random") return ReplacementPolicy::kRandom;
  throw std::invalid_argument("unknown replacement policy '" + name + "' (lru, fifo, random)");
}

const char* to_string(ReplacementPolicy p) {
  switch (p) {
    case ReplacementPolicy::kLru: return "lru";
    case ReplacementPolicy::kFifo: return "fifo";
    case ReplacementPolicy::kRandom: return "random";
  }
  return "?";
}

}  // namespace smmu::model
