// Plans: the run measures the user's scenario whatever the layout, microbatches compose to their
// closed form, the auto search's bounds never exceed what the simulator produces (so pruning is
// safe), and auto picks a plan no slower than the hand-written one.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/map/plan_space.h"
#include "sim/report/run_report.h"
#include "sim/run/plan_search.h"
#include "sim/run/system_run.h"
#include "support.h"

using namespace archsim;
using namespace archsim::test;

namespace {

spec::ScenarioSpec scenario(const std::string& name, const std::vector<std::string>& sets = {}) {
  return spec::loadScenario(presetCatalog(), name, sets).spec;
}

spec::SystemSpec systemOf(const std::string& name, const std::vector<std::string>& sets = {}) {
  return spec::loadSystem(presetCatalog(), name, sets).spec;
}

}  // namespace

TEST_CASE(
    "Microbatches on one chip: the prefill of m microbatches takes m times one microbatch's, and "
    "stats.json keeps the user's batch") {
  const spec::SystemSpec h100 = systemOf("h100-sxm5");
  const spec::ScenarioSpec whole = scenario("tiny-llama-prefill", {"batch=4"});
  const spec::ScenarioSpec split =
      scenario("tiny-llama-prefill", {"batch=4", "parallel.microbatches=4"});
  const spec::ScenarioSpec one = scenario("tiny-llama-prefill", {"batch=1"});
  const run::SystemRun a(h100, split);
  const run::SystemRun b(h100, one);
  // One stage is a FIFO server: (m + p - 1) t with p = 1, exactly.
  REQUIRE(a.chip(0).result().step_ticks.size() == 1);
  CHECK(a.pipeline().end == 4 * a.chip(0).result().step_ticks[0]);
  // A microbatch is the batch-1 pass (its KV cache holds four sequences, which moves DRAM
  // striping by a few ns).
  REQUIRE(a.metrics().ttft_s);
  CHECK(*a.metrics().ttft_s == doctest::Approx(4 * *b.metrics().ttft_s).epsilon(1e-4));
  REQUIRE(a.metrics().prompt_tokens_per_s);
  CHECK(*a.metrics().prompt_tokens_per_s ==
        doctest::Approx(4.0 * static_cast<double>(split.prompt_tokens) / *a.metrics().ttft_s));
  CHECK_FALSE(a.metrics().output_tokens_per_s);  // a prefill is measured per prompt token
  const nlohmann::json stats = nlohmann::json::parse(report::statsJson(a).dump());
  CHECK(stats["batch"] == 4);
  CHECK(stats["parallel"]["microbatches"] == 4);
  // The same work in one pass is no slower than in four (weights read once, no extra launches),
  // and not more than four times faster.
  const run::SystemRun c(h100, whole);
  CHECK(*c.metrics().ttft_s <= *a.metrics().ttft_s);
  CHECK(*c.metrics().ttft_s * 4 >= *a.metrics().ttft_s);
}

TEST_CASE(
    "Microbatches of decode on one chip: a token of one sequence waits for every microbatch's "
    "step") {
  const spec::SystemSpec h100 = systemOf("h100-sxm5");
  const run::SystemRun a(h100,
                         scenario("tiny-llama-decode", {"batch=2", "parallel.microbatches=2"}));
  const run::SystemRun b(h100, scenario("tiny-llama-decode", {"batch=1"}));
  CHECK(a.pipeline().end - a.pipeline().finish[1][1] == 2 * a.chip(0).result().step_ticks[0]);
  CHECK(a.metrics().tpot_s.value() ==
        doctest::Approx(2 * b.metrics().tpot_s.value()).epsilon(1e-4));
}

TEST_CASE("The auto search's bound never exceeds the simulated time of any plan it considers") {
  struct Case {
    std::string system;
    std::string scenario;
    std::vector<std::string> sets;
  };
  const Case cases[] = {{"dgx-h100", "tiny-llama-decode", {}},
                        {"dgx-h100", "tiny-llama-prefill", {"batch=4"}},
                        {"dgx-h100", "gpt2-decode", {"batch=4"}},
                        {"mi300x-8", "llama3-8b-generate", {"output_tokens=4"}},
                        {"groq-576", "tiny-llama-decode", {}},
                        {"cs3-4", "tiny-llama-decode", {"batch=2"}},
                        {"dgx-h100-x4", "mixtral-8x7b-decode", {"batch=4"}}};
  int checked = 0;
  for (const Case& c : cases) {
    CAPTURE(c.system);
    CAPTURE(c.scenario);
    const spec::SystemSpec sys = systemOf(c.system);
    const spec::ScenarioSpec s = scenario(c.scenario, c.sets);
    const map::PlanSpace space = map::planSpace(sys, s, sys.chipCount());
    REQUIRE(!space.options.empty());
    for (const map::PlanOption& o : space.options) {
      CAPTURE(o.layout.describe());
      // The whole run (a generation: prefill and every decode step).
      const double simulated = run::SystemRun(sys, s, o.layout).metrics().e2e_s;
      CHECK(o.bound_s <= simulated * (1 + 1e-9));
      // Not vacuous on the GPUs, whose time the bound's terms describe (a wafer's GEMV latency,
      // say, is not among them).
      if (sys.chip.execution.style == spec::ExecutionStyle::kKernel)
        CHECK(o.bound_s > 0.3 * simulated);
      ++checked;
    }
  }
  CHECK(checked >= 20);
}

