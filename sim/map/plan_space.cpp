#include "sim/map/plan_space.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "sim/graph/workload.h"
#include "sim/map/placement.h"
#include "sim/map/stage.h"

namespace archsim::map {
namespace {

/// What one part of the model costs a chip over one run of a workload (summed over its steps).
struct PartCost {
  std::uint64_t ops = 0;          // op launches (a grouped MoE kernel's ops launch once)
  std::uint64_t bytes = 0;        // weights and KV cache read
  std::uint64_t collectives = 0;  // collective executions
  double network_bytes = 0;       // the least each rank must send for them
  std::uint64_t matrix_flops = 0;
  std::uint64_t vector_flops = 0;
  std::uint64_t steps = 0;
};

/// Per run of the workload (prefill, decode), per part (embedding, layers — per layer —, head).
struct Costs {
  std::vector<graph::GraphPhase> phases;
  std::vector<std::array<PartCost, 3>> runs;
};

/// The least a rank sends in a collective of `bytes` (as graph::CollectiveCall defines them) over
/// `n` ranks, whatever the algorithm: (n - 1) / n of the buffer — a ring's reduce-scatter half,
/// an all-gather's or all-to-all's share for the others; in-switch and one-shot send more.
double leastSent(std::uint64_t bytes, std::uint32_t n) {
  return n <= 1 ? 0.0 : static_cast<double>(bytes) * (n - 1) / n;
}

Costs measureCosts(const graph::Workload& w, bool grouped_moe) {
  Costs c;
  const std::uint64_t layers = std::max<std::uint64_t>(1, w.shard().layers());
  const std::uint32_t ranks = w.shard().tp;
  for (const graph::Run& run : w.runs()) {
    const graph::Graph& g = *run.graph;
    const std::vector<ModelPart> parts = opParts(g);
    std::array<PartCost, 3> cost{};
    for (PartCost& p : cost)
      p.steps = run.steps();
    const std::vector<bool> grouped =
        grouped_moe ? graph::groupedExpertOps(g) : std::vector<bool>(g.ops().size(), false);
    for (const graph::Op& op : g.ops()) {
      PartCost& p = cost[static_cast<std::size_t>(parts[op.id])];
      if (!grouped[op.id]) p.ops += run.steps();  // launches: a grouped MoE kernel's once
      if (op.collective) {
        p.collectives += run.steps();
        p.network_bytes += leastSent(graph::sumOverRun(run, op.collective->bytes), ranks);
      }
      p.matrix_flops += graph::sumOverRun(run, op.matrix_flops);
      p.vector_flops += graph::sumOverRun(run, op.vector_flops);
      for (const graph::TensorUse& u : op.reads) {
        const graph::TensorRole role = g.tensor(u.tensor).role;
        if (role == graph::TensorRole::kWeight || role == graph::TensorRole::kKv)
          p.bytes += graph::sumOverRun(run, u.bytes);
      }
    }
    PartCost& layer = cost[static_cast<std::size_t>(ModelPart::kLayers)];
    layer.ops /= layers;
    layer.collectives /= layers;
    layer.network_bytes /= static_cast<double>(layers);
    layer.bytes /= layers;
    layer.matrix_flops /= layers;
    layer.vector_flops /= layers;
    c.phases.push_back(run.phase);
    c.runs.push_back(cost);
  }
  return c;
}

/// The chip's fastest rates, for bounds: achievable bandwidths, peaks at their achievable fraction.
struct Rates {
  double home_bytes_per_s = 0;   // the faster of the levels that can hold a stage's data
  double cache_bytes_per_s = 0;  // the fastest cache (0: none)
  double cache_bytes = 0;        // all caches together
  double matrix_flops_per_s = 0;
  double vector_flops_per_s = 0;
  double launch_s = 0;             // per op, kernel-style chips: the device's launch latency
  double dispatch_s = 0;           // per op, kernel-style chips: the host's dispatch
  double link_bytes_per_s = 0;     // everything a chip can send at once, every level's links
  double collective_launch_s = 0;  // the library's time before a collective's first step
  bool kernel = true;              // ops (collectives included) run one after another
};

Rates rates(const spec::SystemSpec& system, const spec::ScenarioSpec& s) {
  const spec::ChipSpec& chip = system.chip;
  Rates r;
  for (const spec::LevelSpec& level : system.levels) {
    r.link_bytes_per_s += level.link.bytesPerSecondPerDirection() * level.link.achievable_fraction;
  }
  // Before a collective completes: the library's launch, at least one algorithm step, and at
  // least one crossing of the fastest link.
  Tick hop = system.levels.empty() ? 0 : kMaxTick;
  for (const spec::LevelSpec& level : system.levels)
    hop = std::min(hop, level.link.latency_ps);
  r.collective_launch_s = ticksToSeconds(system.collectives.launch_latency_ps +
                                         system.collectives.step_latency_ps + hop);
  r.kernel = chip.execution.style == spec::ExecutionStyle::kKernel;
  for (const spec::MemoryLevelSpec& level : chip.memory) {
    if (level.kind == spec::MemoryKind::kCache) {
      r.cache_bytes_per_s = std::max(r.cache_bytes_per_s, level.achievableBandwidth());
      r.cache_bytes += static_cast<double>(level.size_bytes);
    }
  }
  if (const auto sram = persistentSram(chip))
    r.home_bytes_per_s = chip.memory[*sram].achievableBandwidth();
  if (const spec::MemoryLevelSpec* dram = chip.mainMemory())
    r.home_bytes_per_s = std::max(r.home_bytes_per_s, dram->achievableBandwidth());
  if (const auto peak = chip.matrix.peak(s.dtypes.compute)) {
    r.matrix_flops_per_s = *peak * chip.matrix.achievable(s.dtypes.compute);
  } else {  // computed in a stand-in format: take the fastest
    for (const auto& [dtype, ops] : chip.matrix.peak_ops_per_s)
      r.matrix_flops_per_s = std::max(r.matrix_flops_per_s, ops * chip.matrix.achievable(dtype));
  }
  r.matrix_flops_per_s *= s.software.matrix_efficiency;
  for (const auto& [dtype, peak] : chip.vector.peak_ops_per_s)
    r.vector_flops_per_s = std::max(r.vector_flops_per_s, peak * chip.vector.achievable_fraction);
  if (chip.execution.style == spec::ExecutionStyle::kKernel) {
    r.launch_s = ticksToSeconds(chip.execution.launch_overhead_ps);
    r.dispatch_s = ticksToSeconds(s.software.op_overhead_ps);
  }
  return r;
}

/// The bound of one stage over one run: its parts' costs on one chip.
double stageBound(const Rates& r, const std::array<PartCost, 3>& cost, const StageLayers& st) {
  PartCost t;
  auto add = [&](const PartCost& p, std::uint64_t times) {
    t.ops += p.ops * times;
    t.bytes += p.bytes * times;
    t.matrix_flops += p.matrix_flops * times;
    t.vector_flops += p.vector_flops * times;
  };
  std::uint64_t collectives = 0;
  double network = 0;
  auto addNetwork = [&](const PartCost& p, std::uint64_t times) {
    collectives += p.collectives * times;
    network += p.network_bytes * static_cast<double>(times);
  };
  addNetwork(cost[static_cast<std::size_t>(ModelPart::kLayers)], st.end_layer - st.first_layer);
  if (st.embedding) addNetwork(cost[static_cast<std::size_t>(ModelPart::kEmbedding)], 1);
  if (st.head) addNetwork(cost[static_cast<std::size_t>(ModelPart::kHead)], 1);
  add(cost[static_cast<std::size_t>(ModelPart::kLayers)], st.end_layer - st.first_layer);
  if (st.embedding) add(cost[static_cast<std::size_t>(ModelPart::kEmbedding)], 1);
  if (st.head) add(cost[static_cast<std::size_t>(ModelPart::kHead)], 1);
  const double bytes = static_cast<double>(t.bytes);
  // At most the caches' size can come from a cache at each step; the rest crosses its home.
  const double cached = std::min(bytes, r.cache_bytes * static_cast<double>(cost[0].steps));
  double memory = (bytes - cached) / r.home_bytes_per_s;
  if (r.cache_bytes_per_s > 0) memory = std::max(memory, cached / r.cache_bytes_per_s);
  const double work = std::max({memory, static_cast<double>(t.matrix_flops) / r.matrix_flops_per_s,
                                static_cast<double>(t.vector_flops) / r.vector_flops_per_s});
  // Collectives: each waits for the library's launch, then sends at most at the chip's links.
  double links = static_cast<double>(collectives) * r.collective_launch_s;
  if (network > 0) links += r.link_bytes_per_s > 0 ? network / r.link_bytes_per_s : 0.0;
  // Kernel-style chips run ops, collectives included, one after another, each after its launch
  // latency; the host dispatches them one after another ahead of the device, so the last starts
  // no sooner than every dispatch. A dataflow chip may overlap its ops.
  if (!r.kernel) return std::max(work, links);
  const double ops = static_cast<double>(t.ops);
  return std::max(ops * r.launch_s + work + links, ops * r.dispatch_s + r.launch_s);
}

double bound(const Rates& r, const Costs& c, const ParallelLayout& layout) {
  const double m = layout.plan.microbatches;
  double total = 0;
  for (std::size_t run = 0; run < c.runs.size(); ++run) {
    double sum = 0, most = 0;
    for (const StageLayers& st : layout.stages) {
      const double t = stageBound(r, c.runs[run], st);
      sum += t;
      most = std::max(most, t);
    }
    total += c.phases[run] == graph::GraphPhase::kPrefill ? sum + (m - 1) * most
                                                          : std::max(sum, m * most);
  }
  return total;
}

/// The most microbatches up to `depth` that divide `sequences` evenly.
std::uint32_t microbatchesFor(std::uint64_t sequences, std::uint64_t depth) {
  for (std::uint64_t m = std::min(sequences, depth); m > 1; --m) {
    if (sequences % m == 0) return static_cast<std::uint32_t>(m);
  }
  return 1;
}

Costs costsOf(const spec::ScenarioSpec& s, const ParallelLayout& layout) {
  return measureCosts(graph::Workload(stageShard(s, layout, {0, 1, true, true})),
                      s.software.moe_kernels == spec::MoeKernels::kGrouped);
}

}  // namespace

double planBound(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                 const ParallelLayout& layout) {
  return bound(rates(system, scenario), costsOf(scenario, layout), layout);
}

PlanSpace planSpace(const spec::SystemSpec& system, const spec::ScenarioSpec& s,
                    std::uint64_t max_chips) {
  const spec::ChipSpec& chip = system.chip;
  PlanSpace space;
  const std::size_t level = modelLevel(chip);
  space.level = chip.memory[level].name;
  space.level_bytes = modelBytesOf(chip, level, s.software);  // as place() checks
  const Rates r = rates(system, s);
  const std::uint64_t L = s.model.layers;
  for (std::uint32_t tp : tensorParallelDegrees(s.model)) {
    if (tp > max_chips) break;
    std::vector<std::uint32_t> eps{1};
    if (s.model.moe && tp > 1 && s.model.moe->experts % tp == 0) eps.push_back(tp);
    for (std::uint32_t ep : eps) {
      for (std::uint64_t dp = 1; dp <= s.batch && tp * dp <= max_chips; ++dp) {
        if (s.batch % dp != 0) continue;
        spec::ScenarioSpec replica = s;
        replica.batch = s.batch / dp;
        const ShardFootprint f = shardFootprint(replica, tp, ep);
        const ShardFootprint charged = chargedFootprint(f, chip, level, s.software);
        const std::uint64_t fewest = fewestStages(charged, L, space.level_bytes);
        const std::string name =
            fmt::format("tp {}{}{}", tp, ep > 1 ? fmt::format(" ep {}", ep) : "",
                        dp > 1 ? fmt::format(" x dp {}", dp) : "");
        if (fewest == 0) {
          space.rejected.push_back(name + ": no pipeline depth fits");
          continue;
        }
        for (std::uint64_t pp : {fewest, 2 * fewest}) {
          if (pp > L || (pp > fewest && pp == 1)) continue;
          if (tp * pp * dp > max_chips) {
            if (pp == fewest) {
              space.rejected.push_back(
                  fmt::format("{}: {} chips > {}", name, tp * pp * dp, max_chips));
            }
            continue;
          }
          PlanOption o;
          ParallelLayout& layout = o.layout;
          layout.plan.tp = tp;
          layout.plan.ep = ep;
          layout.plan.pp = static_cast<std::uint32_t>(pp);
          layout.plan.dp = static_cast<std::uint32_t>(dp);
          layout.plan.microbatches = microbatchesFor(replica.batch, pp);
          layout.plan.location = s.parallel.location;
          layout.replica_batch = replica.batch;
          layout.micro_batch = replica.batch / layout.plan.microbatches;
          layout.stages = balanceStages(charged, L, pp);
          for (const StageLayers& st : layout.stages)
            o.stage_bytes.push_back(f.stageBytes(st));
          o.bound_s = bound(r, costsOf(s, layout), layout);
          space.options.push_back(std::move(o));
        }
      }
    }
  }
  return space;
}

}  // namespace archsim::map
