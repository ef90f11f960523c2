#include "sim/hw/tile_cache.h"

#include <algorithm>

#include "sim/core/error.h"
#include "sim/hw/extent_cache.h"
#include "sim/hw/flat_index.h"
#include "sim/hw/replacement_policy.h"

namespace archsim::hw {

TileCache::TileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes)
    : capacity_(capacity_bytes), block_bytes_(block_bytes) {
  if (block_bytes_ == 0) ARCHSIM_PANIC("a tile cache needs a block size > 0");
}

TileCache::Access TileCache::access(TileKey key, std::uint64_t bytes, bool write) {
  std::vector<Run> runs;
  Access result;
  const std::uint64_t offset = static_cast<std::uint64_t>(key.tile) * block_bytes_;
  result.writeback_bytes =
      accessRange(key.tensor, offset, std::min(bytes, block_bytes_), write, runs);
  result.hit = !runs.empty() && runs.front().hit;
  return result;
}

void TileCache::emit(std::vector<Run>& runs, std::uint64_t first_block, std::uint64_t blocks,
                     std::uint64_t bytes, bool hit) {
  if (!runs.empty() && runs.back().hit == hit &&
      runs.back().first_block + runs.back().blocks == first_block) {
    runs.back().blocks += blocks;
    runs.back().bytes += bytes;
    return;
  }
  Run& run = runs.emplace_back();  // filled in place (no copy through the stack)
  run.first_block = first_block;
  run.blocks = blocks;
  run.bytes = bytes;
  run.hit = hit;
}

std::pair<std::uint64_t, std::uint64_t> TileCache::blockPart(std::uint64_t block,
                                                             std::uint64_t offset,
                                                             std::uint64_t end) const {
  const std::uint64_t base = block * block_bytes_;
  return {std::max(offset, base) - base, std::min(end, base + block_bytes_) - base};
}

bool TileCache::applyAccess(Held& held, std::uint64_t lo, std::uint64_t hi, bool write,
                            std::uint64_t& dropped_dirty) {
  const std::uint64_t held_hi = held.lo + held.bytes;
  const bool covered = held.lo <= lo && hi <= held_hi;
  if (!covered) {
    if (lo <= held_hi && held.lo <= hi) {  // touches the run: their union
      const std::uint64_t new_lo = std::min(lo, held.lo);
      held.bytes = std::max(hi, held_hi) - new_lo;
      held.lo = new_lo;
    } else {  // elsewhere in the block: the access's bytes replace the run
      dropped_dirty += held.dirty;
      held = Held{lo, hi - lo, 0};
    }
  }
  if (write) held.dirty = std::min(held.bytes, held.dirty + (hi - lo));
  return write || covered;
}

namespace {

/// One entry per block, evicted in the order of any ReplacementPolicy.
class BlockTileCache final : public TileCache {
 public:
  BlockTileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes,
                 std::unique_ptr<ReplacementPolicy> policy)
      : TileCache(capacity_bytes, block_bytes), policy_(std::move(policy)) {}

  std::uint64_t accessRange(std::uint32_t tensor, std::uint64_t offset, std::uint64_t bytes,
                            bool write, std::vector<Run>& runs) override {
    if (bytes == 0) return 0;
    const std::uint64_t end = offset + bytes;
    std::uint64_t writeback = 0;
    for (std::uint64_t block = offset / block_bytes_; block * block_bytes_ < end; ++block) {
      const auto [lo, hi] = blockPart(block, offset, end);
      const bool hit =
          accessBlock(TileKey{tensor, static_cast<std::uint32_t>(block)}, lo, hi, write, writeback);
      emit(runs, block, 1, hi - lo, hit);
    }
    return writeback;
  }
  bool contains(TileKey key) const override {
    return index_.find(packKey(key)) != FlatIndex::kMissing;
  }
  std::uint64_t heldBytes(TileKey key) const override {
    const std::uint32_t slot = index_.find(packKey(key));
    return slot == FlatIndex::kMissing ? 0 : slots_[slot].bytes;
  }
  void clear() override {
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].live) evict(slot);
    }
  }

 private:
  struct Entry {
    TileKey key;
    std::uint64_t lo = 0;     // first byte held, in the block
    std::uint64_t bytes = 0;  // held
    std::uint64_t dirty = 0;  // of which written and not yet written back
    bool live = false;
  };

  bool accessBlock(TileKey key, std::uint64_t lo, std::uint64_t hi, bool write,
                   std::uint64_t& writeback) {
    if (block_bytes_ > capacity_) return false;  // streams through without allocating
    if (const std::uint32_t slot = index_.find(packKey(key)); slot != FlatIndex::kMissing) {
      policy_->touched(slot);
      Held held{slots_[slot].lo, slots_[slot].bytes, slots_[slot].dirty};
      const std::uint64_t before = held.bytes;
      const bool hit = applyAccess(held, lo, hi, write, writeback);
      if (held.lo != slots_[slot].lo || held.bytes != before) {
        // A new run: the entry itself is out of the eviction order while room is made (it fits
        // alone, since a block is never larger than the cache), then the newest.
        policy_->removed(slot);
        if (held.bytes > before) writeback += makeRoom(held.bytes - before);
        policy_->inserted(slot);
      }
      used_ = used_ + held.bytes - before;
      slots_[slot].lo = held.lo;
      slots_[slot].bytes = held.bytes;
      slots_[slot].dirty = held.dirty;
      return hit;
    }
    writeback += makeRoom(hi - lo);
    const std::uint32_t slot = allocateSlot();
    slots_[slot] = Entry{key, lo, hi - lo, write ? hi - lo : 0, true};
    used_ += hi - lo;
    index_.insert(packKey(key), slot);
    policy_->inserted(slot);
    return write;  // a write is absorbed by the cache either way
  }
  std::uint64_t makeRoom(std::uint64_t bytes) {
    std::uint64_t dirty = 0;
    while (used_ + bytes > capacity_) {
      ++evictions_;
      dirty += evict(policy_->victim());
    }
    return dirty;
  }
  std::uint32_t allocateSlot() {
    if (!free_slots_.empty()) {
      const std::uint32_t slot = free_slots_.back();
      free_slots_.pop_back();
      return slot;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  std::uint64_t evict(std::uint32_t slot) {
    Entry& e = slots_[slot];
    if (!e.live) ARCHSIM_PANIC("evicting a free cache slot");
    policy_->removed(slot);
    index_.erase(packKey(e.key));
    used_ -= e.bytes;
    e.live = false;
    free_slots_.push_back(slot);
    return e.dirty;
  }

  std::unique_ptr<ReplacementPolicy> policy_;
  std::vector<Entry> slots_;
  std::vector<std::uint32_t> free_slots_;
  FlatIndex index_;
};

}  // namespace

std::unique_ptr<TileCache> makeBlockTileCache(std::uint64_t capacity_bytes,
                                              std::uint64_t block_bytes,
                                              spec::ReplacementPolicy policy) {
  return std::make_unique<BlockTileCache>(capacity_bytes, block_bytes, makePolicy(policy));
}

std::unique_ptr<TileCache> makeTileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes,
                                         spec::ReplacementPolicy policy) {
  if (policy == spec::ReplacementPolicy::kRandom)
    return makeBlockTileCache(capacity_bytes, block_bytes, policy);
  return std::make_unique<ExtentTileCache>(capacity_bytes, block_bytes,
                                           policy == spec::ReplacementPolicy::kLru);
}

}  // namespace archsim::hw
