// Step and layer reuse against full simulation (--exact): every headline metric within 0.5 % on a
// representative case of each family the validation suite holds — prefill, batch-1 and batched
// decode, a whole generation, tensor and pipeline parallel runs with collectives, a mixture of
// experts, and a dataflow chip — and stats.json says what was simulated and what was reused.
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/report/run_report.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

struct Case {
  std::string system;
  std::string scenario;  // a preset, or a file under tests/data/scenarios
  std::vector<std::string> sets;
  bool reuses_steps;   // a generation long enough to interpolate steps
  bool reuses_layers;  // a kernel-style chip with repeating layers
};

std::string scenarioPath(const std::string& name) {
  return name.find(".yaml") == std::string::npos
             ? name
             : std::string(ARCHSIM_TEST_DATA) + "/data/scenarios/" + name;
}

void compare(const Case& c) {
  CAPTURE(c.system);
  CAPTURE(c.scenario);
  const spec::SystemSpec system = spec::loadSystem(presetCatalog(), c.system, {}).spec;
  const spec::ScenarioSpec scenario =
      spec::loadScenario(presetCatalog(), scenarioPath(c.scenario), c.sets).spec;
  const run::SystemRun reuse(system, scenario, nullptr, run::RunOptions{.exact = false});
  const run::SystemRun exact(system, scenario, nullptr, run::RunOptions{.exact = true});
  for (const run::MetricDef& m : run::headlineMetrics()) {
    CAPTURE(m.key);
    const std::optional<double> a = m.value(reuse.metrics());
    const std::optional<double> b = m.value(exact.metrics());
    REQUIRE(a.has_value() == b.has_value());
    if (!a) continue;
    if (*b == 0) {
      CHECK(*a == 0);
      continue;
    }
    CHECK(std::abs(*a / *b - 1) <= 0.005);
  }
  const nlohmann::json r = report::statsJson(reuse)["execution"];
  const nlohmann::json e = report::statsJson(exact)["execution"];
  CHECK(e["step_reuse"]["steps_reused"] == 0);
  CHECK(e["layer_reuse"]["layers_replayed"] == 0);
  CHECK(r["measured_steps"] == e["measured_steps"]);
  CHECK((r["step_reuse"]["steps_reused"] > 0) == c.reuses_steps);
  CHECK((r["layer_reuse"]["layers_replayed"] > 0) == c.reuses_layers);
  CHECK(r["step_reuse"]["max_interpolation_error"].get<double>() <= 1e-3);
  // Every step is still there: the reused run's steps are the exact run's, counted one by one.
  CHECK(r["step_reuse"]["steps_simulated"].get<std::uint64_t>() +
            r["step_reuse"]["steps_reused"].get<std::uint64_t>() ==
        e["step_reuse"]["steps_simulated"].get<std::uint64_t>());
}

}  // namespace

TEST_CASE("Reuse equals full simulation within 0.5 %: prefill and batched decode on one GPU") {
  compare({"h100-sxm5", "llama2-7b-prefill", {}, false, true});
  compare({"a100-sxm4", "llama2-7b-decode", {"batch=32"}, false, true});
}

TEST_CASE("Reuse equals full simulation within 0.5 %: a whole generation on one GPU") {
  compare({"h100-sxm5", "tiny-llama-generate.yaml", {}, true, true});
}

TEST_CASE("Reuse equals full simulation within 0.5 %: tensor and pipeline parallel") {
  compare({"dgx-h100", "llama2-70b-w8-decode-tp8", {}, false, true});
  compare({"dgx-h100",
           "tiny-llama-generate.yaml",
           {"parallel.tp=2", "parallel.pp=2", "output_tokens=64"},
           true,
           true});
}

TEST_CASE("Reuse equals full simulation within 0.5 %: a mixture of experts on MI300X") {
  compare({"mi300x", "mixtral-8x7b-decode", {}, false, true});
}

TEST_CASE("Reuse equals full simulation within 0.5 %: a dataflow chip reuses steps, not layers") {
  compare({"groqchip", "gpt2-generate.yaml", {}, true, false});
}

