// Physics that must emerge from the simulation (direction and rough size), not be typed in.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/graph/summary.h"
#include "sim/report/run_report.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;

namespace {

struct Outcome {
  run::Result result;
  std::string stats;
};

Outcome simulate(const std::string& chip, const std::string& scenario,
                 const std::vector<std::string>& system_sets = {},
                 const std::vector<std::string>& scenario_sets = {}) {
  const spec::Catalog catalog = test::presetCatalog();
  const spec::LoadedSystem sys = spec::loadSystem(catalog, chip, system_sets);
  const spec::LoadedScenario sc = spec::loadScenario(catalog, scenario, scenario_sets);
  run::SystemRun r(sys.spec, sc.spec);
  return {r.result(), report::statsJson(r).dump()};
}

double hitRate(const run::Result& r, graph::TensorRole role) {
  const std::size_t i = exec::roleIndex(role);
  return static_cast<double>(r.totals.hit_bytes[i]) /
         static_cast<double>(r.totals.hit_bytes[i] + r.totals.miss_bytes[i]);
}

/// Matrix FLOPs per second of the weight matmuls, over their busy time.
double matmulFlopsPerSecond(const run::Result& r) {
  double flops = 0, seconds = 0;
  for (const exec::OpRecord& op : r.ops) {
    if (op.kind != graph::OpKind::kMatmul) continue;
    flops += static_cast<double>(op.matrix_flops);
    seconds += ticksToSeconds(op.busy);
  }
  return flops / seconds;
}

double weightBytes(const std::string& scenario) {
  return static_cast<double>(
      graph::summarize(graph::Workload(spec::loadScenario(test::presetCatalog(), scenario).spec))
          .weight_bytes);
}

}  // namespace

TEST_CASE(
    "Decode at batch 1 is HBM-bound: tpot between weight bytes / peak bandwidth and 1.75x that") {
  const Outcome o = simulate("h100-sxm5", "llama2-7b-decode");
  const double floor = weightBytes("llama2-7b-decode") / 3.35e12;
  REQUIRE(o.result.metrics.tpot_s);
  CHECK(*o.result.metrics.tpot_s >= floor);
  CHECK(*o.result.metrics.tpot_s <= 1.75 * floor);
  for (const exec::OpRecord& op : o.result.ops) {
    if (op.kind == graph::OpKind::kMatmul) CHECK(op.bound == "hbm");
  }
  // Too big for the L2: the weights stream.
  CHECK(hitRate(o.result, graph::TensorRole::kWeight) < 0.1);
}

TEST_CASE("Batch raises matmul utilization as the roofline says, until compute binds") {
  double previous = 0;
  std::vector<double> rates;
  for (int batch : {1, 8, 32, 128}) {
    const Outcome o = simulate("h100-sxm5", "llama2-7b-decode", {},
                               {"batch=" + std::to_string(batch), "kv_length=512"});
    rates.push_back(matmulFlopsPerSecond(o.result));
    CHECK(rates.back() > previous);
    previous = rates.back();
  }
  // Memory-bound at small batch: ~linear in batch (weights are read once per step either way).
  CHECK(rates[1] / rates[0] > 6.0);
  // Batch 128 is below the 295 FLOP/B knee: still short of the compute peak.
  CHECK(rates[3] < 0.94 * 989.4e12);
  CHECK(rates[3] > 0.25 * 989.4e12);
}

TEST_CASE("Prefill of 2048 tokens is compute-bound") {
  const Outcome o = simulate("h100-sxm5", "llama2-7b-prefill");
  double compute = 0, total = 0;
  for (const exec::OpRecord& op : o.result.ops) {
    if (op.kind != graph::OpKind::kMatmul) continue;
    total += ticksToSeconds(op.busy);
    if (op.bound == "compute") compute += ticksToSeconds(op.busy);
  }
  CHECK(compute / total > 0.8);
  REQUIRE(o.result.metrics.ttft_s);
  // Within 2x of the matmul FLOPs at the achievable tensor peak.
  const auto flops = static_cast<double>(
      graph::summarize(
          graph::Workload(spec::loadScenario(test::presetCatalog(), "llama2-7b-prefill").spec))
          .total.matrix_flops);
  CHECK(*o.result.metrics.ttft_s >= flops / 989.4e12);
  CHECK(*o.result.metrics.ttft_s <= 2 * flops / (0.94 * 989.4e12));
}

