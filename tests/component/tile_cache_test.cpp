// The tile cache on its own: hand-derived cases (hits, LRU vs FIFO order, partial blocks that
// grow or are replaced, dirty bytes written back on eviction, ranges as runs, a stream kept as few
// extents), and differential tests against a naive reference written from the header's contract (a
// list of blocks in eviction order) over random block and range sequences, for both representations
// (extents for LRU/FIFO, one entry per block for any policy).
#include "sim/hw/tile_cache.h"

#include <algorithm>
#include <cstdint>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "sim/hw/extent_cache.h"

namespace archsim::hw {
namespace {

constexpr std::uint64_t kBlock = 64 * 1024;

std::unique_ptr<TileCache> lru(std::uint64_t blocks) {
  return makeTileCache(blocks * kBlock, kBlock, spec::ReplacementPolicy::kLru);
}

spec::ReplacementPolicy listPolicy(bool is_lru) {
  return is_lru ? spec::ReplacementPolicy::kLru : spec::ReplacementPolicy::kFifo;
}

/// The header's contract, block by block, in the plainest form: entries in eviction order.
class ReferenceCache {
 public:
  ReferenceCache(std::uint64_t capacity, bool move_on_hit)
      : capacity_(capacity), move_on_hit_(move_on_hit) {}

  TileCache::Access access(TileKey key, std::uint64_t bytes, bool write) {
    return access(key, 0, std::min(bytes, kBlock), write);
  }
  /// Bytes [lo, hi) of one block.
  TileCache::Access access(TileKey key, std::uint64_t lo, std::uint64_t hi, bool write) {
    constexpr std::uint64_t block = kBlock;
    TileCache::Access r;
    if (block > capacity_) return r;
    auto it =
        std::find_if(order_.begin(), order_.end(), [&](const Entry& e) { return e.key == key; });
    if (it != order_.end()) {
      const Entry e = *it;
      const std::uint64_t e_hi = e.lo + e.bytes;
      const bool covered = e.lo <= lo && hi <= e_hi;
      r.hit = write || covered;
      Entry n = e;
      if (!covered && lo <= e_hi && e.lo <= hi) {  // touches the run: their union
        n.lo = std::min(lo, e.lo);
        n.bytes = std::max(hi, e_hi) - n.lo;
      } else if (!covered) {  // elsewhere: replaces it, its dirty bytes written back
        r.writeback_bytes += e.dirty;
        n = Entry{key, lo, hi - lo, 0};
      }
      if (write) n.dirty = std::min(n.bytes, n.dirty + (hi - lo));
      if (n.lo != e.lo || n.bytes != e.bytes) {  // out of the order while room is made, then last
        order_.erase(it);
        used_ -= e.bytes;
        r.writeback_bytes += makeRoom(n.bytes);
        used_ += n.bytes;
        order_.push_back(n);
        return r;
      }
      it->dirty = n.dirty;
      if (move_on_hit_) {
        const Entry moved = *it;
        order_.erase(it);
        order_.push_back(moved);
      }
      return r;
    }
    r.hit = write;
    r.writeback_bytes += makeRoom(hi - lo);
    order_.push_back(Entry{key, lo, hi - lo, write ? hi - lo : 0});
    used_ += hi - lo;
    return r;
  }
  std::uint64_t used() const { return used_; }
  bool contains(TileKey key) const {
    return std::any_of(order_.begin(), order_.end(), [&](const Entry& e) { return e.key == key; });
  }

