// Side-by-side comparison of runs (`archsim compare`): the same figures for every run, as a
// terminal table, Markdown, CSV, JSON and an HTML page with charts. Runs are grouped by scenario;
// within a group each run is a column and ratios are to the group's first column. Deterministic:
// the same runs give the same bytes.
#pragma once

#include <string>
#include <vector>

#include "sim/run/system_run.h"

namespace archsim::report {

struct ComparisonRow {
  std::string system;
  std::string chip;
  std::string scenario;
  std::string model;
  std::string plan;
  run::Metrics metrics;
  std::string binding_resource;
  std::string error;  // why the run failed (its cells are empty); "" when it ran
};

ComparisonRow comparisonRow(const run::SystemRun& run);

struct ComparisonOutput {
  std::string text;      // terminal
  std::string markdown;  // comparison.md
  std::string csv;       // comparison.csv
  std::string json;      // comparison.json
  std::string html;      // comparison.html
};

ComparisonOutput renderComparison(const std::vector<ComparisonRow>& rows);

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a newline.
std::string csvField(const std::string& text);

}  // namespace archsim::report