namespace {

/// An exact run warmed up by an untimed pass over the step's accesses against one that simulates
/// the warm-up step: the same stats.json, except that fewer events ran.
/// `skips`: whether the untimed warm-up proves that the step's last ops leave the caches as all
/// its ops would, and makes only theirs (Executor::touchFrom).
void compareWarmups(const std::string& system_name, const std::vector<std::string>& system_sets,
                    const std::string& scenario_name, const std::vector<std::string>& sets,
                    bool skips) {
  CAPTURE(system_name);
  CAPTURE(system_sets);
  CAPTURE(scenario_name);
  const spec::SystemSpec system = spec::loadSystem(presetCatalog(), system_name, system_sets).spec;
  const spec::ScenarioSpec scenario =
      spec::loadScenario(presetCatalog(), scenarioPath(scenario_name), sets).spec;
  const run::SystemRun untimed(system, scenario, nullptr, run::RunOptions{.exact = true});
  const run::SystemRun timed(system, scenario, nullptr,
                             run::RunOptions{.exact = true, .timed_warmup = true});
  std::uint64_t skipped = 0;
  for (std::size_t c = 0; c < untimed.simulatedChips(); ++c) {
    skipped += untimed.chip(c).result().warmup_ops_skipped;
    CHECK(timed.chip(c).result().warmup_ops_skipped == 0);
  }
  CHECK((skipped > 0) == skips);
  nlohmann::json a = report::statsJson(untimed);
  nlohmann::json b = report::statsJson(timed);
  const double events_untimed = a["resources"]["stats"]["events"]["value"].get<double>();
  const double events_timed = b["resources"]["stats"]["events"]["value"].get<double>();
  CHECK(events_untimed < events_timed);
  a["resources"]["stats"].erase("events");
  b["resources"]["stats"].erase("events");
  CHECK(a.dump() == b.dump());
}

}  // namespace

TEST_CASE(
    "An exact decode warms its caches up without timing a step, and measures the same step as "
    "after a timed warm-up") {
  // LRU (H100, with KV writes at batch 8), FIFO and random replacement (MI210), two cache levels
  // (MI300X's L2 and Infinity Cache), and a tensor-parallel chip with collectives. Eight layers:
  // each step's weights still overflow every cache, as the whole models' do. On one LRU cache
  // the untimed warm-up makes only the last ops' accesses where it can prove the result the
  // same (batched and FP8 GQA decode, a mixture of experts, tensor parallel).
  compareWarmups("h100-sxm5", {}, "llama2-7b-decode", {"batch=8", "model.layers=8"}, true);
  compareWarmups("mi210", {"chip.memory.l2.policy=fifo"}, "llama2-7b-decode", {"model.layers=8"},
                 false);
  compareWarmups("mi210", {"chip.memory.l2.policy=random"}, "llama2-7b-decode", {"model.layers=8"},
                 false);
  compareWarmups("mi300x", {}, "llama2-7b-decode", {"model.layers=8"}, false);
  compareWarmups("dgx-h100", {}, "llama2-70b-w8-decode-tp8", {"model.layers=8"}, true);
  compareWarmups("l40s", {}, "llama2-7b-decode",
                 {"model=llama3-8b", "batch=32", "model.layers=8", "dtypes.weights=fp8",
                  "dtypes.kv=fp8", "dtypes.compute=fp8"},
                 true);
  compareWarmups("a100-sxm4", {}, "llama2-7b-decode", {"batch=64", "model.layers=8"}, true);
  compareWarmups("h100-sxm5", {}, "mixtral-8x7b-decode", {"batch=16", "model.layers=4"}, true);
  // 10 KiB rows over 64 KiB blocks: shared blocks grow by parts before they are held in full.
  compareWarmups("h100-sxm5", {}, "llama2-7b-decode",
                 {"model=llama2-13b", "batch=12", "model.layers=6"}, true);
  // Tied embeddings: the LM head streams the table the embedding read a row of, in slices that
  // do not cover its blocks, before the cache first evicts: every op's accesses are made.
  compareWarmups("h100-sxm5", {}, "gpt3-175b-decode", {"model.layers=2"}, false);
}
