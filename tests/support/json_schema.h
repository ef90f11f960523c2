// A JSON Schema validator for the subset archsim's schemas use (draft 2020-12 keywords): type (a
// name or a list), const, enum, properties, required, additionalProperties (false or a schema),
// items, minimum, maximum, and $ref to "#/$defs/<name>". Any other keyword is reported as
// unsupported, so a schema never silently checks less than it says. Annotations ($schema, $id,
// title, description, $defs) are ignored.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim::test {

/// Every violation, each as "<json pointer>: <what>"; empty when `doc` is valid.
std::vector<std::string> validateSchema(const nlohmann::json& schema, const nlohmann::json& doc);

}  // namespace archsim::test
