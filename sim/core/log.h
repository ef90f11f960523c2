// Log: where a simulation's warnings go. Owned by a Simulation (no global logger).
//
// Every warning is kept (so a run record can list them) and, when a stream is attached, printed
// immediately as "warning: <message>".
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace archsim {

class Log {
 public:
  /// stream may be nullptr (warnings are only recorded).
  explicit Log(std::ostream* stream = nullptr) : stream_(stream) {}

  void warn(const std::string& message);
  const std::vector<std::string>& warnings() const { return warnings_; }
  void attach(std::ostream* stream) { stream_ = stream; }

 private:
  std::ostream* stream_;
  std::vector<std::string> warnings_;
};

}  // namespace archsim
