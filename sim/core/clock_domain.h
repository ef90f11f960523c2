// ClockDomain: converts between Cycles and Ticks for one clock frequency.
//
// The period is rounded to a whole picosecond once, at construction; every later conversion is
// exact integer arithmetic on that period. The rounding error is kept so the owner
// (Simulation::addClock) can warn when it exceeds kClockRoundingWarnFraction.
#pragma once

#include <string>

#include "sim/core/time.h"

namespace archsim {

inline constexpr double kClockRoundingWarnFraction = 0.001;  // 0.1 %

class ClockDomain {
 public:
  /// frequency_hz must be finite and in (0, 1e12]; otherwise throws std::invalid_argument.
  ClockDomain(std::string name, double frequency_hz);

  const std::string& name() const { return name_; }
  double requestedFrequencyHz() const { return requested_hz_; }
  /// The frequency the simulation actually runs at (1e12 / period).
  double effectiveFrequencyHz() const;
  Tick periodTicks() const { return period_ps_; }
  /// |effective - requested| / requested, i.e. the relative error of the rounded period.
  double roundingError() const { return rounding_error_; }

  Tick cyclesToTicks(Cycles c) const { return mulTicks(c.count(), period_ps_); }  // saturating
  /// Whole cycles that fit in `t`, rounded up (a partial cycle still occupies the unit).
  Cycles ticksToCycles(Tick t) const { return Cycles((t + period_ps_ - 1) / period_ps_); }
  /// The first clock edge at or after `t`.
  Tick nextEdge(Tick t) const { return ((t + period_ps_ - 1) / period_ps_) * period_ps_; }

 private:
  std::string name_;
  double requested_hz_;
  Tick period_ps_;
  double rounding_error_;
};

}  // namespace archsim
