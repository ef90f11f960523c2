#include "sim/hw/flat_index.h"

namespace archsim::hw {

std::uint32_t FlatIndex::find(std::uint64_t key) const {
  if (slots_.empty()) return kMissing;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.value == kMissing) return kMissing;
    if (s.key == key) return s.value;
  }
}

void FlatIndex::insert(std::uint64_t key, std::uint32_t value) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (slots_[i].value != kMissing)
    i = (i + 1) & mask;
  slots_[i] = Slot{key, value};
  ++size_;
}

void FlatIndex::erase(std::uint64_t key) {
  if (slots_.empty()) return;
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (slots_[i].value != kMissing && slots_[i].key != key)
    i = (i + 1) & mask;
  if (slots_[i].value == kMissing) return;
  // Backward-shift: pull later entries of the probe run into the hole.
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask; slots_[j].value != kMissing; j = (j + 1) & mask) {
    const std::size_t h = home(slots_[j].key);
    const bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void FlatIndex::grow() {
  std::vector<Slot> old = std::move(slots_);
  const std::size_t capacity = old.empty() ? 1024 : old.size() * 2;
  slots_.assign(capacity, Slot{});
  shift_ = 64;
  for (std::size_t c = capacity; c > 1; c >>= 1)
    --shift_;
  size_ = 0;
  for (const Slot& s : old) {
    if (s.value != kMissing) insert(s.key, s.value);
  }
}

}  // namespace archsim::hw