TEST_CASE("int8 weights make memory-bound decode nearly 2x faster than bf16") {
  const double bf16 = *simulate("h100-sxm5", "llama2-7b-decode").result.metrics.tpot_s;
  const double int8 =
      *simulate("h100-sxm5", "llama2-7b-decode", {}, {"dtypes.weights=int8"}).result.metrics.tpot_s;
  CHECK(bf16 / int8 > 1.5);
  CHECK(bf16 / int8 < 2.0);  // the KV cache and activations stay bf16
}

TEST_CASE(
    "A small model on H100 is served from L2 after the first step; on a GroqChip with no HBM "
    "traffic") {
  const Outcome h100 = simulate("h100-sxm5", "tiny-llama-decode");
  CHECK(hitRate(h100.result, graph::TensorRole::kWeight) >= 0.95);
  const Outcome groq = simulate("groqchip", "tiny-llama-decode");
  const nlohmann::json stats = nlohmann::json::parse(groq.stats);
  CHECK(stats["totals"]["bytes_by_level"].size() == 1);
  CHECK(stats["totals"]["bytes_by_level"].contains("sram"));
}

TEST_CASE("The same large model decodes faster with twice the HBM channels and slower with half") {
  const double base = *simulate("h100-sxm5", "llama2-7b-decode").result.metrics.tpot_s;
  const double twice =
      *simulate("h100-sxm5", "llama2-7b-decode",
                {"chip.memory.hbm.channels=160", "chip.memory.hbm.bandwidth=6.7 TB/s"})
           .result.metrics.tpot_s;
  const double half =
      *simulate("h100-sxm5", "llama2-7b-decode",
                {"chip.memory.hbm.channels=40", "chip.memory.hbm.bandwidth=1.675 TB/s"})
           .result.metrics.tpot_s;
  CHECK(twice < base);
  CHECK(half > base);
  CHECK(half / base > 1.6);  // mostly memory time, which doubles
}

TEST_CASE("Models that do not fit a GroqChip are refused with the reason") {
  try {
    simulate("groqchip", "llama2-7b-decode");
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("weights need 13.48 GB, sram holds 220 MiB") !=
          std::string::npos);
  }
}

TEST_CASE("Energy: joules per token and a warning when average power exceeds the TDP") {
  const Outcome o = simulate("h100-sxm5", "llama2-7b-decode");
  REQUIRE(o.result.metrics.energy_per_token_j);
  // Static power x time plus HBM traffic at 11.68 pJ/bit dominate: the 13.48 GB of weights alone
  // cost 13.48e9 x 93.44e-12 = 1.26 J, and 121.7 W over the 5.9 ms step 0.72 J.
  CHECK(*o.result.metrics.energy_per_token_j > 1.26 + 0.72);
  CHECK(*o.result.metrics.energy_per_token_j < 3.0);
  CHECK(o.result.warnings.empty());
  const Outcome hot = simulate("h100-sxm5", "llama2-7b-decode", {"chip.power.tdp=300 W"});
  bool warned = false;
  for (const std::string& w : hot.result.warnings)
    warned |= w.find("exceeds H100-SXM5-80GB's TDP of 300 W") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("Runs are deterministic: byte-identical stats.json") {
  CHECK(simulate("h100-sxm5", "llama2-7b-decode").stats ==
        simulate("h100-sxm5", "llama2-7b-decode").stats);
  CHECK(simulate("groqchip", "tiny-llama-prefill").stats ==
        simulate("groqchip", "tiny-llama-prefill").stats);
}

TEST_CASE("Dataflow execution removes launch gaps: the same chip runs a small model faster") {
  const double kernel = *simulate("h100-sxm5", "tiny-llama-decode").result.metrics.tpot_s;
  const double dataflow =
      *simulate("h100-sxm5", "tiny-llama-decode", {"chip.execution={style: dataflow}"})
           .result.metrics.tpot_s;
  CHECK(dataflow < kernel);
}
