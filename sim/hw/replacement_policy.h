// ReplacementPolicy: which resident entry a tile cache evicts. An interface beside its
// implementations (lru_policy.cpp, fifo_policy.cpp); the cache knows only this header.
//
// Entries are dense slot indices handed out by the cache. Every call is O(1); the policies keep no
// hash maps, so eviction order is deterministic.
#pragma once

#include <cstdint>
#include <memory>

#include "sim/spec/chip_spec.h"

namespace archsim::hw {

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  /// `slot` now holds a new entry.
  virtual void inserted(std::uint32_t slot) = 0;
  /// `slot` was hit.
  virtual void touched(std::uint32_t slot) = 0;
  /// `slot` left the cache.
  virtual void removed(std::uint32_t slot) = 0;
  /// The entry to evict next (the cache is not empty).
  virtual std::uint32_t victim() const = 0;
};

/// lru and fifo; random is a seeded, deterministic choice.
std::unique_ptr<ReplacementPolicy> makePolicy(spec::ReplacementPolicy policy);

}  // namespace archsim::hw
