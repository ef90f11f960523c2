// SystemRun: a scenario on a system under a parallel plan (map/parallel.h).
//
// How a multi-chip run is simulated:
// 1. The plan is resolved (explicit, or `auto`: the fewest chips that hold the model).
// 2. One representative chip per distinct pipeline stage (by layer count and whether it holds the
//    embedding or the head) runs its shard on one microbatch, tile by tile, in its own Simulation.
//    Its collective ops run on the whole system's topology in that Simulation, over the chips of
//    its tensor-parallel group, so the group's link traffic contends as it would (the ranks of a
//    group are symmetric; the representative's timing is every rank's).
// 3. The stages are composed into a pipeline (exec/pipeline.h): microbatches flow through the
//    stages, activations cross the topology between stages, tokens return to the first stage.
//    Data-parallel replicas are independent copies: they multiply throughput, energy and chips.
// A one-chip plan is exactly the single-chip run.
//
// Metrics: prefill — time to the last microbatch's first token; decode — the steady-state time
// between tokens of one sequence (the pipeline is run for three rounds of the step, and the last
// interval is taken); generate — prefill then every decode step. Energy is every chip's dynamic
// energy (each stage's simulated chip x its tensor-parallel ranks x microbatches x replicas), the
// links between stages, and every chip's static power over the run.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/exec/chip_run.h"
#include "sim/exec/pipeline.h"
#include "sim/exec/run_result.h"
#include "sim/map/parallel.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {

class SystemRun {
 public:
  /// Builds and runs. Throws ConfigError when the plan is invalid for the system, a stage does not
  /// fit its chip, or the chip cannot compute in the scenario's formats.
  /// `progress` (optional) hears from each simulated chip as it runs.
  SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
            ProgressSink* progress = nullptr);

  const spec::SystemSpec& system() const { return system_; }
  const spec::ScenarioSpec& scenario() const { return scenario_; }
  const map::ParallelLayout& layout() const { return layout_; }
  /// The simulated chips, one per distinct stage, in stage order.
  std::size_t simulatedChips() const { return chips_.size(); }
  ChipRun& chip(std::size_t i) { return *chips_.at(i); }
  const ChipRun& chip(std::size_t i) const { return *chips_.at(i); }
  /// The simulated chip that stands for pipeline stage `stage`.
  std::size_t chipOfStage(std::size_t stage) const { return stage_chip_.at(stage); }
  /// The first stage each simulated chip stands for.
  std::size_t stageOfChip(std::size_t chip) const { return chip_stage_.at(chip); }
  /// The pipeline composition (absent for a one-chip plan).
  const std::optional<PipelineResult>& pipeline() const { return pipeline_; }
  const RunResult& result() const { return result_; }

  /// Op time by bound ("compute", a memory level, "network", "latency"), summed over every stage
  /// (one microbatch on one rank), in seconds; and the bound with the most time.
  std::vector<std::pair<std::string, double>> timeByBound() const;
  std::string bindingResource() const;
  /// Memory of the chips the plan uses: their DRAM and the SRAM that holds data between ops.
  std::uint64_t memoryBytes() const;

 private:
  void compose();

  const spec::SystemSpec& system_;
  spec::ScenarioSpec scenario_;
  map::ParallelLayout layout_;
  std::vector<std::unique_ptr<ChipRun>> chips_;
  std::vector<std::size_t> stage_chip_;
  std::vector<std::size_t> chip_stage_;
  std::optional<PipelineResult> pipeline_;
  RunResult result_;
};

}  // namespace archsim::exec
