// Counters the executor keeps per op (and sums per run): bytes by memory level, cache hits and
// misses by tensor role, busy compute time, network bytes, dynamic energy.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/core/time.h"
#include "sim/graph/tensor.h"

namespace archsim::exec {

inline constexpr std::size_t kRoles = 4;  // graph::TensorRole values
inline std::size_t roleIndex(graph::TensorRole r) {
  return static_cast<std::size_t>(r);
}

/// Sentinel role for traffic that belongs to no tensor role: dirty cache blocks written back.
inline constexpr std::size_t kWritebackRole = kRoles;

struct LevelTraffic {
  std::uint64_t read = 0;
  std::uint64_t written = 0;
  /// read + written by the role of the tensor moved; the last entry is write-back traffic.
  std::array<std::uint64_t, kRoles + 1> by_role{};
};

struct OpCounters {
  std::vector<LevelTraffic> level;             // by memory level index
  std::array<std::uint64_t, kRoles> hits{};    // cache block lookups served by a cache
  std::array<std::uint64_t, kRoles> misses{};  // ... that went to DRAM
  std::array<std::uint64_t, kRoles> hit_bytes{};
  std::array<std::uint64_t, kRoles> miss_bytes{};
  std::uint64_t matrix_busy_ps = 0;  // unit-time computing, summed over tiles
  std::uint64_t vector_busy_ps = 0;
  /// Unit-time converting weights from their stored format to the matrix units' format, and
  /// streaming them into the matrix units, summed over tiles (zero where neither limits).
  std::uint64_t convert_busy_ps = 0;
  std::uint64_t feed_busy_ps = 0;
  /// Time the op's end waits after its last tile for the pipeline to drain: a systolic array's
  /// fill and drain, operand transit through a streaming chip, a wafer's fabric broadcast and
  /// reduction.
  std::uint64_t pipeline_latency_ps = 0;
  std::uint64_t tiles = 0;
  std::uint64_t network_bytes = 0;  // this chip's share of what its collectives put on links
  double energy_j = 0.0;  // dynamic: compute, memory traffic and (this chip's share of) links
  double compute_energy_j = 0.0;  // the part of energy_j spent by matrix and vector units
  double network_energy_j = 0.0;  // ... and by links (collectives)

  explicit OpCounters(std::size_t levels = 0) : level(levels) {}
  /// Adds `times` copies of `o` (the same op on several chips or microbatches).
  void add(const OpCounters& o, std::uint64_t times = 1);
};

}  // namespace archsim::exec
