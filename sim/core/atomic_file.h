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

/// The file archsim leaves in every output folder it creates. archsim writes into, replaces or
/// clears a folder only when it holds this marker (or is empty): it never deletes or overwrites
/// what it did not create.
inline constexpr const char* kOutputMarker = ".archsim-output";

/// `name` (a scenario, system, sweep or entry name from a file) as one path component: letters,
/// digits, '.', '_' and '-' kept, anything else (a '/', "..", a control byte) replaced by '_', no
/// leading '.', at most 120 characters; "unnamed" when nothing is left.
std::string safeFileName(std::string_view name);

/// Makes `dir` an output folder: creates it (and its parents) with the marker, or accepts an
/// existing folder that has the marker or is empty. Throws OutputError naming the folder when it
/// is a file, a device or a folder with other content and no marker.
void claimOutputDirectory(const std::filesystem::path& dir);

/// Writes `content` to `path` atomically. Throws OutputError naming the path when the folder does
/// not exist or cannot be written; the target is then left untouched.
void writeFileAtomically(const std::filesystem::path& path, std::string_view content);

/// Writes a folder of files so that `dir` holds either its previous content or all of `files`,
/// never a mix: the files (and the output marker) go to a hidden staging folder beside `dir`,
/// which then replaces `dir` in one atomic exchange. Parent folders are created. An existing `dir`
/// is replaced only when it is an output folder (claimOutputDirectory's rule). Throws OutputError
/// naming the folder; on failure the staging folder is removed.
void writeDirectoryAtomically(const std::filesystem::path& dir,
                              const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace archsim
