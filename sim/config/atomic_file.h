#pragma once
/// Writing a result file so that a reader (or a crash) never sees half of it, and checking a
/// command's output paths before any work is spent on what goes into them.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

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
    throw std::runtime_error("cannot write '" + path.string() +
                             "': cannot create a temporary in '" + dir.string() +
                             "': " + std::strerror(errno));
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

/// Throws a ConfigError naming `option` unless `dir` is a directory servesim can write in; with
/// `may_create`, a directory that does not exist yet passes when its nearest existing ancestor
/// is a writable directory (the command creates it). `what` names the file it is for, if any.
inline void check_output_dir(const std::filesystem::path& dir, const std::string& option,
                             bool may_create = false, const std::string& what = "") {
  const SourceMark at{option, 1, 1};
  const std::string of = what.empty() ? "" : " of '" + what + "'";
  std::error_code ec;
  std::filesystem::path existing = dir.empty() ? "." : dir;
  while (!std::filesystem::exists(existing, ec)) {
    if (!may_create)
      throw ConfigError(at, "",
                        "the directory '" + existing.string() + "'" + of + " does not exist");
    existing = existing.has_parent_path() && existing.parent_path() != existing
                   ? existing.parent_path()
                   : std::filesystem::path(".");
  }
  if (!std::filesystem::is_directory(existing, ec))
    throw ConfigError(at, "", "'" + existing.string() + "'" + of + " is not a directory");
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(at, "",
                      "cannot write in the directory '" + existing.string() + "'" + of + ": " +
                          std::strerror(errno));
}

/// Throws a ConfigError naming `option` unless `path` can be written as an output file: not
/// empty, not a directory, in a directory that exists (or, with `parents_may_be_created`, can be
/// created) and is writable. Called before a run, so that a bad output path costs nothing and
/// leaves nothing behind.
inline void check_output_path(const std::filesystem::path& path, const std::string& option,
                              bool parents_may_be_created = false) {
  const SourceMark at{option, 1, 1};
  if (path.empty()) throw ConfigError(at, "", "the output path is empty");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(at, "", "'" + path.string() + "' is a directory; give a file name");
  check_output_dir(path.has_parent_path() ? path.parent_path() : ".", option,
                   parents_may_be_created, path.string());
}

/// The output path that means standard output.
inline bool is_stdout_path(const std::string& path) { return path == "-"; }

/// One output a command was asked for: the option that named it, its path, and whether "-"
/// (standard output) is allowed there.
struct OutputPath {
  std::string option, path;
  bool stdout_ok = false;
};

/// Checks all of a command's outputs before any work: each one as check_output_path, "-" only
/// where allowed and for one option at most, and no two options naming one file (however
/// spelled: the second would silently replace the first).
inline void check_output_paths(const std::vector<OutputPath>& outputs,
                               bool parents_may_be_created = false) {
  namespace fs = std::filesystem;
  const auto same_file = [](const std::string& a, const std::string& b) {
    std::error_code ec1, ec2, ec3;
    if (fs::exists(a, ec1) && fs::exists(b, ec2)) return fs::equivalent(a, b, ec3);
    return fs::weakly_canonical(fs::absolute(a), ec1) == fs::weakly_canonical(fs::absolute(b), ec2);
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const OutputPath& o = outputs[i];
    if (is_stdout_path(o.path)) {
      if (!o.stdout_ok)
        throw ConfigError(SourceMark{o.option, 1, 1}, "",
                          "cannot write to standard output ('-'); give a file name");
    } else {
      check_output_path(o.path, o.option, parents_may_be_created);
    }
    for (std::size_t k = 0; k < i; ++k) {
      const OutputPath& p = outputs[k];
      const bool both_stdout = is_stdout_path(o.path) && is_stdout_path(p.path);
      if (both_stdout ||
          (!is_stdout_path(o.path) && !is_stdout_path(p.path) && same_file(o.path, p.path)))
        throw ConfigError(SourceMark{o.option, 1, 1}, "",
                          "'" + o.path + "' is also the output of " + p.option + ": " + p.option +
                              " and " + o.option +
                              (both_stdout ? " cannot both write to standard output"
                                           : " cannot write the same file"));
    }
  }
}

/// A file of this process's own under $TMPDIR (or /tmp): `pattern` is a name with XXXXXX and an
/// optional suffix after it ("servesim-plot-XXXXXX.gp"); made by mkstemps (a unique name, mode
/// 0600, never an existing file), removed when destroyed.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& pattern) {
    const char* dir = std::getenv("TMPDIR");
    std::string p = std::string(dir && *dir ? dir : "/tmp") + "/" + pattern;
    const std::size_t x = pattern.find("XXXXXX");
    const auto suffix = static_cast<int>(x == std::string::npos ? 0 : pattern.size() - x - 6);
    const int fd = ::mkstemps(p.data(), suffix);
    if (fd < 0)
      throw std::runtime_error("cannot make a scratch file " + p + ": " + std::strerror(errno));
    ::close(fd);
    path_ = p;
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace servesim