 private:
  struct Entry {
    TileKey key;
    std::uint64_t lo;  // first byte held in the block
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
  auto cache = lru(4);
  TileCache& c = *cache;
  CHECK_FALSE(c.access({1, 0}, kBlock, false).hit);
  CHECK(c.access({1, 0}, kBlock, false).hit);
  CHECK(c.used() == kBlock);
  CHECK_FALSE(c.access({1, 1}, 1000, false).hit);  // holds 1000 B of block 1
  CHECK(c.access({1, 1}, 1000, false).hit);
  CHECK_FALSE(c.access({1, 1}, 5000, false).hit);  // needs more: a miss that grows it
  CHECK(c.used() == kBlock + 5000);
  CHECK(c.access({1, 1}, 4000, false).hit);
  // Another part of a block misses though the entry holds as many bytes: two tiles reading the
  // halves of a block each fetch their own. Touching the run, the entry grows to the union;
  // elsewhere in the block, it is replaced.
  std::vector<TileCache::Run> runs;
  c.accessRange(1, 2 * kBlock + kBlock / 2, kBlock / 2, false, runs);  // block 2, upper half
  c.accessRange(1, 2 * kBlock, kBlock / 2, false, runs);               // block 2, lower half
  REQUIRE(runs.size() == 2);
  CHECK_FALSE(runs[0].hit);
  CHECK_FALSE(runs[1].hit);
  CHECK(c.used() == 2 * kBlock + 5000);
  c.accessRange(1, 2 * kBlock, kBlock, false, runs);
  CHECK(runs.back().hit);                               // the union is the whole block
  c.accessRange(1, kBlock + 20000, 1000, false, runs);  // block 1 held [0, 5000): replaced
  CHECK_FALSE(runs.back().hit);
  CHECK(c.used() == 2 * kBlock + 1000);
  CHECK_FALSE(c.access({1, 1}, 1000, false).hit);  // its first bytes are gone
}

TEST_CASE("tile cache: LRU evicts the least recently used block, FIFO the first inserted") {
  for (const bool is_lru : {true, false}) {
    CAPTURE(is_lru);
    auto cache = makeTileCache(2 * kBlock, kBlock, listPolicy(is_lru));
    TileCache& c = *cache;
    c.access({1, 0}, kBlock, false);
    c.access({1, 1}, kBlock, false);
    c.access({1, 0}, kBlock, false);  // a hit: LRU makes block 1 the oldest
    c.access({1, 2}, kBlock, false);  // evicts one
    CHECK(c.contains({1, 0}) == is_lru);
    CHECK(c.contains({1, 1}) == !is_lru);
    CHECK(c.contains({1, 2}));
  }
}

TEST_CASE("tile cache: held bytes per block, and evictions counted (all three policies)") {
  for (const spec::ReplacementPolicy policy :
       {spec::ReplacementPolicy::kLru, spec::ReplacementPolicy::kFifo,
        spec::ReplacementPolicy::kRandom}) {
    const std::string name(spec::policyName(policy));
    CAPTURE(name);
    auto cache = makeTileCache(2 * kBlock, kBlock, policy);
    TileCache& c = *cache;
    std::vector<TileCache::Run> runs;
    c.accessRange(1, 1000, 3000, false, runs);  // block 0, bytes [1000, 4000)
    CHECK(c.heldBytes({1, 0}) == 3000);
    CHECK(c.heldBytes({1, 1}) == 0);
    c.accessRange(1, 0, 2000, false, runs);  // touches the run: their union [0, 4000)
    CHECK(c.heldBytes({1, 0}) == 4000);
    c.accessRange(1, kBlock, kBlock, false, runs);  // block 1, whole: 4000 + 64 KiB held
    CHECK(c.evictions() == 0);
    c.accessRange(2, 0, kBlock, false, runs);  // 4000 B too many: one victim
    CHECK(c.evictions() == 1);
    c.clear();  // not an eviction
    CHECK(c.evictions() == 1);
    CHECK(c.heldBytes({2, 0}) == 0);
  }
}

TEST_CASE("tile cache: written bytes are dirty and come back as write-back when evicted") {
  auto cache = lru(2);
  TileCache& c = *cache;
  const TileCache::Access w = c.access({7, 0}, 3000, true);
  CHECK(w.hit);  // a write is absorbed
  CHECK(c.used() == 3000);
  std::vector<TileCache::Run> runs;
  c.accessRange(7, 3000, 2000, true, runs);  // the next 2000 B: 5000 B held, all dirty
  c.access({7, 0}, 1000, true);              // rewrites bytes it holds: still 5000 B dirty
  c.access({8, 0}, kBlock, false);
  const TileCache::Access evicting = c.access({8, 1}, kBlock, false);
  CHECK(evicting.writeback_bytes == 5000);
  CHECK_FALSE(c.contains({7, 0}));
  CHECK(c.used() == 2 * kBlock);
  // A block larger than the cache streams through without allocating.
  auto tiny = makeTileCache(1000, kBlock, spec::ReplacementPolicy::kLru);
  CHECK_FALSE(tiny->access({1, 0}, 100, false).hit);
  CHECK(tiny->used() == 0);
}

/// Both representations under a list policy: what makeTileCache picks (extents) and the
/// block-per-entry one.
std::unique_ptr<TileCache> makeCache(bool extents, std::uint64_t capacity, bool is_lru) {
  return extents ? makeTileCache(capacity, kBlock, listPolicy(is_lru))
                 : makeBlockTileCache(capacity, kBlock, listPolicy(is_lru));
}

TEST_CASE("tile cache: a range reports its hit and miss runs, a partial first block grows") {
  auto cache = lru(4);
  std::vector<TileCache::Run> runs;
  CHECK(cache->accessRange(1, 1000, 3 * kBlock - 1000, false, runs) == 0);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].first_block == 0);
  CHECK(runs[0].blocks == 3);
  CHECK(runs[0].bytes == 3 * kBlock - 1000);
  CHECK_FALSE(runs[0].hit);
  CHECK(cache->used() == 3 * kBlock - 1000);
  runs.clear();
  cache->accessRange(1, 0, 4 * kBlock, false, runs);  // block 0 grows, 1-2 hit, 3 misses
  REQUIRE(runs.size() == 3);
  CHECK((runs[0].first_block == 0 && runs[0].blocks == 1 && !runs[0].hit));
  CHECK((runs[1].first_block == 1 && runs[1].blocks == 2 && runs[1].hit));
  CHECK(runs[1].bytes == 2 * kBlock);
  CHECK((runs[2].first_block == 3 && runs[2].blocks == 1 && !runs[2].hit));
  CHECK(cache->used() == 4 * kBlock);
}

TEST_CASE("tile cache: a stream read in order stays one extent, evicting its own oldest blocks") {
  ExtentTileCache cache(50 * kBlock, kBlock, true);
  std::vector<TileCache::Run> runs;
  for (std::uint64_t read = 0; read < 10; ++read) {  // blocks 0..99, ten at a time
    runs.clear();
    cache.accessRange(3, read * 10 * kBlock, 10 * kBlock, false, runs);
    REQUIRE(runs.size() == 1);
    CHECK_FALSE(runs[0].hit);
    CHECK(cache.extents() == 1);
  }
  CHECK(cache.used() == 50 * kBlock);
  CHECK_FALSE(cache.contains({3, 49}));
  CHECK(cache.contains({3, 50}));
  CHECK(cache.contains({3, 99}));
  // A range longer than the cache: its first blocks are evicted by its last ones.
  runs.clear();
  cache.accessRange(4, 0, 70 * kBlock, false, runs);
  CHECK(runs.size() == 1);
  CHECK(cache.used() == 50 * kBlock);
  CHECK_FALSE(cache.contains({4, 19}));
  CHECK(cache.contains({4, 20}));
  CHECK_FALSE(cache.contains({3, 99}));
  CHECK(cache.extents() == 1);
}

/// Runs `body(rng, cache, reference)` for both representations, LRU and FIFO, 20 seeds each, on
/// a cache of 2 to max_blocks + 1 blocks and a bit; then both must hold the same blocks of three
/// tensors of `blocks` blocks.
template <typename Body>
void againstReference(std::uint64_t max_blocks, std::uint64_t seed_scale, std::uint32_t blocks,
                      Body body) {
  for (const bool extents : {true, false}) {
    for (const bool is_lru : {true, false}) {
      for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(extents);
        CAPTURE(is_lru);
        CAPTURE(seed);
        std::mt19937_64 rng(seed * seed_scale);
        const std::uint64_t capacity = (2 + rng() % max_blocks) * kBlock + rng() % kBlock;
        auto cache = makeCache(extents, capacity, is_lru);
        ReferenceCache ref(capacity, is_lru);
        body(rng, *cache, ref);
        for (std::uint32_t t = 0; t < 3; ++t) {
          for (std::uint32_t blk = 0; blk < blocks; ++blk)
            REQUIRE(cache->contains({t, blk}) == ref.contains({t, blk}));
        }
      }
    }
  }
}

