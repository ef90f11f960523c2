// Self-contained SVG charts for report.html and comparison pages: no scripts, no fonts or files
// fetched, deterministic text (the same data gives the same bytes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace archsim::report::svg {

/// Escapes &, <, >, " and ' for XML text and attributes.
std::string escape(std::string_view text);

/// A colour from a fixed palette (cycled).
std::string color(std::size_t i);

struct Axis {
  std::string label;  // with its unit: "arithmetic intensity (FLOP/B)"
  bool log = false;
  std::optional<double> lo = std::nullopt;  // default: from the data
  std::optional<double> hi = std::nullopt;
  bool percent = false;  // tick labels as percentages (values are fractions)
  double scale = 1.0;    // tick labels show value x scale (e.g. 1e3 for ms on a seconds axis)
};

struct Series {
  std::string label;
  std::string color;
  std::vector<std::pair<double, double>> points;
  bool line = true;  // a polyline; false: markers
  bool dashed = false;
  std::vector<std::string> tips;  // per point (markers): a <title> tooltip
};

/// A line or scatter chart. Points outside a log axis' positive range are dropped.
std::string xyChart(const std::string& title, const Axis& x, const Axis& y,
                    const std::vector<Series>& series, int width = 760, int height = 420);

struct Bar {
  std::string label;
  std::vector<double> parts;  // one per part name (stacked left to right)
};

/// Horizontal (stacked) bars; `value_label` names the unit of the axis; values are shown x scale.
std::string barChart(const std::string& title, const std::string& value_label,
                     const std::vector<std::string>& parts, const std::vector<Bar>& bars,
                     double scale = 1.0, int width = 760);

}  // namespace archsim::report::svg
