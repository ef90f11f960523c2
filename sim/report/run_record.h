// The record of one run: the folder `archsim run` writes (reports/<run-id>/ or --out DIR).
//
//   run.json             how it was produced: command line, version, git hash, start, wall time,
//   host config.resolved.yaml the system and scenario after bases, references and --set overrides;
//                        `archsim run config.resolved.yaml` reproduces the run
//   stats.json           the deterministic, schema-versioned record (run_report.h)
//   summary.md           headline numbers and top ops, for a terminal or a pull request
//   report.html          charts (html_report.h)
//   trace.json           Chrome/Perfetto trace (trace.h)
// The folder is written atomically: it holds a previous record or all of these, never part.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/report/breakdown.h"
#include "sim/run/system_run.h"

namespace archsim::report {

struct RunInfo {
  std::vector<std::string> command_line;
  std::string version;
  std::optional<std::string> git_hash;
  std::string started_utc;  // ISO 8601
  double wall_s = 0;
  std::string host;
  unsigned cores = 0;
  /// Error bars for the headline metrics (validate/intervals.h), when known.
  std::optional<run::MetricIntervals> intervals;
};

/// summary.md.
std::string summaryMarkdown(const run::SystemRun& run, const Breakdown& breakdown,
                            const run::MetricIntervals* intervals = nullptr);
/// run.json.
std::string runJson(const run::SystemRun& run, const RunInfo& info);

/// Every file of the record, in writing order (run.json last).
std::vector<std::pair<std::string, std::string>> runRecordFiles(const run::SystemRun& run,
                                                                const RunInfo& info,
                                                                const std::string& resolved_yaml);

/// Writes the record into `dir` atomically. Throws OutputError.
void writeRunRecord(const std::filesystem::path& dir, const run::SystemRun& run,
                    const RunInfo& info, const std::string& resolved_yaml);

}  // namespace archsim::report
