// Step reuse: the decode steps of a generation, simulated at a few KV lengths and interpolated.
//
// A decode step's time (and its bytes, energy and busy time) is a piecewise-affine function of the
// KV length: attention reads grow linearly, and the pieces change where tiling or cache behavior
// does. The executor simulates the first decode step of a generation in sequence, then samples the
// rest with probes — each a fresh simulation of the same chip that runs a warm-up step at a KV
// length and measures the next one, so its caches are in the steady state a step in sequence sees
// — and refines by bisection until linear interpolation predicts every probed midpoint within the
// tolerance (default 0.1 %). Every step then gets its interpolated duration, op records, stats and
// busy time (Simulation::replay), so reports still show every step; `exact` turns reuse off.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/core/time.h"
#include "sim/exec/counters.h"
#include "sim/exec/run_result.h"

namespace archsim::exec {

/// One decode step, measured by a probe.
struct StepSample {
  std::uint64_t kv = 0;
  Tick ticks = 0;             // the step's duration
  std::vector<OpRecord> ops;  // the decode graph's ops, one execution each; times from the start
  SimSample work;             // what the step added to its simulation
};

/// Runs a probe: decode run `run` of the workload at KV length `kv`, warm.
using StepProbe = std::function<StepSample(std::size_t run, std::uint64_t kv)>;

/// How many steps a run simulated, reused and probed, and the largest relative error of linear
/// interpolation seen at a probed midpoint (each at most the tolerance); and how many layer
/// executions of the simulated steps ran op by op or were replayed (exec/layer_reuse.h).
struct ReuseStats {
  std::uint64_t simulated = 0;
  std::uint64_t reused = 0;
  std::uint64_t probes = 0;
  double max_error = 0.0;
  std::uint64_t layers_simulated = 0;
  std::uint64_t layers_replayed = 0;
};

/// round(wa x a + wb x b) field by field (counts), wa x a + wb x b (energies).
OpCounters weighted(const OpCounters& a, double wa, const OpCounters& b, double wb);
/// The same for simulation work (stats and busy time); a and b come from identically built
/// simulations, so their entries align (Panic otherwise).
SimSample weighted(const SimSample& a, double wa, const SimSample& b, double wb);

/// The KV lengths to sample in [lo, hi] (both included): bisection until the midpoint of every
/// interval is predicted within `tolerance` by the interval's ends, or the interval has no
/// midpoint. `sample(kv)` returns the measured step at kv (memoize it: it is asked once per kv).
/// Returns the sampled lengths, ascending; `max_error` receives the largest accepted error.
std::vector<std::uint64_t> refineSamples(std::uint64_t lo, std::uint64_t hi, double tolerance,
                                         const std::function<Tick(std::uint64_t)>& sample,
                                         double& max_error);

}  // namespace archsim::exec
