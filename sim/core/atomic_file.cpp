#include "sim/core/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace archsim {

void writeFileAtomically(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temp = dir / ("." + path.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw OutputError("cannot write '" + path.string() + "' (is the folder there and writable?)");
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

}  // namespace archsim
