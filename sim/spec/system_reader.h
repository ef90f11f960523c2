// readSystem(): ConfigNode (a resolved system document, chip inlined) -> validated SystemSpec.
#pragma once

#include "sim/spec/config_node.h"
#include "sim/spec/reader.h"
#include "sim/spec/system_spec.h"

namespace archsim::spec {

/// Validates a system mapping whose `chip:` has already been resolved to a chip mapping.
SystemSpec readSystem(const ConfigNode& node, Diagnostics& diags);

}  // namespace archsim::spec