TEST_CASE("auto on DGX-H100, Llama-2-70B decode: no slower than tp 8, and every chip it uses") {
  const spec::SystemSpec dgx = systemOf("dgx-h100");
  const run::SystemRun tp8(dgx, scenario("llama2-70b-decode", {"parallel.tp=8"}));
  const run::SystemRun automatic(dgx, scenario("llama2-70b-decode"));
  CHECK(automatic.metrics().tpot_s.value() <= tp8.metrics().tpot_s.value());
  CHECK(automatic.metrics().chips == automatic.layout().chips());
  // The search's table: tp 8 chosen, the plans of fewer chips pruned by their bounds.
  const run::PlanChoice choice = run::searchPlan(dgx, scenario("llama2-70b-decode"));
  CHECK(choice.objective == spec::PlanObjective::kLatency);
  CHECK(choice.layout().plan.tp == 8);
  CHECK(choice.simulated <= 2);
  for (const run::PlanCandidate& c : choice.candidates) {
    if (c.simulated_s) CHECK(c.bound_s <= *c.simulated_s);
  }
  // Fewest chips instead: two H100s hold it (tp 2).
  const run::PlanChoice fewest =
      run::searchPlan(dgx, scenario("llama2-70b-decode"), spec::PlanObjective::kChips);
  CHECK(fewest.layout().chips() == 2);
}

TEST_CASE("auto over hundreds of chips: Groq-576 picks the fastest tp x pp that fits its SRAM") {
  // Llama-2-70B (int8 weights) needs 328 or more GroqChips. Wider tp halves each chip's weight
  // conversion but takes the all-reduces across nodes; the search simulates every plan that fits
  // (their bounds ignore the conversion) and keeps the fastest: one node wide.
  const spec::SystemSpec groq = systemOf("groq-576");
  const spec::ScenarioSpec s =
      scenario("llama2-70b-w8-decode-auto", {"parallel.auto=latency", "parallel.max_chips=576"});
  const run::PlanChoice choice = run::searchPlan(groq, s);
  CHECK(choice.layout().plan.tp == 8);
  CHECK(choice.layout().chips() <= 576);
  std::size_t simulated = 0;
  for (const run::PlanCandidate& c : choice.candidates) {
    if (!c.simulated_s) continue;
    ++simulated;
    CHECK(c.bound_s <= *c.simulated_s);
    CHECK(*choice.candidates.at(choice.chosen).simulated_s <= *c.simulated_s);
  }
  CHECK(simulated >= 3);  // tp 16, 32 and 64 were in the running
}

TEST_CASE("auto: a scenario without a plan uses the search; one too big for the system says so") {
  const spec::ScenarioSpec s = scenario("llama2-70b-decode");
  CHECK(s.parallel.automatic);
  CHECK(run::objectiveOf(s) == spec::PlanObjective::kLatency);
  CHECK(run::objectiveOf(scenario("llama2-70b-decode", {"batch=8"})) ==
        spec::PlanObjective::kThroughput);
  CHECK(scenario("llama2-70b-decode", {"parallel.auto=chips"}).parallel.objective ==
        spec::PlanObjective::kChips);
  const spec::SystemSpec dgx = systemOf("dgx-h100");
  try {
    run::SystemRun r(dgx, scenario("gpt3-175b-decode", {"batch=1024"}));
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.diagnostics().front().message.find(
              "auto: no plan of at most 8 chips of H100-SXM5-80GB holds gpt3-175b") !=
          std::string::npos);
  }
  // max_chips bounds the search.
  const run::PlanChoice four = run::searchPlan(
      dgx, scenario("llama2-70b-decode", {"parallel.auto=latency", "parallel.max_chips=4"}));
  CHECK(four.layout().chips() <= 4);
}
