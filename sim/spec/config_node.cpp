#include "sim/spec/config_node.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "sim/core/checked.h"

namespace archsim::spec {
namespace {

Location locate(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return Location{file, 0, 0};
  return Location{file, mark.line + 1, mark.column + 1};
}

// Offset of the first byte that is not part of well-formed UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), or npos. Names reach JSON and HTML, which need UTF-8.
std::size_t invalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07u;
    } else {
      return i;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0u) != 0x80u) return i;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += n + 1;
  }
  return std::string_view::npos;
}

void requireUtf8(std::string_view s, const Location& where) {
  if (const std::size_t at = invalidUtf8(s); at != std::string_view::npos) {
    throw ConfigError(where, "",
                      fmt::format("invalid UTF-8 (byte 0x{:02X} at offset {} of the text); archsim "
                                  "reads UTF-8",
                                  static_cast<unsigned char>(s[at]), at));
  }
}

// Counts the nodes a YAML text expands to, aliases included, from the parser's events — before
// yaml-cpp builds a node tree, which for alias-heavy (even malformed) input copies node lists
// without bound. Each anchored node's expanded size is remembered; an alias adds it.
class ExpansionCounter final : public YAML::EventHandler {
 public:
  explicit ExpansionCounter(std::string file) : file_(std::move(file)) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, 1); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    ++aliases_;
    leaf(mark, 0, anchor < sizes_.size() ? sizes_[anchor] : 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(mark, anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open_.push_back({mark, anchor, 1});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open_.push_back({mark, anchor, 1});
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::Mark mark;
    YAML::anchor_t anchor;
    std::uint64_t nodes;
  };
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, std::uint64_t nodes) {
    if (anchor != 0) remember(anchor, nodes);
    add(mark, nodes);
  }
  void close() {
    if (open_.empty()) return;
    const Open o = open_.back();
    open_.pop_back();
    if (o.anchor != 0) remember(o.anchor, o.nodes);
    add(o.mark, o.nodes);
  }
  void remember(YAML::anchor_t anchor, std::uint64_t nodes) {
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 1);
    sizes_[anchor] = nodes;
  }
  void add(const YAML::Mark& mark, std::uint64_t nodes) {
    std::uint64_t& into = open_.empty() ? total_ : open_.back().nodes;
    into = saturatingAdd(into, nodes);
    if (into > kMaxNodes) {  // without an alias, the parser repeats itself on malformed text
      throw ConfigError(
          locate(file_, mark), "",
          aliases_ > 0
              ? fmt::format("the document expands to more than {} nodes through YAML aliases; "
                            "archsim reads at most that many",
                            kMaxNodes)
              : fmt::format("malformed YAML: the parser yields more than {} nodes from this text "
                            "without ending (a stray ',' or '-'?)",
                            kMaxNodes));
    }
  }

  std::string file_;
  std::vector<Open> open_;
  std::vector<std::uint64_t> sizes_;
  std::uint64_t total_ = 0;
  std::uint64_t aliases_ = 0;
};

// Every YAML document in `text`, refused past kMaxNodes expanded nodes ("billion laughs") before
// yaml-cpp builds any of them. Throws YAML::Exception for syntax errors.
std::vector<YAML::Node> loadDocuments(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  ExpansionCounter counter(file);
  while (parser.HandleNextDocument(counter)) {
  }
  return YAML::LoadAll(text);
}

ConfigNode convert(const YAML::Node& node, const std::string& file, int depth) {
  const Location where = locate(file, node.Mark());
  if (depth > kMaxDepth) {
    throw ConfigError(where, "", fmt::format("nesting deeper than {} levels", kMaxDepth));
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return ConfigNode::makeNull(where);
    case YAML::NodeType::Scalar:
      requireUtf8(node.Scalar(), where);
      // "!" is what yaml-cpp tags a quoted scalar with; an explicit !!str is a string as well.
      return ConfigNode::makeScalar(node.Scalar(), where,
                                    node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str");
    case YAML::NodeType::Sequence: {
      ConfigNode seq = ConfigNode::makeSequence(where);
      for (const auto& item : node)
        seq.append(convert(item, file, depth + 1));
      return seq;
    }
    case YAML::NodeType::Map: {
      ConfigNode map = ConfigNode::makeMap(where);
      std::vector<Diagnostic> problems;
      for (const auto& entry : node) {
        const Location key_where = locate(file, entry.first.Mark());
        if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
          problems.push_back({key_where, "", "keys must be plain non-empty names"});
          continue;
        }
        const std::string& key = entry.first.Scalar();
        requireUtf8(key, key_where);
        if (const ConfigNode* earlier = map.find(key)) {
          problems.push_back({key_where, key,
                              fmt::format("duplicate key (first defined at line {})",
                                          earlier->keyLocation().line)});
          continue;
        }
        map.set(key, convert(entry.second, file, depth + 1), key_where);
      }
      if (!problems.empty()) throw ConfigError(std::move(problems));
      return map;
    }
  }
  return ConfigNode::makeNull(where);
}

