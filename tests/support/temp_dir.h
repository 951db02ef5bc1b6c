#pragma once
/// A fresh directory under the system temp dir for one test, removed with everything in it.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace servesim::test {

class TempDir {
 public:
  TempDir() {
    // pid + clock + counter: unique across the parallel processes ctest starts, and within one.
    static std::atomic<unsigned> counter{0};
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("servesim-test-" + std::to_string(::getpid()) + "-" + std::to_string(ticks) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor; a leftover temp dir is harmless
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Writes `text` to `name` (relative to the directory; parent folders are created).
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    const std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write " + p.string());
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// 1-based line of the first occurrence of `needle` in `text` (0 if absent), so a test states
/// where an error must point by quoting the text it wrote, not by counting lines by hand.
inline int line_of(std::string_view text, std::string_view needle) {
  const auto at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  int line = 1;
  for (std::size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

/// 1-based column of the first occurrence of `needle` in `text` (0 if absent).
inline int col_of(std::string_view text, std::string_view needle) {
  const auto at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  const auto nl = text.rfind('\n', at);
  return static_cast<int>(nl == std::string_view::npos ? at + 1 : at - nl);
}

}  // namespace servesim::test
