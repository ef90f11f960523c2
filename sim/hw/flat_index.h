// FlatIndex: an open-addressing hash map from 64-bit keys to 32-bit values (linear probing,
// backward-shift deletion). No allocation per insert — the tile cache does millions of lookups per
// simulated step — and no iteration, so its layout never affects results.
#pragma once

#include <cstdint>
#include <vector>

namespace archsim::hw {

class FlatIndex {
 public:
  static constexpr std::uint32_t kMissing = 0xffffffffu;

  std::uint32_t find(std::uint64_t key) const;
  /// Inserts a key that is not present.
  void insert(std::uint64_t key, std::uint32_t value);
  void erase(std::uint64_t key);
  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = kMissing;  // kMissing marks an empty slot
  };
  std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  void grow();

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

}  // namespace archsim::hw
