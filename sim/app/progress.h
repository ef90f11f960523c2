// A progress bar on stderr for long runs: drawn only when stderr is a terminal, the run has taken
// more than a second, and --quiet is off; redrawn at most ten times a second.
#pragma once

#include <chrono>
#include <ostream>

#include "sim/exec/progress.h"

namespace archsim::app {

class ProgressBar final : public exec::ProgressSink {
 public:
  /// Draws on `err` if it is std::cerr on a terminal and `quiet` is false.
  ProgressBar(std::ostream& err, bool quiet);
  void update(const exec::Progress& p) override;
  /// Clears the bar's line, if one was drawn.
  void finish();

 private:
  std::ostream& err_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace archsim::app
