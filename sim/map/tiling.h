// Tiling: how an op's work splits into tiles that run on the chip's units.
//
// Matmuls split into output tiles of tm x tn over the full K (streamed in tk-deep chunks, double
// buffered in each unit's staging SRAM). tm is the rows rounded up to the matrix unit's row
// granularity (16 for tensor-core MMAs; 1 for systolic arrays, through which rows stream), capped at
// 128; tn is the widest of 256/128/64/32 that still gives every unit a tile, so a skinny decode GEMV
// spreads over the units. Wave quantization follows: tiles beyond the unit count wait for a free
// unit.
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

/// Tiles C[m, n] = A[m, k] B[k, n] (`batch` independent instances share the units).
MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n, std::uint64_t k,
                        std::uint64_t batch = 1);

/// Splits `rows` rows of a vector op over `units` units: rows per tile (at least 1).
std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units);

}  // namespace archsim::map
