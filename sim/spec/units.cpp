#include "sim/spec/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "sim/spec/suggest.h"

namespace archsim::spec {
namespace {

struct UnitEntry {
  std::string_view spelling;
  Dimension dimension;
  double factor;  // multiply by this to get the base unit
};

constexpr double kKi = 1024.0;
constexpr double kMi = kKi * 1024.0;
constexpr double kGi = kMi * 1024.0;
constexpr double kTi = kGi * 1024.0;

// The accepted spellings. Order matters only for did-you-mean ties and formatting.
constexpr std::array kUnits{
    UnitEntry{"B", Dimension::kSize, 1.0},
    UnitEntry{"kB", Dimension::kSize, 1e3},
    UnitEntry{"KB", Dimension::kSize, 1e3},
    UnitEntry{"MB", Dimension::kSize, 1e6},
    UnitEntry{"GB", Dimension::kSize, 1e9},
    UnitEntry{"TB", Dimension::kSize, 1e12},
    UnitEntry{"PB", Dimension::kSize, 1e15},
    UnitEntry{"KiB", Dimension::kSize, kKi},
    UnitEntry{"MiB", Dimension::kSize, kMi},
    UnitEntry{"GiB", Dimension::kSize, kGi},
    UnitEntry{"TiB", Dimension::kSize, kTi},

    UnitEntry{"B/s", Dimension::kBandwidth, 1.0},
    UnitEntry{"kB/s", Dimension::kBandwidth, 1e3},
    UnitEntry{"KB/s", Dimension::kBandwidth, 1e3},
    UnitEntry{"MB/s", Dimension::kBandwidth, 1e6},
    UnitEntry{"GB/s", Dimension::kBandwidth, 1e9},
    UnitEntry{"TB/s", Dimension::kBandwidth, 1e12},
    UnitEntry{"PB/s", Dimension::kBandwidth, 1e15},
    UnitEntry{"KiB/s", Dimension::kBandwidth, kKi},
    UnitEntry{"MiB/s", Dimension::kBandwidth, kMi},
    UnitEntry{"GiB/s", Dimension::kBandwidth, kGi},
    UnitEntry{"TiB/s", Dimension::kBandwidth, kTi},
    UnitEntry{"b/s", Dimension::kBandwidth, 1.0 / 8},
    UnitEntry{"kb/s", Dimension::kBandwidth, 1e3 / 8},
    UnitEntry{"Mb/s", Dimension::kBandwidth, 1e6 / 8},
    UnitEntry{"Gb/s", Dimension::kBandwidth, 1e9 / 8},
    UnitEntry{"Tb/s", Dimension::kBandwidth, 1e12 / 8},

    UnitEntry{"Hz", Dimension::kFrequency, 1.0},
    UnitEntry{"kHz", Dimension::kFrequency, 1e3},
    UnitEntry{"MHz", Dimension::kFrequency, 1e6},
    UnitEntry{"GHz", Dimension::kFrequency, 1e9},

    UnitEntry{"ps", Dimension::kTime, 1e-12},
    UnitEntry{"ns", Dimension::kTime, 1e-9},
    UnitEntry{"us", Dimension::kTime, 1e-6},
    UnitEntry{"ms", Dimension::kTime, 1e-3},
    UnitEntry{"s", Dimension::kTime, 1.0},

    UnitEntry{"FLOPS", Dimension::kThroughput, 1.0},
    UnitEntry{"GFLOPS", Dimension::kThroughput, 1e9},
    UnitEntry{"TFLOPS", Dimension::kThroughput, 1e12},
    UnitEntry{"PFLOPS", Dimension::kThroughput, 1e15},
    UnitEntry{"OPS", Dimension::kThroughput, 1.0},
    UnitEntry{"GOPS", Dimension::kThroughput, 1e9},
    UnitEntry{"TOPS", Dimension::kThroughput, 1e12},
    UnitEntry{"POPS", Dimension::kThroughput, 1e15},

    UnitEntry{"pJ", Dimension::kEnergy, 1e-12},
    UnitEntry{"nJ", Dimension::kEnergy, 1e-9},
    UnitEntry{"uJ", Dimension::kEnergy, 1e-6},
    UnitEntry{"mJ", Dimension::kEnergy, 1e-3},
    UnitEntry{"J", Dimension::kEnergy, 1.0},

    UnitEntry{"pJ/B", Dimension::kEnergyPerByte, 1e-12},
    UnitEntry{"nJ/B", Dimension::kEnergyPerByte, 1e-9},
    UnitEntry{"J/B", Dimension::kEnergyPerByte, 1.0},
    UnitEntry{"pJ/bit", Dimension::kEnergyPerByte, 8e-12},
    UnitEntry{"nJ/bit", Dimension::kEnergyPerByte, 8e-9},

    UnitEntry{"pJ/FLOP", Dimension::kEnergyPerOp, 1e-12},
    UnitEntry{"nJ/FLOP", Dimension::kEnergyPerOp, 1e-9},
    UnitEntry{"pJ/OP", Dimension::kEnergyPerOp, 1e-12},
    UnitEntry{"nJ/OP", Dimension::kEnergyPerOp, 1e-9},

    UnitEntry{"mW", Dimension::kPower, 1e-3},
    UnitEntry{"W", Dimension::kPower, 1.0},
    UnitEntry{"kW", Dimension::kPower, 1e3},

    UnitEntry{"mm^2", Dimension::kArea, 1e-6},
    UnitEntry{"cm^2", Dimension::kArea, 1e-4},

    UnitEntry{"tokens/s", Dimension::kRate, 1.0},
    UnitEntry{"requests/s", Dimension::kRate, 1.0},
    UnitEntry{"req/s", Dimension::kRate, 1.0},
    UnitEntry{"requests/min", Dimension::kRate, 1.0 / 60.0},
    UnitEntry{"tok/s", Dimension::kRate, 1.0},
    UnitEntry{"ktokens/s", Dimension::kRate, 1e3},
    UnitEntry{"elements/s", Dimension::kRate, 1.0},
    UnitEntry{"Gelements/s", Dimension::kRate, 1e9},
};

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> allSpellings() {
  std::vector<std::string_view> out;
  for (const auto& u : kUnits)
    out.push_back(u.spelling);
  return out;
}

}  // namespace

std::string_view dimensionName(Dimension d) {
  switch (d) {
    case Dimension::kSize:
      return "size";
    case Dimension::kBandwidth:
      return "bandwidth";
    case Dimension::kFrequency:
      return "frequency";
    case Dimension::kTime:
      return "time";
    case Dimension::kThroughput:
      return "compute throughput";
    case Dimension::kEnergy:
      return "energy";
    case Dimension::kEnergyPerByte:
      return "energy per byte";
    case Dimension::kEnergyPerOp:
      return "energy per operation";
    case Dimension::kPower:
      return "power";
    case Dimension::kArea:
      return "area";
    case Dimension::kRate:
      return "rate";
  }
  return "quantity";
}

std::string_view dimensionExample(Dimension d) {
  switch (d) {
    case Dimension::kSize:
      return "80 GB";
    case Dimension::kBandwidth:
      return "3.35 TB/s";
    case Dimension::kFrequency:
      return "1.83 GHz";
    case Dimension::kTime:
      return "120 ns";
    case Dimension::kThroughput:
      return "989 TFLOPS";
    case Dimension::kEnergy:
      return "5 pJ";
    case Dimension::kEnergyPerByte:
      return "0.5 pJ/B";
    case Dimension::kEnergyPerOp:
      return "0.3 pJ/FLOP";
    case Dimension::kPower:
      return "700 W";
    case Dimension::kArea:
      return "814 mm^2";
    case Dimension::kRate:
      return "2500 tokens/s";
  }
  return "";
}

std::vector<std::string_view> unitsOf(Dimension d) {
  std::vector<std::string_view> out;
  for (const auto& u : kUnits) {
    if (u.dimension == d) out.push_back(u.spelling);
  }
  return out;
}

Quantity parseQuantity(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) throw UnitError("empty value; expected a number with a unit");
  if (s.front() == '-')
    throw UnitError(fmt::format("'{}' is negative; quantities must be >= 0", s));
  double number = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec == std::errc::result_out_of_range) throw UnitError(fmt::format("'{}' is out of range", s));
  if (ec != std::errc() || end == s.data()) {
    throw UnitError(fmt::format("'{}' does not start with a number", s));
  }
  const std::string_view number_text(s.data(), static_cast<std::size_t>(end - s.data()));
  // from_chars accepts "inf"/"nan" spellings; quantities must be finite.
  if (!std::isfinite(number) || number_text.find_first_of("iInN") != std::string_view::npos) {
    throw UnitError(fmt::format("'{}' is not a finite number", s));
  }
  const std::string_view unit = trim(s.substr(number_text.size()));
  if (unit.empty()) throw UnitError(fmt::format("'{}' has no unit", s));
  for (const auto& u : kUnits) {
    if (u.spelling == unit) {
      const double value = number * u.factor;
      if (!std::isfinite(value)) throw UnitError(fmt::format("'{}' is out of range", s));
      return Quantity{value, u.dimension};
    }
  }
  throw UnitError(
      fmt::format("unknown unit '{}' in '{}'{}", unit, s, didYouMean(unit, allSpellings())));
}

