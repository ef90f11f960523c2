// The replacement policies. LRU and FIFO share an intrusive doubly linked list over slots: LRU
// moves an entry to the back on every hit, FIFO only on insertion. Random evicts a pseudo-random
// resident slot from a fixed-seed generator, so runs stay byte-identical.
#include <vector>

#include "sim/core/error.h"
#include "sim/hw/replacement_policy.h"

namespace archsim::hw {
namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

class ListPolicy : public ReplacementPolicy {
 public:
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
    if (head_ == kNone) ARCHSIM_PANIC("victim() on an empty cache");
    return head_;
  }

 private:
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

class RandomPolicy : public ReplacementPolicy {
 public:
  void inserted(std::uint32_t slot) override {
    if (slot >= where_.size()) where_.resize(slot + 1, kNone);
    where_[slot] = static_cast<std::uint32_t>(resident_.size());
    resident_.push_back(slot);
  }
  void touched(std::uint32_t) override {}
  void removed(std::uint32_t slot) override {
    const std::uint32_t at = where_[slot];
    resident_[at] = resident_.back();
    where_[resident_[at]] = at;
    resident_.pop_back();
    where_[slot] = kNone;
  }
  std::uint32_t victim() const override {
    if (resident_.empty()) ARCHSIM_PANIC("victim() on an empty cache");
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG-style LCG, fixed seed
    return resident_[(state_ >> 33) % resident_.size()];
  }

 private:
  std::vector<std::uint32_t> resident_;
  std::vector<std::uint32_t> where_;
  mutable std::uint64_t state_ = 0x853c49e6748fea9bULL;
};

}  // namespace

std::unique_ptr<ReplacementPolicy> makePolicy(spec::ReplacementPolicy policy) {
  switch (policy) {
    case spec::ReplacementPolicy::kLru:
      return std::make_unique<ListPolicy>(true);
    case spec::ReplacementPolicy::kFifo:
      return std::make_unique<ListPolicy>(false);
    case spec::ReplacementPolicy::kRandom:
      return std::make_unique<RandomPolicy>();
  }
  return std::make_unique<ListPolicy>(true);
}

}  // namespace archsim::hw
