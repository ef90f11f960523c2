// Component: a named block owned by a Simulation, with its own stat group.
//
// Lifecycle (STYLE.md rule 9): construct from a spec -> connect -> init() -> run -> finalize().
// Simulation::initAll() calls init() on every component in creation order before the first event;
// finalize() runs after the last event (to close open intervals in stats). Components never reach
// into each other: they talk through callbacks scheduled on the shared event queue.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/core/activity.h"
#include "sim/core/stats.h"
#include "sim/core/time.h"

namespace archsim {

class Simulation;

class Component {
 public:
  /// Registers a stat group named `name` under `parent_stats`.
  Component(Simulation& sim, std::string name, StatGroup& parent_stats);
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  const std::string& name() const { return name_; }
  StatGroup& stats() { return stats_; }
  const StatGroup& stats() const { return stats_; }

  /// Structural checks and initial events. Throws ConfigError for a mis-built model.
  virtual void init() {}
  /// Called once after the run ends.
  virtual void finalize() {}
  /// Clears state kept outside the stat group when Simulation::resetStats() starts a new window.
  virtual void resetStats() {}
  /// The component's activity timelines, each with a name unique within the component.
  virtual void activities(std::vector<std::pair<std::string, Activity*>>& out) { (void)out; }

 protected:
  Simulation& sim() { return sim_; }
  const Simulation& sim() const { return sim_; }
  Tick now() const;
  /// Start of the current stats window (0, or the tick of the last Simulation::resetStats()).
  Tick statsStart() const;

 private:
  Simulation& sim_;
  std::string name_;
  StatGroup& stats_;
};

}  // namespace archsim
