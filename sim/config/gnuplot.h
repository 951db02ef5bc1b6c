#pragma once
/// Rendering a plot with gnuplot (Debian: gnuplot-nox): the script is written beside the image,
/// so a user can edit and re-run it.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "sim/config/atomic_file.h"

namespace servesim {

/// `s` as a gnuplot string literal.
inline std::string gnuplot_quote(const std::string& s) {
  std::string q = "\"";
  for (const char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
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

/// Writes `script` to `script_path` and runs gnuplot on it; throws when gnuplot fails.
inline void run_gnuplot(const std::filesystem::path& script_path, const std::string& script) {
  write_atomically(script_path, script);
  const std::string cmd = "gnuplot " + gnuplot_quote(script_path.string()) + " 2>&1";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("gnuplot failed on " + script_path.string() +
                             " (is gnuplot installed? Debian: gnuplot-nox)");
}

}  // namespace servesim
