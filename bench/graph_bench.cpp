// Building what a scenario needs: the prefill and decode graphs of llama3.1-405b generate (1k
// prompt + 1k output) and the summary over all 1024 steps. Target (issue 3): under a second with
// bounded memory — one decode graph serves every step, evaluated at each KV length.
#include <benchmark/benchmark.h>

#include "sim/graph/summary.h"
#include "sim/graph/workload.h"
#include "sim/spec/loader.h"

namespace archsim {
namespace {

void BuildWorkload(benchmark::State& state, const char* scenario) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::ScenarioSpec s = spec::loadScenario(catalog, scenario).spec;
  for (auto _ : state) {
    const graph::Workload w(s);
    benchmark::DoNotOptimize(graph::summarize(w).total.matrix_flops);
  }
}

BENCHMARK_CAPTURE(BuildWorkload, llama3_1_405b_generate, "llama3.1-405b-generate")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BuildWorkload, llama2_70b_decode, "llama2-70b-decode")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BuildWorkload, mixtral_8x7b_decode, "mixtral-8x7b-decode")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace archsim

BENCHMARK_MAIN();
