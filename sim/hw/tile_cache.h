// TileCache: a cache that allocates whole tensor tiles (a weight tile, a block of KV rows, an
// activation row block) rather than lines — the granularity at which tiles move through a chip.
//
// Keys are (tensor, tile) pairs; entries have their tile's size. Capacity is in bytes; inserting
// evicts victims (policy order) until the new tile fits. A tile larger than the whole cache is never
// cached (streamed through). Writes allocate and mark the entry dirty; evicting a dirty entry reports
// its bytes so the caller can write them back. Pure data structure: no time, no events.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sim/hw/replacement_policy.h"

namespace archsim::hw {

struct TileKey {
  std::uint32_t tensor = 0;  // stable tensor index (same across a workload's graphs)
  std::uint32_t tile = 0;
  bool operator==(const TileKey&) const = default;
};

struct TileKeyHash {
  std::size_t operator()(const TileKey& k) const {
    return std::hash<std::uint64_t>()((static_cast<std::uint64_t>(k.tensor) << 32) | k.tile);
  }
};

class TileCache {
 public:
  struct Access {
    bool hit = false;
    std::uint64_t writeback_bytes = 0;  // dirty bytes evicted to make room
  };

  TileCache(std::uint64_t capacity_bytes, std::unique_ptr<ReplacementPolicy> policy);

  /// Looks `key` up; on a miss allocates it (evicting as needed). `write` marks the entry dirty.
  Access access(TileKey key, std::uint64_t bytes, bool write);
  bool contains(TileKey key) const { return index_.count(key) != 0; }
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }

 private:
  struct Entry {
    TileKey key;
    std::uint64_t bytes = 0;
    bool dirty = false;
    bool live = false;
  };
  std::uint32_t allocateSlot();
  std::uint64_t evict(std::uint32_t slot);

  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::unique_ptr<ReplacementPolicy> policy_;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<TileKey, std::uint32_t, TileKeyHash> index_;  // lookups only, never iterated
};

}  // namespace archsim::hw