std::string withArticle(std::string_view noun) {
  const bool vowel =
      !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(noun);
}

double parseQuantityAs(std::string_view text, Dimension expected) {
  const Quantity q = parseQuantity(text);
  if (q.dimension != expected) {
    throw UnitError(fmt::format("'{}' is {}, expected {} (e.g. '{}')", trim(text),
                                withArticle(dimensionName(q.dimension)),
                                withArticle(dimensionName(expected)), dimensionExample(expected)));
  }
  return q.value;
}

std::string formatQuantity(double value, Dimension d, int digits) {
  struct Scale {
    double factor;
    std::string_view unit;
  };
  auto pick = [&](std::initializer_list<Scale> scales) {
    Scale chosen = *scales.begin();
    for (const Scale& sc : scales) {
      if (std::abs(value) >= sc.factor) chosen = sc;
    }
    return fmt::format("{:.{}g} {}", value / chosen.factor, digits, chosen.unit);
  };
  switch (d) {
    case Dimension::kSize:
      // A whole, short number of IEC units (220 MiB, 320 KiB) reads better in IEC; anything else
      // (computed byte counts, decimal capacities) in SI.
      for (const Scale& sc :
           {Scale{kTi, "TiB"}, Scale{kGi, "GiB"}, Scale{kMi, "MiB"}, Scale{kKi, "KiB"}}) {
        const double units = value / sc.factor;
        if (units >= 1 && units < 1024 && std::fmod(value, sc.factor) == 0.0 &&
            std::fmod(value, 1e3) != 0.0) {
          return fmt::format("{:.{}g} {}", units, digits + 2, sc.unit);
        }
      }
      return pick({{1, "B"}, {1e3, "kB"}, {1e6, "MB"}, {1e9, "GB"}, {1e12, "TB"}, {1e15, "PB"}});
    case Dimension::kBandwidth:
      return pick({{1, "B/s"},
                   {1e3, "kB/s"},
                   {1e6, "MB/s"},
                   {1e9, "GB/s"},
                   {1e12, "TB/s"},
                   {1e15, "PB/s"}});
    case Dimension::kFrequency:
      return pick({{1, "Hz"}, {1e3, "kHz"}, {1e6, "MHz"}, {1e9, "GHz"}});
    case Dimension::kTime:
      return value == 0 ? "0 s"
                        : pick({{1e-12, "ps"}, {1e-9, "ns"}, {1e-6, "us"}, {1e-3, "ms"}, {1, "s"}});
    case Dimension::kThroughput:
      return pick({{1, "OPS"}, {1e9, "GOPS"}, {1e12, "TOPS"}, {1e15, "POPS"}});
    case Dimension::kEnergy:
      return pick({{1e-12, "pJ"}, {1e-9, "nJ"}, {1e-6, "uJ"}, {1e-3, "mJ"}, {1, "J"}});
    case Dimension::kEnergyPerByte:
      return pick({{1e-12, "pJ/B"}, {1e-9, "nJ/B"}, {1, "J/B"}});
    case Dimension::kEnergyPerOp:
      return pick({{1e-12, "pJ/OP"}, {1e-9, "nJ/OP"}});
    case Dimension::kPower:
      return pick({{1e-3, "mW"}, {1, "W"}, {1e3, "kW"}});
    case Dimension::kArea:
      return pick({{1e-6, "mm^2"}, {1e-4, "cm^2"}});
    case Dimension::kRate:
      return fmt::format("{:.{}g} /s", value, digits);
  }
  return fmt::format("{:.{}g}", value, digits);
}

std::string formatSize(std::uint64_t bytes) {
  return formatQuantity(static_cast<double>(bytes), Dimension::kSize);
}

std::string formatSi(double value, std::string_view unit, int digits) {
  static constexpr std::pair<double, std::string_view> kPrefixes[] = {
      {1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& [factor, prefix] : kPrefixes) {
    if (std::abs(value) >= factor)
      return fmt::format("{:.{}g} {}{}", value / factor, digits, prefix, unit);
  }
  return fmt::format("{:.{}g} {}", value, digits, unit);
}

std::string formatOpsPerSecond(double ops_per_s, bool floating_point, int digits) {
  std::string text = formatQuantity(ops_per_s, Dimension::kThroughput, digits);
  if (floating_point) text.insert(text.size() - 3, "FL");
  return text;
}

}  // namespace archsim::spec
