// Tiling: how an op's work splits into tiles that run on the chip's units.
//
// Matmuls split into output tiles of tm x tn, streamed in tk-deep chunks through each unit's
// staging SRAM with two stages in flight. tm is one of {256, 128, 64, 32, 16}, tn one of
// {256, 128, 64, 32}, each fitting the staging SRAM (2 x (tm + tn) x tk x bytes per element).
// Rows are padded to the matrix unit's granularity (16 for tensor-core MMAs; systolic arrays
// stream rows and keep tn a multiple of their width). Wave quantization follows from tiles vs
// units.
//
// Two ways to choose, by the chip's kind of matrix unit:
// - Tensor-core chips, given the operands' sizes and the rates (MatmulCosts), choose as GEMM
//   libraries' heuristics and autotuners do: the (tm, tn, split-K) with the least estimated time,
//   the largest of compute over the waves, every operand byte crossing a unit's share of the cache
//   port, and the unique bytes from main memory at the share of units that have a tile; plus the
//   main memory's latency once a wave (a tile computes nothing before its first operands); among
//   estimates within 5% of the least, the fewest splits, then the largest tile. A split of K
//   (serial split-K, as CUTLASS and cuBLAS run it) gives each of s tiles a K slice of one output
//   tile; the first writes the output tile, each later one waits for the one before it, then
//   reads the tile back and rewrites it (splitKFixupSeconds, in the estimate and in the
//   executor's time). It pays when the output tiles are too few for the units or too small for
//   reuse: a 459-row FP8 decode GEMM on an H100 gets 256 x 128 tiles over 3 K slices instead of
//   16-row tiles that re-read the weights 29 times from the cache.
// - Systolic arrays (and any call without costs): the largest tile that uses at least 80% of the
//   unit slots across its waves; failing that, the best wave efficiency among shapes that give
//   every unit a tile; for a GEMV too skinny to fill the units, the most tiles. No split.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "sim/spec/chip_spec.h"

namespace archsim::map {

struct MatmulTiling {
  std::uint64_t tm = 0;  // rows per tile (before padding)
  std::uint64_t tn = 0;  // columns per tile
  std::uint64_t tk = 0;  // K chunk streamed at a time
  std::uint64_t tiles_m = 0;
  std::uint64_t tiles_n = 0;
  std::uint64_t splits = 1;           // K slices per output tile (serial split-K)
  std::uint64_t row_granularity = 1;  // rows are padded up to a multiple of this for compute

  std::uint64_t tiles() const { return tiles_m * tiles_n * splits; }
  std::uint64_t kChunks(std::uint64_t k) const { return (k + tk - 1) / tk; }
  /// K elements of slice `s` (0 <= s < splits) of a K of `k`, and where it starts.
  std::uint64_t sliceBegin(std::uint64_t k, std::uint64_t s) const { return k * s / splits; }
  std::uint64_t sliceEnd(std::uint64_t k, std::uint64_t s) const { return k * (s + 1) / splits; }
  std::uint64_t paddedRows(std::uint64_t rows) const {
    return (rows + row_granularity - 1) / row_granularity * row_granularity;
  }
};

/// Staging SRAM one matrix unit can use for operand tiles: the per-unit share of the nearest SRAM
/// level (a GPU's shared memory per SM), or 192 KiB when the chip states none.
std::uint64_t stagingBytesPerUnit(const spec::ChipSpec& chip);

/// The memory level through which serial split-K slices hand on their partial sums (index into
/// chip.memory): the nearest cache, else main memory, else the first level.
std::size_t splitKFixupLevel(const spec::ChipSpec& chip);

/// One hand-on of serial split-K (CUTLASS's kSplitKSerial, cuBLAS's in-place reduction): slice
/// s of an output tile adds into it only once slice s - 1 has (it polls a flag in memory), then
/// reads the partial sums in the output's own format and writes them back. Its time: a round trip
/// to `level` to see the flag, then `bytes` (read plus written) at one unit's share of the
/// level's bandwidth (the slices of a wave finish together and share it).
double splitKFixupSeconds(const spec::ChipSpec& chip, std::size_t level, double bytes);

/// What the cost-based choice weighs: bytes per element of each operand, and the rates.
struct MatmulCosts {
  double input_bytes = 2;   // A, per element
  double weight_bytes = 2;  // B, per element
  double output_bytes = 2;  // C, per element
  double unit_macs_per_s = 0;
  double cache_bytes_per_s = 0;  // the cache operand re-reads hit (0: none)
  double main_bytes_per_s = 0;   // main memory (0: none)
  double latency_s = 0;          // main memory's latency: each wave waits for its first operands
};

/// Tiles C[m, n] = A[m, k] B[k, n] (`batch` independent instances share the units). With `costs`
/// on a tensor-core chip, by least estimated time with split-K; else by the rank rule, unsplit.
MatmulTiling tileMatmul(const spec::ChipSpec& chip, std::uint64_t m, std::uint64_t n,
                        std::uint64_t k, std::uint64_t batch = 1, std::uint64_t element_bytes = 2,
                        const MatmulCosts* costs = nullptr);

/// Tilings already chosen, by (m, n, k) and the operands' bytes per element (one chip and rate).
using MatmulMemo =
    std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, double, double, double>,
             MatmulTiling>;

/// The estimated time (s) tileMatmul's cost-based choice gives tiling `t` of that matmul.
double estimateMatmulSeconds(const spec::ChipSpec& chip, const MatmulTiling& t, std::uint64_t m,
                             std::uint64_t n, std::uint64_t k, std::uint64_t batch,
                             const MatmulCosts& costs);

/// Splits `rows` rows of a vector op over `units` units: rows per tile (at least 1).
std::uint64_t rowsPerTile(std::uint64_t rows, std::uint64_t units);

}  // namespace archsim::map
