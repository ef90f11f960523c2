// readChip(): ConfigNode (a resolved chip document) -> validated ChipSpec.
#pragma once

#include <string>

#include "sim/spec/chip_spec.h"
#include "sim/spec/config_node.h"
#include "sim/spec/reader.h"

namespace archsim::spec {

/// Validates a chip mapping whose `base:` has already been resolved. `path` prefixes every reported
/// key ("" for a chip file, "chip" inside a system). Problems go to `diags`; the returned spec is
/// only meaningful when no error was added.
ChipSpec readChip(const ConfigNode& node, const std::string& path, Diagnostics& diags);

/// Reads a `sources:` mapping (figure key path -> list of sources) and checks that every figure key
/// names a value present in `document`.
std::vector<std::pair<std::string, std::vector<std::string>>> readSources(
    MapReader& parent, const ConfigNode& document);

/// Reads a mapping of dtype -> quantity (`peak: {bf16: 989 TFLOPS}`).
std::map<DType, double> readDTypeTable(MapReader& parent, std::string_view key, Dimension dimension,
                                       Need need);

}  // namespace archsim::spec
