#pragma once
/// Writing a result file so that a reader (or a crash) never sees half of it.

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace servesim {

/// Writes `text` to `path` through a temporary file and a rename.
inline void write_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write '" + tmp + "'");
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace servesim
