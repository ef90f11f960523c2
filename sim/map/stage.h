// Stage shapes: the one place where a user's scenario and a parallel plan become what each chip
// computes.
//
// Contract: map::shapeRun() is called once per run, above exec (run/system_run.h). It turns the
// scenario and the resolved layout into one StageShape per distinct pipeline stage — the model
// slice, the layers, the sequences in the graph (one microbatch) and in the KV cache (every
// microbatch of the replica), the tensor-parallel group, the placement policy, the software's
// per-op cost and the bytes the stage hands the next one. Exec builds and runs a stage from its
// shape alone and never reads the scenario; metrics are computed above exec from the scenario and
// the run's timeline (run/metrics.h).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/time.h"
#include "sim/graph/builder.h"
#include "sim/graph/shard.h"
#include "sim/map/parallel.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::map {

struct StageShape {
  /// The pipeline stages with this shape, ascending; the first is the one simulated.
  std::vector<std::size_t> stages;
  StageLayers layers;
  graph::Shard shard;  // what each chip of the stage computes per microbatch
  std::uint32_t microbatches = 1;
  /// The tensor-parallel group of the first stage (replica 0) in ring order; empty at tp 1.
  std::vector<std::uint32_t> group;
  spec::PlacementPolicy placement;
  spec::SoftwareSpec software;  // its host time per op and the device memory it keeps

  /// Bytes one rank sends the next stage per microbatch in a pass of `phase` (0 on the last stage).
  std::uint64_t boundaryBytes(graph::GraphPhase phase) const;
};

/// A run, mapped: the layout, the distinct stage shapes and which shape each stage has.
struct RunShape {
  ParallelLayout layout;
  std::vector<StageShape> shapes;           // in order of their first stage
  std::vector<std::size_t> shape_of_stage;  // one per pipeline stage
  std::uint64_t token_bytes = 0;  // the token ids of one microbatch, returned to the first stage

  const StageShape& ofStage(std::size_t stage) const { return shapes.at(shape_of_stage.at(stage)); }
};

/// The stage shapes of `scenario` under `layout` (see above).
RunShape shapeRun(const spec::ScenarioSpec& scenario, const ParallelLayout& layout);

/// The shard of stage `layers` under `layout`: what shapeRun() puts in its StageShape.
graph::Shard stageShard(const spec::ScenarioSpec& scenario, const ParallelLayout& layout,
                        const StageLayers& layers);

/// The whole scenario on one chip (tp 1, pp 1, one microbatch).
StageShape oneChipStage(const spec::ScenarioSpec& scenario);

}  // namespace archsim::map
