#pragma once
/// The entry points of libservesim_opencv.so, which holds the one OpenCV kernel calib and validate
/// run (cv::resize). Linked into servesim, OpenCV would load some twenty libraries at the start
/// of every command, OpenBLAS among them where it is installed, whose threads then spin for about
/// 0.1 s each (its thread time-out) on every other core; a command that resizes opens it instead
/// (kernels.cpp). Plain C types cross the boundary.

namespace servesim::calib {

/// Resizes RGB `src` (w x h) into `dst` (ow x oh), area interpolation when `area` is nonzero,
/// bilinear otherwise. Returns null, or OpenCV's message (valid until the thread's next call).
using OpencvResize = const char* (*)(const unsigned char* src, int w, int h, unsigned char* dst,
                                     int ow, int oh, int area);
/// Sets OpenCV's own threads to one.
using OpencvSingleThread = void (*)();
/// OpenCV's version string.
using OpencvVersion = const char* (*)();

inline constexpr const char* kOpencvPluginFile = "libservesim_opencv.so";
inline constexpr const char* kOpencvResize = "servesim_opencv_resize";
inline constexpr const char* kOpencvSingleThread = "servesim_opencv_single_thread";
inline constexpr const char* kOpencvVersion = "servesim_opencv_version";

}  // namespace servesim::calib
