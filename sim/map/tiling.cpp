#include "sim/map/tiling.h"

#include <algorithm>

namespace archsim::map {

MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n, std::uint64_t k,
                        std::uint64_t batch) {
  MatmulTiling t;
  const bool systolic = chip.matrix.array_rows > 0;
  t.row_granularity = systolic ? 1 : 16;
  t.tm = std::min<std::uint64_t>(std::max<std::uint64_t>(m, 1), 128);
  t.tiles_m = (m + t.tm - 1) / t.tm;
  const std::uint64_t units = chip.matrix.units;
  t.tn = 32;
  for (std::uint64_t cand : {256, 128, 64, 32}) {
    const std::uint64_t tiles = batch * t.tiles_m * ((n + cand - 1) / cand);
    if (tiles >= units || cand == 32) {
      t.tn = cand;
      break;
    }
  }
  if (systolic) t.tn = std::max<std::uint64_t>(t.tn, chip.matrix.array_cols);
  t.tn = std::min(t.tn, std::max<std::uint64_t>(n, 1));
  t.tiles_n = (n + t.tn - 1) / t.tn;
  t.tk = systolic ? chip.matrix.array_rows : 64;
  t.tk = std::min(t.tk, std::max<std::uint64_t>(k, 1));
  return t;
}

std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units) {
  return std::max<std::uint64_t>(1, (rows + units - 1) / std::max<std::uint64_t>(units, 1));
}

}  // namespace archsim::map
