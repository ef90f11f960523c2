// Simulated time: Tick (integer picoseconds), Cycles (a distinct count type), and exact integer
// helpers.
//
// Nothing in the kernel stores time as a double. Conversions from physical rates (bytes per second,
// operations per second) to ticks go through mulDivCeil on 128-bit intermediates, so a duration is
// the exact ceiling of the formula, never an epsilon-compared float.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

#include "sim/core/checked.h"

namespace archsim {

/// Simulated time in picoseconds since the start of a simulation.
using Tick = std::uint64_t;

inline constexpr Tick kTicksPerSecond = 1'000'000'000'000ULL;
inline constexpr Tick kMaxTick = std::numeric_limits<Tick>::max();

/// A count of clock cycles. Deliberately not convertible to or from Tick: only a ClockDomain
/// converts.
class Cycles {
 public:
  constexpr Cycles() = default;
  constexpr explicit Cycles(std::uint64_t count) : count_(count) {}
  constexpr std::uint64_t count() const { return count_; }

  constexpr Cycles operator+(Cycles other) const { return Cycles(count_ + other.count_); }
  constexpr Cycles operator-(Cycles other) const { return Cycles(count_ - other.count_); }
  constexpr Cycles& operator+=(Cycles other) {
    count_ += other.count_;
    return *this;
  }
  constexpr auto operator<=>(const Cycles&) const = default;

 private:
  std::uint64_t count_ = 0;
};

__extension__ using Uint128 = unsigned __int128;

/// ceil(a * b / c) computed exactly. Saturates at kMaxTick when the result does not fit 64 bits.
/// c must be non-zero (callers validate rates before they reach the kernel).
constexpr std::uint64_t mulDivCeil(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t narrow = 0;
  if (!__builtin_mul_overflow(a, b, &narrow) &&
      narrow <= std::numeric_limits<std::uint64_t>::max() - c) {
    return (narrow + c - 1) / c;  // the common case, without 128-bit division
  }
  const Uint128 product = static_cast<Uint128>(a) * b;
  const Uint128 quotient = (product + c - 1) / c;
  return quotient > std::numeric_limits<std::uint64_t>::max()
             ? std::numeric_limits<std::uint64_t>::max()
             : static_cast<std::uint64_t>(quotient);
}

/// Ticks needed to move `bytes` at `bytes_per_s`: ceil(bytes * 1e12 / bytes_per_s).
constexpr Tick transferTicks(std::uint64_t bytes, std::uint64_t bytes_per_s) {
  return mulDivCeil(bytes, kTicksPerSecond, bytes_per_s);
}

/// Saturating product of ticks and a count (kMaxTick when it does not fit).
constexpr Tick mulTicks(Tick a, std::uint64_t b) {
  return saturatingMul(a, b);  // kMaxTick is the largest count
}

/// A non-negative duration in ticks given as a double, rounded up: never a wrap or undefined
/// conversion — a value that does not fit (or NaN) is kMaxTick, the end of time.
inline Tick ceilTicks(double ticks) {
  return ceilToCount(ticks);  // kMaxTick is the largest count
}

/// The same, rounded to nearest, half away from zero (interpolated durations).
inline Tick roundTicks(double ticks) {
  return roundToCount(ticks);
}

/// Saturating addition of ticks (a schedule past the end of time stays at kMaxTick).
constexpr Tick addTicks(Tick a, Tick b) {
  return a > kMaxTick - b ? kMaxTick : a + b;
}

/// Seconds as a double, for reporting only (never fed back into the kernel).
constexpr double ticksToSeconds(Tick t) {
  return static_cast<double>(t) / static_cast<double>(kTicksPerSecond);
}

}  // namespace archsim
