// How to simulate a run (options that change the method, never the model).
#pragma once

namespace archsim::run {

struct RunOptions {
  bool exact = false;  // simulate every decode step of a generation (no step reuse)
};

}  // namespace archsim::run
