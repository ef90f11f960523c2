#include "sim/map/placement.h"

#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "sim/core/checked.h"
#include "sim/core/error.h"
#include "sim/spec/units.h"

namespace archsim::map {
namespace {

using graph::TensorRole;

constexpr std::uint64_t kAlignment = 4096;
std::uint64_t align(std::uint64_t x) {
  return (x + kAlignment - 1) / kAlignment * kAlignment;
}

const Location kScenario{"<scenario placement>", 0, 0};

/// What of an op's `live` activation bytes the stack's buffers hold at once: all of it, except in
/// a prefill longer than the stack's token budget per pass, which runs in passes of that many
/// tokens (Shard::max_tokens_per_pass).
std::uint64_t heldLive(const graph::Workload& workload, const graph::Run& run, std::uint64_t live) {
  const graph::Shard& s = workload.shard();
  const std::uint64_t tokens = s.sequences * s.prompt_tokens;
  if (run.phase != graph::GraphPhase::kPrefill || s.max_tokens_per_pass == 0 ||
      tokens <= s.max_tokens_per_pass) {
    return live;
  }
  return static_cast<std::uint64_t>(static_cast<Uint128>(live) * s.max_tokens_per_pass / tokens);
}

/// The activation bytes live while each op of `g` runs (indexed by op id, ops in program order):
/// a tensor from the first op that writes it (from the start when no op does: a pass input) to
/// the last op that reads or writes it.
std::vector<std::uint64_t> liveActivationBytes(const graph::Graph& g, std::uint64_t kv) {
  const std::size_t n = g.ops().size();
  constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> first(g.tensors().size(), kNone), last(g.tensors().size(), 0);
  for (std::size_t k = 0; k < n; ++k) {
    const graph::Op& op = g.ops()[k];
    for (const graph::TensorUse& u : op.writes)
      first[u.tensor] = std::min(first[u.tensor], k);
    for (const auto* uses : {&op.reads, &op.writes}) {
      for (const graph::TensorUse& u : *uses)
        last[u.tensor] = std::max(last[u.tensor], k + 1);
    }
  }
  std::vector<std::int64_t> delta(n + 1, 0);
  for (const graph::Tensor& t : g.tensors()) {
    if (t.role != TensorRole::kActivation || last[t.id] == 0) continue;
    const std::size_t from = first[t.id] == kNone ? 0 : first[t.id];
    const auto bytes = static_cast<std::int64_t>(t.bytes.at(kv));
    delta[from] += bytes;
    delta[last[t.id]] -= bytes;
  }
  std::vector<std::uint64_t> live(n);
  std::int64_t running = 0;
  for (std::size_t k = 0; k < n; ++k) {
    running += delta[k];
    live[k] = static_cast<std::uint64_t>(running);
  }
  return live;
}
}  // namespace

std::optional<std::size_t> persistentSram(const spec::ChipSpec& chip) {
  const bool persists =
      chip.execution.style == spec::ExecutionStyle::kDataflow || chip.mainMemory() == nullptr;
  if (!persists) return std::nullopt;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < chip.memory.size(); ++i) {
    if (chip.memory[i].kind != spec::MemoryKind::kSram) continue;
    if (!best || chip.memory[i].size_bytes > chip.memory[*best].size_bytes) best = i;
  }
  return best;
}

std::uint64_t modelBytesOf(const spec::ChipSpec& chip, std::size_t level,
                           const spec::SoftwareSpec& software) {
  return chip.mainMemoryIndex() == level ? software.usableBytes(chip.memory[level].size_bytes)
                                         : chip.memory[level].size_bytes;
}

std::size_t modelLevel(const spec::ChipSpec& chip) {
  if (const auto sram = persistentSram(chip)) return *sram;
  if (const auto dram = chip.mainMemoryIndex()) return *dram;
  ARCHSIM_PANIC("chip " + chip.name + " has neither DRAM nor SRAM to hold a model");
}

