// Every file in tests/bad_inputs/ fails `archsim check` with exit 2 and the message expected.yaml
// names.
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "sim/app/app.h"
#include "support.h"

using namespace archsim;

TEST_CASE("Every bad input exits 2 with a message naming the file, the line and the problem") {
  const std::filesystem::path dir = std::filesystem::path(ARCHSIM_TEST_DATA) / "bad_inputs";
  const spec::ConfigNode expected = spec::loadYamlFile(dir / "expected.yaml");
  std::set<std::string> listed;
  for (const auto& entry : expected.children()) {
    const std::string name = entry.key();
    listed.insert(name);
    CAPTURE(name);
    const std::string file = (dir / name).string();
    const int line = std::stoi(entry.find("line")->scalar());
    const std::string contains = entry.find("contains")->scalar();
    const char* argv[] = {"archsim", "check", file.c_str()};
    std::ostringstream out, err;
    const int code = app::run(3, argv, out, err, app::Context{});
    CAPTURE(err.str());
    CHECK(code == 2);
    CHECK(out.str().empty());
    const std::string at = entry.find("at") ? entry.find("at")->scalar() : name;
    const std::string where = line > 0 ? at + ":" + std::to_string(line) + ":" : at + ":";
    CHECK(err.str().find(where) != std::string::npos);
    CHECK(err.str().find(contains) != std::string::npos);
  }
  // The manifest and the folder list the same files.
  std::set<std::string> present;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    // Sub-folders hold what the bad inputs refer to (serving traces).
    if (e.is_regular_file() && e.path().filename() != "expected.yaml")
      present.insert(e.path().filename().string());
  }
  CHECK(present == listed);
  CHECK(listed.size() >= 25);
}
