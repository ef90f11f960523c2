#include "sim/core/bandwidth_server.h"

#include <vector>

#include <doctest/doctest.h>

#include "sim/core/simulation.h"
#include "support.h"

using namespace archsim;
using archsim::test::Recorder;

TEST_CASE("BandwidthServer: an idle transfer ends at latency + ceil(S / B)") {
  Simulation sim;
  // 450 GB/s, 1 us: one NVLink4 direction of an H100.
  BandwidthServer& link =
      sim.add<BandwidthServer>("link", sim.stats(), 450'000'000'000ULL, 1'000'000);
  Recorder rec{sim, {}};
  const std::uint64_t bytes = 1'000'003;
  const Tick expected =
      1'000'000 + (bytes * 1'000'000'000'000ULL + 450'000'000'000ULL - 1) / 450'000'000'000ULL;
  CHECK(link.transfer(bytes, Callback::to<&Recorder::on>(&rec), 7) == expected);
  sim.run();
  REQUIRE(rec.done.size() == 1);
  CHECK(rec.done[0] == std::pair<Tick, std::uint64_t>{expected, 7});
}

TEST_CASE("BandwidthServer: concurrent transfers serialize their bytes and overlap their latency") {
  Simulation sim;
  BandwidthServer& port =
      sim.add<BandwidthServer>("port", sim.stats(), 1'000'000'000'000ULL, 500);  // 1 B/ps
  Recorder rec{sim, {}};
  port.transfer(1000, Callback::to<&Recorder::on>(&rec), 1);
  port.transfer(2000, Callback::to<&Recorder::on>(&rec), 2);
  sim.run();
  REQUIRE(rec.done.size() == 2);
  CHECK(rec.done[0].first == 1000 + 500);
  CHECK(rec.done[1].first == 1000 + 2000 + 500);
  CHECK(port.busyTicks() == 3000);
  CHECK(sim.stats().findStat("port.wait_ps")->value() == 1000.0);
  CHECK(sim.stats().findStat("port.utilization")->value() == doctest::Approx(3000.0 / 3500.0));
}

TEST_CASE("BandwidthServer: a transfer after the server went idle starts immediately") {
  Simulation sim;
  BandwidthServer& port = sim.add<BandwidthServer>("port", sim.stats(), 1'000'000'000'000ULL, 0);
  Recorder rec{sim, {}};
  port.transfer(100, Callback::to<&Recorder::on>(&rec));
  sim.run();
  sim.run(10'000);
  CHECK(port.reserve(100) == 10'100);
}
