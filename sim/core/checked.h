// Checked and saturating arithmetic on 64-bit counts (bytes, tiles, events, ticks): a sum or
// product that does not fit is reported (checked*) or pinned at the maximum (saturating*), never
// wrapped (issue 14: a wrapped count gives plausible nonsense).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace archsim {

inline constexpr std::uint64_t kMaxCount = std::numeric_limits<std::uint64_t>::max();

constexpr std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) {
  std::uint64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kMaxCount : sum;
}

constexpr std::uint64_t saturatingMul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? kMaxCount : product;
}

/// A non-negative real count rounded to nearest (half away from zero); kMaxCount when it does not
/// fit 64 bits (or is NaN), 0 when negative. std::llround is unspecified past 2^63.
inline std::uint64_t roundToCount(double x) {
  if (!(x < 18446744073709551616.0)) return kMaxCount;  // 2^64; NaN fails the test too
  if (x <= 0) return 0;
  return static_cast<std::uint64_t>(std::round(x));
}

/// The same, rounded up.
inline std::uint64_t ceilToCount(double x) {
  if (!(x < 18446744073709551616.0)) return kMaxCount;  // 2^64; NaN fails the test too
  if (x <= 0) return 0;
  return static_cast<std::uint64_t>(std::ceil(x));
}

/// a * b, or nothing when it does not fit 64 bits.
constexpr std::optional<std::uint64_t> checkedMul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

}  // namespace archsim
