// Timing serving passes on the simulated system, and the KV capacity a replica has.
//
// SimulatedPassTimer runs each pass's mix — decode tokens at their mean KV length and prompt
// chunks after their prior KV — as one forward pass through run::SystemRun (graph/builder.h builds
// the mixed pass), on one replica's plan. Passes are memoized on a grid (every value up to 8,
// then 4 points an octave for the decode count and the chunk length, 2 for KV lengths) and
// interpolated multilinearly between the simulated grid points around them in three dimensions:
// the decode count, the decode KV length and the chunk length; the chunks' prior KV is rounded to
// the nearer grid point and the chunk count is exact.
// - KV length: always interpolated. A pass's decode tokens stand in at their mean KV length, but
//   their lengths spread over hundreds of tokens, so the steps a single length shows (flash-
//   decoding splits every 256 tokens) are smoothed in a real batch; interpolation smooths them.
// - Token counts (decode count, chunk length): error-controlled. A cell's first two passes are
//   simulated at their own shape; the third is also simulated at its own counts and compared with
//   the interpolation; when that misses by more than 1 % (a tiling regime change inside the
//   cell), every pass of the cell is simulated at its own shape, else they are interpolated.
//   (Mixed passes spread over many cells — chunk counts, prior lengths — that see a few passes
//   each: a simulation a pass is cheaper there than a cell's eight corners.)
// - A mixed pass (decode tokens and chunks) off the KV grid is timed at the nearer KV grid point
//   and moved by what its decode tokens' KV length changes in a decode pass of as many tokens:
//   their attention and KV reads are ops of their own, and the linear ops' work does not depend on
//   the KV length (half the simulations of interpolating mixed passes in KV).
// The probes' errors are reported. `exact` simulates every distinct pass shape instead.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "sim/map/parallel.h"
#include "sim/serve/engine.h"
#include "sim/spec/scenario_spec.h"
#include "sim/spec/system_spec.h"

namespace archsim::serve {

/// What a replica's KV home level holds for the KV cache: per chip, the level's usable bytes
/// (after the stack's reservation) less the weights and the activations of the largest pass,
/// times the stack's KV fraction, divided by the bytes a token's KV takes on that chip; the
/// smallest over the replica's pipeline stages.
struct KvCapacity {
  std::uint64_t tokens = 0;
  std::uint64_t bytes_per_token = 0;  // on the chip with the most (what a swap moves per chip)
  std::string level;                  // the memory level that holds it
};
KvCapacity kvCapacity(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                      const map::ParallelLayout& layout, std::uint64_t largest_pass_tokens);

class SimulatedPassTimer : public PassTimer {
 public:
  struct Stats {
    std::uint64_t passes = 0;       // passes timed
    std::uint64_t simulated = 0;    // distinct pass shapes simulated (grid points and probes)
    std::uint64_t probes = 0;       // interpolation cells checked against a simulation
    std::uint64_t exact_cells = 0;  // cells whose probe missed the tolerance: timed exactly
    double max_error = 0.0;   // largest relative error of an accepted interpolation at a probe
    double mean_error = 0.0;  // mean relative error at the probes (accepted or not)
  };

  /// `scenario`: the pass's scenario (its plan explicit, dp 1); `layout`: that plan on `system`.
  SimulatedPassTimer(const spec::SystemSpec& system, const spec::ScenarioSpec& scenario,
                     map::ParallelLayout layout, bool exact);
  PassTime time(const PassShape& pass) override;
  const Stats& stats() const { return stats_; }

  /// The grid points around x: (lo, hi), lo <= x <= hi, equal when x is on the grid.
  static std::pair<std::uint64_t, std::uint64_t> gridAround(std::uint64_t x,
                                                            std::uint64_t per_octave = 8);
  /// The grid point nearer x (the lower one on a tie).
  static std::uint64_t nearerGridPoint(std::uint64_t x, std::uint64_t per_octave = 8);

 private:
  PassTime simulate(const PassShape& shape);
  /// A pass from the grid: its cell's interpolation (or its own counts), KV interpolated.
  PassTime timeOnGrid(PassShape p);
  PassTime cached(const PassShape& shape);
  /// Multilinear between the grid points d, l, q (decode count, decode KV, chunk length) of p.
  PassTime interpolate(const PassShape& p, std::pair<std::uint64_t, std::uint64_t> d,
                       std::pair<std::uint64_t, std::uint64_t> l,
                       std::pair<std::uint64_t, std::uint64_t> q);

  const spec::SystemSpec& system_;
  spec::ScenarioSpec scenario_;
  map::ParallelLayout layout_;
  bool exact_;
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>,
           PassTime>
      memo_;
  enum class CellState { kUnknown, kInterpolated, kExact };
  struct Cell {
    CellState state = CellState::kUnknown;
    std::uint32_t seen = 0;  // passes simulated at their own shape while unknown
  };
  /// (decode count, chunk length) cells, by their lower grid points, chunk count and prior KV:
  /// whether interpolation holds in them.
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>, Cell> cells_;
  double error_sum_ = 0.0;
  Stats stats_;
};

}  // namespace archsim::serve
