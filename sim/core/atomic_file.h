// Writing output files so that a reader never sees a half-written one: the content goes to a
// temporary file in the same folder, which is then renamed over the target (atomic on POSIX).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace archsim {

/// An output file could not be written (a user-visible condition: wrong folder, no permission).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Writes `content` to `path` atomically. Throws OutputError naming the path when the folder does
/// not exist or cannot be written; the target is then left untouched.
void writeFileAtomically(const std::filesystem::path& path, std::string_view content);

/// Writes a folder of files so that `dir` holds either its previous content or all of `files`,
/// never a mix: the files go to a hidden staging folder beside `dir`, which then replaces `dir`
/// (the old folder is renamed aside, the new one renamed in, the old one removed). Parent folders
/// are created. Throws OutputError naming the folder; on failure the staging folder is removed.
void writeDirectoryAtomically(const std::filesystem::path& dir,
                              const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace archsim
