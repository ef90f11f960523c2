// UnitPool: N identical compute units serving work in FIFO order.
//
// Timing contract: work items are served in submission order; each goes to the unit that frees
// first (lowest index on ties), so with durations known at submission the schedule is closed-form:
//   start = max(now, earliest unit free time),  finish = start + duration.
// submit() schedules one completion event per item; nothing ticks while units are idle. O(log N),
// on a tournament tree (one root-to-leaf path of branch-free selections per booking).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/activity.h"
#include "sim/core/callback.h"
#include "sim/core/component.h"
#include "sim/core/event_queue.h"
#include "sim/core/time.h"

namespace archsim {

class UnitPool final : public Component {
 public:
  struct Slot {
    std::uint32_t unit;
    Tick start;
    Tick finish;
  };

  /// units must be > 0 (Panic otherwise).
  UnitPool(Simulation& sim, std::string name, StatGroup& parent_stats, std::uint32_t units);

  /// Books the next unit in FIFO order for `duration` ticks. Schedules nothing.
  Slot reserve(Tick duration);
  /// For a caller that tracks which units are free itself (and only starts work on a free one):
  /// `lanes` units held from now for `duration` (a spatial chip's cores in lockstep), counted in
  /// the stats without booking a unit. Schedules nothing.
  void hold(Tick duration, std::uint64_t lanes = 1);
  /// reserve() plus one event done(arg) at the slot's finish; returns the slot.
  Slot submit(Tick duration, Callback done, std::uint64_t arg = 0,
              Priority priority = Priority::kDefault);

  std::uint32_t units() const { return units_; }
  /// Tick at which every unit is free.
  Tick allFreeAt() const { return all_free_at_; }
  /// Units held over time (capacity: the unit count): a unit is held from its slot's start to
  /// its finish, computing or waiting for operands.
  const Activity& occupancy() const { return occupancy_; }
  /// Units computing over time: what the user of the pool reports with noteCompute().
  const Activity& computing() const { return computing_; }
  /// One unit computed over [start, end).
  void noteCompute(Tick start, Tick end) { computing_.add(start, end); }
  /// `lanes` units computed over [start, end).
  void noteCompute(Tick start, Tick end, std::uint64_t lanes) {
    if (lanes <= 1) {
      computing_.add(start, end);
    } else {
      computing_.addSpread(start, end, mulTicks(end - start, lanes));
    }
  }
  void activities(std::vector<std::pair<std::string, Activity*>>& out) override {
    out.emplace_back("occupancy", &occupancy_);
    out.emplace_back("computing", &computing_);
  }
  void resetStats() override;

 private:
  /// Node `node` takes the winner of its children: the one free first, the left (lower-indexed
  /// units) on ties. Branch-free: which child wins is data, not a predictable branch.
  void play(std::size_t node) {
    const std::size_t left = 2 * node;
    const std::size_t pick = left + (node_at_[left + 1] < node_at_[left] ? 1 : 0);
    node_at_[node] = node_at_[pick];
    node_unit_[node] = node_unit_[pick];
  }

  /// Builds the tree on the first booking (a caller that only holds units never needs it).
  void buildTree();

  std::uint32_t units_;
  // A tournament tree over the units' free times: node i's winner is the leaf free first in its
  // subtree (lowest index on ties), so the root is the next unit and a booking updates one path.
  // Nodes are 1-based, leaf u at leaves_ + u (its unit's free time; padding leaves never free).
  std::uint32_t leaves_ = 1;  // a power of two >= units
  std::vector<Tick> node_at_;
  std::vector<std::uint32_t> node_unit_;
  Tick all_free_at_ = 0;
  Counter& tasks_;
  Counter& busy_ticks_;
  Counter& wait_ticks_;
  Activity occupancy_;
  Activity computing_;
};

}  // namespace archsim
