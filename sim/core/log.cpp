#include "sim/core/log.h"

namespace archsim {

void Log::warn(const std::string& message) {
  warnings_.push_back(message);
  if (stream_ != nullptr) *stream_ << "warning: " << message << '\n';
}

}  // namespace archsim
