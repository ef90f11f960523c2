// Runs the archsim command line in-process, as the binary would, capturing stdout and stderr.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "sim/app/app.h"

namespace archsim::test {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

/// `args` without the program name; presets come from the source tree.
inline CliResult runCli(std::vector<std::string> args) {
  args.insert(args.begin(), "archsim");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  app::Context context;
  const int code = app::run(static_cast<int>(argv.size()), argv.data(), out, err, context);
  return {code, out.str(), err.str()};
}

}  // namespace archsim::test
