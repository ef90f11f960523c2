#include "sim/run/plan_search.h"

namespace archsim::run {

map::ParallelLayout resolvePlan(const spec::SystemSpec& system,
                                const spec::ScenarioSpec& scenario) {
  return map::layoutFor(scenario, system);
}

}  // namespace archsim::run
