#include "sim/hw/tile_cache.h"

#include "sim/core/error.h"

namespace archsim::hw {

TileCache::TileCache(std::uint64_t capacity_bytes, std::unique_ptr<ReplacementPolicy> policy)
    : capacity_(capacity_bytes), policy_(std::move(policy)) {}

TileCache::Access TileCache::access(TileKey key, std::uint64_t bytes, bool write) {
  Access result;
  if (const auto it = index_.find(key); it != index_.end()) {
    Entry& e = slots_[it->second];
    result.hit = true;
    e.dirty = e.dirty || write;
    policy_->touched(it->second);
    return result;
  }
  if (bytes > capacity_) return result;  // streams through without allocating
  while (used_ + bytes > capacity_) result.writeback_bytes += evict(policy_->victim());
  const std::uint32_t slot = allocateSlot();
  slots_[slot] = Entry{key, bytes, write, true};
  used_ += bytes;
  index_.emplace(key, slot);
  policy_->inserted(slot);
  return result;
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
  policy_->removed(slot);
  index_.erase(e.key);
  used_ -= e.bytes;
  e.live = false;
  free_slots_.push_back(slot);
  return e.dirty ? e.bytes : 0;
}

}  // namespace archsim::hw