/// Stable ids by name (in graph order), each tensor's footprint at the largest KV length, and the
/// activation peak: what place() and measure() share.
void Placement::collect(const graph::Workload& workload) {
  kv_capacity_ = std::max<std::uint64_t>(1, workload.finalKvLength());
  Placement& p = *this;

  // Stable ids by name, in graph order; each tensor's footprint at the largest KV length.
  std::map<std::string, StableId> by_name;
  for (const graph::Run& run : workload.runs()) {
    const graph::Graph& g = *run.graph;
    if (p.ids_.count(&g)) continue;
    std::vector<StableId>& ids = p.ids_[&g];
    const std::uint64_t kv = g.effectiveKv(p.kv_capacity_);
    for (const graph::Tensor& t : g.tensors()) {
      auto [it, added] = by_name.emplace(t.name, static_cast<StableId>(p.homes_.size()));
      if (added) {
        p.homes_.push_back({0, 0, 0, t.role});
        p.names_.push_back(t.name);
      }
      p.homes_[it->second].bytes = std::max(p.homes_[it->second].bytes, t.bytes.at(kv));
      ids.push_back(it->second);
    }
  }
  // Activations: the most bytes of activation tensors live at once as the ops run in order, what
  // a memory planner reusing buffers needs.
  for (const graph::Run& run : workload.runs()) {
    const graph::Graph& g = *run.graph;
    const std::vector<std::uint64_t> live = liveActivationBytes(g, g.effectiveKv(p.kv_capacity_));
    if (!live.empty()) {
      p.activation_bytes_ =
          std::max(p.activation_bytes_,
                   heldLive(workload, run, *std::max_element(live.begin(), live.end())));
    }
  }
  for (const TensorHome& h : p.homes_) {
    if (h.role == TensorRole::kWeight) p.weight_bytes_ += h.bytes;
    if (h.role == TensorRole::kKv) p.kv_bytes_ += h.bytes;
  }
  // What the KV cache takes is what its sequences hold: a serving pass lays every cache row out
  // at its longest sequence (rows address alike) but holds each sequence's own entries.
  const auto [held, laid] = workload.kvEntries();
  if (held < laid) {
    const std::uint64_t laid_out = p.kv_bytes_;
    p.kv_bytes_ = static_cast<std::uint64_t>(static_cast<Uint128>(laid_out) * held / laid);
    p.kv_unheld_bytes_ = laid_out - p.kv_bytes_;
  }
}

Footprint measure(const graph::Workload& workload) {
  Placement p;
  p.collect(workload);
  Footprint f;
  for (std::size_t id = 0; id < p.size(); ++id) {
    const TensorHome& h = p.home(static_cast<StableId>(id));
    if (h.role == TensorRole::kWeight) f.weight_bytes += align(h.bytes);
    if (h.role == TensorRole::kKv) f.kv_bytes += align(h.bytes);
  }
  f.activation_bytes = align(std::max<std::uint64_t>(p.activationBytes(), kAlignment));
  return f;
}

std::vector<ModelPart> opParts(const graph::Graph& g) {
  std::vector<ModelPart> parts;
  bool seen_layer = false;
  for (const graph::Op& op : g.ops()) {
    seen_layer |= op.layer >= 0;
    parts.push_back(op.layer >= 0 ? ModelPart::kLayers
                    : seen_layer  ? ModelPart::kHead
                                  : ModelPart::kEmbedding);
  }
  return parts;
}

