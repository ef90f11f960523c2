// The two kinds of failure (STYLE.md rule 13).
//
// ConfigError: the user's input is wrong (a file, a key, a value, a command-line flag). It carries
// every
//   problem found, each located by file, line, column and key path. The command line prints them
//   and exits 2.
// Panic: an invariant of archsim itself is broken. It carries the source file and line where it was
//   detected (and the simulated tick where known). The command line prints it and exits 1.
// Library code never calls exit() and never asserts on user input.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/time.h"

namespace archsim {

/// Where a piece of user input came from. line/column are 1-based; 0 means unknown.
struct Location {
  std::string file;  // a path, or a pseudo-source such as "--set" or "<command line>"
  int line = 0;
  int column = 0;

  /// "file:line:column", "file:line" or "file", depending on what is known.
  std::string str() const;
};

struct Diagnostic {
  Location location;
  std::string key_path;  // "memory.hbm.channels"; empty when the problem is not about one key
  std::string message;

  /// "file:line:col: error: key 'a.b': message" (severity "warning" for warnings)
  std::string str(std::string_view severity = "error") const;
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  ConfigError(Location location, std::string key_path, std::string message);

  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

class Panic : public std::logic_error {
 public:
  Panic(const char* source_file, int source_line, const std::string& message);
  Panic(const char* source_file, int source_line, Tick tick, const std::string& message);
};

/// Simulated time would reach the end of the Tick range (2^64 ps, about 213 days): the input asks
/// for work far too slow to simulate (a rate of a few bytes or FLOPs per second). Thrown by the
/// kernel, which saturates every time sum there rather than wrapping; the layer running the work
/// turns it into a ConfigError naming the op and the resource that made it so.
class TimeOverflow : public std::runtime_error {
 public:
  explicit TimeOverflow(Tick at);
  Tick at() const { return at_; }

 private:
  Tick at_;
};

}  // namespace archsim

/// Throws archsim::Panic naming this source location. For broken invariants only, never user input.
#define ARCHSIM_PANIC(message) throw ::archsim::Panic(__FILE__, __LINE__, (message))
#define ARCHSIM_PANIC_AT(tick, message) \
  throw ::archsim::Panic(__FILE__, __LINE__, (tick), (message))
