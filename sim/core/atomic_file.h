// Writing output files so that a reader never sees a half-written one: the content goes to a
// temporary file in the same folder, which is then renamed over the target (atomic on POSIX).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace archsim {

/// An output file could not be written (a user-visible condition: wrong folder, no permission).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Writes `content` to `path` atomically. Throws OutputError naming the path when the folder does
/// not exist or cannot be written; the target is then left untouched.
void writeFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace archsim
