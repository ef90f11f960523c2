#include "sim/hw/extent_cache.h"

#include <algorithm>
#include <iterator>

#include "sim/core/error.h"

namespace archsim::hw {

ExtentTileCache::ExtentTileCache(std::uint64_t capacity_bytes, std::uint64_t block_bytes,
                                 bool move_on_hit)
    : TileCache(capacity_bytes, block_bytes), move_on_hit_(move_on_hit) {}

std::uint64_t ExtentTileCache::accessRange(std::uint32_t tensor, std::uint64_t offset,
                                           std::uint64_t bytes, bool write,
                                           std::vector<Run>& runs) {
  if (bytes == 0) return 0;
  const std::uint64_t end = offset + bytes;
  const std::uint64_t first = offset / block_bytes_;
  const std::uint64_t last = (end - 1) / block_bytes_;
  if (block_bytes_ > capacity_) {  // streams through without allocating
    emit(runs, first, last - first + 1, bytes, false);
    return 0;
  }
  // Blocks below full_end are whole blocks of the range, except a partial first one.
  const std::uint64_t full_end = end % block_bytes_ == 0 ? last + 1 : last;
  std::uint64_t writeback = 0;
  const std::uint32_t slot = slotFor(tensor);
  for (std::uint64_t block = first; block <= last;) {
    const auto [lo, hi] = blockPart(block, offset, end);
    if (hi - lo == block_bytes_) {
      const auto [e, next] = locate(by_tensor_[slot], block, full_end);
      if (e == kNone) {
        const std::uint64_t count = next - block;
        writeback += missRun(tensor, slot, block, count, write);
        emit(runs, block, count, count * block_bytes_, write);
        block += count;
        continue;
      }
      if (extents_[e].bytes == block_bytes_) {
        const Extent& x = extents_[e];
        const std::uint64_t to = std::min(full_end, x.first + x.count);
        hitRun(e, block, to, write ? block_bytes_ : x.dirty);
        emit(runs, block, to - block, (to - block) * block_bytes_, true);
        block = to;
        continue;
      }
    }
    const bool hit = accessBlock(tensor, slot, block, lo, hi, write, writeback);
    emit(runs, block, 1, hi - lo, hit);
    ++block;
  }
  return writeback;
}

void ExtentTileCache::clear() {
  extents_.clear();
  free_.clear();
  for (TensorIndex& index : by_tensor_)
    index.clear();
  head_ = tail_ = kNone;
  used_ = 0;
}

const ExtentTileCache::TensorIndex* ExtentTileCache::indexOf(std::uint32_t tensor) const {
  const std::uint32_t slot = tensor_slot_.find(tensor);
  return slot == FlatIndex::kMissing ? nullptr : &by_tensor_[slot];
}

std::uint32_t ExtentTileCache::slotFor(std::uint32_t tensor) {
  std::uint32_t slot = tensor_slot_.find(tensor);
  if (slot == FlatIndex::kMissing) {
    slot = static_cast<std::uint32_t>(by_tensor_.size());
    by_tensor_.emplace_back();
    tensor_slot_.insert(tensor, slot);
  }
  return slot;
}

std::size_t ExtentTileCache::TensorIndex::chunkOf(std::uint64_t block) const {
  if (firsts_.empty() || firsts_.back() <= block) return firsts_.empty() ? 0 : firsts_.size() - 1;
  const auto it = std::upper_bound(firsts_.begin(), firsts_.end(), block);
  return it == firsts_.begin() ? 0 : static_cast<std::size_t>(it - firsts_.begin()) - 1;
}

std::pair<const ExtentTileCache::IndexEntry*, std::uint64_t>
ExtentTileCache::TensorIndex::aroundSlow(std::uint64_t block, std::uint64_t limit) const {
  if (chunks_.size() == 1) {  // the common case: one flat chunk, ends first
    const Chunk& k = chunks_.front();
    if (k.begin()->first > block) return {nullptr, std::min(limit, k.begin()->first)};
    const IndexEntry* it =
        std::prev(k.end())->first <= block
            ? k.end()
            : std::upper_bound(k.begin(), k.end(), block,
                               [](std::uint64_t b, const IndexEntry& x) { return b < x.first; });
    return {std::prev(it), it == k.end() ? limit : std::min(limit, it->first)};
  }
  if (firsts_.empty()) return {nullptr, limit};
  if (firsts_.front() > block) return {nullptr, std::min(limit, firsts_.front())};
  const std::size_t c = chunkOf(block);
  const Chunk& k = chunks_[c];
  const IndexEntry* it =
      std::prev(k.end())->first <= block
          ? k.end()
          : std::upper_bound(k.begin(), k.end(), block,
                             [](std::uint64_t b, const IndexEntry& x) { return b < x.first; });
  const std::uint64_t next = it != k.end()            ? it->first
                             : c + 1 < firsts_.size() ? firsts_[c + 1]
                                                      : limit;
  return {std::prev(it), std::min(limit, next)};
}

void ExtentTileCache::TensorIndex::insertSlow(IndexEntry x) {
  if (chunks_.empty()) {
    chunks_.push_back(Chunk{std::move(spare_), 0});
    chunks_.front().v.push_back(x);
    firsts_.assign(1, x.first);
    return;
  }
  const std::size_t c = chunks_.size() == 1 ? 0 : chunkOf(x.first);
  Chunk& k = chunks_[c];
  if (x.first < k.begin()->first && k.start > 0) {
    k.v[--k.start] = x;
  } else {
    IndexEntry* at =
        std::prev(k.end())->first < x.first
            ? k.end()
            : std::lower_bound(k.begin(), k.end(), x.first,
                               [](const IndexEntry& y, std::uint64_t b) { return y.first < b; });
    k.v.insert(k.v.begin() + (at - k.v.data()), x);
  }
  firsts_[c] = k.begin()->first;
  if (k.size() > 2 * kChunk) {  // split in halves
    Chunk upper{std::vector<IndexEntry>(k.begin() + kChunk, k.end()), 0};
    k.v.resize(k.start + kChunk);
    const std::uint64_t upper_first = upper.v.front().first;
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(c) + 1, std::move(upper));
    firsts_.insert(firsts_.begin() + static_cast<std::ptrdiff_t>(c) + 1, upper_first);
  }
}

