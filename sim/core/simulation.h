// Simulation: one self-contained discrete-event simulation.
//
// Owns the event queue, clock domains, components, the root stat group and the warning log. There
// is no global state, so any number of simulations can live (and run) in one process. Time only
// moves forward: scheduling into the past throws Panic. Idle time costs nothing — run() jumps from
// event to event.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/clock_domain.h"
#include "sim/core/component.h"
#include "sim/core/event_queue.h"
#include "sim/core/log.h"
#include "sim/core/stats.h"
#include "sim/core/time.h"

namespace archsim {

/// What a simulation has accumulated at one moment, by name: every additive stat value and the busy
/// server-ticks of every component's activity timelines ("component/activity"). The difference of
/// two samples is the work between them; replay() adds such work without simulating it.
struct SimSample {
  Tick now = 0;
  std::vector<std::pair<std::string, double>> stats;
  std::vector<std::pair<std::string, Tick>> busy;

  /// this - earlier, entry by entry (entries absent from `earlier` count from zero).
  SimSample since(const SimSample& earlier) const;
};

class Simulation {
 public:
  /// warnings: where Log warnings are printed (nullptr: recorded only).
  explicit Simulation(std::string name = "sim", std::ostream* warnings = nullptr);
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  ~Simulation();

  const std::string& name() const { return name_; }
  Tick now() const { return now_; }

  /// Schedules `callback(arg)` at absolute tick `when` (>= now()).
  void schedule(Tick when, Callback callback, std::uint64_t arg = 0,
                Priority priority = Priority::kDefault);
  /// Schedules `callback(arg)` `delay` ticks from now.
  void scheduleIn(Tick delay, Callback callback, std::uint64_t arg = 0,
                  Priority priority = Priority::kDefault) {
    schedule(addTicks(now_, delay), callback, arg, priority);
  }

  /// Runs events in order until the queue is empty, stop() is called, or the next event lies beyond
  /// `until`. Unless stopped, a finite `until` leaves now() at `until`. Calls initAll() first if it
  /// has not run. Returns the number of events processed by this call.
  std::uint64_t run(Tick until = kMaxTick);
  /// Makes run() return after the current event.
  void stop() { stop_requested_ = true; }
  /// init() on every component, once. Called by run() if the owner did not.
  void initAll();
  /// finalize() on every component, once.
  void finalizeAll();

  /// A clock domain owned by this simulation; warns through log() when the period rounding error
  /// exceeds kClockRoundingWarnFraction.
  ClockDomain& addClock(std::string name, double frequency_hz);

  /// Creates a component owned by this simulation: T(Simulation&, Args...).
  template <class T, class... Args>
  T& add(Args&&... args) {
    auto component = std::make_unique<T>(*this, std::forward<Args>(args)...);
    T& ref = *component;
    components_.push_back(std::move(component));
    return ref;
  }

  /// Starts a new stats window at now(): every stat resets and utilizations count from here (use it
  /// to drop a warm-up phase).
  void resetStats();
  Tick statsStart() const { return stats_start_; }

  /// The state to diff (SimSample::since) around a piece of work.
  SimSample sample() const;
  /// Adds `work` (a difference of samples, possibly scaled and summed) as if it had run over
  /// [now, now + duration): its stats are added, each activity's busy time is spread evenly over
  /// that window (entries this simulation lacks are skipped), and the clock moves to its end.
  /// Only between runs: Panic if events are pending.
  void replay(const SimSample& work, Tick duration);

  StatGroup& stats() { return stats_; }
  const StatGroup& stats() const { return stats_; }
  Log& log() { return log_; }
  EventQueue& queue() { return queue_; }
  std::uint64_t eventsProcessed() const { return events_processed_; }

 private:
  std::string name_;
  Tick now_ = 0;
  EventQueue queue_;
  Log log_;
  StatGroup stats_;
  std::vector<std::unique_ptr<ClockDomain>> clocks_;
  std::vector<std::unique_ptr<Component>> components_;
  std::uint64_t events_processed_ = 0;
  Tick stats_start_ = 0;
  bool stop_requested_ = false;
  bool initialized_ = false;
  bool finalized_ = false;
};

}  // namespace archsim
