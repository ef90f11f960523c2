// TileCache: a cache indexed by tensor blocks rather than lines — the granularity at which tiles
// move through a chip.
//
// Keys are (tensor, block) pairs; a block is `block_bytes` of a tensor (64 KiB on every chip). An
// entry holds one contiguous run of its block's bytes, the ones actually brought in or written: a
// read hits when the run covers the bytes it wants; otherwise it misses, and the run grows to
// their union when they touch it or is replaced by them when they do not (its dirty bytes written
// back). So two tiles reading the two halves of a block both miss, as each fetches its own bytes;
// a small write allocates only what it writes. Capacity is in bytes; growing or inserting evicts
// victims (policy order) until the bytes fit. Written bytes are dirty; evicting an entry reports
// its dirty bytes so the caller writes them back. A block larger than the cache streams through:
// every access misses and nothing is allocated. Pure data structure: no time.
//
// Ranges: accessRange() touches the blocks of a byte range in block order, exactly as one access
// per block would, and reports the maximal runs of blocks that hit or missed. Two
// representations keep that contract (makeTileCache picks one):
//   - LRU and FIFO: extents — runs of consecutive blocks of one tensor, equal in held and dirty
//     bytes and adjacent in eviction order — so a weight stream of many blocks costs a few
//     extent operations, not one hash lookup, eviction and insertion per block;
//   - random: one entry per block (the policy picks any resident block).
// tests/component/tile_cache_test.cpp checks both against a block-by-block reference.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "sim/spec/chip_spec.h"

namespace archsim::hw {

/// The block every cache is keyed by.
inline constexpr std::uint64_t kCacheBlockBytes = 64 * 1024;

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
  /// Consecutive blocks of a range that all hit or all missed; `bytes` of the range fall in them.
  struct Run {
    std::uint64_t first_block = 0;
    std::uint64_t blocks = 0;
    std::uint64_t bytes = 0;
    bool hit = false;
  };

  virtual ~TileCache() = default;

  /// Touches bytes [offset, offset + bytes) of `tensor`, block by block in order: a block's read
  /// hits when its entry already holds the range's bytes of it, otherwise misses and the entry
  /// comes to hold them (applyAccess); a write always lands (allocating what it writes) and marks
  /// those bytes dirty. Appends the hit and miss runs to `runs` (adjacent runs differ in `hit`) and
  /// returns the dirty bytes evicted. bytes == 0 touches nothing.
  virtual std::uint64_t accessRange(std::uint32_t tensor, std::uint64_t offset, std::uint64_t bytes,
                                    bool write, std::vector<Run>& runs) = 0;
  /// One block: the first `bytes` (at most a block) of block `key.tile`.
  Access access(TileKey key, std::uint64_t bytes, bool write);
  virtual bool contains(TileKey key) const = 0;
  /// How many bytes of block `key.tile` its entry holds (0 when none).
  virtual std::uint64_t heldBytes(TileKey key) const = 0;
  /// Drops every entry without writing anything back (work replayed rather than simulated has
  /// already been charged its write-backs).
  virtual void clear() = 0;
  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }
  /// Evictions to make room since the cache was built (a count of victim choices, not of blocks);
  /// clear() does not count.
  std::uint64_t evictions() const { return evictions_; }
  std::uint64_t blockBytes() const { return block_bytes_; }

 protected:
  TileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes);
  /// Appends a run of blocks, merged into the last one when it continues it.
  static void emit(std::vector<Run>& runs, std::uint64_t first_block, std::uint64_t blocks,
                   std::uint64_t bytes, bool hit);
  /// Bytes [lo, hi) of [offset, end) that fall in `block`, as offsets in it.
  std::pair<std::uint64_t, std::uint64_t> blockPart(std::uint64_t block, std::uint64_t offset,
                                                    std::uint64_t end) const;
  /// What one block's entry holds: bytes [lo, lo + bytes) of it, `dirty` of them written.
  struct Held {
    std::uint64_t lo = 0;
    std::uint64_t bytes = 0;
    std::uint64_t dirty = 0;
  };
  /// The block rule for an entry holding `held` accessed at bytes [lo, hi) of its block: updates
  /// `held` and returns whether the access hit (a write always lands); `dropped_dirty` gets the
  /// dirty bytes of a run the access replaced.
  static bool applyAccess(Held& held, std::uint64_t lo, std::uint64_t hi, bool write,
                          std::uint64_t& dropped_dirty);

  std::uint64_t capacity_;
  std::uint64_t block_bytes_;
  std::uint64_t used_ = 0;
  std::uint64_t evictions_ = 0;
};

/// The representation for `policy` (extents for LRU and FIFO, blocks for random).
std::unique_ptr<TileCache> makeTileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes,
                                         spec::ReplacementPolicy policy);
/// One entry per block under any policy: the representation random needs, and a second
/// reference for the extent cache's tests.
std::unique_ptr<TileCache> makeBlockTileCache(std::uint64_t capacity_bytes,
                                              std::uint64_t block_bytes,
                                              spec::ReplacementPolicy policy);

}  // namespace archsim::hw
