#include "sim/core/atomic_file.h"

#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <stdio.h>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

namespace archsim {

void writeFileAtomically(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path dir =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temp =
      dir / fmt::format(".{}.tmp{}", path.filename().string(), ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw OutputError("cannot write '" + path.string() + "' (is the folder there and writable?)");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw OutputError("writing '" + path.string() + "' failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw OutputError("cannot replace '" + path.string() + "': " + ec.message());
  }
}

namespace {

/// Whether `dir` may be written into or replaced: absent, an empty folder, or a folder with the
/// output marker. Throws OutputError otherwise.
void checkOwnable(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(st)) return;
  if (!fs::is_directory(st)) {
    throw OutputError("'" + dir.string() +
                      "' exists and is not a folder: archsim writes only into folders it created; "
                      "choose another --out");
  }
  if (fs::exists(dir / kOutputMarker, ec)) return;
  if (fs::is_empty(dir, ec) && !ec) return;
  throw OutputError("'" + dir.string() + "' exists and was not created by archsim (it has no " +
                    kOutputMarker +
                    " marker): archsim never overwrites what it did not create; choose another "
                    "--out or empty the folder yourself");
}

}  // namespace

std::string safeFileName(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 120)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  for (char& c : out) {
    if (c != '.') break;
    c = '_';  // no hidden names, no "." or ".."
  }
  return out.empty() ? "unnamed" : out;
}

void claimOutputDirectory(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  checkOwnable(dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw OutputError("cannot create '" + dir.string() + "': " + ec.message());
  if (!fs::exists(dir / kOutputMarker, ec))
    writeFileAtomically(dir / kOutputMarker, "archsim output folder\n");
}

void writeDirectoryAtomically(const std::filesystem::path& dir,
                              const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  const fs::path target = dir.has_filename() ? dir : dir.parent_path();
  checkOwnable(target);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const std::string tag = std::to_string(::getpid());
  const fs::path staging = parent / fmt::format(".{}.staging{}", target.filename().string(), tag);
  const fs::path aside = parent / fmt::format(".{}.old{}", target.filename().string(), tag);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw OutputError("cannot create '" + parent.string() + "': " + ec.message());
  fs::remove_all(staging, ec);
  fs::create_directory(staging, ec);
  if (ec) throw OutputError("cannot write into '" + parent.string() + "': " + ec.message());
  try {
    writeFileAtomically(staging / kOutputMarker, "archsim output folder\n");
    for (const auto& [name, content] : files) {
      const fs::path file = staging / name;
      fs::create_directories(file.parent_path(), ec);
      if (ec)
        throw OutputError("cannot create '" + file.parent_path().string() + "': " + ec.message());
      writeFileAtomically(file, content);
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
  // Swap the new folder in with one atomic rename (Linux renameat2 RENAME_EXCHANGE), so that an
  // interruption at any moment (Ctrl-C, a kill) leaves `target` whole: the old record before the
  // swap, the new one after. Without a target (or where exchange is unsupported) a plain rename.
  const bool existed = fs::exists(target);
  if (existed &&
      ::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, ec);  // the old record, now at the staging path
    return;
  }
  if (existed) {
    fs::rename(target, aside, ec);
    if (ec) {
      std::error_code ignored;
      fs::remove_all(staging, ignored);
      throw OutputError("cannot replace '" + target.string() + "': " + ec.message());
    }
  }
  fs::rename(staging, target, ec);
  if (ec) {
    std::error_code ignored;
    if (existed) fs::rename(aside, target, ignored);
    fs::remove_all(staging, ignored);
    throw OutputError("cannot write '" + target.string() + "': " + ec.message());
  }
  if (existed) fs::remove_all(aside, ec);
}

}  // namespace archsim
