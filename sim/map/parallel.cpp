#include "sim/map/parallel.h"

#include <algorithm>
#include <functional>
#include <limits>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/map/stage.h"
#include "sim/spec/suggest.h"
#include "sim/spec/units.h"

namespace archsim::map {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

/// Min-max contiguous partition of layers 0..L-1 into k stages, built one k at a time:
/// best[k][b] is the smallest possible largest cost of k stages covering layers [0, b); cut[k][b]
/// where the last of them starts. cost(a, b) is the cost of one stage holding layers [a, b).
class Partition {
 public:
  using Cost = std::function<std::uint64_t(std::uint64_t, std::uint64_t)>;
  Partition(std::uint64_t layers, Cost cost)
      : layers_(layers),
        cost_(std::move(cost)),
        best_{std::vector<std::uint64_t>(layers + 1, kNever)},
        cut_{std::vector<std::uint64_t>(layers + 1, 0)} {
    best_[0][0] = 0;
  }

  /// The largest stage's cost with k stages (kNever when k exceeds the layers).
  std::uint64_t largest(std::uint64_t k) {
    if (k > layers_) return kNever;
    while (best_.size() <= k)
      extend();
    return best_[k][layers_];
  }

  /// The fewest stages whose largest costs at most `limit` (0: none up to one stage a layer).
  std::uint64_t fewest(std::uint64_t limit) {
    for (std::uint64_t k = 1; k <= layers_; ++k) {
      if (largest(k) <= limit) return k;
    }
    return 0;
  }

  std::vector<StageLayers> stages(std::uint64_t k) {
    largest(k);
    std::vector<StageLayers> out(k);
    std::uint64_t b = layers_;
    for (std::uint64_t s = k; s > 0; --s) {
      const std::uint64_t a = cut_[s][b];
      out[s - 1] = {a, b, a == 0, b == layers_};
      b = a;
    }
    return out;
  }

 private:
  void extend() {
    const std::uint64_t k = best_.size();
    std::vector<std::uint64_t> best(layers_ + 1, kNever), cut(layers_ + 1, 0);
    for (std::uint64_t b = k; b <= layers_; ++b) {
      for (std::uint64_t a = k - 1; a < b; ++a) {
        if (best_[k - 1][a] == kNever) continue;
        const std::uint64_t v = std::max(best_[k - 1][a], cost_(a, b));
        if (v < best[b]) {  // ties keep the earliest cut: the first stages take the smaller shares
          best[b] = v;
          cut[b] = a;
        }
      }
    }
    best_.push_back(std::move(best));
    cut_.push_back(std::move(cut));
  }

  std::uint64_t layers_;
  Cost cost_;
  std::vector<std::vector<std::uint64_t>> best_;
  std::vector<std::vector<std::uint64_t>> cut_;
};

Partition byteBalance(const ShardFootprint& f, std::uint64_t layers) {
  return Partition(layers, [&f, layers](std::uint64_t a, std::uint64_t b) {
    return f.stageBytes({a, b, a == 0, b == layers});
  });
}

}  // namespace

std::vector<std::uint32_t> ParallelLayout::stageChips(std::size_t stage,
                                                      std::uint64_t replica) const {
  std::vector<std::uint32_t> chips;
  for (std::uint32_t r = 0; r < plan.tp; ++r) {
    chips.push_back(static_cast<std::uint32_t>((replica * plan.pp + stage) * plan.tp + r));
  }
  return chips;
}

std::string ParallelLayout::describe() const {
  std::string s = fmt::format("tp {} x pp {} x dp {}", plan.tp, plan.pp, plan.dp);
  if (plan.ep > 1) s += fmt::format(", ep {}", plan.ep);
  if (plan.microbatches > 1) s += fmt::format(", {} microbatches", plan.microbatches);
  if (plan.sequence_parallel && plan.tp > 1) s += ", sequence parallel";
  return s;
}

std::vector<StageLayers> balanceStages(std::uint64_t layers, std::uint64_t stages,
                                       std::uint64_t layer_bytes, std::uint64_t embedding_bytes,
                                       std::uint64_t head_bytes) {
  Partition p(layers, [&](std::uint64_t a, std::uint64_t b) {
    return (b - a) * layer_bytes + (a == 0 ? embedding_bytes : 0) + (b == layers ? head_bytes : 0);
  });
  return p.stages(stages);
}

