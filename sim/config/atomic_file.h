#pragma once
/// Writing a result file so that a reader (or a crash) never sees half of it, and checking an
/// output path before any work is spent on what goes into it.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "sim/config/error.h"

namespace servesim {

/// Writes `text` to `path` through a temporary file in the same directory and a rename. The
/// temporary's name is unique (mkstemp), so two writers of one path never share it, and a crash
/// leaves at most a `.NAME.XXXXXX.tmp` beside the target, never a half-written target.
inline void write_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw std::runtime_error("cannot write '" + path.string() + "': cannot create a temporary in '" +
                             dir.string() + "': " + std::strerror(errno));
  // mkstemp makes the file 0600; a result file gets the permissions of any file the user makes.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  std::size_t done = 0;
  int err = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = errno ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(err));
  }
}

/// Throws a ConfigError naming `option` unless `path` can be written as an output file: not
/// empty, not a directory, in a directory that exists and is writable. Called before a run, so
/// that a bad output path costs nothing and leaves nothing behind.
inline void check_output_path(const std::filesystem::path& path, const std::string& option) {
  const SourceMark at{option, 1, 1};
  if (path.empty()) throw ConfigError(at, "", "the output path is empty");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(at, "", "'" + path.string() + "' is a directory; give a file name");
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw ConfigError(at, "", "the directory '" + dir.string() + "' of '" + path.string() +
                                  "' does not exist");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(at, "", "cannot write in the directory '" + dir.string() + "' of '" +
                                  path.string() + "': " + std::strerror(errno));
}

}  // namespace servesim
