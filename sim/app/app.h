// The `archsim` command line as a library function, so tests drive it in-process.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace archsim::app {

/// Facts about the process that the command line needs; main() fills them in.
struct Context {
  std::filesystem::path executable;        // to find configs/ beside an installed or built binary
  std::optional<std::string> presets_env;  // value of $ARCHSIM_PRESETS, if set
};

/// Runs one command line. Returns the exit code: 0 success, 2 bad input (usage, config, unknown
/// preset), 1 internal error. Normal output goes to `out`, diagnostics to `err`.
int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        const Context& context);

/// Preset roots (folders holding configs/ and workloads/), in search order: --presets,
/// $ARCHSIM_PRESETS, beside the executable (.. and ../share/archsim), then the source tree archsim
/// was built from.
std::vector<std::filesystem::path> presetRoots(const std::optional<std::string>& flag,
                                               const Context& context);

}  // namespace archsim::app