std::vector<StageLayers> balanceStages(const ShardFootprint& f, std::uint64_t layers,
                                       std::uint64_t stages) {
  return byteBalance(f, layers).stages(stages);
}

std::uint64_t fewestStages(const ShardFootprint& f, std::uint64_t layers, std::uint64_t limit,
                           std::vector<StageLayers>* stages) {
  Partition p = byteBalance(f, layers);
  const std::uint64_t k = p.fewest(limit);
  if (k > 0 && stages != nullptr) *stages = p.stages(k);
  return k;
}

std::vector<std::uint32_t> tensorParallelDegrees(const spec::ModelSpec& model) {
  std::vector<std::uint32_t> out;
  for (std::uint64_t t = 1; t <= model.heads; ++t) {
    if (model.heads % t != 0 || model.ffn % t != 0) continue;
    if (model.kv_heads % t != 0 && t % model.kv_heads != 0) continue;
    out.push_back(static_cast<std::uint32_t>(t));
  }
  return out;
}

std::uint64_t ShardFootprint::stageBytes(const StageLayers& stage) const {
  const std::uint64_t n = stage.end_layer - stage.first_layer;
  std::uint64_t bytes = n * (layer.weight_bytes + layer.kv_bytes);
  std::uint64_t arena = n > 0 ? layer.activation_bytes : 0;
  auto add = [&](const Footprint& f) {
    bytes += f.weight_bytes + f.kv_bytes;
    arena = std::max(arena, f.activation_bytes);
  };
  if (stage.embedding && stage.head) {
    add(embedding_and_head);
  } else if (stage.embedding) {
    add(embedding);
  } else if (stage.head) {
    add(head);
  }
  return bytes + arena;
}

ShardFootprint shardFootprint(const spec::ScenarioSpec& scenario, std::uint32_t tp,
                              std::uint32_t ep) {
  ParallelLayout layout;
  layout.plan.tp = tp;
  layout.plan.ep = ep;
  layout.replica_batch = scenario.batch;
  layout.micro_batch = scenario.batch;
  const PartFootprints parts =
      measureParts(graph::Workload(stageShard(scenario, layout, {0, 1, true, true})));
  ShardFootprint f;
  f.tp = tp;
  f.embedding = parts.embedding;
  f.layer = parts.layer;
  f.head = parts.head;
  f.embedding_and_head = parts.embedding_and_head;
  return f;
}

ShardFootprint chargedFootprint(ShardFootprint f, const spec::ChipSpec& chip, std::size_t level,
                                const spec::SoftwareSpec& software) {
  if (chip.mainMemoryIndex() != level) return f;
  for (Footprint* part : {&f.embedding, &f.layer, &f.head, &f.embedding_and_head})
    part->kv_bytes = software.kvCharge(part->kv_bytes);
  return f;
}

