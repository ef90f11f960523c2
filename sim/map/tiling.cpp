#include "sim/map/tiling.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace archsim::map {

std::uint64_t stagingBytesPerUnit(const spec::ChipSpec& chip) {
  for (const spec::MemoryLevelSpec& level : chip.memory) {
    if (level.kind != spec::MemoryKind::kSram) continue;
    const std::uint64_t parts = std::max<std::uint64_t>(level.instances, chip.matrix.units);
    return std::max<std::uint64_t>(level.size_bytes / parts, 16 * 1024);
  }
  return 192 * 1024;
}

std::size_t splitKFixupLevel(const spec::ChipSpec& chip) {
  for (std::size_t l = 0; l < chip.memory.size(); ++l) {
    if (chip.memory[l].kind == spec::MemoryKind::kCache) return l;
  }
  return chip.mainMemoryIndex().value_or(0);
}

double splitKFixupSeconds(const spec::ChipSpec& chip, std::size_t level, double bytes) {
  if (level >= chip.memory.size()) return 0.0;
  const spec::MemoryLevelSpec& l = chip.memory[level];
  const double share = l.achievableBandwidth() / std::max<double>(chip.matrix.units, 1);
  return 2 * ticksToSeconds(l.latency_ps) + (share > 0 ? bytes / share : 0.0);
}

double estimateMatmulSeconds(const spec::ChipSpec& chip, const MatmulTiling& t, std::uint64_t m,
                             std::uint64_t n, std::uint64_t k, std::uint64_t batch,
                             const MatmulCosts& costs) {
  const double units = std::max<double>(chip.matrix.units, 1);
  const double tiles = static_cast<double>(batch * t.tiles());
  const double waves = std::ceil(tiles / units);
  const double slice = std::ceil(static_cast<double>(k) / static_cast<double>(t.splits));
  const auto tm = static_cast<double>(t.tm), tn = static_cast<double>(t.tn);
  const double compute =
      costs.unit_macs_per_s > 0
          ? waves * static_cast<double>(t.paddedRows(t.tm)) * tn * slice / costs.unit_macs_per_s
          : 0.0;
  // A later split reads the output tile its predecessors left and writes it back.
  const double output_passes = t.splits > 1 ? 2.0 : 1.0;
  const double tile_bytes = tm * slice * costs.input_bytes + slice * tn * costs.weight_bytes +
                            tm * tn * costs.output_bytes * output_passes;
  const double port =
      costs.cache_bytes_per_s > 0 ? waves * tile_bytes * units / costs.cache_bytes_per_s : 0.0;
  const auto md = static_cast<double>(m), nd = static_cast<double>(n), kd = static_cast<double>(k);
  const double unique =
      static_cast<double>(batch) *
      (md * kd * costs.input_bytes + kd * nd * costs.weight_bytes +
       md * nd * costs.output_bytes * (2.0 * static_cast<double>(t.splits) - 1.0));
  const double main = costs.main_bytes_per_s > 0
                          ? unique / costs.main_bytes_per_s * units / std::min(tiles, units)
                          : 0.0;
  // Serial split-K: in each wave the slices of a tile add into it one after another.
  const double fixup = t.splits > 1 ? waves * static_cast<double>(t.splits - 1) *
                                          splitKFixupSeconds(chip, splitKFixupLevel(chip),
                                                             2 * tm * tn * costs.output_bytes)
                                    : 0.0;
  return std::max({compute, port, main}) + waves * costs.latency_s + fixup;
}

MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n,
                        std::uint64_t k, std::uint64_t batch, std::uint64_t element_bytes,
                        const MatmulCosts* costs) {
  MatmulTiling t;
  const bool systolic = chip.matrix.array_rows > 0;
  t.row_granularity = systolic ? 1 : 16;
  t.tk = std::min<std::uint64_t>(systolic ? chip.matrix.array_rows : 64,
                                 std::max<std::uint64_t>(k, 1));
  m = std::max<std::uint64_t>(m, 1);
  n = std::max<std::uint64_t>(n, 1);
  k = std::max<std::uint64_t>(k, 1);
  const std::uint64_t staging = stagingBytesPerUnit(chip);
  const std::uint64_t units = chip.matrix.units;
  const std::uint64_t min_tn = systolic ? chip.matrix.array_cols : 32;
  const bool by_cost = costs != nullptr && !systolic;

  // Rank rule: (1) shapes that use at least kMinWaveEfficiency of the unit slots across their
  // waves, largest tile first (operand reuse); (2) shapes that give every unit a tile, by wave
  // efficiency; (3) the rest, by tile count (skinny GEMVs spread as wide as they can).
  constexpr double kMinWaveEfficiency = 0.8;
  // Cost rule: splits of K up to kMaxSplits, each slice at least kMinSliceChunks chunks deep.
  constexpr std::uint64_t kMaxSplits = 16;
  constexpr std::uint64_t kMinSliceChunks = 4;
  constexpr double kNearlyBest = 0.05;
  int best_rank = -1;
  double best_score = 0;
  std::uint64_t best_area = 0;
  // Cost rule: every candidate's estimate; then, among those within kNearlyBest of the least,
  // the fewest splits and then the largest tile (fewer, bigger tiles for a gain in the noise).
  struct Candidate {
    double seconds;
    std::uint64_t tm, tn, splits;
  };
  std::vector<Candidate> candidates;
  for (std::uint64_t tm_cap : {256, 128, 64, 32, 16}) {
    const std::uint64_t tm = std::min(tm_cap, systolic ? m : t.paddedRows(m));
    for (std::uint64_t tn_cap : {256, 128, 64, 32}) {
      const std::uint64_t tn = std::min(std::max(tn_cap, min_tn), n);
      const bool smallest = tm_cap == 16 && tn_cap == 32;
      if (2 * (tm + tn) * t.tk * element_bytes > staging && !smallest) continue;
      const std::uint64_t area = tm * tn;
      if (by_cost) {
        MatmulTiling c = t;
        c.tm = std::min(tm, m);
        c.tn = tn;
        c.tiles_m = (m + c.tm - 1) / c.tm;
        c.tiles_n = (n + tn - 1) / tn;
        for (std::uint64_t s = 1; s <= kMaxSplits; ++s) {
          if (s > 1 && k / s < kMinSliceChunks * t.tk) break;
          c.splits = s;
          candidates.push_back(
              {estimateMatmulSeconds(chip, c, m, n, k, batch, *costs), c.tm, tn, s});
        }
        continue;
      }
      const std::uint64_t tiles = batch * ((m + tm - 1) / tm) * ((n + tn - 1) / tn);
      const std::uint64_t waves = (tiles + units - 1) / units;
      const double efficiency = static_cast<double>(tiles) / static_cast<double>(waves * units);
      const int rank = efficiency >= kMinWaveEfficiency ? 2 : tiles >= units ? 1 : 0;
      const double score = rank == 2   ? static_cast<double>(area)
                           : rank == 1 ? efficiency
                                       : static_cast<double>(tiles);
      if (rank > best_rank || (rank == best_rank &&
                               (score > best_score || (score == best_score && area > best_area)))) {
        best_rank = rank;
        best_score = score;
        best_area = area;
        t.tm = std::min(tm, m);
        t.tn = tn;
      }
    }
  }
  std::uint64_t best_splits = 1;
  if (!candidates.empty()) {
    double least = candidates.front().seconds;
    for (const Candidate& c : candidates)
      least = std::min(least, c.seconds);
    bool chosen = false;
    for (const Candidate& c : candidates) {  // in order: larger tiles first, then more splits
      if (c.seconds > least * (1 + kNearlyBest)) continue;
      if (!chosen || c.splits < best_splits ||
          (c.splits == best_splits && c.tm * c.tn > t.tm * t.tn)) {
        chosen = true;
        best_splits = c.splits;
        t.tm = c.tm;
        t.tn = c.tn;
      }
    }
  }
  t.splits = best_splits;
  t.tiles_m = (m + t.tm - 1) / t.tm;
  t.tiles_n = (n + t.tn - 1) / t.tn;
  return t;
}

std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units) {
  return std::max<std::uint64_t>(1, (rows + units - 1) / std::max<std::uint64_t>(units, 1));
}

}  // namespace archsim::map
