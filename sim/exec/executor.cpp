#include "sim/exec/executor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/graph/builder.h"
#include "sim/graph/flop_conventions.h"
#include "sim/spec/units.h"

namespace archsim::exec {
namespace {

using graph::OpId;
constexpr std::uint64_t kMatrixPool = 0;
constexpr std::uint64_t kVectorPool = 1;

// Event argument: bit 0 the unit pool, bits 1..24 the op, bits 25.. the tile.
std::uint64_t packTile(OpId op, std::uint64_t tile, std::uint64_t pool) {
  return (tile << 25) | (static_cast<std::uint64_t>(op) << 1) | pool;
}
OpId opOf(std::uint64_t arg) {
  return static_cast<OpId>((arg >> 1) & 0xffffff);
}
std::uint64_t tileOf(std::uint64_t arg) {
  return arg >> 25;
}

/// The matrix format the chip computes a scenario's `compute` dtype in: itself, or the same-width
/// alternative (bf16 <-> fp16, fp8 <-> int8) with a warning.
spec::DType resolveMatrixDType(const spec::ChipSpec& chip, spec::DType wanted,
                               std::vector<std::string>& warnings) {
  if (chip.matrix.peak(wanted)) return wanted;
  const std::pair<spec::DType, spec::DType> kSameWidth[] = {
      {spec::DType::kBf16, spec::DType::kFp16},
      {spec::DType::kFp16, spec::DType::kBf16},
      {spec::DType::kFp8, spec::DType::kInt8},
      {spec::DType::kInt8, spec::DType::kFp8},
      {spec::DType::kFp32, spec::DType::kTf32}};
  for (const auto& [from, to] : kSameWidth) {
    if (from == wanted && chip.matrix.peak(to)) {
      warnings.push_back(fmt::format("{} has no {} matrix throughput; computing in {}", chip.name,
                                     spec::dtypeName(wanted), spec::dtypeName(to)));
      return to;
    }
  }
  std::string have;
  for (const auto& [t, peak] : chip.matrix.peak_ops_per_s) {
    if (!have.empty()) have += ", ";
    have += spec::dtypeName(t);
  }
  throw ConfigError(
      Location{"<scenario dtypes>", 0, 0}, "dtypes.compute",
      fmt::format("{} cannot compute in {} on its matrix units (it has {}); set dtypes.compute",
                  chip.name, spec::dtypeName(wanted), have));
}

spec::DType resolveVectorDType(const spec::ChipSpec& chip, spec::DType wanted) {
  if (chip.vector.peak(wanted)) return wanted;
  if (chip.vector.peak(spec::DType::kFp32)) return spec::DType::kFp32;
  return chip.vector.peak_ops_per_s.begin()->first;
}

double energyPerOp(const spec::ChipSpec& chip, spec::DType t) {
  const auto it = chip.power.energy_j_per_op.find(t);
  if (it != chip.power.energy_j_per_op.end()) return it->second;
  double most = 0.0;  // an unlisted format: charge the costliest listed one
  for (const auto& [dtype, e] : chip.power.energy_j_per_op)
    most = std::max(most, e);
  return most;
}

/// A tile's K chunks flow through its stages (fetch, weight conversion, weight feed, compute) one
/// after another, a chunk entering a stage as the one before leaves it: the slowest stage whole
/// plus one chunk of each of the others.
Tick pipelined(std::initializer_list<Tick> stages, Tick chunks) {
  Tick slowest = 0, sum = 0;
  for (Tick s : stages) {
    slowest = std::max(slowest, s);
    sum = addTicks(sum, s);
  }
  return addTicks(slowest, (sum - slowest) / std::max<Tick>(chunks, 1));
}

std::string boundOf(const OpRecord& r, hw::Chip& chip) {
  if (r.busy == 0) return "latency";
  const double d = static_cast<double>(r.busy);
  const auto& units = r.matrix ? chip.spec().matrix : chip.spec().vector;
  double best =
      static_cast<double>(r.matrix ? r.counters.matrix_busy_ps : r.counters.vector_busy_ps) /
      (units.units * d);
  std::string bound = "compute";
  if (r.matrix) {
    const double unit_time = static_cast<double>(chip.spec().matrix.units) * d;
    for (const auto& [busy, name] : {std::pair{r.counters.convert_busy_ps, "convert"},
                                     std::pair{r.counters.feed_busy_ps, "weight_feed"}}) {
      if (static_cast<double>(busy) / unit_time > best) {
        best = static_cast<double>(busy) / unit_time;
        bound = name;
      }
    }
  }
  for (std::size_t i = 0; i < r.counters.level.size(); ++i) {
    const double bytes =
        static_cast<double>(r.counters.level[i].read + r.counters.level[i].written);
    const double u = bytes / (chip.level(i).effectiveBandwidth() * ticksToSeconds(r.busy));
    if (u > best) {
      best = u;
      bound = chip.level(i).name();
    }
  }
  return best < 0.5 ? "latency" : bound;
}

}  // namespace

Executor::Executor(Simulation& sim, hw::Chip& chip, const graph::Workload& workload,
                   const map::Placement& placement, const ExecOptions& options)
    : sim_(sim),
      chip_(chip),
      workload_(workload),
      placement_(placement),
      options_(options),
      memory_(chip, placement) {
  const spec::ChipSpec& c = chip.spec();
  const graph::Shard& s = workload.shard();
  fixup_level_ = map::splitKFixupLevel(c);
  matrix_dtype_ = resolveMatrixDType(c, s.dtypes.compute, warnings_);
  vector_dtype_ = resolveVectorDType(c, s.dtypes.activations.dtype);
  matrix_macs_per_cycle_ = c.matrix.macsPerCyclePerUnit(matrix_dtype_, c.clock_hz) *
                           c.matrix.achievable(matrix_dtype_) * options.matrix_efficiency;
  vector_flops_per_tick_ = *c.vector.peak(vector_dtype_) * c.vector.achievable_fraction /
                           c.vector.units / static_cast<double>(kTicksPerSecond);
  fp32_flops_per_tick_ = c.vector.peak(spec::DType::kFp32).value_or(*c.vector.peak(vector_dtype_)) *
                         c.vector.achievable_fraction / c.vector.units /
                         static_cast<double>(kTicksPerSecond);
  // A vector unit's conversion pipe (KV elements a CUDA-core decode attention converts to fp32).
  conversions_per_tick_ = c.vector.conversions_per_cycle * c.clock_hz *
                          c.vector.achievable_fraction / static_cast<double>(kTicksPerSecond);
  // Weights stored narrower than the format the matrix units take (quantized to save memory) are
  // converted on the vector units at every use, at the vector throughput beside each matrix unit;
  // a same-width stand-in (bf16 weights on an fp16-only unit) is converted once, at load. Weights
  // enter a matrix unit at the chip's weight feed bandwidth over its units, in its format.
  convert_weights_ =
      s.dtypes.weights.bitsPerElement() < spec::TensorFormat{matrix_dtype_}.bitsPerElement();
  convert_flops_per_tick_ = *c.vector.peak(vector_dtype_) * c.vector.achievable_fraction /
                            c.matrix.units / static_cast<double>(kTicksPerSecond);
  feed_bytes_per_tick_ =
      c.matrix.weight_feed_bytes_per_s / c.matrix.units / static_cast<double>(kTicksPerSecond);
  matrix_element_bytes_ = spec::dtypeBytes(matrix_dtype_);
  matrix_j_per_mac_ = 2.0 * energyPerOp(c, matrix_dtype_);
  vector_j_per_flop_ = energyPerOp(c, vector_dtype_);
  dataflow_ = c.execution.style == spec::ExecutionStyle::kDataflow;
  records_.resize(workload.runs().size());
}

map::OpPlan& Executor::plan(OpId op) {
  OpState& st = ops_[op];
  if (!st.plan) st.plan = std::make_unique<map::OpPlan>(*ctx_, graph_->op(op));
  return *st.plan;
}

Tick Executor::computeTicks(const map::TileTask& task) const {
  Tick ticks = 0;
  // A tile of `lanes` units in lockstep does its work `lanes` times as fast.
  const auto lanes = static_cast<double>(task.lanes);
  if (task.macs > 0) {
    // Whole cycles on the matrix unit's clock: a partial cycle still occupies the unit.
    const Cycles cycles(
        ceilTicks(static_cast<double>(task.macs) / (matrix_macs_per_cycle_ * lanes)));
    ticks = addTicks(ticks, chip_.clock().cyclesToTicks(cycles));
  }
  Tick vector = 0;
  if (task.vector_flops > 0) {
    // Vector units are described by their FLOPS rate: whole picoseconds at that rate.
    const double rate = task.fp32_vector ? fp32_flops_per_tick_ : vector_flops_per_tick_;
    vector = ceilTicks(static_cast<double>(task.vector_flops) / (rate * lanes));
  }
  if (task.conversions > 0) {
    // Format conversions run in their own pipe beside the FMAs (overlapping them); a chip that
    // states no conversion rate converts in the FMA pipe at kConvert FLOPs an element, as weight
    // dequantization does (convertTicks).
    if (conversions_per_tick_ > 0) {
      vector = std::max(vector, ceilTicks(static_cast<double>(task.conversions) /
                                          (conversions_per_tick_ * lanes)));
    } else {
      vector = addTicks(vector,
                        ceilTicks(static_cast<double>(task.conversions * graph::flops::kConvert) /
                                  (fp32_flops_per_tick_ * lanes)));
    }
  }
  return addTicks(ticks, vector);
}

Tick Executor::convertTicks(const map::TileTask& task) const {
  if (!convert_weights_ || task.weight_elements == 0) return 0;
  return ceilTicks(static_cast<double>(task.weight_elements * graph::flops::kConvert) /
                   (convert_flops_per_tick_ * static_cast<double>(task.lanes)));
}

Tick Executor::feedTicks(const map::TileTask& task) const {
  if (feed_bytes_per_tick_ <= 0 || task.weight_elements == 0) return 0;
  return ceilTicks(static_cast<double>(task.weight_elements) * matrix_element_bytes_ /
                   (feed_bytes_per_tick_ * static_cast<double>(task.lanes)));
}

Tick Executor::drainTicks(graph::OpId op) const {
  const spec::ChipSpec& c = chip_.spec();
  const map::OpPlan& p = *ops_[op].plan;
  Cycles cycles(c.execution.operand_transit_cycles);
  if (p.matrix() && c.matrix.array_rows > 0) {
    // A systolic array's last result leaves it (rows + cols) / cell cycles after its last input
    // entered: partial sums move one cell a cycle, inputs skew one cell a cycle.
    cycles = cycles + Cycles((c.matrix.array_rows + c.matrix.array_cols) / c.matrix.array_cell);
  }
  return addTicks(chip_.clock().cyclesToTicks(cycles), p.fabricTicks());
}

void Executor::beginStep(std::size_t run, std::uint64_t kv_length, bool measured) {
  const graph::Run& r = workload_.runs()[run];
  graph_ = r.graph;
  run_ = run;
  measured_ = measured;
  ctx_ = std::make_unique<map::PlanContext>(
      map::PlanContext{chip_.spec(), placement_, *graph_, kv_length,
                       options_.per_head_decode_attention, options_.vector_decode_attention,
                       vector_flops_per_tick_ * static_cast<double>(kTicksPerSecond),
                       matrix_macs_per_cycle_ * chip_.spec().clock_hz, &matmul_memo_});
  ops_.clear();
  ops_.resize(graph_->ops().size());
  for (OpState& st : ops_)
    st.counters = OpCounters(chip_.levels().size());
  order_ = graph_->topologicalOrder();
  position_.assign(order_.size(), 0);
  for (std::size_t i = 0; i < order_.size(); ++i)
    position_[order_[i]] = i;
  // A grouped MoE kernel runs every expert's GEMM (or activation) of a layer: the layer's first
  // expert op of each kind launches it, the others of that kind ride in it.
  grouped_ = options_.grouped_moe && !dataflow_ ? graph::groupedExpertOps(*graph_)
                                                : std::vector<bool>(order_.size(), false);
  active_.clear();
  free_[kMatrixPool] = chip_.spec().matrix.units;
  free_[kVectorPool] = chip_.spec().vector.units;
  next_in_order_ = 0;
  template_layer_ = -1;
  layers_ = nullptr;
  if (!dataflow_ && !options_.exact) {
    auto it = layer_cache_.find(graph_);
    if (it == layer_cache_.end())
      it = layer_cache_.emplace(graph_, layerRanges(*graph_, order_, placement_)).first;
    layers_ = &it->second;
    layer_at_.assign(order_.size(), -1);
    for (std::size_t l = 0; l < layers_->size(); ++l)
      layer_at_[(*layers_)[l].begin] = static_cast<int>(l);
  }
  if (measured_ && (layers_ == nullptr || layers_->empty())) {
    // Every layer runs op by op (atLayerStart counts them when layers may be replayed).
    std::set<int> layers;
    for (const graph::Op& o : graph_->ops())
      if (o.layer >= 0) layers.insert(o.layer);
    reuse_.layers_simulated += layers.size();
  }
}

template <class Access>
bool Executor::forEachAccess(OpId op, Access&& access) {
  map::OpPlan& p = plan(op);
  for (std::uint64_t t = 0; t < p.tiles(); ++t) {
    p.tile(t, scratch_);
    for (const map::RangeRef& r : scratch_.reads) {
      if (r.staged < 0 && r.bytes > 0 && !access(r, false)) return false;
    }
    for (const map::RangeRef& w : scratch_.writes) {
      if (w.bytes > 0 && !access(w, true)) return false;
    }
  }
  ops_[op].plan.reset();
  return true;
}

template <class F>
void Executor::forEachDramUse(const graph::Op& o, F&& f) const {
  for (const auto* uses : {&o.reads, &o.writes}) {
    for (const graph::TensorUse& u : *uses) {
      const map::StableId id = placement_.stable(*graph_, u.tensor);
      if (chip_.level(placement_.home(id).level).isDram()) f(id, u);
    }
  }
}

bool Executor::warmCaches(std::size_t run, std::uint64_t kv_length) {
  // A kernel-style step runs its ops one after another and issues each op's tiles in order, every
  // tile making its reads and then its writes when it is issued; so the order of cache accesses,
  // and with it what the caches hold at the end, does not depend on time. Only a two-pass tile
  // (whose second read comes later) breaks that; dataflow ops overlap and prefetch.
  if (dataflow_) return false;
  if (chip_.caches().empty()) return true;  // nothing a step leaves behind
  beginStep(run, kv_length, false);
  for (OpId op : order_) {
    if (!graph_->op(op).collective && plan(op).passes() > 1) return false;
  }
  for (OpId op : order_) {
    if (graph_->op(op).collective) continue;
    const std::uint64_t tiles = plan(op).tiles();
    if (tiles > 0) checkWorkBudget(op, tiles);
  }
  // Usually the step's last ops alone decide what the caches end with; touchFrom() proves it or
  // gives up, and then every op's accesses are made. The write-backs of either are outside the
  // measured time (runAll restarts them).
  const std::size_t from = warmupStart();
  if (from > 0 && touchFrom(from)) {
    warmup_ops_skipped_ += from;
  } else {
    if (from > 0) memory_.clearCaches();  // empty before, so as before
    touchFrom(0);
  }
  progress_state_.ops_done += order_.size();
  return true;
}

std::size_t Executor::warmupStart() const {
  // The argument of touchFrom() holds for one least-recently-used cache that starts empty.
  const auto& caches = chip_.caches();
  if (caches.size() != 1 || caches.front()->cache()->used() != 0 ||
      caches.front()->spec().cache->policy != spec::ReplacementPolicy::kLru)
    return 0;
  // The last ops that move several times the cache's capacity: enough to fill it and to evict
  // what they touched early on (what touchFrom() then checks).
  const std::uint64_t enough = saturatingMul(caches.front()->cache()->capacity(), 4);
  const std::uint64_t kv = graph_->effectiveKv(ctx_->kv_length);
  std::uint64_t moved = 0;
  std::size_t from = 0;
  for (std::size_t i = order_.size(); i > 0 && from == 0; --i) {
    const graph::Op& o = graph_->op(order_[i - 1]);
    if (o.collective) continue;
    forEachDramUse(o, [&](map::StableId, const graph::TensorUse& u) {
      moved = saturatingAdd(moved, u.bytes.at(kv));
    });
    if (moved >= enough) from = i - 1;
  }
  if (from == 0) return 0;
  // With the producers of that op's inputs: an input it reads on every tile (a GEMV's vector)
  // stays cached to the end, and must have been written within the ops made.
  const std::size_t first = from;
  for (auto [it, end] = boost::in_edges(order_[first], graph_->dag()); it != end; ++it)
    from = std::min(from, position_[boost::source(*it, graph_->dag())]);
  return from;
}

bool Executor::touchFrom(std::size_t from) {
  // Why the accesses of ops from..end, made on an empty cache (this run), leave it as all the
  // ops' would (the full run; X: what the ops before `from` leave in the cache):
  //  - An access to a tensor no op before `from` touches finds none of X. Until this run first
  //    evicts, the full run holds X's untouched entries, the oldest, and this run's; when this
  //    run first evicts, the full run has more in it, so it evicts all of the untouched X and
  //    then the same victims. From then on the two hold the same.
  //  - A block of a tensor the ops before `from` touch (a "shared" block), accessed before this
  //    run first evicts, may be in X. Its run in the full cache then holds at least what it holds
  //    here (runs grow by union, or are replaced by the access in both), and the same once it
  //    holds the block as far as the tensor goes: until then the full run holds more bytes, so no
  //    access may come near evicting (used + that difference + its bytes within the capacity).
  //    Whether its bytes are dirty may differ, unless its first access wrote all of them: such a
  //    block must be gone by the end.
  //  - The run must evict at least once (else X may still be there at the end).
  // Write-backs (dirty bytes) do not matter here: runAll restarts them after the warm-up.
  hw::TileCache* cache = from > 0 ? chip_.caches().front()->cache() : nullptr;
  const std::uint64_t evictions = cache != nullptr ? cache->evictions() : 0;
  std::set<map::StableId> shared;  // DRAM-homed tensors the ops before `from` touch
  for (std::size_t i = 0; i < from; ++i) {
    const graph::Op& o = graph_->op(order_[i]);
    ops_[order_[i]].plan.reset();
    if (!o.collective)
      forEachDramUse(o, [&](map::StableId id, const graph::TensorUse&) { shared.insert(id); });
  }
  struct Growing {
    std::uint64_t full = 0;   // the block's bytes, as far as its tensor goes
    std::uint64_t lacks = 0;  // of which this run's entry does not hold
  };
  std::map<std::uint64_t, Growing> growing;  // shared blocks not yet held in full
  std::uint64_t lacking = 0;                 // their `lacks`, summed
  std::set<std::uint64_t> seen;              // shared blocks accessed
  std::vector<hw::TileKey> unsure;           // ... whose dirty bytes may differ
  // Makes the access, or returns false where the argument above does not hold.
  auto access = [&](const map::RangeRef& r, bool write) {
    if (cache == nullptr || cache->evictions() != evictions || !shared.count(r.tensor)) {
      if (lacking > 0 && cache->used() + lacking + r.bytes > cache->capacity()) return false;
      memory_.touch(r.tensor, r.offset, r.bytes, write);
      return true;
    }
    const std::uint64_t block = cache->blockBytes();
    const std::uint64_t size = placement_.home(r.tensor).bytes;
    const std::uint64_t first = r.offset / block, last = (r.offset + r.bytes - 1) / block;
    for (std::uint64_t b = first; b <= last; ++b) {
      const hw::TileKey key{r.tensor, static_cast<std::uint32_t>(b)};
      if (!seen.insert(packKey(key)).second) continue;
      const std::uint64_t full = std::min(block, size - std::min(size, b * block));
      const bool covered = r.offset <= b * block && r.offset + r.bytes >= b * block + full;
      if (!(write && covered)) unsure.push_back(key);
      growing.emplace(packKey(key), Growing{full, full});
      lacking += full;
    }
    if (cache->used() + lacking + r.bytes > cache->capacity()) return false;
    memory_.touch(r.tensor, r.offset, r.bytes, write);
    for (std::uint64_t b = first; b <= last; ++b) {
      const hw::TileKey key{r.tensor, static_cast<std::uint32_t>(b)};
      auto it = growing.find(packKey(key));
      if (it == growing.end()) continue;
      // A run replaced by a later part of the block holds less than before: it may lack more.
      Growing& g = it->second;
      const std::uint64_t lacks = g.full - std::min(g.full, cache->heldBytes(key));
      lacking = lacking - g.lacks + lacks;
      g.lacks = lacks;
      if (lacks == 0) growing.erase(it);
    }
    return true;
  };
  for (std::size_t i = from; i < order_.size(); ++i) {
    if (!graph_->op(order_[i]).collective && !forEachAccess(order_[i], access)) return false;
  }
  if (cache == nullptr) return true;
  if (cache->evictions() == evictions || lacking > 0) return false;
  return std::none_of(unsure.begin(), unsure.end(),
                      [&](hw::TileKey k) { return cache->contains(k); });
}

void Executor::runStep(std::size_t run, std::uint64_t kv_length, bool measured) {
  beginStep(run, kv_length, measured);
  if (dataflow_) {
    // Each op waits for its distinct producers.
    for (OpId op = 0; op < ops_.size(); ++op) {
      std::vector<OpId> producers;
      for (auto [it, end] = boost::in_edges(op, graph_->dag()); it != end; ++it) {
        producers.push_back(static_cast<OpId>(boost::source(*it, graph_->dag())));
      }
      std::sort(producers.begin(), producers.end());
      ops_[op].pending = static_cast<std::uint32_t>(
          std::unique(producers.begin(), producers.end()) - producers.begin());
    }
    const Tick overhead = opOverhead();
    for (OpId op : order_) {
      if (ops_[op].pending == 0)
        sim_.scheduleIn(overhead, Callback::to<&Executor::startOp>(this), op);
    }
  } else {
    host_clock_ = last_end_ = sim_.now();
    sim_.scheduleIn(dispatchDelay(order_[0]), Callback::to<&Executor::startOp>(this), order_[0]);
    next_in_order_ = 1;
  }
  sim_.run();
  for (OpId op = 0; op < ops_.size(); ++op) {
    if (!ops_[op].done)
      ARCHSIM_PANIC_AT(sim_.now(), "op " + graph_->op(op).name + " never finished");
  }
}

void Executor::setCollectives(CollectiveEngine& engine, std::vector<std::uint32_t> group) {
  collectives_ = &engine;
  group_ = std::move(group);
}

void Executor::startCollective(OpId op) {
  const graph::Op& o = graph_->op(op);
  if (collectives_ == nullptr)
    ARCHSIM_PANIC("collective op '" + o.name + "' on a chip without a collective group");
  const CollectiveRequest request{o.collective->kind, group_,
                                  o.collective->bytes.at(graph_->effectiveKv(ctx_->kv_length))};
  const CollectiveCost cost =
      collectives_->start(request, Callback::to<&Executor::onCollectiveDone>(this), op);
  // The group is symmetric: this chip's share is 1/n of the group's traffic and link energy.
  OpState& st = ops_[op];
  st.counters.network_bytes += cost.bytes_sent / group_.size();
  st.counters.energy_j += cost.energy_j / static_cast<double>(group_.size());
  st.counters.network_energy_j += cost.energy_j / static_cast<double>(group_.size());
}

void Executor::onCollectiveDone(std::uint64_t op) {
  finishOp(static_cast<OpId>(op));
}

void Executor::leaveCachesAfter(const LayerRange& tmpl, std::size_t first, std::size_t last) {
  const auto& caches = chip_.caches();
  if (caches.empty()) return;
  // The caches end as the replayed layers would have left them: holding the data of the last
  // ones, as much as fits (all of it when everything fits), in their order of use.
  std::uint64_t capacity = 0;
  for (const hw::MemoryLevel* c : caches)
    capacity += c->spec().size_bytes;
  // A layer's footprint: the distinct bytes of the DRAM-homed tensors it touches.
  std::map<graph::TensorId, std::uint64_t> touched;
  const std::uint64_t kv = graph_->effectiveKv(ctx_->kv_length);
  for (std::size_t i = tmpl.begin; i < tmpl.end; ++i) {
    forEachDramUse(graph_->op(order_[i]), [&](map::StableId, const graph::TensorUse& u) {
      std::uint64_t& b = touched[u.tensor];
      b = std::max(b, u.bytes.at(kv));
    });
  }
  std::uint64_t footprint = 0;
  for (const auto& [tensor, bytes] : touched)
    footprint += bytes;
  footprint = std::max<std::uint64_t>(footprint, 1);
  const std::uint64_t layers = last - first + 1;
  if (layers * footprint > capacity) memory_.clearCaches();
  std::size_t from = last;
  for (std::uint64_t held = footprint; from > first && held + footprint <= capacity;
       held += footprint)
    --from;
  const std::vector<LayerRange>& all = *layers_;
  std::uint64_t writeback = 0;
  for (std::size_t k = from; k <= last; ++k) {
    for (std::size_t pos = all[k].begin; pos < all[k].end; ++pos) {
      const OpId op = order_[pos];
      if (!graph_->op(op).collective) writeback += touchOp(op);
    }
  }
  // The dirty data those layers evicted goes back to DRAM when the next op starts, charged to it
  // (its time includes the channels it waits for, so no op beats its roofline).
  pending_writeback_ += writeback;
}

std::uint64_t Executor::touchOp(OpId op) {
  std::uint64_t writeback = 0;
  forEachAccess(op, [&](const map::RangeRef& r, bool write) {
    writeback += memory_.touch(r.tensor, r.offset, r.bytes, write);
    return true;
  });
  return writeback;
}

bool Executor::atLayerStart(std::size_t l) {
  const std::vector<LayerRange>& layers = *layers_;
  const bool repeats = l > 0 && layers[l].signature == layers[l - 1].signature;
  if (!repeats || template_layer_ != static_cast<int>(l) - 1) {
    if (measured_) ++reuse_.layers_simulated;
    if (!repeats) return false;
    // The second of a run of equal layers (the first may carry the transition from what came
    // before) is the template: simulated, with the state at its start kept.
    if (l >= 2 && layers[l - 1].signature == layers[l - 2].signature) return false;
    template_layer_ = static_cast<int>(l);
    template_start_ = sim_.sample();
    return false;
  }
  // The template just ended: replay it for every following layer that repeats it.
  const LayerRange& tmpl = layers[l - 1];
  std::size_t last = l;
  while (last + 1 < layers.size() && layers[last + 1].signature == tmpl.signature)
    ++last;
  const Tick layer_ticks = sim_.now() - template_start_.now;
  const SimSample work = sim_.sample().since(template_start_);
  for (std::size_t k = l; k <= last; ++k) {
    const Tick shift = (k - (l - 1)) * layer_ticks;
    for (std::size_t i = 0; i < tmpl.end - tmpl.begin; ++i) {
      const OpState& t = ops_[order_[tmpl.begin + i]];
      const OpId op = order_[layers[k].begin + i];
      OpState& st = ops_[op];
      st.started = st.done = true;
      st.counters = t.counters;
      st.start = t.start + shift;
      st.first_activity = t.first_activity + shift;
      st.end = t.end + shift;
      st.gap = t.gap;
      if (measured_) record(op, true);
    }
    if (progress_ != nullptr) progress_state_.ops_done += tmpl.end - tmpl.begin;
  }
  const double copies = static_cast<double>(last - l + 1);
  if (measured_) reuse_.layers_replayed += last - l + 1;
  // The template's window ends where the next layer's first op starts, so it holds the launch gap
  // after its last op; when the replayed layers end the pass, the pass ends with their last op.
  Tick duration = mulTicks(last - l + 1, layer_ticks);
  if (layers[last].end == order_.size()) {
    Tick template_end = 0;
    for (std::size_t i = tmpl.begin; i < tmpl.end; ++i)
      template_end = std::max(template_end, ops_[order_[i]].end);
    duration -= sim_.now() - template_end;
  }
  sim_.replay(weighted(work, copies, work, 0.0), duration);
  template_layer_ = -1;
  leaveCachesAfter(tmpl, l, last);
  // The host dispatched the replayed layers' launched ops too, but for the first one (dispatched
  // before it started; a layer's first op is never a grouped expert op).
  const auto launched = static_cast<std::uint64_t>(
      std::count_if(order_.begin() + static_cast<std::ptrdiff_t>(tmpl.begin),
                    order_.begin() + static_cast<std::ptrdiff_t>(tmpl.end),
                    [&](OpId op) { return !grouped_[op]; }));
  host_clock_ =
      addTicks(host_clock_, mulTicks(options_.op_overhead_ps, launched * (last - l + 1) - 1));
  // Launch what follows the replayed layers now: the template's window included its gap.
  next_in_order_ = layers[last].end;
  if (next_in_order_ < order_.size()) {
    last_end_ = sim_.now() - ops_[order_[tmpl.begin]].gap;
    const OpId next = order_[next_in_order_++];
    if (!grouped_[next]) host_clock_ = addTicks(host_clock_, options_.op_overhead_ps);
    startOp(next);
  }
  return true;
}

void Executor::startOp(std::uint64_t op) {
  if (layers_ != nullptr && layer_at_[position_[op]] >= 0 &&
      atLayerStart(static_cast<std::size_t>(layer_at_[position_[op]]))) {
    return;
  }
  OpState& st = ops_[op];
  st.started = true;
  st.start = sim_.now();
  st.first_activity = std::min(st.first_activity, st.start);
  if (!dataflow_) st.gap = st.start - last_end_;
  if (pending_writeback_ > 0) {
    memory_.writeBack(pending_writeback_, st.counters);
    pending_writeback_ = 0;
  }
  if (graph_->op(static_cast<OpId>(op)).collective) {
    startCollective(static_cast<OpId>(op));
    return;
  }
  const std::uint64_t tiles = plan(static_cast<OpId>(op)).tiles();
  if (tiles == 0) {
    finishOp(static_cast<OpId>(op));
    return;
  }
  checkWorkBudget(static_cast<OpId>(op), tiles);
  if (dataflow_ && !placement_.weightsResident()) prefetchAfter(static_cast<OpId>(op));
  const auto at = std::upper_bound(active_.begin(), active_.end(), static_cast<OpId>(op),
                                   [&](OpId a, OpId b) { return position_[a] < position_[b]; });
  active_.insert(at, static_cast<OpId>(op));
  issue();
}

void Executor::prefetchAfter(OpId op) {
  // The next weight-reading op in order gets its weights fetched into staging now (depth 1).
  for (std::size_t i = position_[op] + 1; i < order_.size(); ++i) {
    const OpId next = order_[i];
    OpState& st = ops_[next];
    if (st.started || !st.prefetched.empty()) return;
    bool reads_weights = false;
    for (const graph::TensorUse& u : graph_->op(next).reads) {
      reads_weights |= graph_->tensor(u.tensor).role == graph::TensorRole::kWeight &&
                       graph_->tensor(u.tensor).shape.size() == 2;
    }
    if (!reads_weights) continue;
    map::OpPlan& p = plan(next);
    st.prefetched.assign(p.tiles(), sim_.now());
    st.first_activity = sim_.now();
    for (std::uint64_t t = 0; t < p.tiles(); ++t) {
      p.tile(t, scratch_);
      for (const map::RangeRef& r : scratch_.reads) {
        if (r.weight && r.staged < 0)
          st.prefetched[t] =
              std::max(st.prefetched[t], memory_.read(r.tensor, r.offset, r.bytes, st.counters));
      }
    }
    return;
  }
}

void Executor::issue() {
  for (std::uint64_t pool : {kMatrixPool, kVectorPool}) {
    while (free_[pool] > 0) {
      // The earliest (in topological order) started op with tiles left for this pool.
      OpId chosen = 0;
      bool found = false;
      for (OpId op : active_) {
        const OpState& st = ops_[op];
        if (st.plan->matrix() != (pool == kMatrixPool)) continue;
        chosen = op;
        found = true;
        break;
      }
      if (!found) break;
      OpState& st = ops_[chosen];
      if (free_[pool] < st.plan->lanes(st.next)) break;  // a core group waits for its cores
      issueTile(chosen, st.next++);
      if (st.next >= st.plan->tiles())
        active_.erase(std::find(active_.begin(), active_.end(), chosen));
    }
  }
}

Tick Executor::runPass(OpState& st, const map::TileTask& task, Tick t0, Tick compute,
                       bool skip_staged_weights, std::uint64_t tile, bool write, Tick convert,
                       Tick feed) {
  Tick ready = t0;
  const hw::MemoryLevel* dram = chip_.dram();
  const std::uint64_t dram_before = dram != nullptr ? st.counters.level[dram->index()].read : 0;
  for (const map::RangeRef& r : task.reads) {
    if (skip_staged_weights && r.weight) continue;
    ready = std::max(ready, r.staged >= 0 ? memory_.readStaged(static_cast<std::size_t>(r.staged),
                                                               r.tensor, r.bytes, st.counters)
                                          : memory_.read(r.tensor, r.offset, r.bytes, st.counters));
  }
  // Little's law: the tile's units keep at most bytes_in_flight each outstanding, each byte for
  // the DRAM's latency, so what the tile reads from DRAM takes at least bytes x latency / in
  // flight.
  const std::uint64_t in_flight = saturatingMul(
      (task.matrix ? chip_.spec().matrix : chip_.spec().vector).bytes_in_flight, task.lanes);
  if (dram != nullptr && in_flight > 0) {
    const std::uint64_t from_dram = st.counters.level[dram->index()].read - dram_before;
    ready = std::max(ready, addTicks(t0, mulDivCeil(from_dram, dram->latency(), in_flight)));
  }
  if (skip_staged_weights) ready = std::max(ready, st.prefetched[tile]);
  Tick done = t0 + pipelined({ready - t0, convert, feed, compute}, task.k_chunks);
  if (write) {
    for (const map::RangeRef& w : task.writes)
      done = std::max(done, memory_.write(w.tensor, w.offset, w.bytes, st.counters));
  }
  return done;
}

void Executor::issueTile(OpId op, std::uint64_t tile) {
  OpState& st = ops_[op];
  map::OpPlan& p = *st.plan;
  p.tile(tile, scratch_);
  const Tick t0 = sim_.now();
  const Tick compute = computeTicks(scratch_);
  const std::uint64_t pool = p.matrix() ? kMatrixPool : kVectorPool;
  // A two-pass tile computes half its work per pass and writes only after the second.
  const bool two_pass = scratch_.passes > 1;
  const Tick pass_compute = two_pass ? compute / 2 : compute;
  const Tick convert = convertTicks(scratch_), feed = feedTicks(scratch_);
  Tick done = runPass(st, scratch_, t0, pass_compute, !st.prefetched.empty(), tile, !two_pass,
                      convert, feed);
  if (scratch_.fixup_tile != map::TileTask::kNoFixup) done = fixUp(st, scratch_, done);
  // Unit-time: a tile of `lanes` units holds each of them.
  const std::uint64_t lanes = scratch_.lanes;
  st.counters.convert_busy_ps += mulTicks(convert, lanes);
  st.counters.feed_busy_ps += mulTicks(feed, lanes);

  UnitPool& units = pool == kMatrixPool ? chip_.matrixUnits() : chip_.vectorUnits();
  units.hold(done - t0, lanes);
  units.noteCompute(done - std::min(pass_compute, done - t0), done, lanes);
  (pool == kMatrixPool ? st.counters.matrix_busy_ps : st.counters.vector_busy_ps) +=
      mulTicks(compute, lanes);
  const double convert_flops =
      convert > 0 ? static_cast<double>(scratch_.weight_elements * graph::flops::kConvert) : 0.0;
  const double compute_j =
      static_cast<double>(scratch_.macs) * matrix_j_per_mac_ +
      (static_cast<double>(scratch_.vector_flops + scratch_.conversions * graph::flops::kConvert) +
       convert_flops) *
          vector_j_per_flop_;
  st.counters.energy_j += compute_j;
  st.counters.compute_energy_j += compute_j;
  chargeHeld(st, mulTicks(done - t0, lanes));
  ++st.counters.tiles;
  free_[pool] -= static_cast<std::uint32_t>(lanes);
  ++st.outstanding;
  if (two_pass) {
    sim_.schedule(done, Callback::to<&Executor::onPassDone>(this), packTile(op, tile, pool));
  } else {
    sim_.schedule(done, Callback::to<&Executor::onTileDone>(this), packTile(op, tile, pool));
  }
}

void Executor::chargeHeld(OpState& st, Tick held) {
  const double j = chip_.spec().power.unit_active_w * ticksToSeconds(held);
  st.counters.energy_j += j;
  st.counters.compute_energy_j += j;
}

void Executor::onPassDone(std::uint64_t arg) {
  const OpId op = opOf(arg);
  OpState& st = ops_[op];
  st.plan->tile(tileOf(arg), scratch_);
  const Tick t0 = sim_.now();
  const Tick second = computeTicks(scratch_) - computeTicks(scratch_) / 2;
  const Tick done = runPass(st, scratch_, t0, second, false, tileOf(arg), true, 0, 0);
  UnitPool& units = st.plan->matrix() ? chip_.matrixUnits() : chip_.vectorUnits();
  units.hold(done - t0, scratch_.lanes);
  units.noteCompute(done - std::min(second, done - t0), done, scratch_.lanes);
  chargeHeld(st, mulTicks(done - t0, scratch_.lanes));
  sim_.schedule(done, Callback::to<&Executor::onTileDone>(this), arg);
}

void Executor::onTileDone(std::uint64_t arg) {
  const OpId op = opOf(arg);
  OpState& st = ops_[op];
  free_[arg & 1] += static_cast<std::uint32_t>(st.plan->lanes(tileOf(arg)));
  --st.outstanding;
  if (st.outstanding == 0 && st.next >= st.plan->tiles()) {
    const Tick drain = drainTicks(op);
    if (drain > 0) {
      st.counters.pipeline_latency_ps += drain;
      sim_.scheduleIn(drain, Callback::to<&Executor::onDrained>(this), op);
    } else {
      finishOp(op);
    }
  }
  issue();
}

void Executor::onDrained(std::uint64_t op) {
  finishOp(static_cast<OpId>(op));
}

void Executor::setProgress(ProgressSink* sink, std::size_t chip, std::size_t chips) {
  progress_ = sink;
  progress_state_.chip = chip;
  progress_state_.chips = chips;
}

void Executor::finishOp(OpId op) {
  OpState& st = ops_[op];
  st.done = true;
  st.end = sim_.now();
  if (progress_ != nullptr && (++progress_state_.ops_done & 15) == 0) {
    progress_state_.now = sim_.now();
    progress_state_.events = sim_.eventsProcessed();
    progress_->update(progress_state_);
  }
  if (measured_) record(op);
  if (dataflow_) {
    const Tick overhead = opOverhead();
    for (OpId next : graph_->successors(op)) {
      if (--ops_[next].pending == 0)
        sim_.scheduleIn(overhead, Callback::to<&Executor::startOp>(this), next);
    }
  } else {
    last_end_ = sim_.now();
    if (next_in_order_ < order_.size()) {
      const OpId next = order_[next_in_order_++];
      sim_.scheduleIn(dispatchDelay(next), Callback::to<&Executor::startOp>(this), next);
    }
  }
  st.plan.reset();  // plans are per step; free their memory as soon as the op is done
}

void Executor::record(OpId op, bool reused) {
  std::vector<OpRecord>& records = records_[run_];
  if (records.empty()) {
    records.resize(graph_->ops().size());
    for (const graph::Op& o : graph_->ops()) {
      OpRecord& r = records[o.id];
      r.graph = std::string(graph::graphPhaseName(workload_.runs()[run_].phase));
      r.name = o.name;
      r.kind = o.kind;
      r.layer = o.layer;
      r.counters = OpCounters(chip_.levels().size());
    }
  }
  const OpState& st = ops_[op];
  OpRecord& r = records[op];
  const std::uint64_t kv = graph_->effectiveKv(ctx_->kv_length);
  // An op's time runs from its first activity: with prefetch, its weights start moving before it
  // starts computing.
  if (r.executions == 0) r.first_start = st.first_activity;
  ++r.executions;
  r.last_end = st.end;
  addSpan({run_, op, st.first_activity, st.end, reused});
  r.busy += st.end - st.first_activity;
  r.gap += st.gap;
  // Matrix work done on the vector units (a CUDA-core decode attention) is vector-unit time.
  r.matrix = st.counters.matrix_busy_ps > 0 ||
             (st.counters.vector_busy_ps == 0 && graph_->op(op).matrix_flops.at(kv) > 0);
  r.matrix_flops += graph_->op(op).matrix_flops.at(kv);
  r.vector_flops += graph_->op(op).vector_flops.at(kv);
  r.counters.add(st.counters);
}

void Executor::addSpan(const RawSpan& span) {
  ++spans_total_;
  if (spans_.size() < kMaxSpans) spans_.push_back(span);
}

void Executor::setStepProbe(StepProbe probe) {
  probe_ = std::move(probe);
}

StepSample Executor::sampleStep(std::size_t run, std::uint64_t kv) {
  runStep(run, kv, false);  // warm-up: caches as the step before leaves them
  const SimSample before = sim_.sample();
  const Tick start = sim_.now();
  runStep(run, kv, true);
  StepSample s;
  s.kv = kv;
  s.ticks = sim_.now() - start;
  s.work = sim_.sample().since(before);
  s.ops = std::move(records_[run]);  // this executor measured only this step
  for (OpRecord& r : s.ops) {
    r.first_start -= start;
    r.last_end -= start;
  }
  records_[run].clear();
  return s;
}

void Executor::reuseSteps(std::size_t run, std::uint64_t lo, std::uint64_t hi) {
  const graph::Run& r = workload_.runs()[run];
  const graph::Graph& g = *r.graph;
  std::map<std::uint64_t, StepSample> samples;
  auto sample = [&](std::uint64_t kv) -> const StepSample& {
    auto it = samples.find(kv);
    if (it == samples.end()) {
      it = samples.emplace(kv, probe_(run, kv)).first;
      reuse_.probes += 2;  // a warm-up step and the measured one
    }
    return it->second;
  };
  const std::vector<std::uint64_t> points = refineSamples(
      lo, hi, options_.reuse_tolerance, [&](std::uint64_t kv) { return sample(kv).ticks; },
      reuse_.max_error);

  std::vector<OpRecord>& records = records_[run];
  if (records.size() != g.ops().size()) ARCHSIM_PANIC("step reuse before a simulated step");
  // Segments [a, b) between consecutive sampled lengths, then the last length alone.
  for (std::size_t p = 0; p < points.size(); ++p) {
    const std::uint64_t a = points[p];
    const std::uint64_t b = p + 1 < points.size() ? points[p + 1] : a + 1;
    const StepSample& sa = samples.at(a);
    const StepSample& sb = p + 1 < points.size() ? samples.at(b) : sa;
    const double width = static_cast<double>(std::max<std::uint64_t>(b - a, 1));
    double wa = 0, wb = 0;  // summed interpolation weights over the segment's steps
    const Tick segment_start = sim_.now();
    Tick duration = 0;
    for (std::uint64_t kv = a; kv < b; ++kv) {
      const double t = static_cast<double>(kv - a) / width;
      wa += 1 - t;
      wb += t;
      const Tick ticks =
          roundTicks(static_cast<double>(sa.ticks) * (1 - t) + static_cast<double>(sb.ticks) * t);
      // The step's ops where the nearer sample had them, stretched to the step's duration.
      const StepSample& shape = t < 0.5 ? sa : sb;
      if (spans_.size() < kMaxSpans) {
        const double stretch =
            shape.ticks > 0 ? static_cast<double>(ticks) / static_cast<double>(shape.ticks) : 1.0;
        for (graph::OpId op = 0; op < shape.ops.size(); ++op) {
          const OpRecord& o = shape.ops[op];
          addSpan({run, op,
                   segment_start + duration +
                       static_cast<Tick>(static_cast<double>(o.first_start) * stretch),
                   segment_start + duration +
                       static_cast<Tick>(static_cast<double>(o.last_end) * stretch),
                   true});
        }
      } else {
        spans_total_ += shape.ops.size();
      }
      duration = addTicks(duration, ticks);
      step_ticks_.push_back(ticks);
      ++measured_steps_;
      ++reuse_.reused;
    }
    // The segment's records, stats and busy time: the weighted sum of its two ends.
    const std::uint64_t n = b - a;
    for (graph::OpId op = 0; op < records.size(); ++op) {
      OpRecord& rec = records[op];
      const OpRecord& x = sa.ops[op];
      const OpRecord& y = sb.ops[op];
      rec.executions += n;
      rec.busy = addTicks(rec.busy, roundTicks(static_cast<double>(x.busy) * wa +
                                               static_cast<double>(y.busy) * wb));
      rec.gap = addTicks(
          rec.gap, roundTicks(static_cast<double>(x.gap) * wa + static_cast<double>(y.gap) * wb));
      rec.counters.add(weighted(x.counters, wa, y.counters, wb));
      rec.matrix_flops += graph::sumOverSteps(g, g.op(op).matrix_flops, a, b - 1);
      rec.vector_flops += graph::sumOverSteps(g, g.op(op).vector_flops, a, b - 1);
      rec.last_end = segment_start + duration;
    }
    sim_.replay(weighted(sa.work, wa, sb.work, wb), duration);
  }
}

Tick Executor::fixUp(OpState& st, const map::TileTask& task, Tick done) {
  // Serial split-K (map::splitKFixupSeconds): slice s adds into its output tile after slice s - 1
  // has, so the slices of a tile finish one after another.
  const std::uint64_t out = task.fixup_tile;
  if (st.slice_done.size() <= out) st.slice_done.resize(out + 1, 0);
  if (task.split > 0) {
    const Tick fixup = ceilTicks(
        map::splitKFixupSeconds(chip_.spec(), fixup_level_, static_cast<double>(task.fixup_bytes)) *
        static_cast<double>(kTicksPerSecond));
    done = addTicks(std::max(done, st.slice_done[out]), fixup);
  }
  st.slice_done[out] = done;
  return done;
}

Tick Executor::opOverhead() const {
  return launchOverhead() + options_.op_overhead_ps;
}

Tick Executor::launchOverhead() const {
  return dataflow_ ? 0 : chip_.spec().execution.launch_overhead_ps;
}

Tick Executor::dispatchDelay(OpId op) {
  // A grouped MoE expert op runs inside its kind's first op's kernel: no dispatch, no launch.
  if (grouped_[op]) return 0;
  host_clock_ = addTicks(host_clock_, options_.op_overhead_ps);
  return std::max(host_clock_, sim_.now()) - sim_.now() + launchOverhead();
}

Location Executor::where() const {
  return Location{"chip '" + chip_.spec().name + "'", 0, 0};
}

RunResult Executor::run() {
  try {
    return runAll();
  } catch (const TimeOverflow&) {
    throw ConfigError(where(), "", timeOverflowMessage());
  }
}

void Executor::checkWorkBudget(OpId op, std::uint64_t tiles) {
  // The work of an op is about its tiles times the cache blocks each touches (the executor's cost
  // is per tile and per block). Estimated from its first tile before any is simulated, so a run
  // sized in the billions fails at once, naming the op and what sizes it, instead of running for
  // hours. Both limits are far above any real model on any real chip.
  scratch_.clear();
  plan(op).tile(0, scratch_);
  std::uint64_t bytes = 0;
  for (const map::RangeRef& r : scratch_.reads)
    bytes = saturatingAdd(bytes, r.bytes);
  for (const map::RangeRef& w : scratch_.writes)
    bytes = saturatingAdd(bytes, w.bytes);
  const std::uint64_t work = saturatingMul(tiles, 1 + bytes / MemorySystem::kBlockBytes);
  work_estimated_ = saturatingAdd(work_estimated_, work);
  if (work <= kMaxWorkPerOp && work_estimated_ <= kMaxWorkPerRun) return;
  const graph::Shard& s = workload_.shard();
  throw ConfigError(
      where(), "",
      fmt::format("op '{}' is {} tiles of {} bytes each (about {:.3g} units of simulated work; "
                  "{:.3g} so far in this run); archsim simulates at most {:.3g} per op and {:.3g} "
                  "per run (README \"Limits\"): the work is sized by {} sequences (prompt {} "
                  "tokens, KV cache up to {} tokens) on this chip — use fewer or shorter "
                  "sequences, or more chips",
                  graph_->op(op).name, tiles, bytes, static_cast<double>(work),
                  static_cast<double>(work_estimated_), static_cast<double>(kMaxWorkPerOp),
                  static_cast<double>(kMaxWorkPerRun), s.sequences, s.prompt_tokens,
                  s.kv_length + s.output_tokens));
}

std::string Executor::timeOverflowMessage() const {
  // The pass in flight when time ran out: which resource's roofline over all its ops is longest,
  // and the op that contributes most to it.
  if (graph_ == nullptr || graph_->ops().empty())
    return "simulated time passes 2^64 ps (about 213 days): a rate in the input is far too small";
  const spec::ChipSpec& c = chip_.spec();
  const std::uint64_t kv = ctx_ ? graph_->effectiveKv(ctx_->kv_length) : 0;
  const hw::MemoryLevel& far = chip_.level(chip_.levels().size() - 1);
  const double rates[] = {2.0 * matrix_macs_per_cycle_ * c.clock_hz * c.matrix.units,
                          vector_flops_per_tick_ * c.vector.units * kTicksPerSecond,
                          far.effectiveBandwidth()};
  double total[3] = {0, 0, 0};
  double worst[3] = {0, 0, 0};
  graph::OpId worst_op[3] = {0, 0, 0};
  for (graph::OpId op = 0; op < graph_->ops().size(); ++op) {
    const graph::Op& o = graph_->op(op);
    const double amounts[] = {static_cast<double>(o.matrix_flops.at(kv)),
                              static_cast<double>(o.vector_flops.at(kv)),
                              static_cast<double>(o.bytesRead().at(kv) + o.bytesWritten().at(kv))};
    for (int r = 0; r < 3; ++r) {
      const double seconds = amounts[r] / rates[r];
      total[r] += seconds;
      if (seconds > worst[r]) {
        worst[r] = seconds;
        worst_op[r] = op;
      }
    }
  }
  const int r = static_cast<int>(std::max_element(total, total + 3) - total);
  // Launch and software overheads are paid per op, whatever the op does.
  const double overhead = ticksToSeconds(opOverhead()) * static_cast<double>(graph_->ops().size());
  if (overhead > total[r]) {
    return fmt::format(
        "simulated time passes 2^64 ps (about 213 days) in a {} pass: its {} ops' launch and "
        "software overheads ({:.3g} s each) alone need {:.3g} s per pass; an overhead in the input "
        "is far too large",
        graph::graphPhaseName(workload_.runs()[run_].phase), graph_->ops().size(),
        ticksToSeconds(opOverhead()), overhead);
  }
  if (total[r] < 0.5 * ticksToSeconds(kMaxTick)) {  // each pass is short: there are too many
    return fmt::format(
        "simulated time passes 2^64 ps (about 213 days): a {} pass takes about {:.3g} s here, and "
        "the run has too many of them; simulate fewer tokens or steps",
        graph::graphPhaseName(workload_.runs()[run_].phase), total[r]);
  }
  const std::string resource =
      r == 0   ? fmt::format("the matrix units ({:.3g} FLOP/s achievable)", rates[0])
      : r == 1 ? fmt::format("the vector units ({:.3g} FLOP/s achievable)", rates[1])
               : fmt::format("memory level '{}' ({:.3g} B/s achievable)", far.name(), rates[2]);
  return fmt::format(
      "simulated time passes 2^64 ps (about 213 days) in a {} pass: {} alone need {:.3g} s per "
      "pass (op '{}' {:.3g} s); a rate in the input is far too small for this workload",
      graph::graphPhaseName(workload_.runs()[run_].phase), resource, total[r],
      graph_->op(worst_op[r]).name, worst[r]);
}

RunResult Executor::runAll() {
  const graph::Shard& s = workload_.shard();
  const auto& runs = workload_.runs();
  for (const graph::Run& r : runs) {
    const std::uint64_t steps =
        r.kv_last - r.kv_first + 1 + (s.phase == spec::Phase::kDecode ? 1 : 0);
    progress_state_.ops_total += steps * r.graph->ops().size();
  }
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const bool decode_only = s.phase == spec::Phase::kDecode;
    if (decode_only) {
      // Warm-up: the caches as the step before leaves them. Exact runs get them without timing
      // the step when its cache accesses do not depend on time, and start on an idle machine.
      if (!options_.exact || options_.timed_warmup || !warmCaches(r, runs[r].kv_first))
        runStep(r, runs[r].kv_first, false);
      sim_.resetStats();
      memory_.restartWriteBacks();
    }
    if (!measuring_started_) {
      measured_start_ = sim_.now();
      measuring_started_ = true;
    }
    // Long generations simulate their first decode step in sequence and reuse the rest.
    const bool reuse = probe_ && !options_.exact && runs[r].phase == graph::GraphPhase::kDecode &&
                       !decode_only && runs[r].steps() >= kMinReusedSteps;
    const std::uint64_t last = reuse ? runs[r].kv_first : runs[r].kv_last;
    for (std::uint64_t kv = runs[r].kv_first; kv <= last; ++kv) {
      const Tick begin = sim_.now();
      const std::uint64_t work_before = work_estimated_;
      runStep(r, kv, true);
      if (kv == runs[r].kv_first && last > kv) {
        // The steps to come cost about what this one did: fail now rather than hours from now.
        const std::uint64_t projected =
            saturatingAdd(work_estimated_, saturatingMul(work_estimated_ - work_before, last - kv));
        if (projected > kMaxWorkPerRun) {
          throw ConfigError(
              where(), "",
              fmt::format("{} decode steps of about {:.3g} units of simulated work each would be "
                          "{:.3g} units; archsim simulates at most {:.3g} per run (README "
                          "\"Limits\"){}",
                          last - kv + 1, static_cast<double>(work_estimated_ - work_before),
                          static_cast<double>(projected), static_cast<double>(kMaxWorkPerRun),
                          options_.exact ? ": without --exact, long generations reuse steps" : ""));
        }
      }
      step_ticks_.push_back(sim_.now() - begin);
      ++measured_steps_;
      ++reuse_.simulated;
    }
    if (reuse) reuseSteps(r, runs[r].kv_first + 1, runs[r].kv_last);
    if (runs[r].phase == graph::GraphPhase::kPrefill) prefill_end_ = sim_.now();
  }
  sim_.finalizeAll();
  return finish();
}