PartFootprints measureParts(const graph::Workload& workload) {
  Placement p;
  p.collect(workload);
  constexpr std::size_t kEmbedding = 0, kLayer = 1, kHead = 2, kParts = 3;
  // Which parts touch each stable tensor, and each part's activation peak.
  std::vector<std::array<bool, kParts>> touched(p.size(), {false, false, false});
  std::array<std::uint64_t, kParts> arena{0, 0, 0};
  for (const graph::Run& run : workload.runs()) {
    const graph::Graph& g = *run.graph;
    const std::uint64_t kv = g.effectiveKv(p.kv_capacity_);
    const std::vector<ModelPart> parts = opParts(g);
    const std::vector<std::uint64_t> live = liveActivationBytes(g, kv);
    for (const graph::Op& op : g.ops()) {
      const std::size_t part = static_cast<std::size_t>(parts[op.id]);
      for (const auto* uses : {&op.reads, &op.writes}) {
        for (const graph::TensorUse& u : *uses)
          touched[p.stable(g, u.tensor)][part] = true;
      }
      arena[part] = std::max(arena[part], heldLive(workload, run, live[op.id]));
    }
  }
  const std::uint64_t layers = std::max<std::uint64_t>(1, workload.shard().layers());
  PartFootprints out;
  auto add = [&](Footprint& f, const TensorHome& h) {
    if (h.role == TensorRole::kWeight) f.weight_bytes += align(h.bytes);
    if (h.role == TensorRole::kKv) f.kv_bytes += align(h.bytes);
  };
  // A tensor no op touches is still stored (the weights of experts no token picked): its layer
  // says whose it is.
  std::vector<int> layer_of(p.size(), -1);
  for (const graph::Run& run : workload.runs()) {
    for (const graph::Tensor& t : run.graph->tensors())
      layer_of[p.stable(*run.graph, t.id)] = t.layer;
  }
  for (std::size_t id = 0; id < p.size(); ++id) {
    if (touched[id] == std::array<bool, kParts>{false, false, false})
      touched[id][layer_of[id] >= 0 ? kLayer : kEmbedding] = true;
    const TensorHome& h = p.home(static_cast<StableId>(id));
    if (touched[id][kEmbedding]) add(out.embedding, h);
    if (touched[id][kLayer]) add(out.layer, h);
    if (touched[id][kHead]) add(out.head, h);
    if (touched[id][kEmbedding] || touched[id][kHead]) add(out.embedding_and_head, h);
  }
  out.layer.weight_bytes /= layers;
  out.layer.kv_bytes /= layers;
  auto arenaOf = [](std::uint64_t bytes) {
    return align(std::max<std::uint64_t>(bytes, kAlignment));
  };
  out.embedding.activation_bytes = arenaOf(arena[kEmbedding]);
  out.layer.activation_bytes = arenaOf(arena[kLayer]);
  out.head.activation_bytes = arenaOf(arena[kHead]);
  out.embedding_and_head.activation_bytes =
      std::max(out.embedding.activation_bytes, out.head.activation_bytes);
  return out;
}

