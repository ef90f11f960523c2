// Simulation speed of multi-chip runs: one Llama-2-70B decode step (batch 1, context 2048) on
// DGX-H100 at TP 8 — as run by default (layer reuse) and exact (every op simulated) — and on the
// Groq-576 system (int8 weights, the fewest chips that hold it: 328 of 576, 41 pipeline stages).
// Targets: under 20 ms exact for the DGX-H100 step (issue 12), under 1 s for Groq-576 (issue 5),
// under 200 ms for the Groq-576 step and for CS-3 decode steps (Llama-3.1-8B on one CS-3,
// Llama-2-70B on four; issue 16). Each run simulates one chip per distinct stage (a warm-up and a
// measured step each; exact runs on kernel chips warm up without timing a step) and the pipeline
// composition (three rounds of the step); `events` counts all of them. Then long generations (issue
// 12 targets, with step reuse): Llama-3-70B 1024 + 1024 tokens on 4 H100s
// (< 2 s), Llama-2-70B FP8 batch 160, 128 + 2048 tokens on one H200 (< 5 s), Llama-3.1-405B
// 1024 + 1024 on DGX-H100 x4 (< 5 s). And the public validation suites on two threads.
#include <algorithm>

#include <benchmark/benchmark.h>

#include "sim/run/plan_search.h"
#include "sim/run/system_run.h"
#include "sim/serve/serve_run.h"
#include "sim/spec/loader.h"
#include "sim/validate/validate.h"

namespace archsim {
namespace {

void Run(benchmark::State& state, const char* system, const char* scenario,
         std::vector<std::string> sets, bool exact = false) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::LoadedSystem sys = spec::loadSystem(catalog, system);
  const spec::ScenarioSpec s = spec::loadScenario(catalog, scenario, sets).spec;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const run::SystemRun run(sys.spec, s, nullptr, run::RunOptions{exact});
    for (std::size_t c = 0; c < run.simulatedChips(); ++c)
      events += run.chip(c).sim().eventsProcessed();
    events += run.pipeline().events;
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}

using Sets = std::vector<std::string>;
BENCHMARK_CAPTURE(Run, dgx_h100_llama2_70b_decode_tp8, "dgx-h100", "llama2-70b-decode",
                  Sets{"parallel.tp=8"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, dgx_h100_llama2_70b_decode_tp8_exact, "dgx-h100", "llama2-70b-decode",
                  Sets{"parallel.tp=8"}, true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, groq576_llama2_70b_w8_decode, "groq-576", "llama2-70b-w8-decode-auto",
                  Sets{})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, cs3_llama31_8b_decode, "cerebras-wse3", "llama2-7b-decode",
                  Sets{"model=llama3.1-8b"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, cs3x4_llama2_70b_decode, "cs3-4", "llama2-70b-decode", Sets{})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, h100x4_llama3_70b_1024_1024, "dgx-h100", "llama3.1-405b-generate",
                  Sets{"model=llama3-70b", "parallel.tp=4"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(Run, h200_llama2_70b_fp8_b160_128_2048, "h200-sxm", "llama3-8b-generate",
                  Sets{"model=llama2-70b", "batch=160", "output_tokens=2048", "dtypes.weights=fp8",
                       "dtypes.kv=fp8", "dtypes.compute=fp8"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(Run, dgx_h100_x4_llama31_405b_generate, "dgx-h100-x4", "llama3.1-405b-generate",
                  Sets{})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

/// The public validation suites under `validate -j2` (issue 12: median per case < 0.5 s; issue 13:
/// the whole suite's time). Reports the median and largest per-case time.
void Validate(benchmark::State& state, const char* suite) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const validate::Suite s =
      validate::loadSuite(std::string(ARCHSIM_SOURCE_DIR) + "/workloads/validation/" + suite);
  validate::Options options;
  options.jobs = 2;
  std::vector<double> walls;
  for (auto _ : state) {
    for (const validate::CaseResult& r : validate::runSuites(catalog, {s}, options))
      walls.push_back(r.wall_s);
  }
  std::sort(walls.begin(), walls.end());
  state.counters["cases"] = static_cast<double>(s.cases.size());
  state.counters["median_case_s"] = walls.empty() ? 0.0 : walls[walls.size() / 2];
  state.counters["max_case_s"] = walls.empty() ? 0.0 : walls.back();
}
BENCHMARK_CAPTURE(Validate, microbench, "microbench.yaml")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Validate, e2e_public, "e2e-public.yaml")->Unit(benchmark::kSecond)->Iterations(1);

/// A serving run (issue 17 targets): 10,000 Llama-2-7B requests on one H100 with continuous
/// batching (< 30 s) and 1,000 Llama-2-70B requests on DGX-H100 at tp 8 with chunked prefill
/// (< 30 s). Counters: passes timed and pass shapes simulated.
void Serve(benchmark::State& state, const char* system, const char* serving,
           std::vector<std::string> sets) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::LoadedSystem sys = spec::loadSystem(catalog, system);
  const std::filesystem::path file =
      std::filesystem::path(ARCHSIM_SOURCE_DIR) / "workloads" / "serving" / serving;
  serve::SimulatedPassTimer::Stats timing;
  for (auto _ : state) {
    serve::LoadedServing loaded = serve::loadServing(catalog, file, sets);
    timing = serve::serveOnSystem(sys.spec, loaded.spec, false).context.timing;
  }
  state.counters["passes"] = static_cast<double>(timing.passes);
  state.counters["simulated"] = static_cast<double>(timing.simulated);
}

BENCHMARK_CAPTURE(Serve, h100_llama2_7b_10k_requests, "h100-sxm5", "llama2-7b-chat.yaml",
                  Sets{"requests.count=10000", "requests.rate=20 requests/s"})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(Serve, dgx_h100_llama2_70b_1k_requests, "dgx-h100", "llama2-70b-interactive.yaml",
                  Sets{})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

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
