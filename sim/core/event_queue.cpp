#include "sim/core/event_queue.h"

#include <algorithm>

#include "sim/core/error.h"

namespace archsim {
namespace {
constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << 56) - 1;

bool laterInOrder(const Event& a, const Event& b) {
  return a.order > b.order;
}
}  // namespace

void EventQueue::schedule(Tick when, Callback callback, std::uint64_t arg, Priority priority) {
  if (when < floor_) ARCHSIM_PANIC_AT(floor_, "event scheduled before the last processed tick");
  if (next_sequence_ > kSequenceMask) ARCHSIM_PANIC("event sequence space exhausted");
  const Event event{when, (static_cast<std::uint64_t>(priority) << 56) | next_sequence_++, callback,
                    arg};
  ++size_;
  if (when == floor_) {
    current_.push_back(event);
    if (current_.size() > 1) std::push_heap(current_.begin(), current_.end(), laterInOrder);
  } else {
    insert(event);
  }
}

void EventQueue::insert(const Event& event) {
  const int b = bucketOf(event.when, floor_);
  std::vector<Event>& bucket = buckets_[static_cast<std::size_t>(b)];
  const std::uint64_t bit = std::uint64_t{1} << (b - 1);
  if ((nonempty_ & bit) == 0) {
    nonempty_ |= bit;
    bucket_min_[static_cast<std::size_t>(b)] = event.when;
  } else {
    bucket_min_[static_cast<std::size_t>(b)] =
        std::min(bucket_min_[static_cast<std::size_t>(b)], event.when);
  }
  bucket.push_back(event);
}

Tick EventQueue::nextTick() const {
  if (!current_.empty()) return floor_;
  if (nonempty_ == 0) return kMaxTick;
  return bucket_min_[static_cast<std::size_t>(1 + __builtin_ctzll(nonempty_))];
}

void EventQueue::refill() {
  const auto b = static_cast<std::size_t>(1 + __builtin_ctzll(nonempty_));
  nonempty_ &= ~(std::uint64_t{1} << (b - 1));
  floor_ = bucket_min_[b];
  // Swap out the bucket so inserts below can reuse buckets_ freely; its capacity comes back after.
  std::vector<Event> moving;
  moving.swap(buckets_[b]);
  for (const Event& e : moving) {
    if (e.when == floor_) {
      current_.push_back(e);
    } else {
      insert(e);
    }
  }
  moving.clear();
  if (buckets_[b].capacity() < moving.capacity()) buckets_[b].swap(moving);
  if (current_.size() > 1) std::make_heap(current_.begin(), current_.end(), laterInOrder);
}

Event EventQueue::pop() {
  if (size_ == 0) ARCHSIM_PANIC("pop from an empty event queue");
  if (current_.empty()) refill();
  if (current_.size() > 1) std::pop_heap(current_.begin(), current_.end(), laterInOrder);
  const Event top = current_.back();
  current_.pop_back();
  --size_;
  return top;
}

void EventQueue::clear() {
  for (auto& b : buckets_)
    b.clear();
  current_.clear();
  nonempty_ = 0;
  size_ = 0;
}

}  // namespace archsim
