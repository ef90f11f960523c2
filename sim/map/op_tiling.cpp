#include "sim/map/op_tiling.h"

#include <algorithm>
#include <cmath>

#include "sim/core/error.h"
#include "sim/core/time.h"

namespace archsim::map {
namespace {

using graph::OpKind;
using graph::TensorRole;

constexpr std::uint64_t kKvBlockTokens = 256;  // tokens a decode KV split covers at least
constexpr std::uint64_t kQueryBlock = 128;     // queries per prefill attention tile
constexpr std::uint64_t kAttentionKChunk = 64;
constexpr std::uint64_t kGroupRows = 8;       // most row blocks per group in the matmul tile order
constexpr std::uint64_t kRegisterRow = 1024;  // widest softmax row kept in registers (one pass)
// Spatial chips: most tiles an op is cut into (each a group of cores doing equal work, so the
// count bounds events, not parallelism); partial results are reduced in fp32.
constexpr std::uint64_t kMaxSpatialTiles = 128;
constexpr std::uint64_t kPartialBytes = 4;

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

/// x * num / den without overflow.
std::uint64_t scale(std::uint64_t x, std::uint64_t num, std::uint64_t den) {
  std::uint64_t product = 0;
  if (!__builtin_mul_overflow(x, num, &product)) return product / den;
  return static_cast<std::uint64_t>(static_cast<Uint128>(x) * num / den);
}

}  // namespace

OpPlan::OpPlan(const PlanContext& ctx, const graph::Op& op) : ctx_(&ctx), op_(&op) {
  const graph::Graph& g = ctx.graph;
  const std::uint64_t kv = g.effectiveKv(ctx.kv_length);
  kv_cap_ = std::max<std::uint64_t>(1, g.effectiveKv(ctx.placement.kvCapacityTokens()));
  if (op.attention) {
    geo_ = *op.attention;
    batch_ = geo_.sequences;
    kv_heads_ = geo_.kv_heads;
    group_ = geo_.group;
    head_dim_ = geo_.head_dim;
    q_rows_ = geo_.query_rows;
    span_ = geo_.span(kv);
  }
  auto needGeometry = [&] {
    if (!op.attention) ARCHSIM_PANIC("op '" + op.name + "' has no attention geometry");
  };

  // Spatial chips keep every core's share of the resident data (weights and KV cache) in its own
  // SRAM; an op runs on as many cores as give each the multiply-accumulates of that share.
  const spec::ChipSpec& chip = ctx.chip;
  const bool spatial =
      chip.execution.mapping == spec::Mapping::kSpatial && ctx.placement.weightsResident();
  const std::uint64_t units = chip.matrix.units;
  const std::uint64_t share_bytes = ceilDiv(
      std::max<std::uint64_t>(ctx.placement.weightBytes() + ctx.placement.kvBytes(), 1), units);

  if (graph::isWeightMatmulKind(op.kind) && op.matmul && spatial) {
    // Split over K and N across the cores that hold the weights, blocks near square (the input
    // slice a core needs and the partial sums it hands on balance), no row padding.
    shape_ = Shape::kSpatialMatmul;
    matrix_ = true;
    m_ = op.matmul->m.at(kv);
    n_ = std::max<std::uint64_t>(op.matmul->n.at(kv), 1);
    k_ = std::max<std::uint64_t>(op.matmul->k.at(kv), 1);
    findMatmulOperands();
    const std::uint64_t cores =
        std::clamp<std::uint64_t>(ceilDiv(op.reads[weight_].bytes.at(kv), share_bytes), 1, units);
    const double ideal =
        std::sqrt(static_cast<double>(cores) * static_cast<double>(k_) / static_cast<double>(n_));
    const std::uint64_t kc = std::clamp<std::uint64_t>(std::llround(ideal), 1, std::min(k_, cores));
    const std::uint64_t nc = std::clamp<std::uint64_t>(cores / kc, 1, n_);
    spreadOver(kc * nc);
    block_k_ = ceilDiv(k_, kc);
    const std::uint64_t in_bytes = op.reads[input_].bytes.at(kv) / std::max<std::uint64_t>(m_, 1);
    // Broadcast: each K slice of every input row to the nc cores sharing it; reduction: each
    // core's partial sums along the kc cores of its column, one add a hop.
    fabric_ps_ = fabric(nc - 1, m_ * ceilDiv(k_, kc) * in_bytes / k_) +
                 fabric(kc - 1, m_ * ceilDiv(n_, nc) * kPartialBytes);
  } else if (graph::isWeightMatmulKind(op.kind) && op.matmul) {
    shape_ = Shape::kWeightMatmul;
    matrix_ = true;
    m_ = op.matmul->m.at(kv);
    n_ = op.matmul->n.at(kv);
    k_ = op.matmul->k.at(kv);
    findMatmulOperands();
    MatmulCosts costs;
    const auto per_element = [](std::uint64_t bytes, std::uint64_t a, std::uint64_t b) {
      return static_cast<double>(bytes) /
             static_cast<double>(std::max<std::uint64_t>(a, 1) * std::max<std::uint64_t>(b, 1));
    };
    costs.input_bytes = per_element(op.reads[input_].bytes.at(kv), m_, k_);
    costs.weight_bytes = per_element(op.reads[weight_].bytes.at(kv), k_, n_);
    costs.output_bytes =
        op.writes.empty() ? costs.input_bytes : per_element(op.writes[0].bytes.at(kv), m_, n_);
    costs.unit_macs_per_s = ctx.matrix_unit_macs_per_s;
    // The nearest cache (operand re-reads) and SRAM (staging on cacheless chips).
    const spec::MemoryLevelSpec* cache = nullptr;
    int sram = -1;
    for (std::size_t l = 0; l < ctx.chip.memory.size(); ++l) {
      const spec::MemoryLevelSpec& level = ctx.chip.memory[l];
      if (level.kind == spec::MemoryKind::kCache && cache == nullptr) cache = &level;
      if (level.kind == spec::MemoryKind::kSram && sram < 0) sram = static_cast<int>(l);
    }
    if (cache != nullptr) costs.cache_bytes_per_s = cache->achievableBandwidth();
    if (const spec::MemoryLevelSpec* main = ctx.chip.mainMemory()) {
      costs.main_bytes_per_s = main->achievableBandwidth();
      costs.latency_s = ticksToSeconds(main->latency_ps);
    }
    const auto key =
        std::make_tuple(m_, n_, k_, costs.input_bytes, costs.weight_bytes, costs.output_bytes);
    const auto known = ctx.memo != nullptr ? ctx.memo->find(key) : MatmulMemo::iterator{};
    if (ctx.memo != nullptr && known != ctx.memo->end()) {
      mm_ = known->second;
    } else {
      mm_ =
          tileMatmul(ctx.chip, m_, n_, k_, 1, 2, ctx.matrix_unit_macs_per_s > 0 ? &costs : nullptr);
      if (ctx.memo != nullptr) ctx.memo->emplace(key, mm_);
    }
    tiles_ = mm_.tiles();
    // Rows per swizzle group: as many activation row blocks as fit in half the caches (a farther
    // cache, such as a memory-side one, holds what the nearest cannot).
    const std::uint64_t row_block =
        op.reads[input_].bytes.at(kv) / std::max<std::uint64_t>(m_, 1) * mm_.tm;
    // A chip without a cache stages DRAM operands in its SRAM as its compiler does (XLA on a
    // TPU's VMEM): a weight column block is loaded by the first row block of a group and reused
    // by the others, a group's input rows by the first column block; each staging half the SRAM.
    std::uint64_t cache_bytes = 0;
    for (const spec::MemoryLevelSpec& level : ctx.chip.memory)
      if (level.kind == spec::MemoryKind::kCache) cache_bytes += level.size_bytes;
    const std::uint64_t staging =
        cache_bytes == 0 && sram >= 0 ? ctx.chip.memory[sram].size_bytes : 0;
    const std::uint64_t buffer = cache_bytes > 0 ? cache_bytes : staging;
    group_rows_ = buffer == 0
                      ? kGroupRows
                      : std::clamp<std::uint64_t>(
                            buffer / 2 / std::max<std::uint64_t>(row_block, 1), 1, kGroupRows);
    if (staging > 0) {
      auto inDram = [&](int read) {
        const map::TensorHome& home =
            ctx.placement.home(ctx.placement.stable(g, op.reads[read].tensor));
        return ctx.chip.memory[home.level].kind == spec::MemoryKind::kDram;
      };
      const std::uint64_t column_block =
          op.reads[weight_].bytes.at(kv) / std::max<std::uint64_t>(n_, 1) * mm_.tn;
      staging_ = sram;
      stage_weights_ = inDram(weight_) && column_block <= staging / 2;
      stage_inputs_ = inDram(input_) && group_rows_ * row_block <= staging / 2;
    }
  } else if (op.kind == OpKind::kAttention) {
    needGeometry();
    shape_ = Shape::kAttention;
    matrix_ = true;
    q_use_ = 0, k_use_ = 1, v_use_ = 2;
    // Bytes of one K element: spatial chips balance attention's MACs against their share.
    const std::uint64_t kv_element =
        spatial ? std::max<std::uint64_t>(
                      1, op.reads[k_use_].bytes.at(kv) /
                             std::max<std::uint64_t>(1, batch_ * kv_heads_ * span_ * head_dim_))
                : 1;
    if (geo_.decode) {
      q_block_ = 1;
      q_blocks_ = 1;
      // A per-head kernel gives each query head of a group its own tiles, each reading the KV
      // head's rows itself; a grouped one serves the group from one read.
      per_kv_head_ = ctx.per_head_decode_attention ? std::max<std::uint64_t>(group_, 1) : 1;
      // A CUDA-core kernel (masked MHA, paged attention v1/v2) runs on the vector units.
      if (ctx.vector_decode_attention && !spatial) {
        matrix_ = false;
        convert_kv_ = g.tensor(op.reads[k_use_].tensor).format.bitsPerElement() < 32;
      }
      // Split the KV span (flash-decoding) until every unit has work, in blocks of >= 256 tokens.
      // A spatial chip spreads a head's span over as many cores as give each the MACs of its
      // share of resident data, and combines the splits' partial softmax along a chain of cores.
      splits_ = std::clamp<std::uint64_t>(ceilDiv(units, batch_ * kv_heads_ * per_kv_head_), 1,
                                          ceilDiv(kv, kKvBlockTokens));
      if (spatial) {
        const std::uint64_t macs = 2 * (group_ / per_kv_head_) * span_ * head_dim_;
        const std::uint64_t cores = std::clamp<std::uint64_t>(
            ceilDiv(macs * kv_element, share_bytes), 1, std::max<std::uint64_t>(span_, 1));
        fabric_ps_ = fabric(cores - 1, (group_ / per_kv_head_) * (head_dim_ + 2) * kPartialBytes);
        // Past kMaxSpatialTiles, a tile covers several cores' splits in lockstep.
        lanes_ =
            std::min(cores, ceilDiv(batch_ * kv_heads_ * per_kv_head_ * cores, kMaxSpatialTiles));
        splits_ = ceilDiv(cores, lanes_);
      }
    } else {
      q_block_ = std::min(kQueryBlock, q_rows_);
      q_blocks_ = ceilDiv(q_rows_, q_block_);
      splits_ = 1;
      if (spatial) {
        // A spatial chip gives a query block as many cores as hold the MACs a weight matmul's
        // core does in this pass (its rows x its share), each core a slice of the keys, the
        // partial softmax combined along them.
        const std::uint64_t tile_macs = 2 * group_ * geo_.pairs(0, q_block_, span_) * head_dim_;
        const std::uint64_t budget =
            batch_ * q_rows_ * std::max<std::uint64_t>(share_bytes / kv_element, 1);
        const std::uint64_t blocks = batch_ * kv_heads_ * q_blocks_;
        lanes_ = std::clamp<std::uint64_t>(ceilDiv(tile_macs, budget), 1,
                                           std::max<std::uint64_t>(units / blocks, 1));
        fabric_ps_ = fabric(lanes_ - 1, group_ * q_block_ * (head_dim_ + 2) * kPartialBytes);
      }
    }
    tiles_ = batch_ * kv_heads_ * per_kv_head_ * q_blocks_ * splits_;
  } else if (op.kind == OpKind::kAttentionScore || op.kind == OpKind::kAttentionContext) {
    needGeometry();
    shape_ = op.kind == OpKind::kAttentionScore ? Shape::kAttentionScore : Shape::kAttentionContext;
    matrix_ = true;
    q_use_ = 0, k_use_ = 1;
    q_block_ = std::min(kQueryBlock, q_rows_);
    q_blocks_ = ceilDiv(q_rows_, q_block_);
    tiles_ = batch_ * geo_.heads() * q_blocks_;
    mm_ = tileMatmul(ctx.chip, q_rows_, span_, head_dim_, batch_ * geo_.heads());
  } else {
    shape_ = Shape::kRows;
    matrix_ = false;
    const graph::TensorUse& first = op.writes.empty() ? op.reads.front() : op.writes.front();
    const graph::Tensor& t = g.tensor(first.tensor);
    const std::uint64_t last = t.shape.empty() ? 1
                               : t.shape.back() == graph::kKvDim
                                   ? std::max<std::uint64_t>(kv, 1)
                                   : std::max<std::int64_t>(t.shape.back(), 1);
    rows_ = std::max<std::uint64_t>(1, t.elements.at(kv) / last);
    columns_ = last;
    if (t.role == TensorRole::kKv) {  // the KV write: one row per new token of each sequence
      needGeometry();
      rows_ = std::max<std::uint64_t>(1, batch_ * q_rows_);
    }
    rows_per_tile_ = rowsPerTile(rows_, ctx.chip.vector.units);
    tiles_ = ceilDiv(rows_, rows_per_tile_);
    if (spatial && rows_ < chip.vector.units && ctx.vector_unit_flops_per_s > 0 &&
        chip.execution.fabric.hop_ps > 0) {
      // A row spread over c cores takes W / (c r) computing and about 2 sqrt(c) hops gathering
      // across its region: the least at c = (W / (r hop))^(2/3).
      const double w = static_cast<double>(op.vector_flops.at(kv)) / static_cast<double>(rows_);
      const double hop_s = ticksToSeconds(chip.execution.fabric.hop_ps);
      const double best = std::pow(w / (ctx.vector_unit_flops_per_s * hop_s), 2.0 / 3.0);
      const std::uint64_t per_row = std::clamp<std::uint64_t>(
          std::llround(best), 1,
          std::max<std::uint64_t>(
              1, std::min(static_cast<std::uint64_t>(w), chip.vector.units / rows_)));
      shape_ = Shape::kSpatialRows;
      spreadOver(rows_ * per_row);
      const auto side = static_cast<std::uint64_t>(std::ceil(std::sqrt(per_row)));
      fabric_ps_ = fabric(2 * (side - 1), 0);
    }
  }

  for (const graph::TensorUse& r : op.reads)
    reads_.push_back(use(r));
  for (const graph::TensorUse& w : op.writes)
    writes_.push_back(use(w));

  // New KV-cache rows this op writes: the new tokens of every (head, sequence).
  for (const Use& w : writes_) {
    if (!w.kv) continue;
    needGeometry();
    const std::uint64_t t0 =
        geo_.decode ? (ctx.kv_length - 1) % kv_cap_ : std::min(geo_.prior, kv_cap_);
    const std::uint64_t t1 = geo_.decode ? t0 + 1 : std::min(geo_.prior + q_rows_, kv_cap_);
    for (std::uint64_t h = 0; h < kv_heads_; ++h) {
      for (std::uint64_t b = 0; b < batch_; ++b)
        kvRows(w, h, b, t0, t1, kv_writes_);
    }
  }
}

void OpPlan::findMatmulOperands() {
  const graph::Op& op = *op_;
  for (std::size_t i = 0; i < op.reads.size(); ++i) {
    const graph::Tensor& t = ctx_->graph.tensor(op.reads[i].tensor);
    if (weight_ < 0 && t.role == TensorRole::kWeight && t.shape.size() == 2)
      weight_ = static_cast<int>(i);
    if (input_ < 0 && t.role != TensorRole::kWeight) input_ = static_cast<int>(i);
  }
  if (weight_ < 0 || input_ < 0)
    ARCHSIM_PANIC("weight matmul '" + op.name + "' lacks an input or a weight");
}

OpPlan::Use OpPlan::use(const graph::TensorUse& u) const {
  const graph::Graph& g = ctx_->graph;
  const graph::Tensor& t = g.tensor(u.tensor);
  Use out;
  out.id = ctx_->placement.stable(g, u.tensor);
  out.bytes = u.bytes.at(g.effectiveKv(ctx_->kv_length));
  out.weight = t.role == TensorRole::kWeight;
  out.vector = out.weight && t.shape.size() < 2;
  out.kv = t.role == TensorRole::kKv;
  if (out.kv && kv_heads_ > 0) {
    // Layout of a cache tensor in its home: [kv_head][sequence][token][head_dim], kv_cap_ tokens
    // each. It holds every sequence of the stage (its first dimension); this graph's are the
    // first.
    out.kv_sequences = std::max<std::int64_t>(1, t.shape.front());
    out.kv_row = std::max<std::uint64_t>(
        1, ctx_->placement.home(out.id).bytes / (kv_heads_ * out.kv_sequences * kv_cap_));
  }
  return out;
}

std::uint64_t OpPlan::spatialShare(std::uint64_t i, TileTask& task) const {
  const std::uint64_t c0 = firstCore(i), c1 = c0 + lanes(i);
  for (const Use& u : reads_)
    addRange(task.reads, u, c0, c1, cores_);
  for (const Use& w : writes_) {
    if (!w.kv) addRange(task.writes, w, c0, c1, cores_);
  }
  return c1;
}

void OpPlan::spreadOver(std::uint64_t cores) {
  cores_ = std::max<std::uint64_t>(cores, 1);
  tiles_ = std::min(cores_, kMaxSpatialTiles);
  lanes_ = cores_ / tiles_;
  lanes_extra_ = cores_ % tiles_;
}

Tick OpPlan::fabric(std::uint64_t hops, std::uint64_t bytes) const {
  const spec::FabricSpec& f = ctx_->chip.execution.fabric;
  const Tick serial =
      bytes == 0 || f.link_bytes_per_s <= 0
          ? 0
          : ceilTicks(static_cast<double>(bytes) * kTicksPerSecond / f.link_bytes_per_s);
  return addTicks(mulTicks(f.hop_ps, hops), serial);
}

void OpPlan::addRange(std::vector<RangeRef>& out, const Use& use, std::uint64_t lo,
                      std::uint64_t hi, std::uint64_t whole) {
  const std::uint64_t begin = scale(use.bytes, lo, whole);
  const std::uint64_t end = scale(use.bytes, hi, whole);
  // Filled in place: a RangeRef built on the stack and copied in stalls on store forwarding.
  RangeRef& r = out.emplace_back();
  r.tensor = use.id;
  r.offset = begin;
  r.bytes = end - begin;
  r.weight = use.weight;
}

void OpPlan::kvRows(const Use& use, std::uint64_t head, std::uint64_t seq, std::uint64_t t0,
                    std::uint64_t t1, std::vector<RangeRef>& out) const {
  RangeRef& r = out.emplace_back();
  r.tensor = use.id;
  r.offset = ((head * use.kv_sequences + seq) * kv_cap_ + t0) * use.kv_row;
  r.bytes = (t1 - t0) * use.kv_row;
}

void OpPlan::addKvWrites(std::uint64_t i, TileTask& task) const {
  for (std::size_t j = i; j < kv_writes_.size(); j += tiles_)
    task.writes.push_back(kv_writes_[j]);
}

std::uint32_t OpPlan::passes() const {
  return shape_ == Shape::kRows && op_->kind == OpKind::kSoftmax && columns_ > kRegisterRow ? 2 : 1;
}

void OpPlan::tile(std::uint64_t i, TileTask& task) const {
  task.clear();
  task.matrix = matrix_;
  const graph::Op& op = *op_;
  const std::uint64_t kv = ctx_->graph.effectiveKv(ctx_->kv_length);

  switch (shape_) {
    case Shape::kWeightMatmul: {
      // Grouped (swizzled) order: kGroupRows row blocks sweep the column blocks together, so each
      // weight column block is reused by those row blocks while it is still in the cache. The K
      // slices of one output tile are adjacent (they run side by side).
      const std::uint64_t split = i % mm_.splits;
      const std::uint64_t out = i / mm_.splits;
      const std::uint64_t group = out / (group_rows_ * mm_.tiles_n);
      const std::uint64_t first = group * group_rows_;
      const std::uint64_t rows_in_group = std::min(group_rows_, mm_.tiles_m - first);
      const std::uint64_t local = out % (group_rows_ * mm_.tiles_n);
      const std::uint64_t im = first + local % rows_in_group;
      const std::uint64_t in = local / rows_in_group;
      const std::uint64_t r0 = im * mm_.tm, r1 = std::min(m_, r0 + mm_.tm);
      const std::uint64_t c0 = in * mm_.tn, c1 = std::min(n_, c0 + mm_.tn);
      const std::uint64_t k0 = mm_.sliceBegin(k_, split), k1 = mm_.sliceEnd(k_, split);
      const bool last = split + 1 == mm_.splits;
      // The tile's share of an [m, n]-shaped tensor, as elements in tile-major order.
      const std::uint64_t e0 = r0 * n_ + (r1 - r0) * c0;
      const std::uint64_t e1 = e0 + (r1 - r0) * (c1 - c0);
      // A block of rows (or columns) of an operand, its K slice: slices of a block are
      // consecutive parts of it (operands laid out in tile blocks).
      const auto slice = [&](const Use& u, std::uint64_t lo, std::uint64_t hi,
                             std::uint64_t whole) {
        addRange(task.reads, u, lo * k_ + (hi - lo) * k0, lo * k_ + (hi - lo) * k1, whole * k_);
      };
      for (std::size_t j = 0; j < reads_.size(); ++j) {
        const Use& u = reads_[j];
        if (static_cast<int>(j) == input_) {
          slice(u, r0, r1, m_);
          if (stage_inputs_ && in > 0)
            task.reads.back().staged = staging_;  // not the group's first column
        } else if (static_cast<int>(j) == weight_) {
          slice(u, c0, c1, n_);
          if (stage_weights_ && im > first) task.reads.back().staged = staging_;
        } else if (!last) {
          continue;  // the epilogue's operands: the last slice's
        } else if (u.weight) {
          addRange(task.reads, u, c0, c1, n_);  // bias: this tile's columns
        } else {
          addRange(task.reads, u, e0, e1, m_ * n_);  // fused residual / extra inputs
        }
      }
      for (const Use& w : writes_) {
        if (w.kv) continue;
        addRange(task.writes, w, e0, e1, m_ * n_);
        if (split > 0) {
          addRange(task.reads, w, e0, e1, m_ * n_);  // the partial sums so far
          task.fixup_bytes += task.reads.back().bytes + task.writes.back().bytes;
        }
      }
      if (mm_.splits > 1) {
        task.fixup_tile = out;
        task.split = split;
      }
      task.macs = mm_.paddedRows(r1 - r0) * (c1 - c0) * (k1 - k0);
      // The epilogue (bias, activation, residual) runs once, in the last slice; every later
      // slice adds its partial sums to the tile's.
      task.vector_flops =
          (last ? scale(op.vector_flops.at(kv), (r1 - r0) * (c1 - c0), m_ * n_) : 0) +
          (split > 0 ? (r1 - r0) * (c1 - c0) : 0);
      task.k_chunks = mm_.kChunks(k1 - k0);
      task.weight_elements = (k1 - k0) * (c1 - c0);
      break;
    }
    case Shape::kSpatialMatmul: {
      // Cores [c0, c1) of the op's K x N grid: their share of every operand (the input's K
      // slices reach them over the fabric), of the MACs (no row padding) and of the weights.
      const std::uint64_t c0 = firstCore(i), c1 = spatialShare(i, task);
      task.macs = scale(m_ * k_, n_ * (c1 - c0), cores_);
      task.vector_flops = scale(op.vector_flops.at(kv), c1 - c0, cores_);
      task.weight_elements = scale(k_ * n_, c1 - c0, cores_);
      task.k_chunks = block_k_;  // a core streams its block a row at a time
      break;
    }
    case Shape::kSpatialRows: {
      const std::uint64_t c0 = firstCore(i), c1 = spatialShare(i, task);
      task.vector_flops = scale(op.vector_flops.at(kv), c1 - c0, cores_);
      break;
    }
    case Shape::kAttention: {
      const std::uint64_t sp = i % splits_;
      const std::uint64_t qb = (i / splits_) % q_blocks_;
      const std::uint64_t gi = (i / (splits_ * q_blocks_)) % per_kv_head_;  // query head in group
      const std::uint64_t bh = i / (splits_ * q_blocks_ * per_kv_head_);  // sequence * kv_heads + h
      const std::uint64_t b = bh / kv_heads_, h = bh % kv_heads_;
      const std::uint64_t window = geo_.window;
      std::uint64_t t0 = 0, t1 = span_, pairs = 0;
      const std::uint64_t q0 = qb * q_block_, q1 = std::min(q_rows_, q0 + q_block_);
      if (geo_.decode) {
        const std::uint64_t chunk = ceilDiv(span_, splits_);
        t0 = std::min(span_, sp * chunk);
        t1 = std::min(span_, t0 + chunk);
        pairs = t1 - t0;
      } else {
        if (geo_.causal) {  // keys up to the block's last query, within the window of its first
          const std::uint64_t p = geo_.prior;
          t1 = p + q1;
          t0 = window == 0 || p + q0 + 1 < window ? 0 : p + q0 + 1 - window;
        }
        pairs = geo_.pairs(q0, q1, span_);
      }
      // The query rows of the head group, or of one query head of it (a per-head kernel).
      const std::uint64_t r = per_kv_head_;
      const std::uint64_t whole_q = batch_ * kv_heads_ * q_rows_ * r;
      const std::uint64_t lo = (bh * q_rows_ + q0) * r + gi * (q1 - q0);
      addRange(task.reads, reads_[q_use_], lo, lo + (q1 - q0), whole_q);
      for (int kvi : {k_use_, v_use_}) {
        const Use& u = reads_[kvi];
        if (u.kv) {
          kvRows(u, h, b, t0, t1, task.reads);
        } else {
          addRange(task.reads, u, bh * span_ + t0, bh * span_ + t1, batch_ * kv_heads_ * span_);
        }
      }
      for (const Use& w : writes_) {
        if (!w.kv)
          addRange(task.writes, w, lo * splits_ + sp * (q1 - q0),
                   lo * splits_ + (sp + 1) * (q1 - q0), whole_q * splits_);
      }
      task.macs = 2 * (group_ / r) * pairs * head_dim_;
      const std::uint64_t total_pairs = batch_ * kv_heads_ * r * geo_.pairs(0, q_rows_, span_);
      task.vector_flops =
          scale(op.vector_flops.at(kv), pairs, std::max<std::uint64_t>(total_pairs, 1));
      if (!matrix_) {  // vector-unit decode: a MAC is an fp32 FMA (2 FLOP)
        task.vector_flops += 2 * task.macs;
        task.macs = 0;
        if (convert_kv_) task.conversions = 2 * pairs * head_dim_;  // its K and V rows, once
      }
      task.k_chunks = ceilDiv(std::max<std::uint64_t>(t1 - t0, 1), kAttentionKChunk);
      task.fp32_vector = true;
      break;
    }
    case Shape::kAttentionScore:
    case Shape::kAttentionContext: {
      const std::uint64_t heads = geo_.heads();
      const std::uint64_t qb = i % q_blocks_;
      const std::uint64_t bhq = i / q_blocks_;  // sequence * heads + query head
      const std::uint64_t b = bhq / heads, h = (bhq % heads) / group_;
      const std::uint64_t q0 = qb * q_block_, q1 = std::min(q_rows_, q0 + q_block_);
      const std::uint64_t whole = batch_ * heads * q_rows_;
      const std::uint64_t lo = bhq * q_rows_ + q0;
      addRange(task.reads, reads_[q_use_], lo, lo + (q1 - q0), whole);
      const Use& u = reads_[k_use_];
      if (u.kv) {
        kvRows(u, h, b, 0, span_, task.reads);
      } else {
        const std::uint64_t bh = b * kv_heads_ + h;
        addRange(task.reads, u, bh, bh + 1, batch_ * kv_heads_);
      }
      for (const Use& w : writes_)
        addRange(task.writes, w, lo, lo + (q1 - q0), whole);
      const bool score = shape_ == Shape::kAttentionScore;
      task.macs =
          mm_.paddedRows(q1 - q0) * (score ? span_ : head_dim_) * (score ? head_dim_ : span_);
      task.k_chunks = ceilDiv(score ? head_dim_ : span_, kAttentionKChunk);
      break;
    }
    case Shape::kRows: {
      const std::uint64_t r0 = i * rows_per_tile_, r1 = std::min(rows_, r0 + rows_per_tile_);
      for (const Use& u : reads_) {
        if (u.vector) {
          addRange(task.reads, u, 0, 1, 1);  // every unit reads the whole vector (gamma)
        } else {
          addRange(task.reads, u, r0, r1, rows_);
        }
      }
      for (const Use& w : writes_) {
        if (!w.kv) addRange(task.writes, w, r0, r1, rows_);
      }
      task.vector_flops = scale(op.vector_flops.at(kv), r1 - r0, rows_);
      task.passes = passes();
      break;
    }
  }
  addKvWrites(i, task);
  task.lanes = lanes(i);
}

}  // namespace archsim::map
