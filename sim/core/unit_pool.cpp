#include "sim/core/unit_pool.h"

#include <algorithm>

#include "sim/core/error.h"
#include "sim/core/simulation.h"

namespace archsim {

UnitPool::UnitPool(Simulation& sim, std::string name, StatGroup& parent_stats, std::uint32_t units)
    : Component(sim, std::move(name), parent_stats),
      units_(units),
      tasks_(stats().addCounter("tasks", "1", "work items served")),
      busy_ticks_(
          stats().addCounter("busy_ps", "ps", "unit-time spent working, summed over units")),
      wait_ticks_(stats().addCounter("wait_ps", "ps", "time work items waited for a free unit")),
      occupancy_(units),
      computing_(units) {
  if (units_ == 0) ARCHSIM_PANIC("unit pool '" + this->name() + "' has no units");
  stats().addFormula("units", "1", "identical units in the pool",
                     [this] { return static_cast<double>(units_); });
  stats().addFormula("utilization", "1", "busy unit-time / (units x simulated time)", [this] {
    const Tick end = std::max(now(), all_free_at_) - statsStart();
    return end == 0 ? 0.0
                    : static_cast<double>(busy_ticks_.count()) /
                          (static_cast<double>(end) * static_cast<double>(units_));
  });
}

void UnitPool::buildTree() {
  while (leaves_ < units_)
    leaves_ *= 2;
  // Padding leaves are never free, and lose ties to every unit (they sit to the right).
  node_at_.assign(2 * static_cast<std::size_t>(leaves_), kMaxTick);
  node_unit_.assign(2 * static_cast<std::size_t>(leaves_), 0);
  for (std::uint32_t leaf = 0; leaf < leaves_; ++leaf) {
    node_unit_[leaves_ + leaf] = leaf;
    if (leaf < units_) node_at_[leaves_ + leaf] = 0;
  }
  for (std::size_t node = leaves_ - 1; node >= 1; --node)
    play(node);
}

void UnitPool::hold(Tick duration, std::uint64_t lanes) {
  const Tick finish = addTicks(now(), duration);
  all_free_at_ = std::max(all_free_at_, finish);
  if (lanes <= 1) {
    occupancy_.add(now(), finish);
  } else {
    occupancy_.addSpread(now(), finish, mulTicks(duration, lanes));
  }
  tasks_.add();
  busy_ticks_.add(mulTicks(duration, lanes));
}

UnitPool::Slot UnitPool::reserve(Tick duration) {
  if (node_at_.empty()) buildTree();
  const std::uint32_t unit = node_unit_[1];
  const Tick start = std::max(now(), node_at_[1]);
  const Slot slot{unit, start, addTicks(start, duration)};
  node_at_[leaves_ + unit] = slot.finish;
  for (std::size_t node = (leaves_ + unit) / 2; node >= 1; node /= 2)
    play(node);
  all_free_at_ = std::max(all_free_at_, slot.finish);
  occupancy_.add(slot.start, slot.finish);
  tasks_.add();
  busy_ticks_.add(duration);
  wait_ticks_.add(start - now());
  return slot;
}

void UnitPool::resetStats() {
  occupancy_.reset(now());
  computing_.reset(now());
}

UnitPool::Slot UnitPool::submit(Tick duration, Callback done, std::uint64_t arg,
                                Priority priority) {
  const Slot slot = reserve(duration);
  sim().schedule(slot.finish, done, arg, priority);
  return slot;
}

}  // namespace archsim
