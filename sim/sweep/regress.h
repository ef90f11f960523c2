// Config regression checks (`archsim regress MANIFEST.yaml`): each entry runs a system and a
// scenario and compares chosen metrics with a committed baseline (one small JSON per entry) within
// a tolerance. Nothing updates a baseline except --update, which reports every change it makes.
//
//   kind: regress
//   name: default
//   baselines: ../../reports/baselines     # relative to this file
//   tolerance: {relative: 0.001}           # default for metrics listed without one
//   entries:
//     - name: h100-sxm5-tiny-decode
//       system: h100-sxm5
//       scenario: tiny-llama-decode
//       set: ["batch=4"]                   # optional
//       metrics: [tpot_s, energy_per_token_j]   # or {tpot_s: {relative: 0.01}, chips: {absolute:
//       0}}
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"

namespace archsim::sweep {

struct Tolerance {
  double relative = 0;  // |now - base| <= relative * |base| ...
  double absolute = 0;  // ... or <= absolute
};

struct WatchedMetric {
  std::string name;
  Tolerance tolerance;
};

struct RegressEntry {
  std::string name;
  std::string system;
  std::string scenario;
  std::vector<std::string> sets;
  std::vector<WatchedMetric> metrics;
};

struct RegressManifest {
  std::string name;
  std::filesystem::path file;
  std::filesystem::path baselines;
  std::vector<RegressEntry> entries;
};

/// Reads and validates a manifest. Throws ConfigError.
RegressManifest loadRegress(const std::filesystem::path& file);

struct RegressRow {
  std::string entry;
  std::string metric;
  std::optional<double> baseline;
  std::optional<double> now;
  std::string status;  // "ok", "DRIFT", "no baseline", "run failed", "updated", "unchanged"
  std::string note;    // the tolerance, or why it failed
};

struct RegressOptions {
  bool update = false;
  std::vector<std::string> sets;  // applied to every entry after its own
  unsigned jobs = 1;
};

/// Runs every entry and compares (or, with update, rewrites the baselines). The rows, in manifest
/// order; `failed` says whether any row is not ok.
std::vector<RegressRow> regress(const spec::Catalog& catalog, const RegressManifest& manifest,
                                const RegressOptions& options, bool& failed);

/// The text table of the rows.
std::string regressTable(const std::vector<RegressRow>& rows);

}  // namespace archsim::sweep
