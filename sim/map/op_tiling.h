// OpPlan: one graph op, at one KV length, cut into tile tasks for the chip's units. It works from
// the op's own shapes (matmul m/n/k, attention geometry, tensor extents) and the placement, never
// from the scenario; exec/ issues the tasks.
//
// A tile task names the byte ranges of tensors it reads and writes, the multiply-accumulates it
// runs on a matrix unit (rows padded to the unit's granularity) and the FLOPs it runs on a vector
// unit, and how many K chunks its operands stream in (for fetch/compute overlap). Plans by op kind:
// - weight matmuls: output tiles (tm x tn, over the full K or split over K: map/tiling.h) in
//   grouped order — up to 8 row blocks, as many as fit half the caches, sweep the column
//   blocks together, as swizzled GEMM kernels do for cache reuse; each tile reads its activation
//   rows and its weight column block (its K slice of both when split: the weights laid out in
//   tile blocks, as the stacks' GEMM kernels pack them); bias, residual and output ranges are its
//   share, a split after the first reading the output tile back;
// - fused attention: one tile per (sequence, KV head, query block, KV split); each reads the query
//   rows of its head group and the K/V rows it attends, re-reading K/V per query block. A stack
//   whose decode kernel works per query head (PlanContext::per_head_decode_attention) gets a
//   decode tile per query head of the group, each reading the K/V rows itself;
// - materialized attention: score and context as batched matmuls per (sequence, head, row block),
//   softmax as a vector op over the score rows;
// - everything else: row blocks on the vector units. A softmax over rows wider than 1024 elements
//   reads its rows twice (statistics, then normalization), as standard softmax kernels do when a
//   row does not fit one warp's registers; the second pass is a separate step in time.
// Writes into the KV cache go to the (head, sequence, token) rows of the new tokens, spread over
// the op's tiles.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/map/placement.h"
#include "sim/map/tiling.h"
#include "sim/spec/chip_spec.h"

namespace archsim::map {

struct RangeRef {
  StableId tensor = 0;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  bool weight = false;  // a weight range (eligible for dataflow prefetch)
  /// >= 0: read from this memory level, where an earlier tile of the op staged a copy (a TPU's
  /// VMEM); -1: read from the tensor's home.
  int staged = -1;
};

struct TileTask {
  bool matrix = false;     // runs on a matrix unit (else a vector unit)
  std::uint64_t macs = 0;  // matrix-unit MACs, rows padded
  std::uint64_t vector_flops = 0;
  std::uint64_t k_chunks = 1;         // operand streaming depth for fetch/compute overlap
  std::uint64_t weight_elements = 0;  // weight-matrix elements the tile streams into its unit
  std::uint64_t lanes = 1;            // units working the tile in lockstep (a spatial chip's cores)
  std::uint32_t passes = 1;  // times the reads are made (2: a softmax too wide to hold on chip)
  bool fp32_vector = false;  // vector work runs at the fp32 rate (attention keeps softmax in fp32)
  std::uint64_t conversions = 0;  // elements the vector units convert to fp32 (their own pipe)
  /// Serial split-K: the output tile this K slice adds into (kNoFixup: not split), its slice
  /// index, and the bytes of the partial sums it reads back and writes.
  static constexpr std::uint64_t kNoFixup = ~std::uint64_t{0};
  std::uint64_t fixup_tile = kNoFixup;
  std::uint64_t split = 0;
  std::uint64_t fixup_bytes = 0;
  std::vector<RangeRef> reads;
  std::vector<RangeRef> writes;

  void clear() {
    macs = vector_flops = weight_elements = conversions = 0;
    k_chunks = lanes = 1;
    passes = 1;
    fp32_vector = false;
    fixup_tile = kNoFixup;
    split = fixup_bytes = 0;
    reads.clear();
    writes.clear();
  }
};

struct PlanContext {
  const spec::ChipSpec& chip;
  const Placement& placement;
  const graph::Graph& graph;
  std::uint64_t kv_length;  // of this step (decode), or the prompt (prefill)
  /// Decode attention reads a KV head's cache once per query head of its group (the stack's
  /// kernel, SoftwareSpec::decode_attention), not once for the group.
  bool per_head_decode_attention = false;
  /// Decode attention computes on the vector units (SoftwareSpec::decode_attention_units): each
  /// MAC an fp32 FMA, each KV element a tile reads converted to fp32 (kernel-style chips only).
  bool vector_decode_attention = false;
  /// FLOP/s of one vector unit in the run's format (spatial chips spread a vector op over the
  /// cores that minimize its time).
  double vector_unit_flops_per_s = 0.0;
  /// MACs/s of one matrix unit in the run's format (weight matmuls' tile choice weighs it
  /// against the operand bytes; 0: tiles chosen by shape alone).
  double matrix_unit_macs_per_s = 0.0;
  /// Weight matmuls' tilings by shape and operand sizes, kept across steps by the caller (the
  /// layers of a model repeat their shapes); nullptr: none kept.
  MatmulMemo* memo = nullptr;
};

class OpPlan {
 public:
  OpPlan(const PlanContext& ctx, const graph::Op& op);

