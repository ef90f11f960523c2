// Hold-model benchmarks of the event kernel (Vaucher & Duval's classic priority-queue benchmark):
// keep N events pending; repeatedly take the earliest and schedule a new one a random (exponential)
// interval later. Reported as events per second at N = 1k, 10k and 100k pending.
//   EventQueueHold  — the queue alone: pop + schedule.
//   SimulationHold  — the whole dispatch path: Simulation::run pops, advances time and calls a
//   typed
//                     callback that schedules the next event.
// Target (issue 2): >= 10 M events/s at 10k pending on a 2-core machine.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/core/simulation.h"

namespace archsim {
namespace {

constexpr std::size_t kIncrements = 1 << 16;

std::vector<Tick> exponentialIncrements() {
  std::mt19937_64 rng(12345);
  std::exponential_distribution<double> dist(1.0 / 1000.0);  // mean 1 ns
  std::vector<Tick> inc(kIncrements);
  for (auto& x : inc)
    x = 1 + static_cast<Tick>(dist(rng));
  return inc;
}

struct Nop {
  void on(std::uint64_t) {}
};

void EventQueueHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  const std::vector<Tick> inc = exponentialIncrements();
  Nop nop;
  const Callback cb = Callback::to<&Nop::on>(&nop);
  EventQueue q;
  for (std::size_t i = 0; i < pending; ++i)
    q.schedule(inc[i % kIncrements], cb, i);
  std::size_t k = 0;
  for (auto _ : state) {
    const Event e = q.pop();
    q.schedule(e.when + inc[k++ & (kIncrements - 1)], cb, e.arg);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Each event re-schedules itself; after `batch` events the handler stops the run.
struct Holder {
  Simulation& sim;
  const std::vector<Tick>& inc;
  std::size_t k = 0;
  std::uint64_t remaining = 0;
  void fire(std::uint64_t arg) {
    sim.scheduleIn(inc[k++ & (kIncrements - 1)], Callback::to<&Holder::fire>(this), arg);
    if (--remaining == 0) sim.stop();
  }
};

void SimulationHold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  constexpr std::uint64_t kBatch = 100'000;
  const std::vector<Tick> inc = exponentialIncrements();
  Simulation sim;
  Holder holder{sim, inc};
  for (std::size_t i = 0; i < pending; ++i)
    sim.schedule(inc[i % kIncrements], Callback::to<&Holder::fire>(&holder), i);
  for (auto _ : state) {
    holder.remaining = kBatch;
    sim.run();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

BENCHMARK(EventQueueHold)->Arg(1'000)->Arg(10'000)->Arg(100'000);
BENCHMARK(SimulationHold)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace archsim

BENCHMARK_MAIN();
