#include "sim/core/event_queue.h"

#include <algorithm>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "sim/core/error.h"

using namespace archsim;

namespace {
struct Sink {
  void on(std::uint64_t) {}
};
}  // namespace

TEST_CASE("EventQueue orders by tick, then priority, then insertion (FIFO)") {
  Sink sink;
  const Callback cb = Callback::to<&Sink::on>(&sink);
  EventQueue q;
  q.schedule(20, cb, 1);
  q.schedule(10, cb, 2, Priority::kLast);
  q.schedule(10, cb, 3);
  q.schedule(10, cb, 4, Priority::kFirst);
  q.schedule(10, cb, 5);
  q.schedule(5, cb, 6);
  std::vector<std::uint64_t> order;
  while (!q.empty())
    order.push_back(q.pop().arg);
  CHECK(order == std::vector<std::uint64_t>{6, 4, 3, 5, 2, 1});
}

TEST_CASE("EventQueue pops a random schedule in exactly stable-sorted order") {
  Sink sink;
  const Callback cb = Callback::to<&Sink::on>(&sink);
  std::mt19937_64 rng(42);
  struct Item {
    Tick when;
    Priority priority;
    std::uint64_t id;
  };
  std::vector<Item> items;
  EventQueue q;
  for (std::uint64_t i = 0; i < 20'000; ++i) {
    const Item item{rng() % 500, static_cast<Priority>(rng() % 3 * 64), i};
    items.push_back(item);
    q.schedule(item.when, cb, item.id, item.priority);
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.when != b.when ? a.when < b.when : a.priority < b.priority;
  });
  for (const Item& expected : items) {
    const Event e = q.pop();
    REQUIRE(e.arg == expected.id);
    REQUIRE(e.when == expected.when);
    REQUIRE(e.priority() == expected.priority);
  }
  CHECK(q.empty());
  CHECK(q.nextTick() == kMaxTick);
}

TEST_CASE("EventQueue pop on empty is an internal error") {
  EventQueue q;
  CHECK_THROWS_AS(q.pop(), Panic);
}

TEST_CASE("EventQueue matches a reference ordered set under interleaved schedule and pop") {
  Sink sink;
  const Callback cb = Callback::to<&Sink::on>(&sink);
  std::mt19937_64 rng(7);
  EventQueue q;
  std::set<std::tuple<Tick, int, std::uint64_t>> reference;  // (tick, priority, insertion id)
  std::uint64_t id = 0;
  Tick now = 0;
  for (int step = 0; step < 200'000; ++step) {
    if (reference.empty() || rng() % 100 < 52) {
      // Mostly near-future events, some at the current tick, a few far away.
      const std::uint64_t r = rng() % 100;
      const Tick when = r < 15 ? now : r < 95 ? now + rng() % 5000 : now + (rng() >> 20);
      const int prio = static_cast<int>(rng() % 3) * 100;
      q.schedule(when, cb, id, static_cast<Priority>(prio));
      reference.emplace(when, prio, id++);
    } else {
      REQUIRE(q.nextTick() == std::get<0>(*reference.begin()));
      const Event e = q.pop();
      const auto expected = *reference.begin();
      reference.erase(reference.begin());
      REQUIRE(e.when == std::get<0>(expected));
      REQUIRE(e.arg == std::get<2>(expected));
      now = e.when;
    }
    REQUIRE(q.size() == reference.size());
  }
}

TEST_CASE("EventQueue refuses an event before the last popped tick") {
  Sink sink;
  const Callback cb = Callback::to<&Sink::on>(&sink);
  EventQueue q;
  q.schedule(50, cb);
  q.pop();
  CHECK_THROWS_AS(q.schedule(49, cb), Panic);
  q.schedule(50, cb);  // the same tick is fine
  CHECK(q.nextTick() == 50);
  q.clear();
  CHECK(q.empty());
  CHECK(q.nextTick() == kMaxTick);
}
