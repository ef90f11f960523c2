// The tile cache on its own: hand-derived cases (hits, LRU vs FIFO order, partial blocks that
// grow, dirty bytes written back on eviction), and a differential test against a naive
// reference written from the header's contract (a list of blocks in eviction order) over random
// access sequences. The reference is the oracle for any faster representation of the cache.
#include "sim/hw/tile_cache.h"

#include <algorithm>
#include <cstdint>
#include <list>
#include <random>

#include <doctest/doctest.h>

#include "sim/hw/replacement_policy.h"

namespace archsim::hw {
namespace {

constexpr std::uint64_t kBlock = 64 * 1024;

TileCache lru(std::uint64_t blocks) {
  return TileCache(blocks * kBlock, makePolicy(spec::ReplacementPolicy::kLru));
}

/// The header's contract, block by block, in the plainest form: entries in eviction order.
class ReferenceCache {
 public:
  ReferenceCache(std::uint64_t capacity, bool move_on_hit)
      : capacity_(capacity), move_on_hit_(move_on_hit) {}

  TileCache::Access access(TileKey key, std::uint64_t bytes, std::uint64_t block, bool write) {
    TileCache::Access r;
    bytes = std::min(bytes, block);
    if (block > capacity_) return r;
    auto it =
        std::find_if(order_.begin(), order_.end(), [&](const Entry& e) { return e.key == key; });
    if (it != order_.end()) {
      Entry e = *it;
      const bool move = move_on_hit_;
      const std::uint64_t wanted =
          write ? std::min(block, e.bytes + bytes) : std::max(e.bytes, bytes);
      r.hit = write || e.bytes >= bytes;
      if (wanted > e.bytes) {  // grows: out of the order while room is made, then at the back
        order_.erase(it);
        used_ -= e.bytes;
        r.writeback_bytes += makeRoom(wanted);
        e.bytes = wanted;
        used_ += e.bytes;
        if (write) e.dirty = std::min(e.bytes, e.dirty + bytes);
        order_.push_back(e);
        return r;
      }
      if (write) it->dirty = std::min(it->bytes, it->dirty + bytes);
      if (move) {
        const Entry moved = *it;
        order_.erase(it);
        order_.push_back(moved);
      }
      return r;
    }
    r.hit = write;
    r.writeback_bytes += makeRoom(bytes);
    order_.push_back(Entry{key, bytes, write ? bytes : 0});
    used_ += bytes;
    return r;
  }
  std::uint64_t used() const { return used_; }
  bool contains(TileKey key) const {
    return std::any_of(order_.begin(), order_.end(), [&](const Entry& e) { return e.key == key; });
  }

 private:
  struct Entry {
    TileKey key;
    std::uint64_t bytes;
    std::uint64_t dirty;
  };
  std::uint64_t makeRoom(std::uint64_t bytes) {
    std::uint64_t dirty = 0;
    while (used_ + bytes > capacity_) {
      used_ -= order_.front().bytes;
      dirty += order_.front().dirty;
      order_.pop_front();
    }
    return dirty;
  }
  std::uint64_t capacity_;
  bool move_on_hit_;
  std::uint64_t used_ = 0;
  std::list<Entry> order_;
};

TEST_CASE("tile cache: a read misses once, then hits; a partial entry grows on a larger read") {
  TileCache c = lru(4);
  CHECK_FALSE(c.access({1, 0}, kBlock, kBlock, false).hit);
  CHECK(c.access({1, 0}, kBlock, kBlock, false).hit);
  CHECK(c.used() == kBlock);
  CHECK_FALSE(c.access({1, 1}, 1000, kBlock, false).hit);  // holds 1000 B of block 1
  CHECK(c.access({1, 1}, 1000, kBlock, false).hit);
  CHECK_FALSE(c.access({1, 1}, 5000, kBlock, false).hit);  // needs more: a miss that grows it
  CHECK(c.used() == kBlock + 5000);
  CHECK(c.access({1, 1}, 4000, kBlock, false).hit);
}

TEST_CASE("tile cache: LRU evicts the least recently used block, FIFO the first inserted") {
  for (const bool is_lru : {true, false}) {
    CAPTURE(is_lru);
    TileCache c(2 * kBlock, makePolicy(is_lru ? spec::ReplacementPolicy::kLru
                                              : spec::ReplacementPolicy::kFifo));
    c.access({1, 0}, kBlock, kBlock, false);
    c.access({1, 1}, kBlock, kBlock, false);
    c.access({1, 0}, kBlock, kBlock, false);  // a hit: LRU makes block 1 the oldest
    c.access({1, 2}, kBlock, kBlock, false);  // evicts one
    CHECK(c.contains({1, 0}) == is_lru);
    CHECK(c.contains({1, 1}) == !is_lru);
    CHECK(c.contains({1, 2}));
  }
}

TEST_CASE("tile cache: written bytes are dirty and come back as write-back when evicted") {
  TileCache c = lru(2);
  const TileCache::Access w = c.access({7, 0}, 3000, kBlock, true);
  CHECK(w.hit);  // a write is absorbed
  CHECK(c.used() == 3000);
  c.access({7, 0}, 2000, kBlock, true);  // 5000 B held, all dirty
  c.access({8, 0}, kBlock, kBlock, false);
  const TileCache::Access evicting = c.access({8, 1}, kBlock, kBlock, false);
  CHECK(evicting.writeback_bytes == 5000);
  CHECK_FALSE(c.contains({7, 0}));
  CHECK(c.used() == 2 * kBlock);
  // A block larger than the cache streams through without allocating.
  TileCache tiny(1000, makePolicy(spec::ReplacementPolicy::kLru));
  CHECK_FALSE(tiny.access({1, 0}, 100, kBlock, false).hit);
  CHECK(tiny.used() == 0);
}

TEST_CASE("tile cache equals the reference over random access sequences (LRU and FIFO)") {
  for (const bool is_lru : {true, false}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      CAPTURE(is_lru);
      CAPTURE(seed);
      std::mt19937_64 rng(seed);
      const std::uint64_t capacity = (2 + rng() % 12) * kBlock + rng() % kBlock;
      TileCache cache(capacity, makePolicy(is_lru ? spec::ReplacementPolicy::kLru
                                                  : spec::ReplacementPolicy::kFifo));
      ReferenceCache ref(capacity, is_lru);
      // Streams of consecutive blocks (as weights are read) mixed with revisits, partial
      // blocks at a range's ends and writes.
      std::uint32_t cursor = 0;
      for (int op = 0; op < 3000; ++op) {
        const std::uint32_t tensor = static_cast<std::uint32_t>(rng() % 3);
        std::uint32_t block;
        if (rng() % 3 == 0) {
          block = static_cast<std::uint32_t>(rng() % 40);
        } else {
          block = cursor++ % 40;
        }
        const std::uint64_t bytes = rng() % 4 == 0 ? 1 + rng() % kBlock : kBlock;
        const bool write = rng() % 8 == 0;
        const TileCache::Access a = cache.access({tensor, block}, bytes, kBlock, write);
        const TileCache::Access b = ref.access({tensor, block}, bytes, kBlock, write);
        REQUIRE(a.hit == b.hit);
        REQUIRE(a.writeback_bytes == b.writeback_bytes);
        REQUIRE(cache.used() == ref.used());
      }
      for (std::uint32_t t = 0; t < 3; ++t) {
        for (std::uint32_t blk = 0; blk < 40; ++blk)
          REQUIRE(cache.contains({t, blk}) == ref.contains({t, blk}));
      }
    }
  }
}

}  // namespace
}  // namespace archsim::hw
