// How to simulate a run (options that change the method, never the model).
#pragma once

namespace archsim::run {

struct RunOptions {
  bool exact = false;  // simulate every decode step of a generation (no step reuse)
  /// Exact runs: warm the caches up by simulating a step in time even where an untimed pass over
  /// its accesses leaves them the same (for tests that check that it does).
  bool timed_warmup = false;
};

}  // namespace archsim::run
