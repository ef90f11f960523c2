// Simulation speed of multi-chip runs: one Llama-2-70B decode step (batch 1, context 2048) on
// DGX-H100 at TP 8 and on the Groq-576 system (int8 weights, the fewest chips that hold it: 328 of
// 576, 41 pipeline stages). Targets (issue 5): under 100 ms and under 1 s of wall time per
// simulated step. Each run simulates one chip per distinct stage (a warm-up and a measured step
// each) and the pipeline composition (three rounds of the step); `events` counts all of them.
#include <benchmark/benchmark.h>

#include "sim/run/plan_search.h"
#include "sim/run/system_run.h"
#include "sim/spec/loader.h"

namespace archsim {
namespace {

void Run(benchmark::State& state, const char* system, const char* scenario, const char* set) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::LoadedSystem sys = spec::loadSystem(catalog, system);
  std::vector<std::string> sets;
  if (set[0] != '\0') sets.emplace_back(set);
  const spec::ScenarioSpec s = spec::loadScenario(catalog, scenario, sets).spec;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const run::SystemRun run(sys.spec, s);
    for (std::size_t c = 0; c < run.simulatedChips(); ++c)
      events += run.chip(c).sim().eventsProcessed();
    events += run.pipeline().events;
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}

BENCHMARK_CAPTURE(Run, dgx_h100_llama2_70b_decode_tp8, "dgx-h100", "llama2-70b-decode",
                  "parallel.tp=8")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, groq576_llama2_70b_w8_decode, "groq-576", "llama2-70b-w8-decode-auto", "")
    ->Unit(benchmark::kMillisecond);

/// The `auto` plan search alone (analytic plan space, then the few simulations it needs).
void Search(benchmark::State& state, const char* system, const char* scenario) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::LoadedSystem sys = spec::loadSystem(catalog, system);
  const spec::ScenarioSpec s = spec::loadScenario(catalog, scenario).spec;
  std::size_t simulated = 0;
  for (auto _ : state)
    simulated = run::searchPlan(sys.spec, s).simulated;
  state.counters["simulated_candidates"] = static_cast<double>(simulated);
}

BENCHMARK_CAPTURE(Search, dgx_h100_llama2_70b_decode, "dgx-h100", "llama2-70b-decode")
    ->Unit(benchmark::kMillisecond);
// Llama-3.1-405B (1024 + 1024 tokens) on 8 GPUs: what `auto` takes before the run starts.
BENCHMARK_CAPTURE(Search, hgx_h200_llama31_405b_generate, "hgx-h200", "llama3.1-405b-generate")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(Search, mi300x8_llama31_405b_generate, "mi300x-8", "llama3.1-405b-generate")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace archsim

BENCHMARK_MAIN();
