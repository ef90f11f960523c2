#include "sim/core/clock_domain.h"

#include <cmath>
#include <optional>

#include <doctest/doctest.h>

#include "sim/core/simulation.h"

using namespace archsim;

TEST_CASE("mulDivCeil is the exact ceiling, with 128-bit intermediates") {
  CHECK(mulDivCeil(7, 3, 2) == 11);  // 21/2 = 10.5
  CHECK(mulDivCeil(8, 3, 2) == 12);
  CHECK(mulDivCeil(0, 5, 3) == 0);
  // 1 TB at 1 B/s does not fit 64 bits of picoseconds: saturates instead of wrapping.
  CHECK(transferTicks(1'000'000'000'000ULL, 1) == std::numeric_limits<std::uint64_t>::max());
  // 1e15 bytes x 1e12 overflows 64 bits in the intermediate but not in 128.
  CHECK(transferTicks(1'000'000'000'000'000ULL, 1'000'000'000'000'000ULL) == kTicksPerSecond);
  CHECK(transferTicks(3, 2'000'000'000'000ULL) == 2);  // 1.5 ps rounds up
}

TEST_CASE("ClockDomain rounds the period once and converts exactly") {
  ClockDomain one_ghz("core", 1e9);
  CHECK(one_ghz.periodTicks() == 1000);
  CHECK(one_ghz.roundingError() == 0.0);
  CHECK(one_ghz.cyclesToTicks(Cycles(7)) == 7000);
  CHECK(one_ghz.ticksToCycles(7000) == Cycles(7));
  CHECK(one_ghz.ticksToCycles(7001) == Cycles(8));  // a partial cycle still occupies the unit
  CHECK(one_ghz.nextEdge(1500) == 2000);
  CHECK(one_ghz.nextEdge(2000) == 2000);

  ClockDomain h100("tensor", 1.83e9);  // 546.448 ps -> 546 ps, 0.08 % off
  CHECK(h100.periodTicks() == 546);
  CHECK(h100.roundingError() == doctest::Approx(0.448 / 546.448).epsilon(1e-3));
  CHECK(h100.roundingError() < kClockRoundingWarnFraction);
}

TEST_CASE("ClockDomain rejects non-physical frequencies") {
  CHECK_THROWS_AS(ClockDomain("bad", 0.0), std::invalid_argument);
  CHECK_THROWS_AS(ClockDomain("bad", -1e9), std::invalid_argument);
  CHECK_THROWS_AS(ClockDomain("bad", std::numeric_limits<double>::infinity()),
                  std::invalid_argument);
  CHECK_THROWS_AS(ClockDomain("bad", 2e12), std::invalid_argument);
}

TEST_CASE("Simulation warns when a clock's period rounding error exceeds 0.1%") {
  Simulation sim;
  sim.addClock("fine", 1.83e9);
  CHECK(sim.log().warnings().empty());
  ClockDomain& coarse = sim.addClock("coarse", 6.6e9);  // 151.515 ps -> 152 ps, 0.32 % off
  CHECK(coarse.periodTicks() == 152);
  REQUIRE(sim.log().warnings().size() == 1);
  CHECK(sim.log().warnings()[0].find("coarse") != std::string::npos);
}

TEST_CASE("Tick arithmetic saturates or rounds up, never wraps or rounds work to zero") {
  CHECK(mulTicks(1ULL << 32, 1ULL << 31) == 1ULL << 63);
  CHECK(mulTicks(1ULL << 32, 1ULL << 32) == kMaxTick);
  CHECK(addTicks(kMaxTick - 1, 2) == kMaxTick);
  CHECK(ceilTicks(0.25) == 1);  // sub-tick work takes a whole tick
  CHECK(ceilTicks(2.0) == 2);
  CHECK(ceilTicks(0.0) == 0);
  CHECK(ceilTicks(-3.0) == 0);
  CHECK(ceilTicks(1e30) == kMaxTick);
  CHECK(ceilTicks(18446744073709551616.0) == kMaxTick);  // 2^64 exactly
  CHECK(ceilTicks(std::nan("")) == kMaxTick);
  CHECK(roundTicks(2.5) == 3);  // half away from zero, as std::llround
  CHECK(roundTicks(1e300) == kMaxTick);
  CHECK(saturatingAdd(kMaxCount, 1) == kMaxCount);
  CHECK(saturatingMul(3, 5) == 15);
  CHECK(checkedMul(1ULL << 40, 1ULL << 30) == std::nullopt);
  CHECK(checkedMul(1ULL << 40, 1ULL << 20) == std::optional<std::uint64_t>(1ULL << 60));
  // A clock period times a cycle count past 2^64 saturates.
  const ClockDomain slow("slow", 1e3);  // 1 kHz: 10^9 ps a cycle
  CHECK(slow.cyclesToTicks(Cycles(1ULL << 62)) == kMaxTick);
}
