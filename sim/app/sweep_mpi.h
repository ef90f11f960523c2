// `archsim sweep --mpi`: the points spread over MPI ranks with dynamic load balancing. Rank 0 hands
// out point indices one at a time (a rank that finishes gets the next), saves each result as it
// arrives and writes the results; the other ranks only simulate. Built only with
// -DARCHSIM_ENABLE_MPI=ON (Debian openmpi-bin, libopenmpi-dev); the results are byte-identical to a
// local run of the same sweep.
#pragma once

#include <functional>
#include <ostream>
#include <vector>

#include "sim/spec/catalog.h"
#include "sim/sweep/sweep_run.h"

namespace archsim::app {

/// Runs the sweep over MPI_COMM_WORLD (initializing and finalizing MPI). On rank 0 returns the
/// results in index order; on other ranks an empty list. `is_root` says which.
std::vector<sweep::PointResult> runSweepMpi(const spec::Catalog& catalog,
                                            const sweep::SweepSpec& spec,
                                            const sweep::SweepOptions& options, bool& is_root,
                                            int& ranks);

}  // namespace archsim::app