TEST_CASE("tile cache equals the reference over random block sequences (LRU and FIFO)") {
  againstReference(12, 1, 40, [](std::mt19937_64& rng, TileCache& cache, ReferenceCache& ref) {
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
      const TileCache::Access a = cache.access({tensor, block}, bytes, write);
      const TileCache::Access b = ref.access({tensor, block}, bytes, write);
      REQUIRE(a.hit == b.hit);
      REQUIRE(a.writeback_bytes == b.writeback_bytes);
      REQUIRE(cache.used() == ref.used());
    }
  });
}

/// One range access on `cache` and, block by block, on the reference: the same runs (merged by
/// hand for the reference), write-back and bytes held.
void compareRange(TileCache& cache, ReferenceCache& ref, std::uint32_t tensor, std::uint64_t offset,
                  std::uint64_t bytes, bool write) {
  std::vector<TileCache::Run> runs;
  std::vector<TileCache::Run> expected;
  const std::uint64_t writeback = cache.accessRange(tensor, offset, bytes, write, runs);
  // The reference, one block at a time, with the runs merged by hand.
  std::uint64_t ref_writeback = 0;
  const std::uint64_t end = offset + bytes;
  for (std::uint64_t b = offset / kBlock; b * kBlock < end; ++b) {
    const std::uint64_t lo = std::max(offset, b * kBlock) - b * kBlock;
    const std::uint64_t hi = std::min(end, (b + 1) * kBlock) - b * kBlock;
    const std::uint64_t part = hi - lo;
    const TileCache::Access a = ref.access({tensor, static_cast<std::uint32_t>(b)}, lo, hi, write);
    ref_writeback += a.writeback_bytes;
    if (!expected.empty() && expected.back().hit == a.hit) {
      ++expected.back().blocks;
      expected.back().bytes += part;
    } else {
      expected.push_back(TileCache::Run{b, 1, part, a.hit});
    }
  }
  REQUIRE(writeback == ref_writeback);
  REQUIRE(runs.size() == expected.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    REQUIRE(runs[i].first_block == expected[i].first_block);
    REQUIRE(runs[i].blocks == expected[i].blocks);
    REQUIRE(runs[i].bytes == expected[i].bytes);
    REQUIRE(runs[i].hit == expected[i].hit);
  }
  REQUIRE(cache.used() == ref.used());
}

