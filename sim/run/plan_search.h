// The plan a run uses: an explicit plan checked against the system, or `auto` — a search over the
// plans that fit (map/plan_space.h) by an objective, analytic first.
//
// Search: candidates are ordered by a lower bound on their objective score (map/plan_space.h
// derives the time bound); they are simulated in that order — prefill and decode runs as they
// are, a generation as its prefill plus (output - 1) decode steps at the mean KV length — and the
// search stops when the next candidate's bound cannot beat the best simulated score. Because the
// bound never exceeds what the simulator produces, the pick is the best simulated plan among all
// that fit, while only the few whose bounds are competitive are simulated.
//
// Objectives (spec::PlanObjective), each with ties broken by the other figure:
//   latency    — the run's time (TTFT, time per token, or the request's time), then fewer chips;
//   throughput — tokens per second per chip (time x chips), then time;
//   chips      — fewest chips, then time.
// Default: latency at batch 1, throughput above. A system of one chip has one plan. At most
// kMaxSimulated candidates are simulated (the rest are listed as not simulated): the bound orders
// them well, and each simulation of a large prefill costs seconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/map/plan_space.h"
#include "sim/run/run_options.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::exec {
class ProgressSink;
}

namespace archsim::run {

class SystemRun;

struct PlanCandidate {
  map::ParallelLayout layout;
  std::vector<std::uint64_t> stage_bytes;  // per chip of each stage
  double bound_s = 0.0;
  std::optional<double> simulated_s;  // the run's time, when simulated
  std::string status;                 // "chosen", "simulated", "pruned by its bound", "failed: ..."
};

struct PlanChoice {
  spec::PlanObjective objective = spec::PlanObjective::kLatency;
  std::uint64_t max_chips = 0;
  std::string level;  // the memory level each stage must fit, and its size per chip
  std::uint64_t level_bytes = 0;
  std::vector<PlanCandidate> candidates;  // in the order considered
  std::size_t chosen = 0;
  std::size_t simulated = 0;
  std::vector<std::string> rejected;  // plans that do not fit, and why

  const map::ParallelLayout& layout() const { return candidates.at(chosen).layout; }
};

/// The objective `scenario` asks for (or its default).
spec::PlanObjective objectiveOf(const spec::ScenarioSpec& scenario);

/// Searches the plans of `scenario` on `system` (see above); `objective` overrides the scenario's.
/// Throws ConfigError at the plan's location when no plan fits. At most kMaxSimulated candidates
/// are simulated; `best` (optional) receives the chosen candidate's run when it was the scenario
/// itself (not a proxy).
inline constexpr std::size_t kMaxSimulated = 6;
PlanChoice searchPlan(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                      std::optional<spec::PlanObjective> objective = std::nullopt,
                      std::unique_ptr<SystemRun>* best = nullptr,
                      exec::ProgressSink* progress = nullptr, const RunOptions& options = {});

/// The layout `scenario` runs with on `system`: its explicit plan (map::explicitLayout) or the
/// search's pick. Throws ConfigError (at the plan's location) when the plan does not fit.
map::ParallelLayout resolvePlan(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario);

/// resolvePlan(), and the search's simulation of the very run it picked when it made one (prefill
/// and decode runs; a generation is searched by proxies), so SystemRun need not repeat it.
struct PlanRun {
  map::ParallelLayout layout;
  std::unique_ptr<SystemRun> simulated;
};
PlanRun planRun(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                exec::ProgressSink* progress = nullptr, const RunOptions& options = {});

}  // namespace archsim::run