FitResult fit(const spec::ChipSpec& chip, const spec::ScenarioSpec& scenario,
              const std::optional<std::string>& level, std::uint32_t tp_preference,
              std::uint64_t max_chips) {
  FitResult r;
  // The level that must hold the model.
  std::optional<std::size_t> index;
  if (level) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < chip.memory.size(); ++i) {
      names.push_back(chip.memory[i].name);
      if (chip.memory[i].name == *level) index = i;
    }
    if (!index) {
      throw ConfigError(Location{"<command line>", 0, 0}, "--level",
                        fmt::format("{} has no memory level '{}' (it has {}){}", chip.name, *level,
                                    fmt::join(names, ", "), spec::didYouMean(*level, names)));
    }
  } else {
    index = modelLevel(chip);
  }
  r.level = chip.memory[*index].name;
  r.level_bytes = modelBytesOf(chip, *index, scenario.software);

  const std::uint64_t L = scenario.model.layers;
  const std::uint32_t preference = std::max<std::uint32_t>(1, tp_preference);
  std::uint64_t best_chips = 0;
  std::uint32_t best_tp = 0;
  std::vector<StageLayers> best_stages;
  ShardFootprint best_footprint;
  for (std::uint32_t tp : tensorParallelDegrees(scenario.model)) {
    if (max_chips > 0 && tp > max_chips) break;
    const ShardFootprint f = shardFootprint(scenario, tp);
    if (tp == 1) r.model_bytes = f.stageBytes({0, L, true, true});
    std::vector<StageLayers> stages;
    const std::uint64_t depth = fewestStages(chargedFootprint(f, chip, *index, scenario.software),
                                             L, r.level_bytes, &stages);
    const std::uint64_t chips = depth * tp;
    r.candidates.emplace_back(tp, chips);
    if (depth == 0 || (max_chips > 0 && chips > max_chips)) continue;
    // Fewer chips wins; among equals, the largest degree within the preference, else the smallest.
    const bool better =
        best_chips == 0 || chips < best_chips ||
        (chips == best_chips && tp <= preference && (best_tp > preference || tp > best_tp));
    if (better) {
      best_chips = chips;
      best_tp = tp;
      best_stages = std::move(stages);
      best_footprint = f;
    }
  }
  if (best_chips == 0) {
    std::string tried;
    for (const auto& [tp, chips] : r.candidates) {
      tried += fmt::format("{}tp {}: {}", tried.empty() ? "" : "; ", tp,
                           chips == 0 ? "no depth fits" : fmt::format("{} chips", chips));
    }
    throw ConfigError(
        scenario.parallel.location, "",
        fmt::format("no plan{} holds {} ({} on one chip) in {}'s {} of {} per chip ({})",
                    max_chips > 0 ? fmt::format(" of at most {} chips", max_chips) : "",
                    scenario.model.name, spec::formatSize(r.model_bytes), chip.name, r.level,
                    spec::formatSize(r.level_bytes), tried));
  }
  r.layout.plan.tp = best_tp;
  r.layout.plan.pp = static_cast<std::uint32_t>(best_stages.size());
  r.layout.stages = best_stages;
  r.layout.replica_batch = scenario.batch;
  r.layout.micro_batch = scenario.batch;
  r.layout.plan.location = scenario.parallel.location;
  r.chips = best_chips;
  for (const StageLayers& st : best_stages)
    r.stage_bytes.push_back(best_footprint.stageBytes(st));
  return r;
}

ParallelLayout explicitLayout(const spec::ScenarioSpec& scenario, const spec::SystemSpec& system) {
  const std::uint64_t chips = system.chipCount();
  const spec::ParallelPlan& plan = scenario.parallel;
  if (plan.automatic) ARCHSIM_PANIC("explicitLayout() of an automatic plan");
  if (plan.chips() > chips) {
    throw ConfigError(
        plan.location, "parallel",
        fmt::format(
            "the plan needs {} chips (tp {} x pp {} x dp {}), system {} has {}; use a bigger "
            "system, a smaller plan, or 'parallel: auto'",
            plan.chips(), plan.tp, plan.pp, plan.dp, system.name, chips));
  }
  ParallelLayout layout;
  layout.plan = plan;
  layout.replica_batch = scenario.batch / plan.dp;
  layout.micro_batch = layout.replica_batch / plan.microbatches;
  const std::uint64_t L = scenario.model.layers;
  if (plan.pp_auto) {
    // The fewest stages that hold one replica at this tensor-parallel degree.
    spec::ScenarioSpec replica = scenario;
    replica.batch = layout.replica_batch;
    const ShardFootprint f = shardFootprint(replica, plan.tp, plan.ep);
    const std::uint64_t level_bytes = system.chip.memory.at(modelLevel(system.chip)).size_bytes;
    const std::uint64_t depth = fewestStages(f, L, level_bytes, &layout.stages);
    const std::uint64_t most = chips / (std::uint64_t{plan.tp} * plan.dp);
    if (depth == 0 || depth > most) {
      throw ConfigError(
          plan.location, "parallel",
          fmt::format("pp: auto at tp {}: {} (system {} has {} chip{})", plan.tp,
                      depth == 0 ? std::string("no pipeline depth holds ") + scenario.model.name
                                 : fmt::format("{} needs {} stages of {} chips",
                                               scenario.model.name, depth, plan.tp * plan.dp),
                      system.name, chips, chips == 1 ? "" : "s"));
    }
    layout.plan.pp = static_cast<std::uint32_t>(depth);
    return layout;
  }
  if (plan.pp == 1) {
    layout.stages = {{0, L, true, true}};
  } else {
    layout.stages = balanceStages(shardFootprint(scenario, plan.tp, plan.ep), L, plan.pp);
  }
  return layout;
}

}  // namespace archsim::map
