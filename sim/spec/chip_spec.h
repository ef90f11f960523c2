// ChipSpec: a validated chip description — plain data, no YAML, no behaviour beyond derived
// figures.
//
// Produced by readChip() from a configs/chips/*.yaml document (after `base:` inheritance and --set
// overrides). Every physical quantity is in base SI units or integer picoseconds/bytes, named with
// its unit. See README "Chip files" for the YAML keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/time.h"
#include "sim/spec/dtype.h"
#include "sim/spec/names.h"

namespace archsim::spec {

/// A group of identical compute units (tensor cores / systolic arrays, or vector ALUs).
struct ComputeSpec {
  std::uint32_t units = 0;
  /// Dense peak of the whole chip, per dtype (FLOP/s for float formats, OP/s for integer ones).
  std::map<DType, double> peak_ops_per_s;
  /// Speedup from structured sparsity (2 for 2:4 sparsity); 1 when unsupported.
  double sparsity_speedup = 1.0;
  /// Systolic array shape rows x cols; 0 when not stated.
  std::uint32_t array_rows = 0;
  std::uint32_t array_cols = 0;
  /// Side of the block of multiply-accumulators that hands its partial sums on each cycle: 1 in
  /// a classic systolic array, 16 in the TSP's supercells. A result leaves the array
  /// (rows + cols) / cell cycles after its input entered.
  std::uint32_t array_cell = 1;
  /// Fraction of peak a unit sustains on large, well-shaped work (efficiency knob, calibrated),
  /// and per input format where a format sustains a different fraction of its own peak (FP8 on
  /// Hopper does not reach twice the BF16 rate: measured GEMMs and attention kernels say so).
  double achievable_fraction = 1.0;
  std::map<DType, double> achievable_by_dtype;
  /// Matrix units: the bandwidth at which weights enter them from on-chip memory, whole chip (on
  /// a streaming chip, weight streams x bytes per stream x clock); 0 when it is not a separate
  /// limit (a GPU's tensor cores read operands from shared memory at its bandwidth).
  double weight_feed_bytes_per_s = 0.0;
  /// Matrix units: a vendor peak that counts sparsity, per dtype. Shown, never used: dense work
  /// runs at `peak`.
  std::map<DType, double> sparse_peak_ops_per_s;
  /// Vector units: format conversions (fp16/bf16/fp8 -> fp32) one unit completes per cycle, in a
  /// pipe of their own beside the FMAs (NVIDIA SMs: 16, the CUDA programming guide's "all other
  /// type conversions"); 0: not a separate limit (a conversion costs one FLOP at the fp32 rate).
  double conversions_per_cycle = 0.0;
  /// Bytes one unit can have requested from main memory and not yet received (its outstanding
  /// misses). By Little's law a unit then streams from DRAM at most bytes_in_flight / latency, so
  /// work on few units does not reach the channels' bandwidth; 0: not a separate limit.
  std::uint64_t bytes_in_flight = 0;

  /// Multiply-accumulates per cycle of one unit (peak / (2 x units x clock)).
  double macsPerCyclePerUnit(DType t, double clock_hz) const;
  std::optional<double> peak(DType t) const;
  /// The achievable fraction for input format `t` (its own entry, else the default).
  double achievable(DType t) const;
};

enum class MemoryKind { kSram, kCache, kDram, kHost };
inline constexpr NameTable<MemoryKind, 4> kMemoryKindNames{{{"sram", MemoryKind::kSram},
                                                            {"cache", MemoryKind::kCache},
                                                            {"dram", MemoryKind::kDram},
                                                            {"host", MemoryKind::kHost}}};
std::string_view memoryKindName(MemoryKind k);

enum class ReplacementPolicy { kLru, kFifo, kRandom };
inline constexpr NameTable<ReplacementPolicy, 3> kReplacementPolicyNames{
    {{"lru", ReplacementPolicy::kLru},
     {"fifo", ReplacementPolicy::kFifo},
     {"random", ReplacementPolicy::kRandom}}};
std::string_view policyName(ReplacementPolicy p);

struct CacheSpec {
  std::uint64_t line_bytes = 0;  // allocation granule
  ReplacementPolicy policy = ReplacementPolicy::kLru;
  std::uint32_t associativity = 0;  // 0 = fully associative
};

/// Where a DRAM keeps its ECC check bits: none, in extra devices or pins beside the data
/// (sideband: HBM, DDR ECC DIMMs; free), or inline in the data devices themselves (GDDR): a
/// sixteenth of the memory holds the other fifteen's check bits, and every access moves them too.
enum class Ecc { kNone, kSideband, kInline };
inline constexpr NameTable<Ecc, 3> kEccNames{
    {{"none", Ecc::kNone}, {"sideband", Ecc::kSideband}, {"inline", Ecc::kInline}}};

struct DramSpec {
  std::string technology;    // hbm2, hbm2e, hbm3, hbm3e, gddr6, lpddr5x, ...
  std::uint32_t stacks = 0;  // HBM stacks / DRAM packages; 0 when not stated
  std::uint32_t channels = 0;
  double channel_bytes_per_s = 0.0;
  std::uint64_t interleave_bytes = 0;
  Ecc ecc = Ecc::kNone;
  /// The share of the channels' bytes that are data: 15/16 with inline ECC (one check byte for
  /// every fifteen data bytes crosses the same pins), else all of them.
  double dataShare() const { return ecc == Ecc::kInline ? 15.0 / 16.0 : 1.0; }
};

/// One level of the memory hierarchy; ChipSpec::memory lists them near -> far.
struct MemoryLevelSpec {
  std::string name;
  MemoryKind kind = MemoryKind::kSram;
  std::uint64_t size_bytes = 0;        // whole chip
  std::uint32_t instances = 1;         // partitions (per-SM shared memory: one per SM)
  double bandwidth_bytes_per_s = 0.0;  // peak, whole chip
  Tick latency_ps = 0;
  /// Fraction of the peak bandwidth that streaming code achieves (efficiency knob, calibrated).
  double achievable_fraction = 1.0;
  double energy_j_per_byte = 0.0;
  std::uint32_t banks = 0;  // SRAM banks; 0 when not stated
  std::optional<CacheSpec> cache;
  std::optional<DramSpec> dram;

