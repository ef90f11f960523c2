// TileCache: a cache indexed by tensor blocks rather than lines — the granularity at which tiles
// move through a chip.
//
// Keys are (tensor, block) pairs. An entry holds the bytes of its block that were actually brought
// in or written (at most the block size): a read that needs more than an entry holds is a miss that
// grows the entry; a small write allocates only what it writes. Capacity is in bytes; growing or
// inserting evicts victims (policy order) until the bytes fit. Written bytes are dirty; evicting an
// entry reports its dirty bytes so the caller writes them back. Pure data structure: no time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/hw/flat_index.h"
#include "sim/hw/replacement_policy.h"

namespace archsim::hw {

struct TileKey {
  std::uint32_t tensor = 0;  // stable tensor index (same across a workload's graphs)
  std::uint32_t tile = 0;
  bool operator==(const TileKey&) const = default;
};

inline std::uint64_t packKey(TileKey k) {
  return (static_cast<std::uint64_t>(k.tensor) << 32) | k.tile;
}

class TileCache {
 public:
  struct Access {
    bool hit = false;
    std::uint64_t writeback_bytes = 0;  // dirty bytes evicted to make room
  };

  TileCache(std::uint64_t capacity_bytes, std::unique_ptr<ReplacementPolicy> policy);

  /// Touches `bytes` of block `key` (at most `block_bytes`). A read hits when the entry already
  /// holds that many bytes; otherwise it misses and the entry grows to hold them. A write always
  /// lands in the cache (allocating what it writes) and marks those bytes dirty.
  Access access(TileKey key, std::uint64_t bytes, std::uint64_t block_bytes, bool write);
  bool contains(TileKey key) const { return index_.find(packKey(key)) != FlatIndex::kMissing; }
  /// Drops every entry without writing anything back (work replayed rather than simulated has
  /// already been charged its write-backs).
  void clear();
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }

 private:
  struct Entry {
    TileKey key;
    std::uint64_t bytes = 0;  // held
    std::uint64_t dirty = 0;  // of which written and not yet written back
    bool live = false;
  };
  std::uint32_t allocateSlot();
  std::uint64_t evict(std::uint32_t slot);
  /// Evicts until `bytes` more fit; returns the dirty bytes evicted.
  std::uint64_t makeRoom(std::uint64_t bytes);

  // The policy's calls, direct (inlined) for the list policies, virtual for the others.
  void inserted(std::uint32_t slot) { list_ ? list_->inserted(slot) : policy_->inserted(slot); }
  void touched(std::uint32_t slot) { list_ ? list_->touched(slot) : policy_->touched(slot); }
  void removed(std::uint32_t slot) { list_ ? list_->removed(slot) : policy_->removed(slot); }
  std::uint32_t victim() const { return list_ ? list_->victim() : policy_->victim(); }

  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::unique_ptr<ReplacementPolicy> policy_;
  ListPolicy* list_;  // policy_ when it is a ListPolicy, else null
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  FlatIndex index_;
};

}  // namespace archsim::hw
