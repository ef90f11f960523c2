#include "sim/spec/units.h"

#include <string>

#include <doctest/doctest.h>

using namespace archsim::spec;

namespace {
std::string errorOf(const std::string& text, Dimension d) {
  try {
    parseQuantityAs(text, d);
  } catch (const UnitError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("Sizes keep SI and IEC prefixes distinct") {
  CHECK(parseQuantityAs("1 kB", Dimension::kSize) == 1000.0);
  CHECK(parseQuantityAs("1 KB", Dimension::kSize) == 1000.0);
  CHECK(parseQuantityAs("1 KiB", Dimension::kSize) == 1024.0);
  CHECK(parseQuantityAs("1.5 MiB", Dimension::kSize) == 1.5 * 1024 * 1024);
  CHECK(parseQuantityAs("80 GB", Dimension::kSize) == 80e9);
  CHECK(parseQuantityAs("220 MiB", Dimension::kSize) == 220.0 * 1024 * 1024);
  CHECK(parseQuantityAs("2 TiB", Dimension::kSize) == 2.0 * 1024 * 1024 * 1024 * 1024);
  CHECK(parseQuantityAs("1 TB", Dimension::kSize) == 1e12);
  CHECK(parseQuantityAs("64B", Dimension::kSize) == 64.0);  // the space is optional
}

TEST_CASE("Bandwidths accept bytes with SI/IEC prefixes and bit rates") {
  CHECK(parseQuantityAs("3.35 TB/s", Dimension::kBandwidth) == doctest::Approx(3.35e12));
  CHECK(parseQuantityAs("400 Gb/s", Dimension::kBandwidth) == 50e9);
  CHECK(parseQuantityAs("18 Gb/s", Dimension::kBandwidth) == 2.25e9);
  CHECK(parseQuantityAs("1 GiB/s", Dimension::kBandwidth) == 1073741824.0);
  CHECK(parseQuantityAs("21 PB/s", Dimension::kBandwidth) == 21e15);
}

TEST_CASE("Frequency, time, throughput, energy, power and area") {
  CHECK(parseQuantityAs("1.83 GHz", Dimension::kFrequency) == doctest::Approx(1.83e9));
  CHECK(parseQuantityAs("900 MHz", Dimension::kFrequency) == 900e6);
  CHECK(parseQuantityAs("120 ns", Dimension::kTime) == doctest::Approx(120e-9));
  CHECK(parseQuantityAs("5 ps", Dimension::kTime) == doctest::Approx(5e-12));
  CHECK(parseQuantityAs("4 us", Dimension::kTime) == doctest::Approx(4e-6));
  CHECK(parseQuantityAs("2 ms", Dimension::kTime) == doctest::Approx(2e-3));
  CHECK(parseQuantityAs("1 s", Dimension::kTime) == 1.0);
  CHECK(parseQuantityAs("989.4 TFLOPS", Dimension::kThroughput) == doctest::Approx(989.4e12));
  CHECK(parseQuantityAs("1979 TOPS", Dimension::kThroughput) == doctest::Approx(1979e12));
  CHECK(parseQuantityAs("125 PFLOPS", Dimension::kThroughput) == doctest::Approx(125e15));
  CHECK(parseQuantityAs("5 pJ", Dimension::kEnergy) == doctest::Approx(5e-12));
  CHECK(parseQuantityAs("3 uJ", Dimension::kEnergy) == doctest::Approx(3e-6));
  CHECK(parseQuantityAs("0.5 pJ/B", Dimension::kEnergyPerByte) == doctest::Approx(0.5e-12));
  CHECK(parseQuantityAs("1 pJ/bit", Dimension::kEnergyPerByte) == doctest::Approx(8e-12));
  CHECK(parseQuantityAs("0.3 pJ/FLOP", Dimension::kEnergyPerOp) == doctest::Approx(0.3e-12));
  CHECK(parseQuantityAs("0.2 pJ/OP", Dimension::kEnergyPerOp) == doctest::Approx(0.2e-12));
  CHECK(parseQuantityAs("700 W", Dimension::kPower) == 700.0);
  CHECK(parseQuantityAs("23 kW", Dimension::kPower) == 23e3);
  CHECK(parseQuantityAs("814 mm^2", Dimension::kArea) == doctest::Approx(814e-6));
  CHECK(parseQuantityAs("1e3 GB", Dimension::kSize) == 1e12);
}

TEST_CASE("Bad quantities are errors with a reason") {
  CHECK(errorOf("3.35 TB", Dimension::kBandwidth).find("is a size, expected a bandwidth") !=
        std::string::npos);
  CHECK(errorOf("80 Gib", Dimension::kSize).find("unknown unit 'Gib'") != std::string::npos);
  CHECK(errorOf("80 Gib", Dimension::kSize).find("did you mean 'GiB'") != std::string::npos);
  CHECK(errorOf("10 FLOP/s", Dimension::kThroughput).find("did you mean") != std::string::npos);
  CHECK(errorOf("-4 GB", Dimension::kSize).find("negative") != std::string::npos);
  CHECK(errorOf("inf GB", Dimension::kSize).find("finite") != std::string::npos);
  CHECK(errorOf("nan GB", Dimension::kSize).find("finite") != std::string::npos);
  CHECK(errorOf("1e999 GB", Dimension::kSize).find("out of range") != std::string::npos);
  CHECK(errorOf("GB", Dimension::kSize).find("does not start with a number") != std::string::npos);
  CHECK(errorOf("80", Dimension::kSize).find("has no unit") != std::string::npos);
  CHECK(errorOf("", Dimension::kSize).find("empty") != std::string::npos);
  CHECK(errorOf("80 gb", Dimension::kSize).find("unknown unit") !=
        std::string::npos);  // case-sensitive
}

TEST_CASE("formatQuantity picks a readable prefix") {
  CHECK(formatQuantity(3.35e12, Dimension::kBandwidth) == "3.35 TB/s");
  CHECK(formatQuantity(220.0 * 1024 * 1024, Dimension::kSize) == "220 MiB");
  CHECK(formatQuantity(80e9, Dimension::kSize) == "80 GB");
  CHECK(formatQuantity(1.83e9, Dimension::kFrequency) == "1.83 GHz");
  CHECK(formatQuantity(500e-9, Dimension::kTime) == "500 ns");
  CHECK(formatOpsPerSecond(989.4e12, true) == "989.4 TFLOPS");
  CHECK(formatOpsPerSecond(1979e12, false) == "1.979 POPS");
}