RunResult Executor::finish() {
  RunResult out;
  out.measured_start = measured_start_;
  out.first_token_end = prefill_end_;
  out.measured_end = sim_.now();
  out.measured_steps = measured_steps_;
  out.step_ticks = step_ticks_;
  out.totals = OpCounters(chip_.levels().size());
  out.matrix_dtype = std::string(spec::dtypeName(matrix_dtype_));
  out.vector_dtype = std::string(spec::dtypeName(vector_dtype_));
  std::vector<std::size_t> offset;  // per run: index of its first op in out.ops
  for (auto& records : records_) {
    offset.push_back(out.ops.size());
    for (OpRecord& r : records) {
      r.bound = r.kind == graph::OpKind::kCollective ? "network" : boundOf(r, chip_);
      out.totals.add(r.counters);
      out.ops.push_back(std::move(r));
    }
  }
  out.spans.reserve(spans_.size());
  for (const RawSpan& sp : spans_) {
    out.spans.push_back(
        {static_cast<std::uint32_t>(offset[sp.run] + sp.op), sp.start, sp.end, sp.reused});
  }
  out.spans_total = spans_total_;
  out.steps_simulated = reuse_.simulated;
  out.steps_reused = reuse_.reused;
  out.probe_steps = reuse_.probes;
  out.max_interpolation_error = reuse_.max_error;
  out.layers_simulated = reuse_.layers_simulated;
  out.layers_replayed = reuse_.layers_replayed;
  out.warmup_ops_skipped = warmup_ops_skipped_;
  out.dynamic_energy_j = out.totals.energy_j;
  out.warnings = warnings_;
  return out;
}

}  // namespace archsim::exec
