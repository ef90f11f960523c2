// The primitives of step and layer reuse, each against its closed form: an activity spreads
// replayed busy time over a window with its total exact, a simulation replays the difference of two
// samples as if the work had run again, samples mix linearly, and the bisection samples exactly the
// kinks of a piecewise-affine function.
#include <cmath>
#include <map>

#include <doctest/doctest.h>

#include "sim/core/activity.h"
#include "sim/core/bandwidth_server.h"
#include "sim/core/simulation.h"
#include "sim/exec/step_reuse.h"

using namespace archsim;

namespace {
struct Sink {
  void on(std::uint64_t) {}
};
}  // namespace

TEST_CASE("Activity::addSpread spreads busy time pro rata over its window, total exact") {
  Activity a(4);                // four servers, 1000-tick bins
  a.addSpread(500, 3500, 999);  // 3000 ticks wide: 1/6, 1/3, 1/3, 1/6 of 999
  REQUIRE(a.binTicks() == 1000);
  REQUIRE(a.bins().size() == 4);
  CHECK(a.bins()[0] == 167);  // ceil(999 x 500 / 3000) = 167 (166.5 rounded up)
  CHECK(a.bins()[1] == 333);
  CHECK(a.bins()[2] == 333);
  CHECK(a.bins()[3] == 999 - 167 - 333 - 333);  // the last bin takes what rounding left: 166
  CHECK(a.total() == 999);
  // Nothing in an empty window; time before the origin is dropped but the rest is kept whole.
  a.addSpread(4000, 4000, 50);
  CHECK(a.total() == 999);
  a.reset(10'000);
  a.addSpread(9'000, 12'000, 300);
  CHECK(a.total() == 300);
  CHECK(a.bins().size() == 2);
  CHECK(a.bins()[0] + a.bins()[1] == 300);
}

TEST_CASE("Simulation::replay adds a sampled piece of work: stats, busy time and the clock") {
  Simulation sim;
  BandwidthServer& port =
      sim.add<BandwidthServer>("port", sim.stats(), 1'000'000'000'000ULL, 0);  // 1 B/ps
  const SimSample before = sim.sample();
  port.reserve(2000);  // [0, 2000)
  sim.run(2000);
  const SimSample work = sim.sample().since(before);
  CHECK(work.now == 2000);
  std::map<std::string, double> stats(work.stats.begin(), work.stats.end());
  CHECK(stats.at("port.bytes") == 2000);
  CHECK(stats.at("port.transfers") == 1);
  REQUIRE(work.busy.size() == 1);
  CHECK(work.busy[0] == std::pair<std::string, Tick>{"port/busy", 2000});
  // Twice more, as if simulated: 3 transfers, 6000 bytes, 6000 busy ticks, the clock at 6000.
  sim.replay(work, work.now);
  sim.replay(work, work.now);
  CHECK(sim.now() == 6000);
  CHECK(port.bytes() == 6000);
  CHECK(sim.stats().findStat("port.transfers")->value() == 3);
  CHECK(port.activity().total() == 6000);
  CHECK(port.activity().busyBetween(2000, 6000) == doctest::Approx(4000));
  // Replay refuses to run over pending events.
  Sink sink;
  port.transfer(10, Callback::to<&Sink::on>(&sink));
  CHECK_THROWS(sim.replay(work, 1));
}

TEST_CASE("weighted() mixes two samples linearly: counts rounded, energies exact") {
  exec::OpCounters a(1), b(1);
  a.level[0].read = 100;
  b.level[0].read = 200;
  a.tiles = 3;
  b.tiles = 4;
  a.energy_j = 1.0;
  b.energy_j = 2.0;
  const exec::OpCounters m = exec::weighted(a, 0.25, b, 0.75);
  CHECK(m.level[0].read == 175);
  CHECK(m.tiles == 4);  // 3.75 rounds to 4
  CHECK(m.energy_j == doctest::Approx(1.75));

  SimSample x, y;
  x.now = 1000;
  y.now = 3000;
  x.stats = {{"s", 10.0}};
  y.stats = {{"s", 30.0}};
  x.busy = {{"b", 100}};
  y.busy = {{"b", 300}};
  const SimSample half = exec::weighted(x, 0.5, y, 0.5);
  CHECK(half.now == 2000);
  CHECK(half.stats[0].second == doctest::Approx(20.0));
  CHECK(half.busy[0].second == 200);
  y.stats = {{"other", 30.0}};
  CHECK_THROWS(exec::weighted(x, 0.5, y, 0.5));  // not from identically built simulations
}

TEST_CASE("refineSamples samples only the ends of an affine function") {
  int calls = 0;
  double max_error = 0;
  const auto kv = exec::refineSamples(
      128, 1152, 1e-3,
      [&](std::uint64_t x) {
        ++calls;
        return Tick(1'000'000 + 50 * x);
      },
      max_error);
  // One bisection: the midpoint 640 is predicted exactly, so {128, 640, 1152}.
  CHECK(kv == std::vector<std::uint64_t>{128, 640, 1152});
  CHECK(max_error == 0.0);
  CHECK(calls >= 3);
}

TEST_CASE("refineSamples finds the kink of a piecewise-affine function within its tolerance") {
  // t(x) = 1e6 + 100 x up to x = 700, then slope 400 (a cache regime change at 700).
  auto t = [](std::uint64_t x) {
    return Tick(x <= 700 ? 1'000'000 + 100 * x : 1'070'000 + 400 * (x - 700));
  };
  std::map<std::uint64_t, int> asked;
  double max_error = 0;
  const double tolerance = 1e-3;
  const auto kv = exec::refineSamples(
      0, 2048, tolerance,
      [&](std::uint64_t x) {
        ++asked[x];
        return t(x);
      },
      max_error);
  CHECK(max_error <= tolerance);
  // Linear interpolation between neighbouring samples predicts every x within the tolerance.
  double worst = 0;
  for (std::size_t i = 0; i + 1 < kv.size(); ++i) {
    for (std::uint64_t x = kv[i]; x <= kv[i + 1]; ++x) {
      const double ta = double(t(kv[i])), tb = double(t(kv[i + 1]));
      const double p = ta + (tb - ta) * double(x - kv[i]) / double(kv[i + 1] - kv[i]);
      worst = std::max(worst, std::abs(p - double(t(x))) / double(t(x)));
    }
  }
  CHECK(worst <= 4 * tolerance);  // the midpoint bounds the error of a one-kink interval (x2)
  // Away from the kink the function is affine, so only the interval holding 700 is refined:
  // a handful of samples, not the 2049 points.
  CHECK(kv.size() < 16);
  CHECK(kv.front() == 0);
  CHECK(kv.back() == 2048);
  for (std::size_t i = 0; i + 1 < kv.size(); ++i) {
    const bool holds_kink = kv[i] < 700 && kv[i + 1] > 700;
    if (!holds_kink) continue;
    // The interval around the kink is narrow enough that its midpoint error is within tolerance.
    const std::uint64_t m = kv[i] + (kv[i + 1] - kv[i]) / 2;
    const double ta = double(t(kv[i])), tb = double(t(kv[i + 1]));
    const double p = ta + (tb - ta) * double(m - kv[i]) / double(kv[i + 1] - kv[i]);
    CHECK(std::abs(p - double(t(m))) / double(t(m)) <= tolerance * 1.01);
  }
}
