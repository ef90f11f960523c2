// Parallel plans: how a scenario spreads over the chips of a system.
//
// A plan is tp x pp x dp chips (ep reuses the tensor-parallel group). Chips are numbered so the
// tensor-parallel group is innermost (consecutive chips, the same node on every preset), then the
// pipeline stages, then the data-parallel replicas:
//   chip = (replica x pp + stage) x tp + rank.
// Each chip of a stage runs the same shard (graph::Shard) of the model on its microbatch; the ranks
// of a tensor-parallel group are symmetric, so one representative per distinct stage is simulated
// (exec/system_run.h).
//
// Stage layout: contiguous layer ranges, the embedding on the first stage and the final norm and
// LM head on the last. Layers are split to balance the stages' memory (an exact dynamic program
// over the per-layer, embedding and head footprints), which for equal layers gives the first and
// last stage the smaller shares when the split is uneven.
//
// `auto` and `archsim fit` pick the plan with the fewest chips whose every stage fits one chip's
// memory level; among equally small plans the largest tensor-parallel degree that stays inside the
// innermost topology level (TP within the node, pipeline across nodes, as Megatron-LM advises).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/builder.h"
#include "sim/map/placement.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::map {

struct StageLayers {
  std::uint64_t first_layer = 0;
  std::uint64_t end_layer = 0;  // exclusive
  bool embedding = false;
  bool head = false;
  bool operator==(const StageLayers&) const = default;
};

struct ParallelLayout {
  spec::ParallelPlan plan;          // resolved: `automatic` is false
  std::vector<StageLayers> stages;  // pp of them
  std::uint64_t replica_batch = 1;  // sequences per data-parallel replica
  std::uint64_t micro_batch = 1;    // sequences per microbatch

  std::uint64_t chips() const { return plan.chips(); }
  /// The chips of stage `stage` of replica `replica`, in ring order.
  std::vector<std::uint32_t> stageChips(std::size_t stage, std::uint64_t replica = 0) const;
  /// "tp 8 x pp 1 x dp 1" (+ ep, microbatches, sequence parallel when set).
  std::string describe() const;
};

/// Contiguous layer ranges for `stages` stages minimizing the largest stage's bytes, given the
/// bytes of one layer, of the embedding and of the head (extra bytes a stage with them carries).
std::vector<StageLayers> balanceStages(std::uint64_t layers, std::uint64_t stages,
                                       std::uint64_t layer_bytes, std::uint64_t embedding_bytes,
                                       std::uint64_t head_bytes);

/// The tensor-parallel degrees the model allows (tp divides heads and ffn; KV heads divide by tp
/// or tp by them), ascending.
std::vector<std::uint32_t> tensorParallelDegrees(const spec::ModelSpec& model);

/// One rank's memory, by part, at a tensor-parallel degree.
struct ShardFootprint {
  std::uint32_t tp = 1;
  Footprint embedding;           // the embedding alone (its activations included)
  Footprint layer;               // one transformer layer
  Footprint head;                // the final norm, LM head and sampling
  Footprint embedding_and_head;  // both on one stage (tied embeddings share the table)
  /// Bytes of a stage: weights and KV of its parts plus the largest of their activation arenas.
  std::uint64_t stageBytes(const StageLayers& stage) const;
};
/// Measured from one workload of the embedding, one layer and the head at this degree.
ShardFootprint shardFootprint(const spec::ScenarioSpec& scenario, std::uint32_t tp,
                              std::uint32_t ep = 1);

/// `f` as it counts against level `level`: on the main memory each part's KV cache costs what
/// the software stack charges for it (spec::SoftwareSpec::kvCharge).
ShardFootprint chargedFootprint(ShardFootprint f, const spec::ChipSpec& chip, std::size_t level,
                                const spec::SoftwareSpec& software);

/// balanceStages() by the bytes of `f`'s parts.
std::vector<StageLayers> balanceStages(const ShardFootprint& f, std::uint64_t layers,
                                       std::uint64_t stages);
/// The fewest byte-balanced stages whose fullest chip holds at most `limit` bytes (0: none fits
/// even at one layer a stage); their layers in `stages` when given.
std::uint64_t fewestStages(const ShardFootprint& f, std::uint64_t layers, std::uint64_t limit,
                           std::vector<StageLayers>* stages = nullptr);

struct FitResult {
  std::string level;              // the memory level that must hold everything
  std::uint64_t level_bytes = 0;  // its capacity per chip
  ParallelLayout layout;          // dp 1, one microbatch
  std::uint64_t chips = 0;
  std::uint64_t model_bytes =
      0;  // weights + KV + activations of the whole model on one chip (tp 1)
  std::vector<std::uint64_t> stage_bytes;  // per stage, per chip
  /// Every tensor-parallel degree tried: the chips it needs (0: no pipeline depth fits).
  std::vector<std::pair<std::uint32_t, std::uint64_t>> candidates;
};

/// The fewest chips of `chip` that hold the scenario in memory level `level` (nullopt: where
/// placement puts weights — the persistent SRAM of a dataflow or SRAM-only chip, else DRAM).
/// `tp_preference`: the largest tensor-parallel degree preferred among equally small plans (the
/// innermost topology level). `max_chips` (0: unbounded) limits the search; ConfigError when no
/// plan fits, or the level is unknown.
FitResult fit(const spec::ChipSpec& chip, const spec::ScenarioSpec& scenario,
              const std::optional<std::string>& level, std::uint32_t tp_preference,
              std::uint64_t max_chips = 0);

/// The scenario's explicit plan on `system` (`pp: auto` resolved to the fewest stages that hold a
/// replica at its tp). Throws ConfigError (at the plan's location) when the plan needs more chips
/// than the system has. Automatic plans are searched above exec (run/plan_search.h).
ParallelLayout explicitLayout(const spec::ScenarioSpec& scenario, const spec::SystemSpec& system);

}  // namespace archsim::map
