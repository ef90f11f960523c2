#include "sim/core/unit_pool.h"

#include <vector>

#include <doctest/doctest.h>

#include "sim/core/simulation.h"
#include "support.h"

using namespace archsim;
using archsim::test::Recorder;

TEST_CASE("UnitPool: units + 1 equal tasks take two waves") {
  Simulation sim;
  UnitPool& pool = sim.add<UnitPool>("mxu", sim.stats(), 4);
  Recorder rec{sim, {}};
  for (std::uint64_t i = 0; i < 5; ++i)
    pool.submit(1000, Callback::to<&Recorder::on>(&rec), i);
  sim.run();
  REQUIRE(rec.done.size() == 5);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(rec.done[i] == std::pair<Tick, std::uint64_t>{1000, i});
  CHECK(rec.done[4] == std::pair<Tick, std::uint64_t>{2000, 4});
  CHECK(sim.stats().findStat("mxu.utilization")->value() == doctest::Approx(5000.0 / (4 * 2000.0)));
}

TEST_CASE("UnitPool: FIFO to the earliest-free unit, lowest index on ties") {
  Simulation sim;
  UnitPool& pool = sim.add<UnitPool>("vec", sim.stats(), 2);
  const auto a = pool.reserve(300);  // unit 0: [0, 300)
  const auto b = pool.reserve(100);  // unit 1: [0, 100)
  const auto c = pool.reserve(50);   // unit 1 frees first: [100, 150)
  const auto d = pool.reserve(10);   // unit 1 again: [150, 160)
  CHECK((a.unit == 0 && a.start == 0 && a.finish == 300));
  CHECK((b.unit == 1 && b.finish == 100));
  CHECK((c.unit == 1 && c.start == 100 && c.finish == 150));
  CHECK((d.unit == 1 && d.start == 150 && d.finish == 160));
  CHECK(pool.allFreeAt() == 300);
  CHECK(sim.stats().findStat("vec.wait_ps")->value() == 250.0);
}
