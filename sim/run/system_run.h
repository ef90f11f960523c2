// SystemRun: a user's scenario on a system under a parallel plan — the layer above exec that maps,
// simulates, composes and measures a run, once.
//
// How a run is simulated:
// 1. The plan is resolved (explicit, or `auto`: run/plan_search.h) and map::shapeRun() turns the
//    scenario and the layout into one StageShape per distinct pipeline stage (map/stage.h).
// 2. Each distinct shape runs on one representative chip (exec::ChipRun): its shard on one
//    microbatch, tile by tile, in its own Simulation. Its collective ops run on the whole system's
//    topology in that Simulation, over the chips of its tensor-parallel group, so the group's link
//    traffic contends as it would (the ranks of a group are symmetric).
// 3. The stages are composed into a pipeline (exec/pipeline.h): every microbatch flows through the
//    stages, activations cross the topology between stages, tokens return to the first stage.
//    Data-parallel replicas are independent copies: they multiply throughput, energy and chips.
//    A one-chip, one-microbatch plan composes to exactly its chip's timeline.
// 4. The metrics are computed once from the user's scenario and the composed timeline
//    (run/metrics.h); every output reads them from here.
//
// Timeline: prefill — until the last microbatch's first token; decode — the steady-state time
// between tokens of one sequence (the pipeline runs three rounds of the step, the last interval
// is taken); generate — prefill then every decode step. Energy: every chip's dynamic energy (each
// stage's simulated chip x its tensor-parallel ranks x microbatches x replicas), the links between
// stages, and every chip's static power over the run.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/exec/chip_run.h"
#include "sim/exec/pipeline.h"
#include "sim/exec/run_result.h"
#include "sim/map/stage.h"
#include "sim/run/metrics.h"
#include "sim/run/run_options.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::run {

/// The composed result: every simulated chip's op records (with their stage, times relative to
/// the chip's measured start), totals over every chip of the plan, energy and the metrics.
struct Result : exec::RunResult {
  double static_energy_j = 0.0;
  Metrics metrics;
};

class SystemRun {
 public:
  /// Everything a run produced (movable, so the plan search can hand over the run it simulated).
  struct State {
    map::RunShape shape;
    std::vector<std::unique_ptr<exec::ChipRun>> chips;
    exec::PipelineResult pipeline;
    Result result;
  };

  /// Resolves the scenario's plan on `system` and runs it. Throws ConfigError when the plan is
  /// invalid for the system, a stage does not fit its chip, or the chip cannot compute in the
  /// scenario's formats. `progress` (optional) hears from each simulated chip as it runs.
  SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
            exec::ProgressSink* progress = nullptr, const RunOptions& options = {});
  /// Runs `scenario` under a layout chosen by the caller (the plan search).
  SystemRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
            const map::ParallelLayout& layout, exec::ProgressSink* progress = nullptr,
            const RunOptions& options = {});

  const spec::SystemSpec& system() const { return system_; }
  /// The user's scenario, as given.
  const spec::ScenarioSpec& scenario() const { return scenario_; }
  const map::ParallelLayout& layout() const { return s_.shape.layout; }
  const map::RunShape& shape() const { return s_.shape; }
  /// The simulated chips, one per distinct stage shape, in stage order.
  std::size_t simulatedChips() const { return s_.chips.size(); }
  const exec::ChipRun& chip(std::size_t i) const { return *s_.chips.at(i); }
  /// The simulated chip that stands for pipeline stage `stage`.
  std::size_t chipOfStage(std::size_t stage) const { return s_.shape.shape_of_stage.at(stage); }
  /// The first stage each simulated chip stands for.
  std::size_t stageOfChip(std::size_t chip) const {
    return s_.shape.shapes.at(chip).stages.front();
  }
  const exec::PipelineResult& pipeline() const { return s_.pipeline; }
  const Result& result() const { return s_.result; }
  const Metrics& metrics() const { return s_.result.metrics; }
  /// Hands over what the run produced (the run is left empty).
  State release() { return std::move(s_); }

  /// Op time by bound ("compute", a memory level, "network", "latency"), summed over every stage
  /// (one microbatch on one rank), in seconds, with the gaps no op fills: "launch" (the gap before
  /// each op execution on kernel chips) and "overhead" (the software's host time per step); and
  /// the resource with the most time (the gaps are not resources: they are shown, not named).
  std::vector<std::pair<std::string, double>> timeByBound() const;
  std::string bindingResource() const;
  /// The software stack's host time before each pass of one microbatch (pipeline host server).
  Tick hostStepTicks() const;
  /// Memory of the chips the plan uses: their DRAM and the SRAM that holds data between ops.
  std::uint64_t memoryBytes() const;

 private:
  /// Op time by bound alone (the resources the ops were bound by).
  std::map<std::string, double> opTimeByBound() const;
  void simulate(exec::ProgressSink* progress, const RunOptions& options);
  void compose();

  const spec::SystemSpec& system_;
  spec::ScenarioSpec scenario_;
  State s_;
};

}  // namespace archsim::run
