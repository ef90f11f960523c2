#include "sim/spec/config_node.h"

#include <doctest/doctest.h>

#include "sim/core/error.h"

using namespace archsim;
using namespace archsim::spec;

namespace {
Diagnostic firstError(const std::string& text) {
  try {
    parseYaml(text, "t.yaml");
  } catch (const ConfigError& e) {
    return e.diagnostics().front();
  }
  return {};
}
}  // namespace

TEST_CASE("parseYaml keeps 1-based line and column of keys and values") {
  const ConfigNode root = parseYaml("a: 1\nb:\n  c: 80 GB\n  d: [1, 2]\n", "t.yaml");
  const ConfigNode* c = root.findPath("b.c");
  REQUIRE(c != nullptr);
  CHECK(c->scalar() == "80 GB");
  CHECK(c->location().str() == "t.yaml:3:6");
  CHECK(c->keyLocation().str() == "t.yaml:3:3");
  CHECK(root.findPath("b.d")->children().size() == 2);
  CHECK(root.findPath("b.x") == nullptr);
}

TEST_CASE("parseYaml rejects duplicate keys, syntax errors, binary data and empty files") {
  const Diagnostic dup = firstError("a: 1\nb: 2\na: 3\n");
  CHECK(dup.location.line == 3);
  CHECK(dup.message.find("duplicate key (first defined at line 1)") != std::string::npos);
  const Diagnostic syntax = firstError("a: [1, 2\nb: 3\n");
  CHECK(syntax.message.find("YAML syntax error") != std::string::npos);
  CHECK(syntax.location.line >= 1);
  const Diagnostic binary = firstError(std::string("a: 1\nb: \0\x01\x02", 11));
  CHECK(binary.location.line == 2);
  CHECK(binary.message.find("binary") != std::string::npos);
  CHECK(firstError("").message.find("empty") != std::string::npos);
  CHECK(firstError("# only a comment\n").message.find("empty") != std::string::npos);
}

TEST_CASE(
    "mergeInto merges maps, replaces values, deletes on null and keeps each value's location") {
  ConfigNode base = parseYaml(
      "name: x\nmemory:\n  hbm: {size: 80 GB, channels: 80}\n  l2: {size: 50 MB}\n", "base.yaml");
  const ConfigNode overlay =
      parseYaml("memory:\n  hbm:\n    channels: 40\n  l2: ~\nname: y\n", "over.yaml");
  mergeInto(base, overlay);
  CHECK(base.findPath("name")->scalar() == "y");
  CHECK(base.findPath("memory.hbm.size")->scalar() == "80 GB");
  CHECK(base.findPath("memory.hbm.size")->location().file == "base.yaml");
  CHECK(base.findPath("memory.hbm.channels")->scalar() == "40");
  CHECK(base.findPath("memory.hbm.channels")->location().str() == "over.yaml:3:15");
  CHECK(base.findPath("memory.l2") == nullptr);
  CHECK(base.children().front().key() == "name");  // replaced entries keep their position
}

TEST_CASE("applyAssignment sets a path, creating maps, with the value parsed as YAML") {
  ConfigNode root = parseYaml("chip:\n  memory:\n    hbm: {channels: 80}\n", "t.yaml");
  const Location where{"--set", 0, 0};
  applyAssignment(root, "chip.memory.hbm.channels=40", where);
  applyAssignment(root, "chip.memory.hbm.size=40 GB", where);
  applyAssignment(root, "chip.new.list=[1, 2]", where);
  CHECK(root.findPath("chip.memory.hbm.channels")->scalar() == "40");
  CHECK(root.findPath("chip.memory.hbm.channels")->location().file == "--set");
  CHECK(root.findPath("chip.memory.hbm.size")->scalar() == "40 GB");
  CHECK(root.findPath("chip.new.list")->isSequence());
  CHECK_THROWS_AS(applyAssignment(root, "no-equals-sign", where), ConfigError);
  CHECK_THROWS_AS(applyAssignment(root, "=5", where), ConfigError);
  CHECK_THROWS_AS(applyAssignment(root, "chip.memory.hbm.channels.x=1", where), ConfigError);
  CHECK_THROWS_AS(applyAssignment(root, "chip..x=1", where), ConfigError);
}

TEST_CASE("toYaml round-trips a tree") {
  const ConfigNode root = parseYaml("a: 1\nb:\n  c: \"true\"\n  d: [x, y]\n  e: ~\n", "t.yaml");
  const ConfigNode again = parseYaml(toYaml(root), "again.yaml");
  CHECK(toYaml(again) == toYaml(root));
  CHECK(again.findPath("b.c")->quoted());
  CHECK(again.findPath("b.e")->isNull());
}

TEST_CASE("a conditional assignment (path?=value) applies only where the key's parent exists") {
  ConfigNode root = parseYaml("chip:\n  memory:\n    hbm: {channels: 80}\n", "t.yaml");
  const Location where{"--set", 0, 0};
  CHECK(applyAssignment(root, "chip.memory.hbm.channels?=40", where));
  CHECK(applyAssignment(root, "chip.memory.hbm.size?=40 GB", where));  // a new key, parent there
  CHECK_FALSE(applyAssignment(root, "chip.memory.l2.size?=50 MB", where));
  CHECK(root.findPath("chip.memory.hbm.channels")->scalar() == "40");
  CHECK(root.findPath("chip.memory.hbm.size")->scalar() == "40 GB");
  CHECK(root.findPath("chip.memory.l2") == nullptr);  // nothing created
  CHECK_THROWS_AS(applyAssignment(root, "chip..x?=1", where), ConfigError);
  CHECK_THROWS_AS(applyAssignment(root, "?=1", where), ConfigError);

  CHECK(firstMissingMap(root, "chip.memory.l2.size") == "chip.memory.l2");
  CHECK(firstMissingMap(root, "chip.other.a.b") == "chip.other");
  CHECK_FALSE(firstMissingMap(root, "chip.memory.hbm.latency"));
  CHECK_FALSE(firstMissingMap(root, "top"));
  const auto parts = splitAssignment("a.b?=x=y");
  REQUIRE(parts);
  CHECK(parts->path == "a.b");
  CHECK(parts->value == "x=y");
  CHECK(parts->conditional);
  CHECK_FALSE(splitAssignment("a.b"));
}