Placement place(const spec::ChipSpec& chip, const graph::Workload& workload,
                const spec::PlacementPolicy& policy, const spec::SoftwareSpec& software) {
  const spec::ModelSpec& model = workload.model();
  Placement p;
  p.collect(workload);

  const std::optional<std::size_t> sram = persistentSram(chip);
  const std::optional<std::size_t> dram = chip.mainMemoryIndex();
  const std::uint64_t sram_bytes = sram ? chip.memory[*sram].size_bytes : 0;
  const std::string sram_name = sram ? chip.memory[*sram].name : "";

  // Weights.
  const bool fit_weights = sram && p.weight_bytes_ + p.activation_bytes_ <= sram_bytes;
  switch (policy.weights) {
    case spec::WeightPlacement::kAuto:
      p.weights_resident_ = fit_weights;
      break;
    case spec::WeightPlacement::kResident:
      if (!sram) {
        throw ConfigError(
            kScenario, "placement.weights",
            fmt::format(
                "weights cannot be resident on {}: it has no SRAM that persists between ops "
                "(its execution style is '{}')",
                chip.name, spec::executionStyleName(chip.execution.style)));
      }
      if (!fit_weights) {
        throw ConfigError(
            kScenario, "placement.weights",
            fmt::format("weights need {} (plus {} of activations), {} holds {}",
                        spec::formatSize(p.weight_bytes_), spec::formatSize(p.activation_bytes_),
                        sram_name, spec::formatSize(sram_bytes)));
      }
      p.weights_resident_ = true;
      break;
    case spec::WeightPlacement::kStreamed:
      if (!dram) {
        throw ConfigError(
            kScenario, "placement.weights",
            fmt::format("weights cannot be streamed on {}: it has no DRAM level", chip.name));
      }
      p.weights_resident_ = false;
      break;
  }
  if (!p.weights_resident_ && !dram) {
    throw ConfigError(
        kScenario, "model",
        fmt::format("{}'s weights need {}, {} holds {} and {} has no HBM/DRAM to stream them from; "
                    "use a system with more chips or a smaller model",
                    model.name, spec::formatSize(p.weight_bytes_),
                    sram_name.empty() ? "the chip" : sram_name, spec::formatSize(sram_bytes),
                    chip.name));
  }

  // KV cache: on chip when it fits beside what is already there.
  const std::uint64_t on_chip_used =
      (p.weights_resident_ ? p.weight_bytes_ : 0) + p.activation_bytes_;
  const bool kv_fits = sram && on_chip_used + p.kv_bytes_ <= sram_bytes;
  switch (policy.kv) {
    case spec::KvPlacement::kAuto:
      p.kv_on_chip_ = kv_fits && (p.weights_resident_ || !dram);
      break;
    case spec::KvPlacement::kOnChip:
      if (!kv_fits) {
        throw ConfigError(
            kScenario, "placement.kv",
            fmt::format(
                "the KV cache needs {}, {} has {} left", spec::formatSize(p.kv_bytes_),
                sram_name.empty() ? chip.name + " has no persistent SRAM and" : sram_name,
                spec::formatSize(sram_bytes > on_chip_used ? sram_bytes - on_chip_used : 0)));
      }
      p.kv_on_chip_ = true;
      break;
    case spec::KvPlacement::kOffChip:
      if (!dram)
        throw ConfigError(kScenario, "placement.kv",
                          fmt::format("{} has no DRAM level", chip.name));
      p.kv_on_chip_ = false;
      break;
  }
  if (!p.kv_on_chip_ && !dram) {
    throw ConfigError(
        kScenario, "model",
        fmt::format(
            "the KV cache needs {} beyond the {} of weights and {} of activations, {} holds {} and "
            "{} has no DRAM",
            spec::formatSize(p.kv_bytes_), spec::formatSize(p.weight_bytes_),
            spec::formatSize(p.activation_bytes_), sram_name, spec::formatSize(sram_bytes),
            chip.name));
  }
  const bool activations_on_chip =
      sram && (!dram || on_chip_used + (p.kv_on_chip_ ? p.kv_bytes_ : 0) <= sram_bytes);

  // Addresses: weights and KV get their own ranges (a bump allocator per level, in stable-id
  // order); activations share one arena of the peak working set, as frameworks reuse buffers —
  // their addresses only decide DRAM channel striping (caches key on tensors, not addresses).
  p.bytes_per_level_.assign(chip.memory.size(), 0);
  std::vector<std::map<TensorRole, std::uint64_t>> by_role(chip.memory.size());
  const std::size_t activation_level = activations_on_chip ? *sram : *dram;
  for (TensorHome& h : p.homes_) {
    if (h.role == TensorRole::kActivation || h.role == TensorRole::kOutput) continue;
    const bool on_chip = h.role == TensorRole::kWeight ? p.weights_resident_ : p.kv_on_chip_;
    h.level = on_chip ? *sram : *dram;
    h.address = p.bytes_per_level_[h.level];
    p.bytes_per_level_[h.level] = align(h.address + h.bytes);
    by_role[h.level][h.role] += h.bytes;
  }
  const std::uint64_t arena_base = p.bytes_per_level_[activation_level];
  const std::uint64_t arena = align(std::max<std::uint64_t>(p.activation_bytes_, kAlignment));
  std::uint64_t cursor = 0;
  for (TensorHome& h : p.homes_) {
    if (h.role != TensorRole::kActivation && h.role != TensorRole::kOutput) continue;
    if (cursor + h.bytes > arena) cursor = 0;
    h.level = activation_level;
    h.address = arena_base + cursor;
    cursor = align(cursor + std::min(h.bytes, arena));
  }
  p.bytes_per_level_[activation_level] += arena;
  by_role[activation_level][TensorRole::kActivation] += arena;
  for (std::size_t i = 0; i < chip.memory.size(); ++i) {
    const std::uint64_t usable = modelBytesOf(chip, i, software);  // the stack's share is not
    // (a paged KV cache takes what its sequences hold, not the rows' laid-out length)
    const std::uint64_t unheld = std::min(p.kv_unheld_bytes_, by_role[i][TensorRole::kKv]);
    by_role[i][TensorRole::kKv] -= unheld;
    if (p.bytes_per_level_[i] - unheld > usable) {
      const std::string holds = usable == chip.memory[i].size_bytes
                                    ? spec::formatSize(usable)
                                    : fmt::format("{} of which the software stack '{}' leaves {}",
                                                  spec::formatSize(chip.memory[i].size_bytes),
                                                  software.name, spec::formatSize(usable));
      throw ConfigError(
          kScenario, "model",
          fmt::format("{} needs {} in {} (weights {}, KV cache {}, activations {}), which holds "
                      "{}; use a system with more chips or a smaller model",
                      model.name, spec::formatSize(p.bytes_per_level_[i] - unheld),
                      chip.memory[i].name, spec::formatSize(by_role[i][TensorRole::kWeight]),
                      spec::formatSize(by_role[i][TensorRole::kKv]),
                      spec::formatSize(by_role[i][TensorRole::kActivation]), holds));
    }
  }
  if (dram) {
    const std::uint64_t usable = modelBytesOf(chip, *dram, software);
    if (usable < chip.memory[*dram].size_bytes) {
      p.decisions_.push_back(fmt::format("software '{}' keeps {} of {} for itself", software.name,
                                         spec::formatSize(chip.memory[*dram].size_bytes - usable),
                                         chip.memory[*dram].name));
    }
    // The stack's KV pool bounds how many sequences it keeps at once (the same charge plan
    // search sizes for); a batch beyond it still runs here as given, as a serving stack would
    // queue some of it.
    const std::uint64_t rest =
        by_role[*dram][TensorRole::kWeight] + by_role[*dram][TensorRole::kActivation];
    if (!p.kv_on_chip_ && saturatingAdd(rest, software.kvCharge(p.kv_bytes_)) > usable) {
      const double pool =
          software.kv_cache_fraction * static_cast<double>(usable > rest ? usable - rest : 0);
      p.decisions_.push_back(fmt::format(
          "KV cache {} is more than the {} pool software '{}' would allocate ({:.3g}% of what "
          "weights and activations leave): it would keep fewer sequences at once",
          spec::formatSize(p.kv_bytes_), spec::formatSize(static_cast<std::uint64_t>(pool)),
          software.name, 100.0 * software.kv_cache_fraction));
    }
  }
  p.decisions_.push_back(fmt::format(
      "weights {} ({}): {}", p.weights_resident_ ? "resident" : "streamed",
      spec::formatSize(p.weight_bytes_), chip.memory[p.weights_resident_ ? *sram : *dram].name));
  if (!model.isEncoder()) {
    p.decisions_.push_back(fmt::format("KV cache ({}): {}", spec::formatSize(p.kv_bytes_),
                                       chip.memory[p.kv_on_chip_ ? *sram : *dram].name));
  }
  p.decisions_.push_back(fmt::format("activations (peak working set {}): {}",
                                     spec::formatSize(p.activation_bytes_),
                                     chip.memory[activations_on_chip ? *sram : *dram].name));
  return p;
}

}  // namespace archsim::map
