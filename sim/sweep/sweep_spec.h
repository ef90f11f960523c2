// A design-space sweep (`kind: sweep`): a base system and scenario, fixed overrides, and axes of
// --set assignments whose product (or zip) gives the points; derived columns computed from metrics.
//
//   kind: sweep
//   name: hbm-channels
//   system: h100-sxm5
//   scenario: llama2-7b-decode
//   set: ["dtypes.weights=int8"]            # applied to every point (optional)
//   combine: product                        # or zip: the i-th value of every axis together
//   axes:
//     - {key: batch, values: [1, 8, 32]}
//     - {key: chip.memory.sram.size, range: {from: 64 MiB, to: 1 GiB, steps: 5, scale: log}}
//     - zip:                                # keys that move together form one axis
//         - {key: chip.memory.hbm.channels, values: [40, 80]}
//         - {key: chip.memory.hbm.bandwidth, values: [1.675 TB/s, 3.35 TB/s]}
//   derived: {tokens_per_s_per_chip: "output_tokens_per_s / chips"}
//   plot: [tokens_per_s_per_user]           # metrics charted against each axis (optional)
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/spec/config_node.h"

namespace archsim::sweep {

/// One key of an axis and its values as --set text ("64 MiB", "8").
struct AxisKey {
  std::string key;
  std::vector<std::string> values;
};

/// An axis: one key, or several zipped keys (equal lengths) that move together.
struct Axis {
  std::vector<AxisKey> keys;
  std::size_t size() const { return keys.empty() ? 0 : keys.front().values.size(); }
  std::string name() const;  // "batch", or "chip.memory.hbm.channels+chip.memory.hbm.bandwidth"
};

struct Derived {
  std::string name;
  std::string expression;
};

/// Points a sweep may have (README "Limits"): a million points are days of simulation already.
inline constexpr std::uint64_t kMaxPoints = 1'000'000;

struct SweepSpec {
  std::string name;
  std::string description;
  std::string system;
  std::string scenario;
  std::vector<std::string> sets;
  bool zip = false;
  std::vector<Axis> axes;
  std::vector<Derived> derived;
  std::vector<std::string> plot;
  bool serving = false;  // `scenario` names a serving file: points are serving runs
  std::filesystem::path file;
  std::string fingerprint;  // hash of the resolved file: shards of different sweeps do not merge
  std::string yaml;         // the resolved file, kept in each output's manifest
};

/// One point: its index (row order) and the value index on each axis.
struct Point {
  std::size_t index = 0;
  std::vector<std::size_t> at;  // per axis
};

/// Reads and validates a sweep file (every problem at once, with locations). Throws ConfigError.
SweepSpec loadSweep(const std::filesystem::path& file);
/// The same from the text of a sweep file (as `merge` finds it in a manifest); `file` names it in
/// locations and is where relative paths in it resolve.
SweepSpec parseSweep(const std::string& text, const std::filesystem::path& file);
/// The metric names every row has (and derived columns may use), in column order: a run's
/// headline metrics, or a serving run's (serve::servingMetricNames()).
std::vector<std::string> metricNames(bool serving = false);
/// The points in row order: the product (last axis fastest) or the zip.
std::vector<Point> points(const SweepSpec& spec);
/// The --set assignments of a point (fixed sets first, then each axis key's value).
std::vector<std::string> assignments(const SweepSpec& spec, const Point& point);

/// A derived column's value from named metrics: + - * / and parentheses over names and numbers;
/// nullopt when a name has no value (or divides by zero). Throws ConfigError-free
/// std::invalid_argument for malformed text (loadSweep checks every expression up front).
std::optional<double> evaluate(
    const std::string& expression,
    const std::vector<std::pair<std::string, std::optional<double>>>& names);
/// Names an expression uses; throws std::invalid_argument when it does not parse.
std::vector<std::string> expressionNames(const std::string& expression);

}  // namespace archsim::sweep
