// Running a sweep: one deterministic simulation per point, on local threads, one shard of the
// points, or (with MPI) over ranks; each finished point is saved at once as points/<index>.json
// (atomically), so an interrupted sweep keeps every finished row and --resume skips them. The
// results (results.csv, results.json, results.html) are rebuilt from the point files in index
// order, so local, sharded-then-merged and MPI runs of a sweep give byte-identical results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/spec/catalog.h"
#include "sim/sweep/sweep_spec.h"

namespace archsim::sweep {

struct PointResult {
  std::size_t index = 0;
  std::vector<std::string> values;  // per axis key, in axis order
  bool ok = false;
  std::string error;                                                   // the failure, when !ok
  std::vector<std::pair<std::string, std::optional<double>>> metrics;  // metricNames() order
  std::vector<std::pair<std::string, std::optional<double>>> derived;
  std::string binding_resource;
  std::string plan;
  std::vector<std::string> skipped;  // conditional overrides (path?=value) this point lacks
};

/// Runs one point; a bad point (does not fit, invalid override) becomes a failed row, not a throw.
PointResult runPoint(const spec::Catalog& catalog, const SweepSpec& spec, const Point& point);

nlohmann::ordered_json pointJson(const PointResult& r);
PointResult pointFromJson(const nlohmann::ordered_json& j);

struct Shard {
  std::size_t k = 1;  // 1-based
  std::size_t n = 1;
};
/// "2/4" -> {2, 4}; throws ConfigError naming --shard when malformed.
Shard parseShard(const std::string& text);

struct SweepOptions {
  std::filesystem::path out;
  unsigned jobs = 1;
  bool resume = false;
  Shard shard;
  bool force = false;  // replace the results of a different sweep in `out`
};

/// The points this run owns: every point, or the shard's (index % n == k - 1).
std::vector<Point> ownedPoints(const SweepSpec& spec, const Shard& shard);

/// Runs the owned points not already done (with resume) on `jobs` threads, saving each as it
/// finishes; `done` (optional) hears each result. Then writes the results. Returns the results of
/// the owned points in index order.
std::vector<PointResult> runSweep(const spec::Catalog& catalog, const SweepSpec& spec,
                                  const SweepOptions& options,
                                  const std::function<void(const PointResult&)>& done = {});

/// Prepares `out` for a run (manifest.json; clears points unless resuming; refuses a folder of a
/// different sweep when resuming). Throws ConfigError.
void prepareOutput(const SweepSpec& spec, const SweepOptions& options);
/// Saves one finished point (atomically).
void savePoint(const std::filesystem::path& out, const PointResult& r);
/// Reads the saved points of a folder. Files that are not point results are skipped (a resumed
/// sweep runs those points again) and, when `unreadable` is given, listed there.
std::vector<PointResult> loadPoints(const std::filesystem::path& out,
                                    std::vector<std::filesystem::path>* unreadable = nullptr);
/// The saved points of `out` that are among `owned` (a resumed run keeps these; files of another
/// shard or past the sweep's last point are ignored).
std::vector<PointResult> resumedPoints(const std::filesystem::path& out,
                                       const std::vector<Point>& owned);
/// results.csv, results.json, results.html from `results` (sorted by index).
void writeResults(const std::filesystem::path& out, const SweepSpec& spec,
                  std::vector<PointResult> results);
/// The CSV text (for tests and merge checks).
std::string resultsCsv(const SweepSpec& spec, const std::vector<PointResult>& results);

/// Joins shard folders of one sweep into `out`; refuses folders of different sweeps (by
/// fingerprint) and reports missing points. Returns the number of points merged.
std::size_t merge(const std::vector<std::filesystem::path>& dirs, const std::filesystem::path& out);

}  // namespace archsim::sweep