  std::uint64_t tiles() const { return tiles_; }
  bool matrix() const { return matrix_; }
  /// Units tile `i` occupies (1 except on spatial chips, where a tile stands for a group of
  /// cores doing equal work).
  std::uint64_t lanes(std::uint64_t i) const { return lanes_ + (i < lanes_extra_ ? 1 : 0); }
  /// Time the op's end waits after its last tile on a spatial chip's fabric: the input broadcast
  /// over the cores that share a K slice and the partial results reduced over the rest.
  Tick fabricTicks() const { return fabric_ps_; }
  /// Times each tile makes its reads (2: a softmax too wide to hold on chip, read again later).
  std::uint32_t passes() const;
  /// Fills `task` with tile `i` (0 <= i < tiles()).
  void tile(std::uint64_t i, TileTask& task) const;

 private:
  enum class Shape {
    kWeightMatmul,
    kSpatialMatmul,
    kAttention,
    kAttentionScore,
    kAttentionContext,
    kRows,
    kSpatialRows
  };
  /// Spatial chips: spreads `cores` cores' work over at most kMaxSpatialTiles tiles.
  void spreadOver(std::uint64_t cores);
  /// Spatial chips: the first core of tile `i`.
  std::uint64_t firstCore(std::uint64_t i) const { return i * lanes_ + std::min(i, lanes_extra_); }
  /// Spatial chips: tile `i`'s cores' share of every operand, its lanes; returns its end core.
  std::uint64_t spatialShare(std::uint64_t i, TileTask& task) const;
  /// Spatial chips: hops plus bytes serialized on one link, as fabric time.
  Tick fabric(std::uint64_t hops, std::uint64_t bytes) const;
  /// A tensor the op reads or writes, as this step's tiles need it.
  struct Use {
    StableId id = 0;
    std::uint64_t bytes = 0;   // moved at this step
    bool weight = false;       // a weight (any shape)
    bool vector = false;       // a weight of fewer than two dimensions (a norm's gamma, a bias)
    bool kv = false;           // a KV cache
    std::uint64_t kv_row = 0;  // KV cache: bytes of one token of one (head, sequence)
    std::uint64_t kv_sequences = 0;  // KV cache: sequences it holds
  };
  Use use(const graph::TensorUse& u) const;
  /// Weight matmuls: sets weight_ and input_ from the op's reads.
  void findMatmulOperands();
  /// The [lo, hi) share, out of `whole` equal parts, of the bytes `use` moves at this step.
  static void addRange(std::vector<RangeRef>& out, const Use& use, std::uint64_t lo,
                       std::uint64_t hi, std::uint64_t whole);
  void kvRows(const Use& use, std::uint64_t head, std::uint64_t seq, std::uint64_t t0,
              std::uint64_t t1, std::vector<RangeRef>& out) const;
  void addKvWrites(std::uint64_t i, TileTask& task) const;

  const PlanContext* ctx_;
  const graph::Op* op_;
  std::vector<Use> reads_;    // op_->reads, in order
  std::vector<Use> writes_;   // op_->writes, in order
  std::uint64_t kv_cap_ = 1;  // tokens each (head, sequence) of a KV cache holds
  Shape shape_ = Shape::kRows;
  bool matrix_ = false;
  std::uint64_t tiles_ = 1;
  // spatial chips: cores the op runs on, lanes per tile (the first lanes_extra_ tiles one more)
  std::uint64_t cores_ = 0, lanes_ = 1, lanes_extra_ = 0;
  std::uint64_t block_k_ = 1;  // spatial matmul: rows of K in a core's block
  Tick fabric_ps_ = 0;
  // weight matmul
  MatmulTiling mm_;
  std::uint64_t m_ = 0, n_ = 0, k_ = 0;
  std::uint64_t group_rows_ = 8;  // row blocks per swizzle group
  // Chips with no cache but an SRAM (a TPU's VMEM): the level that holds staged copies of DRAM
  // operands (-1: none), and whether a weight column block / a group's input rows fit its half.
  int staging_ = -1;
  bool stage_weights_ = false;
  bool stage_inputs_ = false;
  int input_ = -1;   // index in op.reads of the activation input
  int weight_ = -1;  // index in op.reads of the weight matrix
  // attention (from the op's geometry)
  graph::AttentionGeometry geo_;
  std::uint64_t batch_ = 0, kv_heads_ = 0, group_ = 0, head_dim_ = 0;
  std::uint64_t q_rows_ = 0, q_block_ = 0, q_blocks_ = 0, splits_ = 0, span_ = 0;
  std::uint64_t per_kv_head_ = 1;  // decode tiles per (sequence, KV head, split): 1, or the group
  bool convert_kv_ = false;  // vector decode attention converts the KV elements it reads to fp32
  int q_use_ = -1, k_use_ = -1, v_use_ = -1;
  // rows
  std::uint64_t rows_ = 0, rows_per_tile_ = 1, columns_ = 0;
  // KV cache rows written: (use index, new-token range)
  std::vector<RangeRef> kv_writes_;
};

}  // namespace archsim::map
