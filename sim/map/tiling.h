// Tiling: how an op's work splits into tiles that run on the chip's units.
//
// Matmuls split into output tiles of tm x tn over the full K, streamed in tk-deep chunks through
// each unit's staging SRAM with two stages in flight. Among tm in {256, 128, 64, 32, 16} and tn in
// {256, 128, 64, 32} that fit the staging SRAM (2 x (tm + tn) x tk x bytes per element), the tile
// is the largest (operand reuse) that uses at least 80% of the unit slots across its waves; failing
// that, the best wave efficiency among shapes that give every unit a tile; for a GEMV too skinny to
// fill the units, the most tiles. So big GEMMs get big tiles and skinny ones spread, and the
// remaining wave quantization is real. Rows are padded to the matrix unit's granularity (16 for
// tensor-core MMAs; systolic arrays stream rows and keep tn a multiple of their width). Wave
// quantization follows from tiles vs units.
#pragma once

#include <cstdint>

#include "sim/spec/chip_spec.h"

namespace archsim::map {

struct MatmulTiling {
  std::uint64_t tm = 0;  // rows per tile (before padding)
  std::uint64_t tn = 0;  // columns per tile
  std::uint64_t tk = 0;  // K chunk streamed at a time
  std::uint64_t tiles_m = 0;
  std::uint64_t tiles_n = 0;
  std::uint64_t row_granularity = 1;  // rows are padded up to a multiple of this for compute

  std::uint64_t tiles() const { return tiles_m * tiles_n; }
  std::uint64_t kChunks(std::uint64_t k) const { return (k + tk - 1) / tk; }
  std::uint64_t paddedRows(std::uint64_t rows) const {
    return (rows + row_granularity - 1) / row_granularity * row_granularity;
  }
};

/// Staging SRAM one matrix unit can use for operand tiles: the per-unit share of the nearest SRAM
/// level (a GPU's shared memory per SM), or 192 KiB when the chip states none.
std::uint64_t stagingBytesPerUnit(const spec::ChipSpec& chip);

/// Tiles C[m, n] = A[m, k] B[k, n] (`batch` independent instances share the units).
MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n,
                        std::uint64_t k, std::uint64_t batch = 1, std::uint64_t element_bytes = 2);

/// Splits `rows` rows of a vector op over `units` units: rows per tile (at least 1).
std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units);

}  // namespace archsim::map
