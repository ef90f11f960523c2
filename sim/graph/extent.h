// Extent: an exact non-negative count that is affine in the effective KV length L of a decode step:
//   value(L) = fixed + per_kv * L.
// One decode graph serves every step of a generation: only L changes, so FLOPs and bytes are kept
// as (fixed, per_kv) pairs and evaluated per step (or summed in closed form over steps).
#pragma once

#include <cstdint>

namespace archsim::graph {

struct Extent {
  std::uint64_t fixed = 0;
  std::uint64_t per_kv = 0;

  static constexpr Extent constant(std::uint64_t v) { return {v, 0}; }
  static constexpr Extent perKv(std::uint64_t v) { return {0, v}; }

  constexpr std::uint64_t at(std::uint64_t effective_kv) const {
    return fixed + per_kv * effective_kv;
  }
  constexpr bool dependsOnKv() const { return per_kv != 0; }
  constexpr Extent operator+(Extent o) const { return {fixed + o.fixed, per_kv + o.per_kv}; }
  constexpr Extent& operator+=(Extent o) {
    fixed += o.fixed;
    per_kv += o.per_kv;
    return *this;
  }
  constexpr Extent operator*(std::uint64_t k) const { return {fixed * k, per_kv * k}; }
  constexpr bool operator==(const Extent&) const = default;
};

}  // namespace archsim::graph
