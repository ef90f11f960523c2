// The replacement policies. LRU and FIFO (ListPolicy, in the header) share an intrusive doubly
// linked list over slots. Random evicts a pseudo-random resident slot from a fixed-seed
// generator, so runs stay byte-identical.
#include <vector>

#include "sim/core/error.h"
#include "sim/hw/replacement_policy.h"

namespace archsim::hw {

void ListPolicy::emptyVictim() {
  ARCHSIM_PANIC("victim() on an empty cache");
}

namespace {

constexpr std::uint32_t kNone = ListPolicy::kNone;

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
