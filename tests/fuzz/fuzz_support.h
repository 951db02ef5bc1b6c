#pragma once
/// What the fuzz targets share: which exceptions count as a reader rejecting bad input (fine)
/// rather than a defect, and a private scratch directory for readers that take a path.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "calib/private_dir.h"
#include "sim/config/error.h"

namespace servesim::fuzz {

/// Runs `read`. A ConfigError is the reader rejecting bad input with a location, as it should.
/// Any other std::exception reaches the user as "servesim: error: ..." (exit 1): not a crash,
/// so by default fine too; with SERVESIM_FUZZ_STRICT=1 in the environment it aborts, which
/// makes libFuzzer save the input, to hunt for bad input that is not reported as a user error.
template <class Read>
void run_reader(Read&& read) {
  try {
    read();
  } catch (const ConfigError&) {
  } catch (const std::exception& e) {
    static const bool strict = [] {
      const char* s = std::getenv("SERVESIM_FUZZ_STRICT");
      return s != nullptr && std::string_view(s) == "1";
    }();
    if (strict) {
      std::fprintf(stderr, "not a ConfigError: %s\n", e.what());
      std::abort();
    }
  }
}

/// The fuzz input as text.
inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// `text` split at every 0 byte (a fuzz input carrying several strings).
inline std::vector<std::string_view> split_at_nul(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t nul = text.find('\0', start);
    parts.push_back(text.substr(start, nul == std::string_view::npos ? text.npos : nul - start));
    if (nul == std::string_view::npos) return parts;
    start = nul + 1;
  }
}

/// The process's scratch directory (calib::PrivateDir: 0700, removed at exit), made on first use.
inline const std::filesystem::path& scratch_dir() {
  static const calib::PrivateDir dir("servesim-fuzz-");
  return dir.path();
}

/// Writes `text` to `name` in the scratch directory, replacing what is there; returns its path.
inline std::filesystem::path write_scratch(const std::string& name, std::string_view text) {
  const std::filesystem::path p = scratch_dir() / name;
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f.flush()) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", p.c_str());
    std::abort();
  }
  return p;
}

}  // namespace servesim::fuzz
