// ExtentTileCache: the LRU/FIFO tile cache as extents (see tile_cache.h for the contract).
//
// An extent is blocks [first, first + count) of one tensor, each holding `bytes` with `dirty` of
// them written, that sit next to each other in eviction order, oldest (lowest block) first. The
// extents form one list in eviction order (head: next victim) and, per tensor, a sorted index by
// first block. A range access walks the range's blocks in order and, per step, either
//   - hits a run of full blocks of one extent: LRU carves the run out and appends it to the tail
//     (no-op when it already is the tail's end); FIFO leaves it in place (splitting it out only
//     when a write changes its dirty bytes);
//   - misses a run of full blocks no extent holds: evicts the shortest head prefix that makes
//     room for the whole run (equal to evicting before each block, since every block adds the
//     same bytes and eviction order does not depend on what is inserted at the tail), then
//     appends one extent — in chunks no larger than the cache, so a run longer than the cache
//     evicts its own first blocks as block-by-block access would;
//   - or does anything else (a partial block at a range's end, an entry whose run grows or is
//     replaced) one block at a time with the block-by-block rules, on the block split out into
//     an extent of its own.
// Appending merges into the tail when it continues it, so a stream read in order stays a few
// extents. Every operation is O(extents) at worst (index insertion), O(log extents) typically.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/hw/flat_index.h"
#include "sim/hw/tile_cache.h"

namespace archsim::hw {

class ExtentTileCache final : public TileCache {
 public:
  ExtentTileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes, bool move_on_hit);

  std::uint64_t accessRange(std::uint32_t tensor, std::uint64_t offset, std::uint64_t bytes,
                            bool write, std::vector<Run>& runs) override;
  bool contains(TileKey key) const override { return find(key.tensor, key.tile) != kNone; }
  std::uint64_t heldBytes(TileKey key) const override {
    const std::uint32_t e = find(key.tensor, key.tile);
    return e == kNone ? 0 : extents_[e].bytes;
  }
  void clear() override;
  /// Extents held (for tests of the representation).
  std::size_t extents() const { return extents_.size() - free_.size(); }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Extent {
    std::uint32_t tensor = 0;
    std::uint32_t slot = 0;   // of the tensor's index in by_tensor_
    std::uint64_t first = 0;  // block
    std::uint64_t count = 0;  // blocks
    std::uint64_t lo = 0;     // first byte held in each block
    std::uint64_t bytes = 0;  // held per block
    std::uint64_t dirty = 0;  // written per block, not yet written back
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
  };
  struct IndexEntry {
    std::uint64_t first;  // block
    std::uint32_t extent;
  };
  /// One tensor's extents sorted by first block, in chunks of at most kChunk entries with the
  /// chunks' first blocks beside them: an insertion or erasure moves at most a chunk (a KV cache
  /// holds tens of thousands of scattered extents, where one sorted vector moved half of them).
  /// Lookups check the ends first: streams add extents at the back and evict them from the front.
  class TensorIndex {
   public:
    static constexpr std::size_t kChunk = 256;
    /// The entry of the last extent starting at or before `block` (null if none), and the first
    /// block of the next one (or `limit` if none is below it).
    std::pair<const IndexEntry*, std::uint64_t> around(std::uint64_t block,
                                                       std::uint64_t limit) const {
      if (chunks_.size() == 1) {  // the common case, inline: past the last entry
        const Chunk& k = chunks_.front();
        const IndexEntry& last = k.v.back();
        if (last.first <= block) return {&last, limit};
      }
      return aroundSlow(block, limit);
    }
    void insert(IndexEntry x) {
      if (chunks_.size() == 1 && chunks_.front().v.back().first < x.first &&
          chunks_.front().size() < 2 * kChunk) {  // the common case, inline: a new last entry
        chunks_.front().v.push_back(x);
        return;
      }
      insertSlow(x);
    }
    /// Removes extent `e`, which starts at `first` (a panic if it is not there).
    void erase(std::uint64_t first, std::uint32_t e);
    /// Extent `e` now starts at `to` (between its old first block and the next extent's).
    void moveFirst(std::uint64_t first, std::uint32_t e, std::uint64_t to);
    void clear() {
      if (!chunks_.empty()) keep(std::move(chunks_.front().v));
      chunks_.clear();
      firsts_.clear();
    }

