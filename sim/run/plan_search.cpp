#include "sim/run/plan_search.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "sim/core/error.h"
#include "sim/map/stage.h"
#include "sim/run/system_run.h"
#include "sim/spec/units.h"

namespace archsim::run {
namespace {

/// An objective's score: compared lexicographically, lower is better.
struct Score {
  double first = 0;
  double second = 0;
  bool operator<(const Score& o) const {
    return first < o.first || (first == o.first && second < o.second);
  }
  bool operator>=(const Score& o) const { return !(*this < o); }
};

Score scoreOf(spec::PlanObjective objective, double seconds, std::uint64_t chips) {
  const double c = static_cast<double>(chips);
  switch (objective) {
    case spec::PlanObjective::kLatency:
      return {seconds, c};
    case spec::PlanObjective::kThroughput:
      return {seconds * c, seconds};
    case spec::PlanObjective::kChips:
      return {c, seconds};
  }
  return {seconds, c};
}

/// The run's time under `layout`, simulated: prefill and decode as they are (the run is kept in
/// `run`); a generation as its prefill plus (output - 1) decode steps at the mean KV length.
double simulatedSeconds(const spec::SystemSpec& system, const spec::ScenarioSpec& s,
                        const map::ParallelLayout& layout, std::unique_ptr<SystemRun>& run,
                        exec::ProgressSink* progress, const RunOptions& options) {
  if (s.phase != spec::Phase::kGenerate) {
    run = std::make_unique<SystemRun>(system, s, layout, progress, options);
    return run->metrics().e2e_s;
  }
  spec::ScenarioSpec prefill = s;
  prefill.phase = spec::Phase::kPrefill;
  prefill.output_tokens = 0;
  double seconds = SystemRun(system, prefill, layout).metrics().e2e_s;
  if (s.output_tokens > 1) {
    spec::ScenarioSpec decode = s;
    decode.phase = spec::Phase::kDecode;
    decode.kv_length = s.prompt_tokens + s.output_tokens / 2;
    decode.prompt_tokens = decode.output_tokens = 0;
    seconds += static_cast<double>(s.output_tokens - 1) *
               SystemRun(system, decode, layout).metrics().e2e_s;
  }
  return seconds;
}

map::ParallelLayout oneChipLayout(const spec::ScenarioSpec& s) {
  map::ParallelLayout layout;
  layout.plan.location = s.parallel.location;
  layout.replica_batch = layout.micro_batch = s.batch;
  layout.stages = {{0, s.model.layers, true, true}};
  return layout;
}

}  // namespace

spec::PlanObjective objectiveOf(const spec::ScenarioSpec& s) {
  if (s.parallel.objective) return *s.parallel.objective;
  return s.batch == 1 ? spec::PlanObjective::kLatency : spec::PlanObjective::kThroughput;
}

PlanChoice searchPlan(const spec::SystemSpec& system, const spec::ScenarioSpec& s,
                      std::optional<spec::PlanObjective> objective,
                      std::unique_ptr<SystemRun>* best_run, exec::ProgressSink* progress,
                      const RunOptions& options) {
  PlanChoice choice;
  choice.objective = objective.value_or(objectiveOf(s));
  choice.max_chips = s.parallel.max_chips > 0 ? std::min(s.parallel.max_chips, system.chipCount())
                                              : system.chipCount();
  map::PlanSpace space = map::planSpace(system, s, choice.max_chips);
  choice.level = space.level;
  choice.level_bytes = space.level_bytes;
  choice.rejected = std::move(space.rejected);
  if (space.options.empty()) {
    const std::uint64_t one = map::shardFootprint(s, 1).stageBytes({0, s.model.layers, true, true});
    throw ConfigError(
        s.parallel.location, "parallel",
        fmt::format(
            "auto: no plan of at most {} chip{} of {} holds {} ({} on one chip; {} holds {} "
            "per chip): {}",
            choice.max_chips, choice.max_chips == 1 ? "" : "s", system.chip.name, s.model.name,
            spec::formatSize(one), space.level, spec::formatSize(space.level_bytes),
            fmt::join(choice.rejected, "; ")));
  }
  const spec::PlanObjective obj = choice.objective;
  auto boundScore = [&](const map::PlanOption& o) {
    return scoreOf(obj, o.bound_s, o.layout.chips());
  };
  std::stable_sort(space.options.begin(), space.options.end(),
                   [&](const auto& a, const auto& b) { return boundScore(a) < boundScore(b); });
  std::optional<Score> best;
  std::optional<ConfigError> first_error;
  for (map::PlanOption& o : space.options) {
    PlanCandidate c{std::move(o.layout), std::move(o.stage_bytes), o.bound_s, std::nullopt, ""};
    if (best && scoreOf(obj, c.bound_s, c.layout.chips()) >= *best) {
      c.status = "pruned by its bound";
      choice.candidates.push_back(std::move(c));
      continue;
    }
    if (choice.simulated >= kMaxSimulated) {
      c.status = "not simulated (search limit)";
      choice.candidates.push_back(std::move(c));
      continue;
    }
    try {
      std::unique_ptr<SystemRun> run;
      c.simulated_s = simulatedSeconds(system, s, c.layout, run, progress, options);
      ++choice.simulated;
      c.status = "simulated";
      const Score score = scoreOf(obj, *c.simulated_s, c.layout.chips());
      if (!best || score < *best) {
        best = score;
        choice.chosen = choice.candidates.size();
        if (best_run != nullptr) *best_run = std::move(run);
      }
    } catch (const ConfigError& e) {
      c.status = "failed: " + e.diagnostics().front().message;
      if (!first_error) first_error = e;
    }
    choice.candidates.push_back(std::move(c));
  }
  if (!best) throw *first_error;
  choice.candidates[choice.chosen].status = "chosen";
  return choice;
}

map::ParallelLayout resolvePlan(const spec::SystemSpec& system, const spec::ScenarioSpec& s) {
  return planRun(system, s).layout;
}

PlanRun planRun(const spec::SystemSpec& system, const spec::ScenarioSpec& s,
                exec::ProgressSink* progress, const RunOptions& options) {
  PlanRun out;
  if (!s.parallel.automatic) {
    out.layout = map::explicitLayout(s, system);
  } else if (system.chipCount() == 1) {
    out.layout = oneChipLayout(s);
  } else {
    out.layout = searchPlan(system, s, std::nullopt, &out.simulated, progress, options).layout();
  }
  return out;
}

}  // namespace archsim::run
