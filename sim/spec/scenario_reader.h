// readScenario(): ConfigNode (a resolved scenario, model inlined) -> validated ScenarioSpec.
#pragma once

#include "sim/spec/config_node.h"
#include "sim/spec/reader.h"
#include "sim/spec/scenario_spec.h"

namespace archsim::spec {

ScenarioSpec readScenario(const ConfigNode& node, Diagnostics& diags);

/// Reads a software stack description (`kind: software`, or the scenario's inlined `software:`
/// mapping at `path`).
SoftwareSpec readSoftware(const ConfigNode& node, const std::string& path, Diagnostics& diags);

/// Reads a tensor format: a dtype name ("bf16") or {dtype, group_size, scale}.
std::optional<TensorFormat> readTensorFormat(MapReader& parent, std::string_view key, Need need);

}  // namespace archsim::spec
