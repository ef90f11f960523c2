#include "sim/core/stats.h"

#include <cmath>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "sim/core/error.h"

using namespace archsim;

TEST_CASE("StatGroup dumps a hierarchy with units, descriptions and lazily derived formulas") {
  StatGroup root("chip");
  StatGroup& hbm = root.addGroup("hbm", "main memory");
  Counter& bytes = hbm.addCounter("bytes", "B", "bytes read");
  Scalar& busy = hbm.addScalar("busy", "s", "busy time");
  double elapsed = 0.0;
  hbm.addFormula("bandwidth", "B/s", "bytes / elapsed",
                 [&] { return static_cast<double>(bytes.count()) / elapsed; });
  bytes.add(3000);
  busy.add(0.5);
  elapsed = 2.0;  // formulas see state at dump time, not at registration
  const auto j = root.toJson();
  CHECK(j["groups"]["hbm"]["desc"] == "main memory");
  CHECK(j["groups"]["hbm"]["stats"]["bytes"]["value"] == 3000);
  CHECK(j["groups"]["hbm"]["stats"]["bytes"]["unit"] == "B");
  CHECK(j["groups"]["hbm"]["stats"]["busy"]["value"] == 0.5);
  CHECK(j["groups"]["hbm"]["stats"]["bandwidth"]["value"] == 1500.0);
  CHECK(root.findStat("hbm.bandwidth")->value() == 1500.0);
  CHECK(root.findStat("hbm.nope") == nullptr);
  CHECK(root.toText().find("chip.hbm.bandwidth") != std::string::npos);
}

TEST_CASE("A formula that divides by zero dumps as null, not NaN") {
  StatGroup root("r");
  root.addFormula("ratio", "1", "0/0", [] { return std::nan(""); });
  CHECK(root.toJson()["stats"]["ratio"]["value"].is_null());
}

TEST_CASE("Distribution summarizes samples") {
  StatGroup root("r");
  Distribution& d = root.addDistribution("lat", "s", "latency");
  for (double x : {4.0, 1.0, 7.0})
    d.sample(x);
  CHECK(d.count() == 3);
  CHECK(d.min() == 1.0);
  CHECK(d.max() == 7.0);
  CHECK(d.mean() == 4.0);
  const auto j = root.toJson()["stats"]["lat"];
  CHECK(j["sum"] == 12.0);
}

TEST_CASE("Registering a name twice, or a stat without unit, is an internal error") {
  StatGroup root("r");
  root.addCounter("x", "1", "");
  CHECK_THROWS_AS(root.addCounter("x", "1", ""), Panic);
  CHECK_THROWS_AS(root.addGroup("x"), Panic);
  CHECK_THROWS_AS(root.addScalar("y", "", ""), Panic);
  CHECK_THROWS_AS(root.addScalar("a.b", "s", ""), Panic);
}