  bool onChip() const { return kind == MemoryKind::kSram || kind == MemoryKind::kCache; }
  /// The data bandwidth streaming code reaches: the achievable share of the peak, less the
  /// check bits of inline ECC.
  double achievableBandwidth() const {
    return bandwidth_bytes_per_s * achievable_fraction * (dram ? dram->dataShare() : 1.0);
  }
};

enum class PortKind {
  kNvlink,
  kInfinityFabric,
  kC2c,
  kIci,
  kPcie,
  kEthernet,
  kInfiniband,
  kFabric
};
inline constexpr NameTable<PortKind, 8> kPortKindNames{
    {{"nvlink", PortKind::kNvlink},
     {"infinity_fabric", PortKind::kInfinityFabric},
     {"c2c", PortKind::kC2c},
     {"ici", PortKind::kIci},
     {"pcie", PortKind::kPcie},
     {"ethernet", PortKind::kEthernet},
     {"infiniband", PortKind::kInfiniband},
     {"fabric", PortKind::kFabric}}};
std::string_view portKindName(PortKind k);

/// Chip-to-chip or host ports of one kind.
struct PortSpec {
  std::string name;
  PortKind kind = PortKind::kNvlink;
  std::uint32_t links = 0;
  double link_bytes_per_s = 0.0;  // per link, per direction
  Tick latency_ps = 0;
  double energy_j_per_byte = 0.0;

  double bytesPerSecondPerDirection() const { return link_bytes_per_s * links; }
};

enum class ExecutionStyle { kKernel, kDataflow };
inline constexpr NameTable<ExecutionStyle, 2> kExecutionStyleNames{
    {{"kernel", ExecutionStyle::kKernel}, {"dataflow", ExecutionStyle::kDataflow}}};
std::string_view executionStyleName(ExecutionStyle s);

/// How weight matmuls map onto the units. kTiled: output tiles over the units, each unit fetching
/// its operands (GPUs, TPUs, the TSP). kSpatial: every core keeps its share of the resident data in
/// its own SRAM, and an op runs on as many cores as share its work, split over K and N, with the
/// input broadcast and the partial sums reduced over the on-chip fabric (wafer-scale engines).
enum class Mapping { kTiled, kSpatial };
inline constexpr NameTable<Mapping, 2> kMappingNames{
    {{"tiled", Mapping::kTiled}, {"spatial", Mapping::kSpatial}}};

/// The on-chip mesh of a spatial chip: one hop between neighbouring cores, one link per direction.
struct FabricSpec {
  Tick hop_ps = 0;
  double link_bytes_per_s = 0.0;
};

struct ExecutionSpec {
  ExecutionStyle style = ExecutionStyle::kKernel;
  Tick launch_overhead_ps = 0;  // per op, kernel style only
  Mapping mapping = Mapping::kTiled;
  FabricSpec fabric;  // spatial mapping only
  /// Cycles each op's operands and results spend in transit between memory and the functional
  /// units on a streaming chip (stream-register hops, one a cycle, and the lane skew), paid once
  /// per op on its critical path; 0 where operands do not stream across the die.
  std::uint32_t operand_transit_cycles = 0;
};

struct PowerSpec {
  double tdp_w = 0.0;
  double static_w = 0.0;
  /// Power of one compute unit (matrix or vector) while it holds a tile, computing or waiting for
  /// its operands: the clocks, schedulers and register files of a unit with work resident.
  double unit_active_w = 0.0;
  std::map<DType, double> energy_j_per_op;  // matrix-unit energy per operation, per dtype
};

struct ChipSpec {
  std::string name;
  std::string description;
  double clock_hz = 0.0;
  ComputeSpec matrix;
  ComputeSpec vector;
  std::vector<MemoryLevelSpec> memory;  // near -> far
  std::vector<PortSpec> ports;
  ExecutionSpec execution;
  PowerSpec power;
  std::optional<double> area_m2;
  std::optional<double> cost_usd;
  /// figure (dotted key path) -> sources (calibration record ids or documents)
  std::vector<std::pair<std::string, std::vector<std::string>>> sources;

  const MemoryLevelSpec* level(std::string_view level_name) const;
  /// The first off-chip memory level (DRAM/HBM), or nullptr for SRAM-only chips.
  const MemoryLevelSpec* mainMemory() const;
  /// Its index in `memory`.
  std::optional<std::size_t> mainMemoryIndex() const;
  const PortSpec* port(std::string_view port_name) const;
  /// Total on-chip capacity (SRAM and caches).
  std::uint64_t onChipBytes() const;
};

}  // namespace archsim::spec
