#include "sim/map/tiling.h"

#include <algorithm>

namespace archsim::map {

std::uint64_t stagingBytesPerUnit(const spec::ChipSpec& chip) {
  for (const spec::MemoryLevelSpec& level : chip.memory) {
    if (level.kind != spec::MemoryKind::kSram) continue;
    const std::uint64_t parts = std::max<std::uint64_t>(level.instances, chip.matrix.units);
    return std::max<std::uint64_t>(level.size_bytes / parts, 16 * 1024);
  }
  return 192 * 1024;
}

MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n,
                        std::uint64_t k, std::uint64_t batch, std::uint64_t element_bytes) {
  MatmulTiling t;
  const bool systolic = chip.matrix.array_rows > 0;
  t.row_granularity = systolic ? 1 : 16;
  t.tk = std::min<std::uint64_t>(systolic ? chip.matrix.array_rows : 64,
                                 std::max<std::uint64_t>(k, 1));
  m = std::max<std::uint64_t>(m, 1);
  n = std::max<std::uint64_t>(n, 1);
  const std::uint64_t staging = stagingBytesPerUnit(chip);
  const std::uint64_t units = chip.matrix.units;
  const std::uint64_t min_tn = systolic ? chip.matrix.array_cols : 32;

  // Rank: (1) shapes that use at least kMinWaveEfficiency of the unit slots across their waves,
  // largest tile first (operand reuse); (2) shapes that give every unit a tile, by wave efficiency;
  // (3) the rest, by tile count (skinny GEMVs spread as wide as they can).
  constexpr double kMinWaveEfficiency = 0.8;
  int best_rank = -1;
  double best_score = 0;
  std::uint64_t best_area = 0;
  for (std::uint64_t tm_cap : {256, 128, 64, 32, 16}) {
    const std::uint64_t tm = std::min(tm_cap, systolic ? m : t.paddedRows(m));
    for (std::uint64_t tn_cap : {256, 128, 64, 32}) {
      const std::uint64_t tn = std::min(std::max(tn_cap, min_tn), n);
      const bool smallest = tm_cap == 16 && tn_cap == 32;
      if (2 * (tm + tn) * t.tk * element_bytes > staging && !smallest) continue;
      const std::uint64_t tiles = batch * ((m + tm - 1) / tm) * ((n + tn - 1) / tn);
      const std::uint64_t waves = (tiles + units - 1) / units;
      const double efficiency = static_cast<double>(tiles) / static_cast<double>(waves * units);
      const std::uint64_t area = tm * tn;
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
  t.tiles_m = (m + t.tm - 1) / t.tm;
  t.tiles_n = (n + t.tn - 1) / t.tn;
  return t;
}

std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units) {
  return std::max<std::uint64_t>(1, (rows + units - 1) / std::max<std::uint64_t>(units, 1));
}

}  // namespace archsim::map
