// Progress of a running simulation, reported to whoever drives it (the command line draws a bar).
// The library only calls the sink; it never prints or reads the clock.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/core/time.h"

namespace archsim::exec {

struct Progress {
  std::size_t chip = 0;         // the simulated chip running now (0-based)
  std::size_t chips = 1;        // simulated chips of the run
  std::uint64_t ops_done = 0;   // op executions finished on this chip (warm-up included)
  std::uint64_t ops_total = 0;  // ... it will run
  Tick now = 0;                 // its simulated time
  std::uint64_t events = 0;     // events it has processed
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void update(const Progress& progress) = 0;
};

}  // namespace archsim::exec
