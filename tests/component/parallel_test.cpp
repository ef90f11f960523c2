// Parallel plans: sharded graphs hold exactly their share, stages balance, fit finds the exact
// fewest chips, and the pipeline composition lands on the textbook closed forms.
#include "sim/map/parallel.h"

#include <numeric>

#include <doctest/doctest.h>

#include "sim/exec/pipeline.h"
#include "sim/graph/workload.h"
#include "sim/map/stage.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

spec::ScenarioSpec scenario(const std::string& name, const std::vector<std::string>& sets = {}) {
  return spec::loadScenario(presetCatalog(), name, sets).spec;
}

std::uint64_t weightBytes(const graph::Graph& g) {
  std::uint64_t b = 0;
  for (const graph::Tensor& t : g.tensors()) {
    if (t.role == graph::TensorRole::kWeight) b += t.bytes.at(0);
  }
  return b;
}

struct Collectives {
  std::map<graph::CollectiveKind, std::uint64_t> count;
  std::map<graph::CollectiveKind, std::uint64_t> bytes;
};
Collectives collectives(const graph::Graph& g, std::uint64_t kv) {
  Collectives c;
  for (const graph::Op& op : g.ops()) {
    if (!op.collective) continue;
    ++c.count[op.collective->kind];
    c.bytes[op.collective->kind] += op.collective->bytes.at(kv);
  }
  return c;
}

/// One rank's graphs for `plan` over the whole model (one stage).
std::unique_ptr<graph::Workload> rankWorkload(const spec::ScenarioSpec& s,
                                              const spec::ParallelPlan& plan) {
  map::ParallelLayout layout;
  layout.plan = plan;
  layout.replica_batch = s.batch;
  layout.micro_batch = s.batch;
  layout.stages = {{0, s.model.layers, true, true}};
  return std::make_unique<graph::Workload>(map::stageShard(s, layout, layout.stages.front()));
}

}  // namespace

TEST_CASE(
    "Tensor parallelism: a rank holds 1/tp of every matrix, all of every norm, and all-reduces "
    "twice a layer") {
  const spec::ScenarioSpec s = scenario("llama2-70b-decode");
  const graph::Workload full(s);
  spec::ParallelPlan plan;
  plan.tp = 8;
  const auto rank = rankWorkload(s, plan);
  const graph::Graph& g = *rank->decodeGraph();
  // Norm weights are replicated: two per layer and the final one, hidden x 2 bytes each.
  const std::uint64_t norms = (2 * 80 + 1) * 8192 * 2;
  CHECK(weightBytes(g) == (weightBytes(*full.decodeGraph()) - norms) / 8 + norms);
  const Collectives c = collectives(g, 2048);
  CHECK(c.count.at(graph::CollectiveKind::kAllReduce) ==
        2 * 80 + 1);  // + the vocab-parallel embedding
  CHECK(c.bytes.at(graph::CollectiveKind::kAllReduce) ==
        (2 * 80 + 1) * 8192 * 2);                                 // one token's hidden state
  CHECK(c.count.at(graph::CollectiveKind::kAllGather) == 1);      // the sampling candidates
  CHECK(c.bytes.at(graph::CollectiveKind::kAllGather) == 8 * 8);  // (value, index) x 8 ranks
  // GQA: 8 KV heads over 8 ranks, one each; the KV cache per rank is 1/8.
  CHECK(rank->shard().slice.kv_heads == 1);
  CHECK(graph::kvBytesPerToken(rank->model(), rank->shard().dtypes.kv) == 327680);
}

TEST_CASE(
    "Sequence parallelism: reduce-scatter after, all-gather before each block; the same bytes as "
    "all-reduce") {
  const spec::ScenarioSpec s = scenario("llama2-7b-prefill", {"prompt_tokens=64"});
  spec::ParallelPlan plan;
  plan.tp = 4;
  plan.sequence_parallel = true;
  const auto rank = rankWorkload(s, plan);
  const Collectives c = collectives(*rank->prefillGraph(), 64);
  CHECK(c.count.at(graph::CollectiveKind::kReduceScatter) == 2 * 32 + 1);
  CHECK(c.count.at(graph::CollectiveKind::kAllGather) ==
        2 * 32 + 1 + 1);  // + final norm, + sampling
  CHECK(c.bytes.at(graph::CollectiveKind::kReduceScatter) == (2 * 32 + 1) * 64 * 4096 * 2);
  CHECK(c.count.count(graph::CollectiveKind::kAllReduce) == 0);
  // Norms and residual adds run on 64 / 4 = 16 rows.
  for (const graph::Op& op : rank->prefillGraph()->ops()) {
    if (op.name == "L0.attn_norm") CHECK(op.vector_flops.at(64) == 16 * 4096 * 4);
  }
}

TEST_CASE(
    "Expert parallelism: all-to-all dispatch and combine around each MoE block, experts / ep per "
    "rank") {
  const spec::ScenarioSpec s = scenario("mixtral-8x7b-decode", {"batch=8"});
  spec::ParallelPlan plan;
  plan.tp = 2;
  plan.ep = 2;
  const auto rank = rankWorkload(s, plan);
  const graph::Graph& g = *rank->decodeGraph();
  const Collectives c = collectives(g, 2048);
  CHECK(c.count.at(graph::CollectiveKind::kAllToAll) == 2 * 32);
  // Dispatch: this rank's 4 of the 8 tokens, each to top-2 experts, 4096 x 2 bytes each; combine
  // returns what its 4 experts received (8 x 2 / 8 = 2 tokens each).
  CHECK(c.bytes.at(graph::CollectiveKind::kAllToAll) == 32 * (4 * 2 * 4096 * 2 + 4 * 2 * 4096 * 2));
  std::set<int> experts;
  for (const graph::Op& op : g.ops()) {
    if (op.layer == 0 && op.expert >= 0) experts.insert(op.expert);
  }
  CHECK(experts == std::set<int>{0, 1, 2, 3});
}

