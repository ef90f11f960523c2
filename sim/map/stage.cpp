#include "sim/map/stage.h"

#include <map>
#include <tuple>

namespace archsim::map {
namespace {
constexpr std::uint64_t kTokenIdBytes = 4;
}  // namespace

std::uint64_t StageShape::boundaryBytes(graph::GraphPhase phase) const {
  if (layers.head) return 0;
  return shard.boundaryBytes(phase == graph::GraphPhase::kPrefill ? shard.prompt_tokens : 1);
}

graph::Shard stageShard(const spec::ScenarioSpec& scenario, const ParallelLayout& layout,
                        const StageLayers& layers) {
  graph::Shard shard = graph::wholeModel(scenario);
  shard.slice = graph::ModelSlice::of(scenario.model, layout.plan.tp, layout.plan.ep);
  shard.tp = layout.plan.tp;
  shard.ep = layout.plan.ep;
  shard.sequence_parallel = layout.plan.sequence_parallel;
  shard.first_layer = layers.first_layer;
  shard.end_layer = layers.end_layer;
  shard.embedding = layers.embedding;
  shard.head = layers.head;
  shard.sequences = layout.micro_batch;
  shard.kv_sequences = layout.replica_batch;  // every microbatch's sequences stay in the cache
  return shard;
}

RunShape shapeRun(const spec::ScenarioSpec& scenario, const ParallelLayout& layout) {
  RunShape run;
  run.layout = layout;
  run.token_bytes = layout.micro_batch * kTokenIdBytes;
  // Stages differ by layer count and by holding the embedding or the head.
  std::map<std::tuple<std::uint64_t, bool, bool>, std::size_t> distinct;
  for (std::size_t s = 0; s < layout.stages.size(); ++s) {
    const StageLayers& st = layout.stages[s];
    const auto key = std::make_tuple(st.end_layer - st.first_layer, st.embedding, st.head);
    const auto [it, added] = distinct.emplace(key, run.shapes.size());
    run.shape_of_stage.push_back(it->second);
    if (!added) {
      run.shapes[it->second].stages.push_back(s);
      continue;
    }
    StageShape shape;
    shape.stages = {s};
    shape.layers = st;
    shape.shard = stageShard(scenario, layout, st);
    shape.microbatches = layout.plan.microbatches;
    if (layout.plan.tp > 1) shape.group = layout.stageChips(s);
    shape.placement = scenario.placement;
    shape.software = scenario.software;
    run.shapes.push_back(std::move(shape));
  }
  return run;
}

StageShape oneChipStage(const spec::ScenarioSpec& scenario) {
  ParallelLayout layout;
  layout.replica_batch = layout.micro_batch = scenario.batch;
  layout.stages = {{0, scenario.model.layers, true, true}};
  return shapeRun(scenario, layout).shapes.front();
}

}  // namespace archsim::map