ExtentTileCache::IndexEntry* ExtentTileCache::TensorIndex::exact(std::size_t c, std::uint64_t first,
                                                                 std::uint32_t e) {
  if (c >= chunks_.size()) ARCHSIM_PANIC("tile cache index out of step");
  Chunk& k = chunks_[c];
  IndexEntry* it =
      k.begin()->first == first ? k.begin()
      : std::prev(k.end())->first == first
          ? std::prev(k.end())
          : std::lower_bound(k.begin(), k.end(), first,
                             [](const IndexEntry& y, std::uint64_t b) { return y.first < b; });
  if (it == k.end() || it->extent != e) ARCHSIM_PANIC("tile cache index out of step");
  return it;
}

void ExtentTileCache::TensorIndex::erase(std::uint64_t first, std::uint32_t e) {
  const std::size_t c = chunks_.size() == 1 ? 0 : chunkOf(first);
  IndexEntry* at = exact(c, first, e);
  Chunk& k = chunks_[c];
  if (at == k.begin()) {
    ++k.start;
    if (k.start >= 64 && k.start * 2 >= k.v.size()) {  // compact, amortized O(1)
      k.v.erase(k.v.begin(), k.v.begin() + static_cast<std::ptrdiff_t>(k.start));
      k.start = 0;
    }
  } else {
    k.v.erase(k.v.begin() + (at - k.v.data()));
  }
  if (k.size() == 0) {
    if (chunks_.size() == 1) keep(std::move(k.v));
    chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(c));
    firsts_.erase(firsts_.begin() + static_cast<std::ptrdiff_t>(c));
  } else {
    firsts_[c] = k.begin()->first;
  }
}

