#pragma once
/// The real kernels calib times: JPEG decode (libjpeg-turbo), resize (OpenCV imgproc),
/// normalisation to float CHW, and host memory copy.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calib/corpus.h"

namespace servesim::calib {

/// A libjpeg-turbo decompressor, kept across calls as a serving worker keeps it.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  /// The size of `jpeg` decoded with DCT-domain scaling num/denom (1/1, 1/2, 1/4, 1/8 and the
  /// other factors libjpeg-turbo offers); throws std::invalid_argument for a factor it lacks.
  ImageSize scaled_size(const JpegImage& jpeg, int num, int denom) const;
  /// Decodes to RGB (3 bytes per pixel) at scale num/denom into `rgb` (resized as needed).
  /// Throws std::runtime_error on a corrupt image.
  ImageSize decode(const JpegImage& jpeg, int num, int denom, std::vector<unsigned char>& rgb);
  /// Decodes the JPEG file `jpeg` at full size, its size read from its own header (as a server
  /// that received the bytes must); throws std::runtime_error when they are not a JPEG.
  ImageSize decode(std::span<const unsigned char> jpeg, std::vector<unsigned char>& rgb);

 private:
  void* handle_;
};

enum class Interp { kLinear, kArea };
std::string_view interp_name(Interp i);  // "linear", "area"

/// Resizes RGB `src` (w x h) to `dst` (ow x oh) with OpenCV cv::resize. OpenCV's own threads
/// are off (one core, as a serving worker per core uses it). OpenCV is opened on the first call
/// (libservesim_opencv.so, calib/opencv_plugin.h); std::runtime_error when it cannot be.
void resize_rgb(std::span<const unsigned char> src, ImageSize from, std::span<unsigned char> dst,
                ImageSize to, Interp interp);

/// RGB HWC uint8 -> float CHW, (v / 255 - mean[c]) / std[c] with ImageNet's mean and std: the
/// model input of torchvision-style preprocessing.
void normalize_chw(std::span<const unsigned char> rgb, ImageSize size, std::span<float> chw);

/// Sets OpenCV to one thread: every kernel is timed on one core.
void opencv_single_thread();
/// OpenCV's version ("4.6.0").
std::string opencv_version();

}  // namespace servesim::calib
