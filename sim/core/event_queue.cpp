#include "sim/core/event_queue.h"

#include <utility>

#include "sim/core/error.h"

namespace archsim {
namespace {
constexpr std::size_t kArity = 4;
constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << 56) - 1;
}  // namespace

void EventQueue::schedule(Tick when, Callback callback, std::uint64_t arg, Priority priority) {
  if (next_sequence_ > kSequenceMask) ARCHSIM_PANIC("event sequence space exhausted");
  Event event{when, (static_cast<std::uint64_t>(priority) << 56) | next_sequence_++, callback, arg};
  heap_.emplace_back();
  siftUp(heap_.size() - 1, event);
}

Event EventQueue::pop() {
  if (heap_.empty()) ARCHSIM_PANIC("pop from an empty event queue");
  Event top = heap_.front();
  Event last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) siftDown(0, last);
  return top;
}

void EventQueue::siftUp(std::size_t hole, Event event) {
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / kArity;
    if (!before(event, heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = event;
}

void EventQueue::siftDown(std::size_t hole, Event event) {
  const std::size_t n = heap_.size();
  while (true) {
    const std::size_t first = hole * kArity + 1;
    if (first >= n) break;
    const std::size_t end = first + kArity < n ? first + kArity : n;
    std::size_t best = first;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], event)) break;
    heap_[hole] = heap_[best];
    hole = best;
  }
  heap_[hole] = event;
}

}  // namespace archsim
