#pragma once
/// Rendering a plot with gnuplot (Debian: gnuplot-nox): the script is written beside the image,
/// so a user can edit and re-run it.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include "sim/config/atomic_file.h"

extern char** environ;

namespace servesim {

/// `s` as a gnuplot string expression that means exactly `s`. Single quotes, because gnuplot
/// expands backquotes (a shell command) inside double quotes but nothing inside single ones,
/// where '' is the only escape. A CR or LF would end the command inside any quotes, so it is
/// joined in as "\n" / "\r": a double-quoted string of one escape, with no backquote to expand.
inline std::string gnuplot_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\n' || c == '\r')
      q += std::string("'.\"\\") + (c == '\n' ? 'n' : 'r') + "\".'";
    else
      q += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return q + "'";
}

/// The first lines of a script that draws into `out`: SVG for a .svg name, else PNG (cairo when
/// this gnuplot has it).
inline std::string gnuplot_output(const std::filesystem::path& out, int width, int height) {
  const std::string size = std::to_string(width) + "," + std::to_string(height);
  std::string s = out.extension() == ".svg"
                      ? "set terminal svg size " + size + " dynamic font 'sans,11'\n"
                      : "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                        "  set terminal pngcairo size " +
                            size +
                            " font 'sans,10'\n"
                            "} else {\n  set terminal png size " +
                            size + "\n}\n";
  return s + "set output " + gnuplot_quote(std::filesystem::absolute(out).string()) + "\n";
}

/// Writes `script` to `script_path` and runs gnuplot on it: found on PATH and started with the
/// script as its one argument, never through a shell (a path is data, not a command line).
/// Its warnings go to stderr; throws with its messages when it fails, or when it is missing.
inline void run_gnuplot(const std::filesystem::path& script_path, const std::string& script) {
  write_atomically(script_path, script);
  // gnuplot's stdout and stderr both go into one pipe: read here, so that nothing it says lands
  // in servesim's stdout, and its error message can be passed on.
  int pipe_fd[2];
  if (::pipe2(pipe_fd, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot start gnuplot: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fd[1], 2);
  std::string program = "gnuplot", arg = script_path.string();
  char* argv[] = {program.data(), arg.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fd[1]);
  std::string said;
  if (spawned == 0) {
    char buf[4096];
    for (ssize_t n; (n = ::read(pipe_fd[0], buf, sizeof buf)) != 0;) {
      if (n > 0)
        said.append(buf, static_cast<std::size_t>(n));
      else if (errno != EINTR)
        break;
    }
  }
  ::close(pipe_fd[0]);
  if (spawned == ENOENT)
    throw std::runtime_error(
        "gnuplot not found on PATH (Debian: apt-get install gnuplot-nox); "
        "the script is in " +
        script_path.string());
  if (spawned != 0)
    throw std::runtime_error(std::string("cannot start gnuplot: ") + std::strerror(spawned));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (!said.empty()) std::cerr << "gnuplot (" << script_path.string() << "): " << said << "\n";
    return;
  }
  const std::string how = WIFSIGNALED(status)
                              ? "was killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status));
  throw std::runtime_error("gnuplot " + how + " on " + script_path.string() +
                           (said.empty() ? "" : ":\n" + said));
}

}  // namespace servesim