TEST_CASE("tile cache ranges equal the reference block by block (LRU and FIFO)") {
  againstReference(16, 7919, 60, [](std::mt19937_64& rng, TileCache& cache, ReferenceCache& ref) {
    // Ranges over three 60-block tensors: streams in order, revisits, unaligned ends,
    // ranges longer than the cache, and writes (whole and partial blocks).
    std::uint64_t cursor = 0;
    for (int op = 0; op < 1500; ++op) {
      const std::uint32_t tensor = static_cast<std::uint32_t>(rng() % 3);
      const std::uint64_t limit = 60 * kBlock;
      const std::uint64_t length =
          rng() % 5 == 0 ? 1 + rng() % (24 * kBlock) : (1 + rng() % 8) * kBlock;
      std::uint64_t offset = rng() % 3 == 0 ? rng() % limit : cursor % limit;
      if (rng() % 4 == 0) offset = offset / kBlock * kBlock;
      const std::uint64_t bytes = std::min(length, limit - offset);
      cursor = offset + bytes;
      const bool write = rng() % 6 == 0;
      compareRange(cache, ref, tensor, offset, bytes, write);
    }
  });
}

TEST_CASE("tile cache equals the reference when a tensor holds hundreds of scattered extents") {
  // A KV cache is touched at thousands of scattered rows, so a tensor's index grows to hundreds of
  // extents, inserted and removed in its middle. Scattered ranges of up to six blocks, unaligned
  // and written, over three 3000-block tensors in a 1500-block cache, against the reference.
  for (const bool is_lru : {true, false}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      CAPTURE(is_lru);
      CAPTURE(seed);
      std::mt19937_64 rng(seed * 104729);
      const std::uint64_t capacity = 1500 * kBlock + rng() % kBlock;
      ExtentTileCache cache(capacity, kBlock, is_lru);
      ReferenceCache ref(capacity, is_lru);
      std::size_t most_extents = 0;
      std::uint64_t cursor = 0;
      for (int op = 0; op < 20000; ++op) {
        const std::uint32_t tensor = static_cast<std::uint32_t>(rng() % 3);
        const std::uint64_t block = rng() % 4 == 0 ? cursor++ % 2990 : rng() % 2990;
        const std::uint64_t offset = block * kBlock + (rng() % 3 == 0 ? rng() % kBlock : 0);
        const std::uint64_t bytes = rng() % 3 == 0 ? 1 + rng() % (6 * kBlock) : kBlock;
        const bool write = rng() % 5 == 0;
        compareRange(cache, ref, tensor, offset, bytes, write);
        most_extents = std::max(most_extents, cache.extents());
      }
      CHECK(most_extents > 3 * 300);  // some tensor's index held more than 300
      for (std::uint32_t t = 0; t < 3; ++t) {
        for (std::uint32_t blk = 0; blk < 3000; ++blk)
          REQUIRE(cache.contains({t, blk}) == ref.contains({t, blk}));
      }
    }
  }
}

}  // namespace
}  // namespace archsim::hw
