// EventQueue: the pending-event set of one Simulation.
//
// Events are small plain records ordered by (tick, priority, insertion sequence). Equal tick and
// priority run in insertion (FIFO) order, so a run is deterministic. Storage is one contiguous 4-ary
// heap: scheduling never allocates per event (the vector grows geometrically, and reserve() avoids
// even that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/callback.h"
#include "sim/core/time.h"

namespace archsim {

/// Named priorities for events that share a tick: lower runs first.
enum class Priority : std::uint8_t {
  kFirst = 0,
  kResourceRelease = 32,  // a resource frees before new work at the same tick looks at it
  kDefault = 128,
  kStats = 224,           // sampling sees the state after all work at that tick
  kLast = 255,
};

struct Event {
  Tick when = 0;
  std::uint64_t order = 0;  // priority in the top 8 bits, insertion sequence in the low 56
  Callback callback;
  std::uint64_t arg = 0;

  Priority priority() const { return static_cast<Priority>(order >> 56); }
};

class EventQueue {
 public:
  /// Adds an event. Throws Panic if the 2^56 sequence space is exhausted.
  void schedule(Tick when, Callback callback, std::uint64_t arg = 0, Priority priority = Priority::kDefault);

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  /// Tick of the earliest event; kMaxTick when empty.
  Tick nextTick() const { return heap_.empty() ? kMaxTick : heap_.front().when; }
  /// Removes and returns the earliest event. The queue must not be empty.
  Event pop();
  void reserve(std::size_t events) { heap_.reserve(events); }
  void clear() { heap_.clear(); }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.when != b.when ? a.when < b.when : a.order < b.order;
  }
  void siftUp(std::size_t hole, Event event);
  void siftDown(std::size_t hole, Event event);

  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace archsim
