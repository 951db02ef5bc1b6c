#include "calib/kernels.h"

#include <dlfcn.h>
#include <turbojpeg.h>

#include <stdexcept>
#include <string>

#include "calib/opencv_plugin.h"
#include "calib/plugin.h"

namespace servesim::calib {

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (!handle_) throw std::runtime_error("libjpeg-turbo: cannot create a decompressor");
}

JpegDecoder::~JpegDecoder() { tjDestroy(static_cast<tjhandle>(handle_)); }

ImageSize JpegDecoder::scaled_size(const JpegImage& jpeg, int num, int denom) const {
  int n = 0;
  const tjscalingfactor* f = tjGetScalingFactors(&n);
  for (int i = 0; i < n; ++i)
    if (f[i].num * denom == num * f[i].denom)
      return {TJSCALED(jpeg.width, f[i]), TJSCALED(jpeg.height, f[i])};
  throw std::invalid_argument("libjpeg-turbo has no scaling factor " + std::to_string(num) + "/" +
                              std::to_string(denom));
}

ImageSize JpegDecoder::decode(const JpegImage& jpeg, int num, int denom,
                              std::vector<unsigned char>& rgb) {
  const ImageSize s = scaled_size(jpeg, num, denom);
  rgb.resize(static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.height) * 3);
  const auto h = static_cast<tjhandle>(handle_);
  if (tjDecompress2(h, jpeg.data.data(), static_cast<unsigned long>(jpeg.data.size()), rgb.data(),
                    s.width, 0, s.height, TJPF_RGB, 0) != 0)
    throw std::runtime_error(std::string("libjpeg-turbo: cannot decode: ") + tjGetErrorStr2(h));
  return s;
}

ImageSize JpegDecoder::decode(std::span<const unsigned char> jpeg,
                              std::vector<unsigned char>& rgb) {
  const auto h = static_cast<tjhandle>(handle_);
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(h, jpeg.data(), static_cast<unsigned long>(jpeg.size()), &width, &height,
                          &subsampling, &colorspace) != 0)
    throw std::runtime_error(std::string("libjpeg-turbo: not a JPEG: ") + tjGetErrorStr2(h));
  rgb.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  if (tjDecompress2(h, jpeg.data(), static_cast<unsigned long>(jpeg.size()), rgb.data(), width, 0,
                    height, TJPF_RGB, 0) != 0)
    throw std::runtime_error(std::string("libjpeg-turbo: cannot decode: ") + tjGetErrorStr2(h));
  return {width, height};
}

std::string_view interp_name(Interp i) { return i == Interp::kLinear ? "linear" : "area"; }

namespace {

/// libservesim_opencv.so's entry points, opened on first use (calib/opencv_plugin.h).
struct Opencv {
  OpencvResize resize = nullptr;
  OpencvSingleThread single_thread = nullptr;
  OpencvVersion version = nullptr;
};

const Opencv& opencv() {
  static const Opencv cv = [] {
    std::string tried;
#ifdef SERVESIM_OPENCV_PLUGIN_BUILT
    const std::string built = SERVESIM_OPENCV_PLUGIN_BUILT;
#else
    const std::string built;
#endif
    void* handle = open_plugin(kOpencvPluginFile, built, tried);
    if (!handle)
      throw std::runtime_error(std::string("OpenCV's kernels are in ") + kOpencvPluginFile +
                               ", which did not load (" + tried +
                               "): reinstall servesim, or rebuild it (cmake --build)");
    Opencv o;
    o.resize = reinterpret_cast<OpencvResize>(dlsym(handle, kOpencvResize));
    o.single_thread = reinterpret_cast<OpencvSingleThread>(dlsym(handle, kOpencvSingleThread));
    o.version = reinterpret_cast<OpencvVersion>(dlsym(handle, kOpencvVersion));
    if (!o.resize || !o.single_thread || !o.version)
      throw std::runtime_error(std::string(kOpencvPluginFile) +
                               " lacks an entry point: it is not this servesim's; rebuild it");
    return o;
  }();
  return cv;
}

}  // namespace

void resize_rgb(std::span<const unsigned char> src, ImageSize from, std::span<unsigned char> dst,
                ImageSize to, Interp interp) {
  if (src.size() <
          static_cast<std::size_t>(from.width) * static_cast<std::size_t>(from.height) * 3 ||
      dst.size() < static_cast<std::size_t>(to.width) * static_cast<std::size_t>(to.height) * 3)
    throw std::invalid_argument("resize_rgb: a buffer is smaller than its image");
  if (const char* e = opencv().resize(src.data(), from.width, from.height, dst.data(), to.width,
                                      to.height, interp == Interp::kArea ? 1 : 0))
    throw std::runtime_error(std::string("OpenCV resize: ") + e);
}

void normalize_chw(std::span<const unsigned char> rgb, ImageSize size, std::span<float> chw) {
  constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  const std::size_t n =
      static_cast<std::size_t>(size.width) * static_cast<std::size_t>(size.height);
  if (rgb.size() < 3 * n || chw.size() < 3 * n)
    throw std::invalid_argument("normalize_chw: a buffer is smaller than its image");
  for (std::size_t c = 0; c < 3; ++c) {
    const float scale = 1.0f / (255.0f * kStd[c]);
    const float shift = -kMean[c] / kStd[c];
    float* out = chw.data() + c * n;
    const unsigned char* in = rgb.data() + c;
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[3 * i]) * scale + shift;
  }
}

void opencv_single_thread() { opencv().single_thread(); }

std::string opencv_version() { return opencv().version(); }

}  // namespace servesim::calib
