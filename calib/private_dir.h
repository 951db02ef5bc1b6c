#pragma once
/// A private scratch directory: made with mkdtemp (an unpredictable name, mode 0700) under
/// $TMPDIR or /tmp, and removed on every exit that can be caught: the end of its scope, an
/// exception, and SIGINT, SIGTERM or SIGHUP (a handler removes it, then the signal does what it
/// did before). SIGKILL cannot be caught: a directory survives it, but under a name that nothing
/// reuses or follows.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace servesim::calib {

namespace private_dir_detail {

/// The directories a signal handler must remove. Fixed storage, because a handler may not
/// allocate; a slot is free (0), being written (1) or live (2).
struct Slot {
  std::atomic<int> state{0};
  pid_t owner = 0;  // a forked child that has not exec'd yet inherits the handler, not the dir
  char path[4096] = {};
};
inline Slot slots[16];

inline constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
inline struct sigaction previous[sizeof kSignals / sizeof kSignals[0]];
inline bool installed[sizeof kSignals / sizeof kSignals[0]] = {};
inline std::mutex install_mutex;
inline int live_dirs = 0;

/// Removes the files in `path`, then `path`, with async-signal-safe calls only (raw getdents64:
/// opendir allocates). The directory is flat; what a pass misses (unlinking while listing can
/// skip entries) the next one catches.
inline void remove_in_handler(const char* path) {
  for (int pass = 0; pass < 4; ++pass) {
    const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    alignas(8) char buf[4096];
    bool removed = false;
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen (at 16), u8 type, name (at 19).
      for (long at = 0; at < n;) {
        unsigned short reclen = 0;
        std::memcpy(&reclen, buf + at + 16, sizeof reclen);
        const char* name = buf + at + 19;
        at += reclen;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
        removed |= ::unlinkat(fd, name, 0) == 0 || ::unlinkat(fd, name, AT_REMOVEDIR) == 0;
      }
    }
    ::close(fd);
    if (::rmdir(path) == 0 || !removed) return;
  }
}

extern "C" inline void on_signal(int sig) {
  const int saved_errno = errno;
  const pid_t self = ::getpid();
  for (Slot& s : slots)
    if (s.state.load() == 2 && s.owner == self) remove_in_handler(s.path);
  // Back to what the signal did before we came, then again: it is blocked while this handler
  // runs, so it is delivered (the default action ends the process) as soon as we return.
  for (std::size_t i = 0; i < std::size(kSignals); ++i)
    if (kSignals[i] == sig) ::sigaction(sig, &previous[i], nullptr);
  ::raise(sig);
  errno = saved_errno;
}

/// The handlers are in place while at least one directory is live; a signal the process
/// ignores (nohup, a background job's SIGINT) stays ignored.
inline void install() {
  const std::lock_guard lock(install_mutex);
  if (live_dirs++ > 0) return;
  for (std::size_t i = 0; i < std::size(kSignals); ++i) {
    installed[i] = false;
    if (::sigaction(kSignals[i], nullptr, &previous[i]) != 0) continue;
    if (!(previous[i].sa_flags & SA_SIGINFO) && previous[i].sa_handler == SIG_IGN) continue;
    struct sigaction a {};
    a.sa_handler = on_signal;
    ::sigfillset(&a.sa_mask);  // one cleanup at a time, whichever signals come
    installed[i] = ::sigaction(kSignals[i], &a, nullptr) == 0;
  }
}

inline void uninstall() {
  const std::lock_guard lock(install_mutex);
  if (--live_dirs > 0) return;
  for (std::size_t i = 0; i < std::size(kSignals); ++i)
    if (installed[i]) ::sigaction(kSignals[i], &previous[i], nullptr);
}

}  // namespace private_dir_detail

class PrivateDir {
 public:
  /// Makes `<$TMPDIR or /tmp>/<prefix>XXXXXX`. Throws std::runtime_error when it cannot.
  explicit PrivateDir(const std::string& prefix) {
    namespace d = private_dir_detail;
    const std::string pattern =
        (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (pattern.size() >= sizeof d::slots[0].path)
      throw std::runtime_error("the temporary directory's path is too long: " + pattern);
    for (d::Slot& s : d::slots) {
      int free = 0;
      if (s.state.compare_exchange_strong(free, 1)) {
        slot_ = &s;
        break;
      }
    }
    if (!slot_) throw std::runtime_error("too many private directories at once");
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data())) {  // mkdtemp makes it 0700
      const int e = errno;
      slot_->state = 0;
      throw std::runtime_error("cannot make a private directory " + pattern + ": " +
                               std::strerror(e));
    }
    path_ = name.data();
    std::memcpy(slot_->path, name.data(), name.size());
    slot_->owner = ::getpid();
    d::install();
    slot_->state = 2;
  }
  ~PrivateDir() {
    std::error_code ec;  // never throw from a destructor
    std::filesystem::remove_all(path_, ec);
    slot_->state = 0;  // after removing: a signal meanwhile removes it too, harmlessly
    private_dir_detail::uninstall();
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  private_dir_detail::Slot* slot_ = nullptr;
  std::filesystem::path path_;
};

/// Creates `path` for writing (mode 0600) and returns its descriptor: never an existing file,
/// never through a symlink at its name (O_CREAT | O_EXCL | O_NOFOLLOW). Throws
/// std::runtime_error naming the path when it cannot.
inline int create_new_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  return fd;
}

}  // namespace servesim::calib
