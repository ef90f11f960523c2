#include "support/json_schema.h"

#include <algorithm>
#include <set>

namespace archsim::test {
namespace {

using nlohmann::json;

bool hasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  return false;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  void check(const json& schema, const json& v, const std::string& at) {
    static const std::set<std::string> kKnown{
        "$schema", "$id",     "title",  "description", "$defs",    "$ref",
        "type",    "const",   "enum",   "properties",  "required", "additionalProperties",
        "items",   "minimum", "maximum"};
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) errors.push_back(at + ": not allowed");
      return;
    }
    for (const auto& [key, value] : schema.items()) {
      if (!kKnown.count(key))
        errors.push_back(at + ": schema keyword '" + key + "' is not supported by this validator");
    }
    if (schema.contains("$ref")) {
      const std::string ref = schema["$ref"];
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_["$defs"].contains(ref.substr(prefix.size()))) {
        errors.push_back(at + ": unresolvable $ref " + ref);
      } else {
        check(root_["$defs"][ref.substr(prefix.size())], v, at);
      }
    }
    if (schema.contains("type")) {
      const json& t = schema["type"];
      bool ok = false;
      if (t.is_string()) ok = hasType(v, t);
      for (const auto& one : t.is_array() ? t : json::array())
        ok = ok || hasType(v, one);
      if (!ok) {
        errors.push_back(at + ": expected type " + t.dump() + ", got " + v.dump().substr(0, 60));
        return;
      }
    }
    if (schema.contains("const") && v != schema["const"])
      errors.push_back(at + ": expected " + schema["const"].dump());
    if (schema.contains("enum")) {
      const json& e = schema["enum"];
      if (std::find(e.begin(), e.end(), v) == e.end())
        errors.push_back(at + ": " + v.dump() + " not in " + e.dump());
    }
    if (v.is_number()) {
      if (schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>()) {
        errors.push_back(at + ": " + v.dump() + " below the minimum " + schema["minimum"].dump());
      }
      if (schema.contains("maximum") && v.get<double>() > schema["maximum"].get<double>()) {
        errors.push_back(at + ": " + v.dump() + " above the maximum " + schema["maximum"].dump());
      }
    }
    if (v.is_object()) {
      for (const auto& name : schema.value("required", json::array())) {
        if (!v.contains(name.get<std::string>()))
          errors.push_back(at + ": missing required key '" + name.get<std::string>() + "'");
      }
      const json properties = schema.value("properties", json::object());
      for (const auto& [key, value] : v.items()) {
        const std::string here = at + "/" + key;
        if (properties.contains(key)) {
          check(properties[key], value, here);
        } else if (schema.contains("additionalProperties")) {
          const json& extra = schema["additionalProperties"];
          if (extra.is_boolean() && !extra.get<bool>()) {
            errors.push_back(here + ": key not in the schema");
          } else {
            check(extra, value, here);
          }
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i)
        check(schema["items"], v[i], at + "/" + std::to_string(i));
    }
  }

  std::vector<std::string> errors;

 private:
  const json& root_;
};

}  // namespace

std::vector<std::string> validateSchema(const nlohmann::json& schema, const nlohmann::json& doc) {
  Validator v(schema);
  v.check(schema, doc, "");
  return v.errors;
}

}  // namespace archsim::test