void emit(YAML::Emitter& out, const ConfigNode& node) {
  switch (node.kind()) {
    case ConfigNode::Kind::kNull:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::kScalar:
      if (node.quoted()) out << YAML::DoubleQuoted;
      out << node.scalar();
      break;
    case ConfigNode::Kind::kSequence:
      out << YAML::BeginSeq;
      for (const auto& item : node.children())
        emit(out, item);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::kMap:
      out << YAML::BeginMap;
      for (const auto& entry : node.children()) {
        out << YAML::Key << entry.key() << YAML::Value;
        emit(out, entry);
      }
      out << YAML::EndMap;
      break;
  }
}

ConfigNode relocated(const ConfigNode& n, const Location& at) {
  ConfigNode out = n.isScalar()     ? ConfigNode::makeScalar(n.scalar(), at, n.quoted())
                   : n.isMap()      ? ConfigNode::makeMap(at)
                   : n.isSequence() ? ConfigNode::makeSequence(at)
                                    : ConfigNode::makeNull(at);
  for (const auto& c : n.children()) {
    if (n.isMap()) {
      out.set(c.key(), relocated(c, at), at);
    } else {
      out.append(relocated(c, at));
    }
  }
  return out;
}

}  // namespace

ConfigNode ConfigNode::makeNull(Location location) {
  ConfigNode n;
  n.location_ = std::move(location);
  return n;
}

ConfigNode ConfigNode::makeScalar(std::string value, Location location, bool quoted) {
  ConfigNode n;
  n.kind_ = Kind::kScalar;
  n.scalar_ = std::move(value);
  n.quoted_ = quoted;
  n.location_ = std::move(location);
  return n;
}

ConfigNode ConfigNode::makeSequence(Location location) {
  ConfigNode n;
  n.kind_ = Kind::kSequence;
  n.location_ = std::move(location);
  return n;
}

ConfigNode ConfigNode::makeMap(Location location) {
  ConfigNode n;
  n.kind_ = Kind::kMap;
  n.location_ = std::move(location);
  return n;
}

std::string_view ConfigNode::kindName() const {
  switch (kind_) {
    case Kind::kNull:
      return "nothing (null)";
    case Kind::kScalar:
      return "a value";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a mapping";
  }
  return "?";
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (const auto& c : children_) {
    if (c.key_ == key) return &c;
  }
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  return const_cast<ConfigNode*>(static_cast<const ConfigNode*>(this)->find(key));
}

ConfigNode& ConfigNode::set(std::string key, ConfigNode value, Location key_location) {
  value.key_ = std::move(key);
  value.key_location_ = std::move(key_location);
  for (auto& c : children_) {
    if (c.key_ == value.key_) {
      c = std::move(value);
      return c;
    }
  }
  children_.push_back(std::move(value));
  return children_.back();
}

bool ConfigNode::erase(std::string_view key) {
  for (auto it = children_.begin(); it != children_.end(); ++it) {
    if (it->key_ == key) {
      children_.erase(it);
      return true;
    }
  }
  return false;
}

void ConfigNode::stampLayer(int layer) {
  layer_ = layer;
  for (auto& c : children_)
    c.stampLayer(layer);
}

int ConfigNode::maxLayer() const {
  int m = layer_;
  for (const auto& c : children_)
    m = std::max(m, c.maxLayer());
  return m;
}

void ConfigNode::assignValue(const ConfigNode& other) {
  kind_ = other.kind_;
  location_ = other.location_;
  layer_ = other.layer_;
  scalar_ = other.scalar_;
  quoted_ = other.quoted_;
  children_ = other.children_;
}

void ConfigNode::append(ConfigNode item) {
  children_.push_back(std::move(item));
}

