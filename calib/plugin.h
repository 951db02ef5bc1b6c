#pragma once
/// Shared objects that servesim opens only when a command needs them (dlopen), so that the
/// libraries they pull in cost nothing to every other command: OpenCV's resize
/// (libservesim_opencv.so, always built) and the inference frameworks of `calib bench infer`
/// (libservesim_infer.so, where they were found).

#include <string>

namespace servesim::calib {

/// Opens `file` (never closed): beside this binary, in the install's library directory relative
/// to it, or at `built` (the build tree that made it; tests and the Python module). Null when
/// none loads; `tried` then says what was tried and why each failed.
void* open_plugin(const std::string& file, const std::string& built, std::string& tried);

}  // namespace servesim::calib
