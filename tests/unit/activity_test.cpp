#include "sim/core/activity.h"

#include <doctest/doctest.h>

using namespace archsim;

TEST_CASE("Activity splits busy intervals exactly across bins") {
  Activity a(2);      // two servers
  a.add(500, 2500);   // bins 0 (500), 1 (1000), 2 (500) at 1000-tick bins
  a.add(1000, 2000);  // bin 1 (1000)
  REQUIRE(a.binTicks() == 1000);
  REQUIRE(a.bins().size() == 3);
  CHECK(a.bins()[0] == 500);
  CHECK(a.bins()[1] == 2000);  // both servers busy all bin: utilization 2000 / (1000 x 2) = 1
  CHECK(a.bins()[2] == 500);
  CHECK(a.total() == 3000);
  CHECK(a.busyBetween(1000, 2000) == doctest::Approx(2000));
  CHECK(a.busyBetween(0, 500) == doctest::Approx(250));  // pro rata within bin 0
}

TEST_CASE("Activity doubles its bin width past kMaxBins and keeps every busy tick") {
  Activity a;
  const Tick end = Activity::kFirstBinTicks * Activity::kMaxBins * 3;  // needs two doublings (x4)
  a.add(0, 1000);
  a.add(end - 2000, end);
  CHECK(a.binTicks() == Activity::kFirstBinTicks * 4);
  CHECK(a.bins().size() <= Activity::kMaxBins);
  CHECK(a.bins().front() == 1000);
  CHECK(a.bins().back() == 2000);
  CHECK(a.total() == 3000);
  Tick sum = 0;
  for (Tick b : a.bins())
    sum += b;
  CHECK(sum == 3000);
}

TEST_CASE("Activity drops time before its origin after a reset") {
  Activity a;
  a.add(0, 5000);
  a.reset(4000);
  a.add(3000, 4500);  // only [4000, 4500) counts
  CHECK(a.total() == 500);
  CHECK(a.origin() == 4000);
  CHECK(a.bins().front() == 500);
}

TEST_CASE("Activity keeps bounded bins and every busy tick for intervals near the end of time") {
  // Before the fix the bin width times kMaxBins wrapped past 2^64 and coarsening never ended.
  Activity a(1);
  const Tick end = kMaxTick - 1;
  a.add(0, end);
  CHECK(a.total() == end);
  CHECK(a.bins().size() <= Activity::kMaxBins);
  // The width is the first power-of-two multiple of 1 ns that puts `end` within kMaxBins bins.
  CHECK((end - 1) / a.binTicks() < Activity::kMaxBins);
  CHECK((end - 1) / (a.binTicks() / 2) >= Activity::kMaxBins);
  Tick sum = 0;
  for (Tick b : a.bins())
    sum += b;
  CHECK(sum == end);
  a.addSpread(end / 2, end, 12345);
  CHECK(a.total() == end + 12345);
}
