// The subcommands of `archsim`, each a function from parsed options to an exit code. They throw
// ConfigError for bad input; app.cpp turns exceptions into messages and exit codes.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/spec/catalog.h"

namespace archsim::app {

/// Prints warnings ("file:line: warning: ...") to `err`.
void printWarnings(const std::vector<Diagnostic>& warnings, std::ostream& err);

int runCheck(const spec::Catalog& catalog, const std::vector<std::string>& files, std::ostream& out,
             std::ostream& err);

struct DescribeOptions {
  std::string system;
  std::vector<std::string> sets;
  bool json = false;
};
int runDescribe(const spec::Catalog& catalog, const DescribeOptions& options, std::ostream& out);

struct GraphOptions {
  std::string scenario;
  std::vector<std::string> sets;
  bool json = false;
  std::optional<std::string> dot_file;
};
int runGraph(const spec::Catalog& catalog, const GraphOptions& options, std::ostream& out, std::ostream& err);

}  // namespace archsim::app
