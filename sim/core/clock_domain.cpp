#include "sim/core/clock_domain.h"

#include <cmath>
#include <stdexcept>

namespace archsim {

ClockDomain::ClockDomain(std::string name, double frequency_hz)
    : name_(std::move(name)), requested_hz_(frequency_hz) {
  if (!std::isfinite(frequency_hz) || frequency_hz <= 0.0 ||
      frequency_hz > static_cast<double>(kTicksPerSecond)) {
    throw std::invalid_argument("clock '" + name_ + "': frequency must be in (0, 1 THz]");
  }
  const double exact_period = static_cast<double>(kTicksPerSecond) / frequency_hz;
  period_ps_ = static_cast<Tick>(std::llround(exact_period));
  if (period_ps_ == 0) period_ps_ = 1;
  rounding_error_ = std::abs(static_cast<double>(period_ps_) - exact_period) / exact_period;
}

double ClockDomain::effectiveFrequencyHz() const {
  return static_cast<double>(kTicksPerSecond) / static_cast<double>(period_ps_);
}

}  // namespace archsim