TEST_CASE(
    "Stages balance bytes: with equal layers the first and last stage take the smaller shares") {
  const auto stages = map::balanceStages(80, 3, 10, 5, 5);
  REQUIRE(stages.size() == 3);
  CHECK(stages[0] == map::StageLayers{0, 26, true, false});
  CHECK(stages[1] == map::StageLayers{26, 53, false, false});
  CHECK(stages[2] == map::StageLayers{53, 80, false, true});
  CHECK(map::tensorParallelDegrees(scenario("llama2-70b-decode").model) ==
        std::vector<std::uint32_t>{1, 2, 4, 8, 16, 32, 64});
}

TEST_CASE(
    "fit: Llama-2-70B needs 656 GroqChips at fp16 (tp 16 x pp 41) and 328 at int8 (tp 8 x pp 41)") {
  const spec::ChipSpec groq = spec::loadSystem(presetCatalog(), "groqchip").spec.chip;
  for (const auto& [weights_binding, chips, tp] :
       {std::tuple{"bf16", 656, 16}, std::tuple{"int8", 328, 8}}) {
    const char* weights = weights_binding;  // CAPTURE's lambda cannot take a structured binding
    CAPTURE(weights);
    const spec::ScenarioSpec s =
        scenario("llama2-70b-decode", {std::string("dtypes.weights=") + weights});
    const map::FitResult f = map::fit(groq, s, std::nullopt, 8);
    CHECK(f.level == "sram");
    CHECK(f.chips == static_cast<std::uint64_t>(chips));
    CHECK(f.layout.plan.tp == static_cast<std::uint32_t>(tp));
    REQUIRE(f.layout.plan.pp == 41);
    // Two layers a chip fit, three do not; the embedding and the head each push one layer out.
    CHECK(f.layout.stages.front() == map::StageLayers{0, 1, true, false});
    CHECK(f.layout.stages.back() == map::StageLayers{79, 80, false, true});
    for (std::size_t i = 1; i + 1 < f.layout.stages.size(); ++i) {
      CHECK(f.layout.stages[i].end_layer - f.layout.stages[i].first_layer == 2);
    }
    // What fit counted is what placement lays out, byte for byte.
    for (std::size_t i : {std::size_t{0}, std::size_t{1}, f.layout.stages.size() - 1}) {
      const graph::Workload w(map::stageShard(s, f.layout, f.layout.stages[i]));
      const map::Placement p = map::place(groq, w);
      CHECK(p.bytesPerLevel().front() == f.stage_bytes[i]);
      CHECK(f.stage_bytes[i] <= f.level_bytes);
    }
  }
  // On HBM GPUs: two H100s, tensor-parallel (preferred over a 2-stage pipeline at the same count).
  const spec::ChipSpec h100 = spec::loadSystem(presetCatalog(), "h100-sxm5").spec.chip;
  const map::FitResult h = map::fit(h100, scenario("llama2-70b-decode"), std::nullopt, 8);
  CHECK(h.level == "hbm");
  CHECK(h.chips == 2);
  CHECK(h.layout.plan.tp == 2);
  CHECK(h.layout.plan.pp == 1);
}

TEST_CASE("Pipeline: p stages, m microbatches take (m + p - 1) t + (p - 1) x on idle links") {
  const spec::SystemSpec ring = ringSystem(4);
  constexpr Tick t = 1'000'000'000;                                 // 1 ms a stage
  constexpr std::uint64_t S = 10'000'000;                           // 10 MB of activations
  const Tick x = transferTicks(S, 100'000'000'000ULL) + 1'000'000;  // one hop: S / B + 1 us
  for (std::uint32_t m : {1u, 4u}) {
    exec::PipelineInput in;
    in.stage_steps = {{t}, {t}, {t}, {t}};
    in.stage_chips = {{0}, {1}, {2}, {3}};
    in.boundary_bytes = {S};
    in.microbatches = m;
    const exec::PipelineResult r = exec::runPipeline(ring, in);
    CHECK(r.end == (m + 4 - 1) * t + 3 * x);
    CHECK(r.p2p_bytes == 3 * m * S);
  }
}

TEST_CASE(
    "Pipelined decode: the step period is p t + transfers + token return, or m t once microbatches "
    "fill it") {
  const spec::SystemSpec ring = ringSystem(4);
  constexpr Tick t = 1'000'000'000;
  constexpr std::uint64_t S = 16384;
  const Tick x = transferTicks(S, 100'000'000'000ULL) + 1'000'000;
  const Tick y =
      transferTicks(4, 100'000'000'000ULL) + 1'000'000;  // chip 3 -> chip 0 is one hop on the ring
  for (std::uint32_t m : {1u, 8u}) {
    exec::PipelineInput in;
    in.stage_steps.assign(4, {t, t, t});
    in.stage_chips = {{0}, {1}, {2}, {3}};
    in.boundary_bytes = {S, S, S};
    in.token_bytes = 4;
    in.microbatches = m;
    const exec::PipelineResult r = exec::runPipeline(ring, in);
    const Tick period = r.finish[2][0] - r.finish[1][0];
    CHECK(period == (m == 1 ? 4 * t + 3 * x + y : m * t));
  }
}
