// Output safety: names from files become one harmless path component; a folder archsim did not
// create is never written into.
#include "sim/core/atomic_file.h"

#include <fstream>
#include <unistd.h>

#include <doctest/doctest.h>

using namespace archsim;

TEST_CASE("safeFileName keeps a name inside its folder") {
  CHECK(safeFileName("llama2-7b-decode-on-H100_SXM5") == "llama2-7b-decode-on-H100_SXM5");
  CHECK(safeFileName("../../etc/passwd") == "___.._etc_passwd");  // one component, not ".."
  CHECK(safeFileName("..") == "__");
  CHECK(safeFileName(".hidden") == "_hidden");
  CHECK(safeFileName("a/b\\c d\n") == "a_b_c_d_");
  CHECK(safeFileName("") == "unnamed");
  CHECK(safeFileName(std::string(500, 'x')).size() == 120);
}

TEST_CASE("claimOutputDirectory: absent or empty folders are claimed, others refused") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("archsim-claim-" + std::to_string(::getpid()));
  fs::remove_all(root);
  claimOutputDirectory(root / "new");
  CHECK(fs::exists(root / "new" / kOutputMarker));
  claimOutputDirectory(root / "new");  // its own folder again
  fs::create_directories(root / "user");
  std::ofstream(root / "user" / "notes.txt") << "precious";
  CHECK_THROWS_AS(claimOutputDirectory(root / "user"), OutputError);
  CHECK_FALSE(fs::exists(root / "user" / kOutputMarker));
  std::ofstream(root / "file") << "precious";
  CHECK_THROWS_AS(claimOutputDirectory(root / "file"), OutputError);
  CHECK_THROWS_AS(writeDirectoryAtomically(root / "user", {{"a.txt", "x"}}), OutputError);
  CHECK(fs::exists(root / "user" / "notes.txt"));
  CHECK_FALSE(fs::exists(root / "user" / "a.txt"));
  fs::remove_all(root);
}
