#include "sim/hw/tile_cache.h"

#include <algorithm>

#include "sim/core/error.h"

namespace archsim::hw {
TileCache::TileCache(std::uint64_t capacity_bytes, std::unique_ptr<ReplacementPolicy> policy)
    : capacity_(capacity_bytes),
      policy_(std::move(policy)),
      list_(dynamic_cast<ListPolicy*>(policy_.get())) {}

std::uint64_t TileCache::makeRoom(std::uint64_t bytes) {
  std::uint64_t dirty = 0;
  while (used_ + bytes > capacity_)
    dirty += evict(victim());
  return dirty;
}

TileCache::Access TileCache::access(TileKey key, std::uint64_t bytes, std::uint64_t block_bytes,
                                    bool write) {
  Access result;
  bytes = std::min(bytes, block_bytes);
  if (block_bytes > capacity_) return result;  // streams through without allocating
  if (const std::uint32_t found = index_.find(packKey(key)); found != FlatIndex::kMissing) {
    const std::uint32_t slot = found;
    Entry& e = slots_[slot];
    touched(slot);
    const std::uint64_t wanted =
        write ? std::min(block_bytes, e.bytes + bytes) : std::max(e.bytes, bytes);
    result.hit = write || e.bytes >= bytes;
    if (wanted > e.bytes) {
      // Grow: the entry itself is out of the eviction order while room is made (it fits alone,
      // since a block is never larger than the cache).
      removed(slot);
      result.writeback_bytes += makeRoom(wanted - e.bytes);
      inserted(slot);
      used_ += wanted - e.bytes;
      slots_[slot].bytes = wanted;
    }
    if (write) slots_[slot].dirty = std::min(slots_[slot].bytes, slots_[slot].dirty + bytes);
    return result;
  }
  result.hit = write;  // a write is absorbed by the cache either way
  result.writeback_bytes += makeRoom(bytes);
  const std::uint32_t slot = allocateSlot();
  slots_[slot] = Entry{key, bytes, write ? bytes : 0, true};
  used_ += bytes;
  index_.insert(packKey(key), slot);
  inserted(slot);
  return result;
}

void TileCache::clear() {
  for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].live) evict(slot);
  }
}

std::uint32_t TileCache::allocateSlot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

std::uint64_t TileCache::evict(std::uint32_t slot) {
  Entry& e = slots_[slot];
  if (!e.live) ARCHSIM_PANIC("evicting a free cache slot");
  removed(slot);
  index_.erase(packKey(e.key));
  used_ -= e.bytes;
  e.live = false;
  free_slots_.push_back(slot);
  return e.dirty;
}

}  // namespace archsim::hw
