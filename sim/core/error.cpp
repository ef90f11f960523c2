#include "sim/core/error.h"

namespace archsim {
namespace {
std::string joinDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.str();
  }
  return text;
}
}  // namespace

std::string Location::str() const {
  std::string text = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  return text;
}

std::string Diagnostic::str(std::string_view severity) const {
  std::string text = location.str() + ": " + std::string(severity) + ": ";
  if (!key_path.empty()) text += "key '" + key_path + "': ";
  return text + message;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(joinDiagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

ConfigError::ConfigError(Location location, std::string key_path, std::string message)
    : ConfigError(
          std::vector<Diagnostic>{{std::move(location), std::move(key_path), std::move(message)}}) {
}

Panic::Panic(const char* source_file, int source_line, const std::string& message)
    : std::logic_error("internal error at " + std::string(source_file) + ":" +
                       std::to_string(source_line) + ": " + message) {}

Panic::Panic(const char* source_file, int source_line, Tick tick, const std::string& message)
    : std::logic_error("internal error at " + std::string(source_file) + ":" +
                       std::to_string(source_line) + " (tick " + std::to_string(tick) +
                       " ps): " + message) {}

TimeOverflow::TimeOverflow(Tick at)
    : std::runtime_error("simulated time passes 2^64 ps (about 213 days)"), at_(at) {}

}  // namespace archsim
