#include "sim/spec/reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace archsim::spec {
namespace {
bool expectScalar(const ConfigNode& node, const std::string& path, std::string_view what,
                  Diagnostics& diags) {
  if (node.isScalar()) return true;
  diags.error(node.location(), path, fmt::format("expected {}, got {}", what, node.kindName()));
  return false;
}
}  // namespace

void Diagnostics::error(Location location, std::string key_path, std::string message) {
  list_.push_back({std::move(location), std::move(key_path), std::move(message)});
}

void Diagnostics::warn(Location location, std::string key_path, std::string message) {
  warnings_.push_back({std::move(location), std::move(key_path), std::move(message)});
}

void Diagnostics::absorb(const ConfigError& error) {
  list_.insert(list_.end(), error.diagnostics().begin(), error.diagnostics().end());
}

void Diagnostics::throwIfAny() const {
  if (!list_.empty()) throw ConfigError(list_);
}

std::string joinPath(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

std::optional<double> readQuantity(const ConfigNode& node, const std::string& path,
                                   Dimension dimension, Diagnostics& diags) {
  const std::string what = fmt::format("{} such as '{}'", withArticle(dimensionName(dimension)),
                                       dimensionExample(dimension));
  if (!expectScalar(node, path, what, diags)) return std::nullopt;
  try {
    return parseQuantityAs(node.scalar(), dimension);
  } catch (const UnitError& e) {
    diags.error(node.location(), path, e.what());
    return std::nullopt;
  }
}

std::optional<std::int64_t> readInteger(const ConfigNode& node, const std::string& path,
                                        std::int64_t min, std::int64_t max, Diagnostics& diags) {
  if (!expectScalar(node, path, "a whole number", diags)) return std::nullopt;
  const std::string& s = node.scalar();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (node.quoted()) {
    diags.error(
        node.location(), path,
        fmt::format("'{}' is written as a string (quoted or !!str); expected a whole number", s));
    return std::nullopt;
  }
  if (ec != std::errc() || end != s.data() + s.size()) {
    diags.error(node.location(), path, fmt::format("'{}' is not a whole number", s));
    return std::nullopt;
  }
  if (value < min || value > max) {
    diags.error(node.location(), path,
                max == INT64_MAX
                    ? fmt::format("{} is out of range (must be >= {})", value, min)
                    : fmt::format("{} is out of range (must be in [{}, {}])", value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<double> readNumber(const ConfigNode& node, const std::string& path, double min,
                                 double max, Diagnostics& diags) {
  if (!expectScalar(node, path, "a number", diags)) return std::nullopt;
  const std::string& s = node.scalar();
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (node.quoted()) {
    diags.error(node.location(), path,
                fmt::format("'{}' is written as a string (quoted or !!str); expected a number", s));
    return std::nullopt;
  }
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    diags.error(node.location(), path, fmt::format("'{}' is not a finite number", s));
    return std::nullopt;
  }
  if (value < min || value > max) {
    diags.error(node.location(), path,
                fmt::format("{} is out of range (must be in [{}, {}])", s, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> readText(const ConfigNode& node, const std::string& path,
                                    Diagnostics& diags) {
  if (!expectScalar(node, path, "a text value", diags)) return std::nullopt;
  return node.scalar();
}

DocumentHeader readHeader(MapReader& r, std::string_view kind, Need name) {
  if (const auto k = r.text("kind", Need::kOptional); k && *k != kind) {
    r.error("kind", fmt::format("expected '{}', got '{}'", kind, *k));
  }
  return {r.text("name", name).value_or(""), r.text("description", Need::kOptional).value_or("")};
}

MapReader::MapReader(const ConfigNode& node, std::string path, Diagnostics& diags)
    : node_(&node), path_(std::move(path)), diags_(&diags) {
  if (!node.isMap()) {
    diags.error(node.location(), path_,
                fmt::format("expected a mapping of keys, got {}", node.kindName()));
  }
}

Location MapReader::locationOf(std::string_view key) const {
  const ConfigNode* n = node_->find(key);
  return n ? n->location() : node_->location();
}

bool MapReader::has(std::string_view key) {
  known_.emplace_back(key);
  const ConfigNode* n = node_->find(key);
  return n != nullptr && !n->isNull();
}

const ConfigNode* MapReader::node(std::string_view key, Need need) {
  known_.emplace_back(key);
  const ConfigNode* n = node_->find(key);
  if (n != nullptr && n->isNull()) n = nullptr;
  if (n == nullptr && need == Need::kRequired && node_->isMap()) {
    diags_->error(node_->location(), keyPath(key), "required key is missing");
  }
  return n;
}

std::optional<double> MapReader::quantity(std::string_view key, Dimension dimension, Need need,
                                          Bound bound) {
  const ConfigNode* n = node(key, need);
  if (n == nullptr) return std::nullopt;
  const auto q = readQuantity(*n, keyPath(key), dimension, *diags_);
  if (q && bound == Bound::kPositive && *q <= 0.0) {
    error(key, "must be greater than 0");
    return std::nullopt;
  }
  return q;
}

std::optional<std::uint64_t> MapReader::bytes(std::string_view key, Need need, Bound bound) {
  const auto q = quantity(key, Dimension::kSize, need, bound);
  if (!q) return std::nullopt;
  if (*q >= 1.8e19) {
    error(key, "size is too large");
    return std::nullopt;
  }
  const std::uint64_t b = roundToCount(*q);  // below 1.8e19: fits
  if (bound == Bound::kPositive && b == 0) {
    error(key, "must be at least 1 B");
    return std::nullopt;
  }
  return b;
}

std::optional<Tick> MapReader::ticks(std::string_view key, Need need, Bound bound) {
  const auto q = quantity(key, Dimension::kTime, need, bound);
  if (!q) return std::nullopt;
  if (*q * static_cast<double>(kTicksPerSecond) >= 1.8e19) {
    error(key, "time is too large");
    return std::nullopt;
  }
  const Tick t = roundToCount(*q * static_cast<double>(kTicksPerSecond));
  if (bound == Bound::kPositive && t == 0) {
    error(key, "must be at least 1 ps");
    return std::nullopt;
  }
  return t;
}

std::optional<std::int64_t> MapReader::integer(std::string_view key, Need need, std::int64_t min,
                                               std::int64_t max) {
  const ConfigNode* n = node(key, need);
  return n ? readInteger(*n, keyPath(key), min, max, *diags_) : std::nullopt;
}

std::optional<double> MapReader::number(std::string_view key, Need need, double min, double max) {
  const ConfigNode* n = node(key, need);
  return n ? readNumber(*n, keyPath(key), min, max, *diags_) : std::nullopt;
}

std::optional<double> MapReader::fraction(std::string_view key, Need need) {
  const auto v = number(key, need, 0.0, 1.0);
  if (v && *v <= 0.0) {
    error(key, "must be greater than 0 (a fraction in (0, 1])");
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> MapReader::text(std::string_view key, Need need) {
  const ConfigNode* n = node(key, need);
  if (n == nullptr) return std::nullopt;
  auto value = readText(*n, keyPath(key), *diags_);
  if (value && value->empty()) {
    error(key, "must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> MapReader::boolean(std::string_view key, Need need) {
  const ConfigNode* n = node(key, need);
  if (n == nullptr) return std::nullopt;
  if (n->isScalar() && !n->quoted()) {
    if (n->scalar() == "true") return true;
    if (n->scalar() == "false") return false;
  }
  error(key, "expected true or false");
  return std::nullopt;
}

std::optional<std::vector<std::string>> MapReader::textList(std::string_view key, Need need) {
  const ConfigNode* n = node(key, need);
  if (n == nullptr) return std::nullopt;
  if (!n->isSequence()) {
    error(key, fmt::format("expected a list of text values, got {}", n->kindName()));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < n->children().size(); ++i) {
    const ConfigNode& item = n->children()[i];
    const std::string item_path = fmt::format("{}[{}]", keyPath(key), i);
    auto value = readText(item, item_path, *diags_);
    if (value && value->empty()) {
      diags_->error(item.location(), item_path, "must not be empty");
      value.reset();
    }
    if (value) {
      out.push_back(std::move(*value));
    } else {
      ok = false;
    }
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<MapReader> MapReader::child(std::string_view key, Need need) {
  const ConfigNode* n = node(key, need);
  if (n == nullptr) return std::nullopt;
  if (!n->isMap()) {
    error(key, fmt::format("expected a mapping of keys, got {}", n->kindName()));
    return std::nullopt;
  }
  return MapReader(*n, keyPath(key), *diags_);
}

void MapReader::warn(std::string_view key, const std::string& message) {
  diags_->warn(locationOf(key), keyPath(key), message);
}

int MapReader::newestLayer(std::initializer_list<std::string_view> keys) const {
  int newest = -1;
  for (std::string_view key : keys) {
    const ConfigNode* n = node_->find(key);
    if (n != nullptr && !n->isNull()) newest = std::max(newest, n->layer());
  }
  return newest;
}

void MapReader::crossError(std::initializer_list<std::string_view> keys,
                           const std::string& message) {
  std::string_view blamed = *keys.begin();
  int newest = -1;
  for (std::string_view key : keys) {
    const ConfigNode* n = node_->find(key);
    if (n != nullptr && n->layer() > newest) {
      newest = n->layer();
      blamed = key;
    }
  }
  error(blamed, message);
}

const std::vector<ConfigNode>& MapReader::entries() {
  for (const ConfigNode& c : node_->children())
    known_.push_back(c.key());
  return node_->children();
}

bool MapReader::checkName(const ConfigNode& entry, std::string_view what) {
  const std::string& name = entry.key();
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::isalpha(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](char ch) {
                    const auto c = static_cast<unsigned char>(ch);
                    return c < 0x80 && (std::isalnum(c) || c == '_' || c == '-');
                  });
  if (!ok) {
    diags_->error(entry.keyLocation(), keyPath(name),
                  fmt::format("a {} name is a letter followed by letters, digits, '_' and '-' (at "
                              "most 64): it names stats and trace tracks",
                              what));
  }
  return ok;
}

void MapReader::error(std::string_view key, const std::string& message) {
  diags_->error(locationOf(key), keyPath(key), message);
}

void MapReader::finish() {
  if (!node_->isMap()) return;
  for (const ConfigNode& entry : node_->children()) {
    bool known = false;
    for (const auto& k : known_)
      known = known || k == entry.key();
    if (!known) {
      diags_->error(entry.keyLocation(), keyPath(entry.key()),
                    "unknown key" + didYouMean(entry.key(), known_));
    }
  }
}

}  // namespace archsim::spec
