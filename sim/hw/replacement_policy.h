// ReplacementPolicy: which resident entry a tile cache evicts. An interface beside its
// implementations (lru_policy.cpp, fifo_policy.cpp); the cache knows only this header.
//
// Entries are dense slot indices handed out by the cache. Every call is O(1); the policies keep no
// hash maps, so eviction order is deterministic.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/spec/chip_spec.h"

namespace archsim::hw {

class ReplacementPolicy {
 public:
  virtual ~ReplacementPolicy() = default;
  /// `slot` now holds a new entry.
  virtual void inserted(std::uint32_t slot) = 0;
  /// `slot` was hit.
  virtual void touched(std::uint32_t slot) = 0;
  /// `slot` left the cache.
  virtual void removed(std::uint32_t slot) = 0;
  /// The entry to evict next (the cache is not empty).
  virtual std::uint32_t victim() const = 0;
};

/// LRU and FIFO: an intrusive doubly linked list over slots; LRU moves an entry to the back on
/// every hit, FIFO only on insertion. The simulated caches keep these orders as extents
/// (extent_cache.h); this per-block form serves the block cache, which the tests hold the extent
/// cache against.
class ListPolicy final : public ReplacementPolicy {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  explicit ListPolicy(bool move_on_hit) : move_on_hit_(move_on_hit) {}

  void inserted(std::uint32_t slot) override {
    grow(slot);
    pushBack(slot);
  }
  void touched(std::uint32_t slot) override {
    if (!move_on_hit_) return;
    unlink(slot);
    pushBack(slot);
  }
  void removed(std::uint32_t slot) override { unlink(slot); }
  std::uint32_t victim() const override {
    if (head_ == kNone) emptyVictim();
    return head_;
  }

 private:
  [[noreturn]] static void emptyVictim();
  void grow(std::uint32_t slot) {
    if (slot >= prev_.size()) {
      prev_.resize(slot + 1, kNone);
      next_.resize(slot + 1, kNone);
    }
  }
  void pushBack(std::uint32_t slot) {
    prev_[slot] = tail_;
    next_[slot] = kNone;
    if (tail_ != kNone) next_[tail_] = slot;
    tail_ = slot;
    if (head_ == kNone) head_ = slot;
  }
  void unlink(std::uint32_t slot) {
    if (prev_[slot] != kNone) {
      next_[prev_[slot]] = next_[slot];
    } else {
      head_ = next_[slot];
    }
    if (next_[slot] != kNone) {
      prev_[next_[slot]] = prev_[slot];
    } else {
      tail_ = prev_[slot];
    }
    prev_[slot] = next_[slot] = kNone;
  }

  bool move_on_hit_;
  std::vector<std::uint32_t> prev_;
  std::vector<std::uint32_t> next_;
  std::uint32_t head_ = kNone;  // least recently used / first in
  std::uint32_t tail_ = kNone;
};

/// lru and fifo; random is a seeded, deterministic choice.
std::unique_ptr<ReplacementPolicy> makePolicy(spec::ReplacementPolicy policy);

}  // namespace archsim::hw