void ExtentTileCache::TensorIndex::moveFirst(std::uint64_t first, std::uint32_t e,
                                             std::uint64_t to) {
  const std::size_t c = chunks_.size() == 1 ? 0 : chunkOf(first);
  exact(c, first, e)->first = to;
  firsts_[c] = chunks_[c].begin()->first;
}

std::uint32_t ExtentTileCache::find(std::uint32_t tensor, std::uint64_t block) const {
  const TensorIndex* index = indexOf(tensor);
  return index == nullptr ? kNone : locate(*index, block, block).first;
}

std::pair<std::uint32_t, std::uint64_t> ExtentTileCache::locate(const TensorIndex& index,
                                                                std::uint64_t block,
                                                                std::uint64_t limit) const {
  const auto [at, next] = index.around(block, limit);
  if (at == nullptr) return {kNone, next};
  const std::uint32_t e = at->extent;
  return {block < extents_[e].first + extents_[e].count ? e : kNone, next};
}

void ExtentTileCache::hitRun(std::uint32_t e, std::uint64_t from, std::uint64_t to,
                             std::uint64_t dirty) {
  const Extent& x = extents_[e];
  if (!move_on_hit_) {  // FIFO: stays in place
    if (dirty != x.dirty) extents_[carve(e, from, to)].dirty = dirty;
    return;
  }
  if (e == tail_ && to == x.first + x.count && dirty == x.dirty) return;  // already the newest
  const std::uint32_t run = carve(e, from, to);
  extents_[run].dirty = dirty;
  unlink(run);
  append(run);
}

std::uint64_t ExtentTileCache::missRun(std::uint32_t tensor, std::uint32_t slot,
                                       std::uint64_t block, std::uint64_t count, bool write) {
  std::uint64_t writeback = 0;
  const std::uint64_t per_chunk = capacity_ / block_bytes_;  // >= 1: a block fits
  while (count > 0) {
    const std::uint64_t n = std::min(count, per_chunk);
    writeback += makeRoom(n * block_bytes_);
    insert(tensor, slot, block, n, 0, block_bytes_, write);
    block += n;
    count -= n;
  }
  return writeback;
}

bool ExtentTileCache::accessBlock(std::uint32_t tensor, std::uint32_t slot, std::uint64_t block,
                                  std::uint64_t lo, std::uint64_t hi, bool write,
                                  std::uint64_t& writeback) {
  const std::uint32_t found = locate(by_tensor_[slot], block, block).first;
  if (found == kNone) {
    writeback += makeRoom(hi - lo);
    insert(tensor, slot, block, 1, lo, hi - lo, write);
    return write;  // a write is absorbed by the cache either way
  }
  Held held{extents_[found].lo, extents_[found].bytes, extents_[found].dirty};
  const std::uint64_t before = held.bytes;
  const bool hit = applyAccess(held, lo, hi, write, writeback);
  if (held.lo == extents_[found].lo && held.bytes == before) {
    hitRun(found, block, block + 1, held.dirty);
    return hit;
  }
  // Changes its run: out of the eviction order while room is made (still counted in what is
  // used; it fits alone, since a block is never larger than the cache), then the newest.
  const std::uint32_t e = carve(found, block, block + 1);
  unlink(e);
  if (held.bytes > before) writeback += makeRoom(held.bytes - before);
  used_ = used_ + held.bytes - before;
  extents_[e].lo = held.lo;
  extents_[e].bytes = held.bytes;
  extents_[e].dirty = held.dirty;
  append(e);
  return hit;
}

void ExtentTileCache::insert(std::uint32_t tensor, std::uint32_t slot, std::uint64_t first,
                             std::uint64_t count, std::uint64_t lo, std::uint64_t bytes,
                             bool write) {
  Extent x;
  x.lo = lo;
  x.tensor = tensor;
  x.slot = slot;
  x.first = first;
  x.count = count;
  x.bytes = bytes;
  x.dirty = write ? bytes : 0;
  const std::uint32_t e = allocate(x);
  indexInsert(e);
  used_ += count * bytes;
  append(e);
}