   private:
    std::pair<const IndexEntry*, std::uint64_t> aroundSlow(std::uint64_t block,
                                                           std::uint64_t limit) const;
    void insertSlow(IndexEntry x);
    /// The chunk holding the last entry starting at or before `block`; 0 when every entry starts
    /// after it (or there is none).
    std::size_t chunkOf(std::uint64_t block) const;
    /// A chunk: entries [start, size) of `v` (the front is dropped by moving the start).
    struct Chunk {
      std::vector<IndexEntry> v;
      std::size_t start = 0;
      IndexEntry* begin() { return v.data() + start; }
      IndexEntry* end() { return v.data() + v.size(); }
      const IndexEntry* begin() const { return v.data() + start; }
      const IndexEntry* end() const { return v.data() + v.size(); }
      std::size_t size() const { return v.size() - start; }
    };
    IndexEntry* exact(std::size_t c, std::uint64_t first, std::uint32_t e);

    /// Keeps `v`'s storage for the next first chunk (a cache is cleared every step).
    void keep(std::vector<IndexEntry>&& v) {
      spare_ = std::move(v);
      spare_.clear();
    }

    std::vector<Chunk> chunks_;          // each non-empty and sorted; in order
    std::vector<IndexEntry> spare_;      // storage kept from an emptied first chunk
    std::vector<std::uint64_t> firsts_;  // chunks_[i].begin()->first
  };

  /// The extents of `tensor` (null if it never had one).
  const TensorIndex* indexOf(std::uint32_t tensor) const;
  /// The slot in by_tensor_ of `tensor`'s index (made if it has none).
  std::uint32_t slotFor(std::uint32_t tensor);
  /// The extent holding `block` of `tensor`, or kNone.
  std::uint32_t find(std::uint32_t tensor, std::uint64_t block) const;
  /// The extent of a tensor's `index` holding `block` (or kNone) and the first block after it
  /// that another extent holds (or `limit` if none is below).
  std::pair<std::uint32_t, std::uint64_t> locate(const TensorIndex& index, std::uint64_t block,
                                                 std::uint64_t limit) const;

  /// Blocks [from, to) of extent `e` hit, holding what they held; `dirty` is their dirty bytes
  /// after it.
  void hitRun(std::uint32_t e, std::uint64_t from, std::uint64_t to, std::uint64_t dirty);
  /// Full blocks [block, block + count) of `tensor` (index `slot`), none held, brought in.
  std::uint64_t missRun(std::uint32_t tensor, std::uint32_t slot, std::uint64_t block,
                        std::uint64_t count, bool write);
  /// One block with the block-by-block rules; returns whether it hit.
  bool accessBlock(std::uint32_t tensor, std::uint32_t slot, std::uint64_t block, std::uint64_t lo,
                   std::uint64_t hi, bool write, std::uint64_t& writeback);
  /// Blocks [first, first + count) of `tensor`, none held, each now holding bytes [lo, lo + bytes)
  /// (all dirty when written), as the newest: the room must have been made.
  void insert(std::uint32_t tensor, std::uint32_t slot, std::uint64_t first, std::uint64_t count,
              std::uint64_t lo, std::uint64_t bytes, bool write);
  /// Evicts head blocks until `bytes` more fit; returns their dirty bytes.
  std::uint64_t makeRoom(std::uint64_t bytes);

  /// Splits `e` at block `at` (first < at < end); the upper part follows it in eviction order.
  std::uint32_t split(std::uint32_t e, std::uint64_t at);
  /// Splits `e` so that [from, to) is an extent of its own, in place; returns it.
  std::uint32_t carve(std::uint32_t e, std::uint64_t from, std::uint64_t to);
  /// Links `e` at the tail, merging it into the tail extent when it continues it.
  void append(std::uint32_t e);
  std::uint32_t allocate(const Extent& x);
  void release(std::uint32_t e);                    // unindexes and frees an unlinked extent
  void link(std::uint32_t e, std::uint32_t after);  // after == kNone: at the head
  void unlink(std::uint32_t e);
  void indexInsert(std::uint32_t e);
  void indexErase(std::uint32_t e);
  /// Moves `e`'s first block to `first` (within the extent, so the index order holds).
  void moveFirst(std::uint32_t e, std::uint64_t first);

  bool move_on_hit_;
  std::vector<Extent> extents_;
  std::vector<std::uint32_t> free_;
  // Per tensor, its extents by first block: short sorted lists, where one list over all tensors
  // costs a long move per eviction.
  FlatIndex tensor_slot_;  // tensor -> position in by_tensor_
  std::vector<TensorIndex> by_tensor_;
  std::uint32_t head_ = kNone;  // next victim
  std::uint32_t tail_ = kNone;  // most recently inserted (or used, under LRU)
};

}  // namespace archsim::hw
