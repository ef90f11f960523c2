// Simulation speed: one llama2-7b decode step (batch 1, context 2048) and one 2048-token prefill on
// H100. Target (issue 4): under 50 ms of wall time per simulated decode step. The decode run
// simulates two steps (a warm-up and the measured one); the rate counter reports events per second.
#include <benchmark/benchmark.h>

#include "sim/exec/chip_run.h"
#include "sim/spec/loader.h"

namespace archsim {
namespace {

void Run(benchmark::State& state, const char* chip, const char* scenario) {
  const spec::Catalog catalog({ARCHSIM_SOURCE_DIR});
  const spec::LoadedSystem system = spec::loadSystem(catalog, chip);
  const spec::ScenarioSpec s = spec::loadScenario(catalog, scenario).spec;
  std::uint64_t events = 0;
  for (auto _ : state) {
    exec::ChipRun run(system.spec, map::oneChipStage(s));
    events += run.sim().eventsProcessed();
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events"] = static_cast<double>(events) / static_cast<double>(state.iterations());
}

BENCHMARK_CAPTURE(Run, h100_llama2_7b_decode_2steps, "h100-sxm5", "llama2-7b-decode")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, h100_llama2_7b_prefill_2048, "h100-sxm5", "llama2-7b-prefill")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Run, groqchip_tiny_llama_decode, "groqchip", "tiny-llama-decode")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace archsim

BENCHMARK_MAIN();
