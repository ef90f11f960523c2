// readModel(): ConfigNode (a resolved model document) -> validated ModelSpec.
#pragma once

#include <string>

#include "sim/spec/config_node.h"
#include "sim/spec/model_spec.h"
#include "sim/spec/reader.h"

namespace archsim::spec {

/// Validates a model mapping. `path` prefixes reported keys ("" for a model file, "model" inside a
/// scenario). Problems go to `diags`.
ModelSpec readModel(const ConfigNode& node, const std::string& path, Diagnostics& diags);

}  // namespace archsim::spec
