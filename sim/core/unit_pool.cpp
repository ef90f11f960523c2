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
  free_heap_.reserve(units_);
  for (std::uint32_t u = 0; u < units_; ++u)
    free_heap_.push_back({0, u});
  std::make_heap(free_heap_.begin(), free_heap_.end(), later);
  stats().addFormula("units", "1", "identical units in the pool",
                     [this] { return static_cast<double>(units_); });
  stats().addFormula("utilization", "1", "busy unit-time / (units x simulated time)", [this] {
    const Tick end = std::max(now(), all_free_at_) - statsStart();
    return end == 0 ? 0.0
                    : static_cast<double>(busy_ticks_.count()) /
                          (static_cast<double>(end) * static_cast<double>(units_));
  });
}

UnitPool::Slot UnitPool::reserve(Tick duration) {
  std::pop_heap(free_heap_.begin(), free_heap_.end(), later);
  Free& next = free_heap_.back();
  const Tick start = std::max(now(), next.at);
  const Slot slot{next.unit, start, addTicks(start, duration)};
  next.at = slot.finish;
  std::push_heap(free_heap_.begin(), free_heap_.end(), later);
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
