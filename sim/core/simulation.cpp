#include "sim/core/simulation.h"

#include <map>

#include <fmt/format.h>

#include "sim/core/error.h"

namespace archsim {

Component::Component(Simulation& sim, std::string name, StatGroup& parent_stats)
    : sim_(sim), name_(name), stats_(parent_stats.addGroup(std::move(name))) {}

Tick Component::now() const {
  return sim_.now();
}
Tick Component::statsStart() const {
  return sim_.statsStart();
}

SimSample SimSample::since(const SimSample& earlier) const {
  SimSample d;
  d.now = now - earlier.now;
  std::map<std::string, double> stats_before(earlier.stats.begin(), earlier.stats.end());
  for (const auto& [name, value] : stats) {
    const auto it = stats_before.find(name);
    d.stats.emplace_back(name, value - (it == stats_before.end() ? 0.0 : it->second));
  }
  std::map<std::string, Tick> busy_before(earlier.busy.begin(), earlier.busy.end());
  for (const auto& [name, value] : busy) {
    const auto it = busy_before.find(name);
    d.busy.emplace_back(name, value - (it == busy_before.end() ? 0 : it->second));
  }
  return d;
}

namespace {
/// Every component's activities, keyed "component/activity" (a repeated key gets "#k").
std::vector<std::pair<std::string, Activity*>> namedActivities(
    const std::vector<std::unique_ptr<Component>>& components) {
  std::vector<std::pair<std::string, Activity*>> out, mine;
  std::map<std::string, int> seen;
  for (const auto& c : components) {
    mine.clear();
    c->activities(mine);
    for (const auto& [name, activity] : mine) {
      std::string key = c->name() + "/" + name;
      if (const int k = seen[key]++; k > 0) key += fmt::format("#{}", k);
      out.emplace_back(std::move(key), activity);
    }
  }
  return out;
}
}  // namespace

SimSample Simulation::sample() const {
  SimSample s;
  s.now = now_;
  s.stats = stats_.additiveValues();
  for (const auto& [name, activity] : namedActivities(components_))
    s.busy.emplace_back(name, activity->total());
  return s;
}

void Simulation::replay(const SimSample& work, Tick duration) {
  if (!queue_.empty()) ARCHSIM_PANIC_AT(now_, "replay while events are pending");
  stats_.accumulate(work.stats);
  std::map<std::string, Activity*> by_name;
  for (const auto& [name, activity] : namedActivities(components_))
    by_name.emplace(name, activity);
  const Tick end = addTicks(now_, duration);
  if (end == kMaxTick) throw TimeOverflow(now_);
  for (const auto& [name, busy] : work.busy) {
    if (const auto it = by_name.find(name); it != by_name.end())
      it->second->addSpread(now_, end, busy);
  }
  now_ = end;
}

void Simulation::resetStats() {
  stats_.reset();
  for (auto& c : components_)
    c->resetStats();
  stats_start_ = now_;
}

Simulation::Simulation(std::string name, std::ostream* warnings)
    : name_(std::move(name)), log_(warnings), stats_(name_) {
  stats_.addFormula("sim_seconds", "s", "simulated time in the stats window",
                    [this] { return ticksToSeconds(now_ - stats_start_); });
  stats_.addFormula("events", "1", "events processed",
                    [this] { return static_cast<double>(events_processed_); });
}

// Components are destroyed in reverse creation order: later components may hold references to
// earlier ones, never the other way round.
Simulation::~Simulation() {
  while (!components_.empty())
    components_.pop_back();
}

void Simulation::schedule(Tick when, Callback callback, std::uint64_t arg, Priority priority) {
  if (when < now_) {
    ARCHSIM_PANIC_AT(now_, fmt::format("event scheduled in the past (at {} ps)", when));
  }
  if (!callback) ARCHSIM_PANIC_AT(now_, "event scheduled without a callback");
  if (when == kMaxTick) throw TimeOverflow(now_);  // every time sum saturates there
  queue_.schedule(when, callback, arg, priority);
}

std::uint64_t Simulation::run(Tick until) {
  initAll();
  stop_requested_ = false;
  std::uint64_t processed = 0;
  while (!queue_.empty() && !stop_requested_) {
    if (queue_.nextTick() > until) {
      now_ = until;
      break;
    }
    const Event event = queue_.pop();
    now_ = event.when;
    event.callback(event.arg);
    ++processed;
  }
  // Running "until T" leaves the clock at T even when the queue drained earlier.
  if (queue_.empty() && !stop_requested_ && until != kMaxTick && until > now_) now_ = until;
  events_processed_ += processed;
  return processed;
}

void Simulation::initAll() {
  if (initialized_) return;
  initialized_ = true;
  for (auto& c : components_)
    c->init();
}

void Simulation::finalizeAll() {
  if (finalized_) return;
  finalized_ = true;
  for (auto& c : components_)
    c->finalize();
}

ClockDomain& Simulation::addClock(std::string name, double frequency_hz) {
  auto clock = std::make_unique<ClockDomain>(std::move(name), frequency_hz);
  if (clock->roundingError() > kClockRoundingWarnFraction) {
    log_.warn(fmt::format(
        "clock '{}': {:.6g} Hz rounds to a {} ps period ({:.6g} Hz), off by {:.3f}% (> {:.1f}%)",
        clock->name(), frequency_hz, clock->periodTicks(), clock->effectiveFrequencyHz(),
        clock->roundingError() * 100.0, kClockRoundingWarnFraction * 100.0));
  }
  clocks_.push_back(std::move(clock));
  return *clocks_.back();
}

}  // namespace archsim