std::uint64_t ExtentTileCache::makeRoom(std::uint64_t bytes) {
  std::uint64_t dirty = 0;
  while (used_ + bytes > capacity_) {
    if (head_ == kNone) ARCHSIM_PANIC("tile cache: nothing left to evict");
    ++evictions_;
    const std::uint32_t e = head_;
    Extent& x = extents_[e];
    const std::uint64_t over = used_ + bytes - capacity_;
    const std::uint64_t blocks = x.bytes == 0 ? x.count : (over + x.bytes - 1) / x.bytes;
    if (blocks >= x.count) {
      dirty += x.count * x.dirty;
      used_ -= x.count * x.bytes;
      unlink(e);
      release(e);
    } else {
      dirty += blocks * x.dirty;
      used_ -= blocks * x.bytes;
      x.count -= blocks;
      moveFirst(e, x.first + blocks);
    }
  }
  return dirty;
}

std::uint32_t ExtentTileCache::split(std::uint32_t e, std::uint64_t at) {
  Extent upper = extents_[e];
  upper.first = at;
  upper.count = extents_[e].first + extents_[e].count - at;
  extents_[e].count = at - extents_[e].first;
  const std::uint32_t u = allocate(upper);
  indexInsert(u);
  link(u, e);
  return u;
}

std::uint32_t ExtentTileCache::carve(std::uint32_t e, std::uint64_t from, std::uint64_t to) {
  if (from > extents_[e].first) e = split(e, from);
  if (to < extents_[e].first + extents_[e].count) split(e, to);
  return e;
}

void ExtentTileCache::append(std::uint32_t e) {
  if (tail_ != kNone) {
    Extent& t = extents_[tail_];
    const Extent& x = extents_[e];
    if (t.tensor == x.tensor && t.first + t.count == x.first && t.lo == x.lo &&
        t.bytes == x.bytes && t.dirty == x.dirty) {
      t.count += x.count;
      release(e);
      return;
    }
  }
  link(e, tail_);
}

std::uint32_t ExtentTileCache::allocate(const Extent& x) {
  if (free_.empty()) {
    extents_.push_back(x);
    return static_cast<std::uint32_t>(extents_.size() - 1);
  }
  const std::uint32_t e = free_.back();
  free_.pop_back();
  extents_[e] = x;
  return e;
}

void ExtentTileCache::release(std::uint32_t e) {
  indexErase(e);
  free_.push_back(e);
}

void ExtentTileCache::link(std::uint32_t e, std::uint32_t after) {
  Extent& x = extents_[e];
  x.prev = after;
  x.next = after == kNone ? head_ : extents_[after].next;
  if (x.prev != kNone) {
    extents_[x.prev].next = e;
  } else {
    head_ = e;
  }
  if (x.next != kNone) {
    extents_[x.next].prev = e;
  } else {
    tail_ = e;
  }
}

void ExtentTileCache::unlink(std::uint32_t e) {
  Extent& x = extents_[e];
  if (x.prev != kNone) {
    extents_[x.prev].next = x.next;
  } else {
    head_ = x.next;
  }
  if (x.next != kNone) {
    extents_[x.next].prev = x.prev;
  } else {
    tail_ = x.prev;
  }
  x.prev = x.next = kNone;
}

void ExtentTileCache::indexInsert(std::uint32_t e) {
  by_tensor_[extents_[e].slot].insert(IndexEntry{extents_[e].first, e});
}

void ExtentTileCache::indexErase(std::uint32_t e) {
  by_tensor_[extents_[e].slot].erase(extents_[e].first, e);
}

void ExtentTileCache::moveFirst(std::uint32_t e, std::uint64_t first) {
  // Still in order: it stays within the extent's old blocks.
  by_tensor_[extents_[e].slot].moveFirst(extents_[e].first, e, first);
  extents_[e].first = first;
}

}  // namespace archsim::hw
