#include "sim/core/simulation.h"

#include <vector>

#include <doctest/doctest.h>

#include "sim/core/error.h"

using namespace archsim;

namespace {
// Re-schedules itself `remaining` times with a fixed stride and records the ticks it ran at.
struct Ticker {
  Simulation& sim;
  Tick stride;
  int remaining;
  std::vector<Tick> seen;
  void fire(std::uint64_t) {
    seen.push_back(sim.now());
    if (--remaining > 0) sim.scheduleIn(stride, Callback::to<&Ticker::fire>(this));
  }
};

struct Stopper {
  Simulation& sim;
  void fire() { sim.stop(); }
};
}  // namespace

TEST_CASE("Simulation jumps from event to event and stops when the queue drains") {
  Simulation sim;
  Ticker t{sim, 250, 4, {}};
  sim.schedule(100, Callback::to<&Ticker::fire>(&t));
  CHECK(sim.run() == 4);
  CHECK(t.seen == std::vector<Tick>{100, 350, 600, 850});
  CHECK(sim.now() == 850);
  CHECK(sim.eventsProcessed() == 4);
}

TEST_CASE("Simulation::run(until) processes events up to and including `until`, then parks there") {
  Simulation sim;
  Ticker t{sim, 100, 10, {}};
  sim.schedule(0, Callback::to<&Ticker::fire>(&t));
  CHECK(sim.run(300) == 4);  // 0, 100, 200, 300
  CHECK(sim.now() == 300);
  CHECK(sim.run(350) == 0);
  CHECK(sim.now() == 350);
  CHECK(sim.run() == 6);
  CHECK(t.seen.back() == 900);
}

TEST_CASE("Simulation::stop ends run() after the current event") {
  Simulation sim;
  Ticker t{sim, 10, 100, {}};
  Stopper s{sim};
  sim.schedule(0, Callback::to<&Ticker::fire>(&t));
  sim.schedule(25, Callback::to<&Stopper::fire>(&s));
  sim.run();
  CHECK(sim.now() == 25);
  CHECK(t.seen.size() == 3);
}

TEST_CASE("Scheduling into the past is an internal error naming the tick") {
  Simulation sim;
  Ticker t{sim, 10, 1, {}};
  sim.schedule(50, Callback::to<&Ticker::fire>(&t));
  sim.run();
  try {
    sim.schedule(40, Callback::to<&Ticker::fire>(&t));
    FAIL("expected a Panic");
  } catch (const Panic& e) {
    CHECK(std::string(e.what()).find("tick 50 ps") != std::string::npos);
  }
}

TEST_CASE("Two simulations in one process are independent and deterministic") {
  Simulation a("a");
  Simulation b("b");
  Ticker ta{a, 7, 50, {}};
  Ticker tb{b, 11, 30, {}};
  a.schedule(3, Callback::to<&Ticker::fire>(&ta));
  b.schedule(5, Callback::to<&Ticker::fire>(&tb));
  // Interleave the two runs: neither sees the other's events or time.
  a.run(100);
  b.run(100);
  a.run();
  b.run();
  CHECK(ta.seen.size() == 50);
  CHECK(tb.seen.size() == 30);
  CHECK(a.now() == 3 + 49 * 7);
  CHECK(b.now() == 5 + 29 * 11);
  CHECK(a.eventsProcessed() == 50);
  CHECK(b.eventsProcessed() == 30);
}

TEST_CASE("Time that would pass the end of the Tick range is a TimeOverflow, never a wrap") {
  Simulation sim;
  Ticker t{sim, kMaxTick / 2, 4, {}};  // 0, 2^63 - 1, 2^64 - 2; the fourth saturates
  sim.schedule(0, Callback::to<&Ticker::fire>(&t));
  CHECK_THROWS_AS(sim.run(), TimeOverflow);
  CHECK(t.seen == std::vector<Tick>{0, kMaxTick / 2, kMaxTick - 1});
  // A delay that saturates the sum is refused the same way.
  Simulation other;
  Ticker u{other, 1, 1, {}};
  other.schedule(5, Callback::to<&Ticker::fire>(&u));
  other.run();
  CHECK_THROWS_AS(other.scheduleIn(kMaxTick - 5, Callback::to<&Ticker::fire>(&u)), TimeOverflow);
  CHECK_NOTHROW(other.scheduleIn(kMaxTick - 6, Callback::to<&Ticker::fire>(&u)));
}