const ConfigNode* ConfigNode::findPath(std::string_view dotted) const {
  const ConfigNode* node = this;
  while (node != nullptr && !dotted.empty()) {
    const auto dot = dotted.find('.');
    node = node->find(dotted.substr(0, dot));
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return node;
}

ConfigNode parseYaml(const std::string& text, const std::string& file) {
  const auto nul = text.find('\0');
  if (nul != std::string::npos) {
    const int line =
        1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n'));
    throw ConfigError(Location{file, line, 0}, "",
                      "file contains binary data (a NUL byte); expected YAML text");
  }
  YAML::Node root;
  try {
    // Every document is parsed, so that a second one (after `---`) is reported, not ignored.
    const std::vector<YAML::Node> documents = loadDocuments(text, file);
    if (documents.size() > 1) {
      throw ConfigError(locate(file, documents[1].Mark()), "",
                        "a second YAML document (after '---'): a file holds one document");
    }
    if (!documents.empty()) root = documents.front();
  } catch (const YAML::Exception& e) {
    throw ConfigError(locate(file, e.mark), "", "YAML syntax error: " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    throw ConfigError(Location{file, 1, 0}, "", "file is empty; expected a YAML mapping");
  }
  return convert(root, file, 0);
}

std::string readInputFile(const std::filesystem::path& path, std::string_view what) {
  const Location where{path.string(), 0, 0};
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw ConfigError(where, "", "no such file");
  if (std::filesystem::is_directory(status)) {
    throw ConfigError(where, "", fmt::format("is a directory, not {}", what));
  }
  // A device, FIFO or socket never ends or blocks forever: only regular files are inputs.
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError(where, "",
                      fmt::format("is not a regular file (a device, FIFO or socket); "
                                  "expected {}",
                                  what));
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxInputFileBytes) {
    throw ConfigError(where, "",
                      fmt::format("is {} bytes; archsim reads input files of at most {} MiB", size,
                                  kMaxInputFileBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(where, "", "cannot open file");
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxInputFileBytes) {  // grew while being read
      throw ConfigError(where, "",
                        fmt::format("is larger than {} MiB; archsim reads input files of at most "
                                    "that size",
                                    kMaxInputFileBytes >> 20));
    }
  }
  return text;
}

ConfigNode loadYamlFile(const std::filesystem::path& path) {
  return parseYaml(readInputFile(path, "a YAML file"), path.string());
}

void mergeInto(ConfigNode& base, const ConfigNode& overlay) {
  if (!base.isMap() || !overlay.isMap()) {
    base.assignValue(overlay);
    return;
  }
  for (const auto& entry : overlay.children()) {
    if (entry.isNull()) {
      base.erase(entry.key());
      continue;
    }
    ConfigNode* existing = base.find(entry.key());
    if (existing != nullptr && existing->isMap() && entry.isMap()) {
      mergeInto(*existing, entry);
    } else {
      base.set(entry.key(), entry, entry.keyLocation());
    }
  }
}

std::optional<AssignmentParts> splitAssignment(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  AssignmentParts parts;
  parts.path = std::string(assignment.substr(0, eq));
  parts.value = std::string(assignment.substr(eq + 1));
  if (parts.path.back() == '?') {
    parts.conditional = true;
    parts.path.pop_back();
    if (parts.path.empty()) return std::nullopt;
  }
  return parts;
}

std::optional<std::string> firstMissingMap(const ConfigNode& root, std::string_view path) {
  const ConfigNode* node = &root;
  std::string walked;
  for (std::size_t start = 0;;) {
    const auto dot = path.find('.', start);
    if (dot == std::string_view::npos) return std::nullopt;  // the last key is the value's
    const std::string key(path.substr(start, dot - start));
    if (!walked.empty()) walked += '.';
    walked += key;
    if (!node->isMap()) return std::nullopt;
    node = node->find(key);
    if (node == nullptr) return walked;
    start = dot + 1;
  }
}

bool applyAssignment(ConfigNode& root, std::string_view assignment, const Location& where) {
  const std::optional<AssignmentParts> parts = splitAssignment(assignment);
  if (!parts) {
    throw ConfigError(
        where, "",
        fmt::format("'{}' is not of the form path.to.key=value (or path.to.key?=value)",
                    assignment));
  }
  const std::string& path = parts->path;
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos)
    throw ConfigError(where, path, "empty path segment");
  if (parts->conditional && firstMissingMap(root, path)) return false;
  ConfigNode value;
  try {
    const std::vector<YAML::Node> documents = loadDocuments(parts->value, where.file);
    value = convert(documents.empty() ? YAML::Node() : documents.front(), where.file, 0);
  } catch (const YAML::Exception& e) {
    throw ConfigError(where, path, "value is not valid YAML: " + e.msg);
  }
  value = relocated(value, where);  // every node of the value is located at the assignment
  value.stampLayer(kCommandLineLayer);

  ConfigNode* node = &root;
  std::string_view rest(path);
  std::string walked;
  while (true) {
    const auto dot = rest.find('.');
    const std::string key(rest.substr(0, dot));  // not empty: checked above
    if (!walked.empty()) walked += '.';
    walked += key;
    if (!node->isMap()) {
      throw ConfigError(where, walked, fmt::format("cannot set a key inside {}", node->kindName()));
    }
    if (dot == std::string_view::npos) {
      node->set(key, std::move(value), where);
      return true;
    }
    ConfigNode* next = node->find(key);
    if (next == nullptr) next = &node->set(key, ConfigNode::makeMap(where), where);
    node = next;
    rest = rest.substr(dot + 1);
  }
}

std::string toYaml(const ConfigNode& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

}  // namespace archsim::spec
