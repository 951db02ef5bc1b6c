#include "calib/corpus.h"

#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/core/random.h"

namespace servesim::calib {

namespace {

constexpr double kTwoPi = 6.283185307179586;

/// Value noise: random values on a lattice `cell` pixels apart, smoothly interpolated; values in
/// [-1, 1]. Its spectrum is concentrated around wavelengths of one to two cells.
class ValueNoise {
 public:
  ValueNoise(int width, int height, double cell, Rng& rng)
      : cell_(cell),
        nx_(static_cast<int>(width / cell) + 3),
        ny_(static_cast<int>(height / cell) + 3),
        v_(static_cast<std::size_t>(nx_) * static_cast<std::size_t>(ny_)) {
    for (auto& x : v_) x = static_cast<float>(2 * rng.uniform01() - 1);
  }
  double at(double x, double y) const {
    const double fx = x / cell_, fy = y / cell_;
    const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
    const double tx = smooth(fx - ix), ty = smooth(fy - iy);
    const std::size_t i =
        static_cast<std::size_t>(iy) * static_cast<std::size_t>(nx_) + static_cast<std::size_t>(ix);
    const double a = v_[i], b = v_[i + 1];
    const double c = v_[i + static_cast<std::size_t>(nx_)],
                 d = v_[i + static_cast<std::size_t>(nx_) + 1];
    return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
  }

 private:
  static double smooth(double t) { return t * t * (3 - 2 * t); }
  double cell_;
  int nx_, ny_;
  std::vector<float> v_;
};

struct Shape {
  double cx, cy, r;  // centre and half-size in pixels
  double cos, sin;   // of its rotation
  double aspect;     // minor / major axis
  bool ellipse;      // else a rectangle
  double rgb[3];
};

struct TjHandle {
  tjhandle h;
  explicit TjHandle(tjhandle x) : h(x) {
    if (!h) throw std::runtime_error("libjpeg-turbo: cannot create a handle");
  }
  ~TjHandle() { tjDestroy(h); }
  TjHandle(const TjHandle&) = delete;
  TjHandle& operator=(const TjHandle&) = delete;
};

}  // namespace

std::vector<unsigned char> synth_rgb(int width, int height, std::uint64_t seed) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("image size must be > 0");
  Rng rng = Rng::stream(
      seed, static_cast<std::uint64_t>(width) * 100003u + static_cast<std::uint64_t>(height),
      "calib corpus", "content");
  const double side = std::max(width, height);
  // Scene structure: octaves from 1/4 down to 1/64 of the image, amplitude halving per octave
  // (a 1/f spectrum, as natural images have).
  std::vector<ValueNoise> octaves;
  std::vector<double> amp;
  for (int o = 0; o < 5; ++o) {
    const double cell = side / (4.0 * std::pow(2.0, o));
    if (cell < 2) break;
    octaves.emplace_back(width, height, cell, rng);
    amp.push_back(50.0 / std::pow(2.0, o));
  }
  // Colour variation over the scene. Texture in luminance (chroma detail is what 4:2:0
  // subsampling discards): a fine one ~1-2 px across and a coarser one ~6 px across, plus
  // per-pixel sensor noise; its gain is drawn per image, because photos range from smooth (sky)
  // to busy (foliage), which spreads bytes per pixel at a given size and quality.
  const ValueNoise chroma_a(width, height, std::max(2.0, side / 3), rng);
  const ValueNoise chroma_b(width, height, std::max(2.0, side / 5), rng);
  const ValueNoise fine(width, height, 1.2, rng);
  const ValueNoise coarse(width, height, 6, rng);
  const double texture = 0.5 + rng.uniform01();
  double base[3], grad[3][2];
  for (int c = 0; c < 3; ++c) {
    base[c] = 70 + 110 * rng.uniform01();
    grad[c][0] = 80 * (rng.uniform01() - 0.5);
    grad[c][1] = 80 * (rng.uniform01() - 0.5);
  }
  std::vector<Shape> shapes(8);
  for (auto& s : shapes) {
    s.cx = rng.uniform01() * width;
    s.cy = rng.uniform01() * height;
    s.r = side * (0.05 + 0.2 * rng.uniform01());
    const double angle = kTwoPi * rng.uniform01();
    s.cos = std::cos(angle);
    s.sin = std::sin(angle);
    s.aspect = 0.3 + 0.7 * rng.uniform01();
    s.ellipse = rng.uniform01() < 0.5;
    for (double& v : s.rgb) v = 255 * rng.uniform01();
  }
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width) *
                                 static_cast<std::size_t>(height) * 3);
  std::size_t k = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = x / side - 0.5, v = y / side - 0.5;
      double n = 0;
      for (std::size_t o = 0; o < octaves.size(); ++o) n += amp[o] * octaves[o].at(x, y);
      const double ca = 30 * chroma_a.at(x, y), cb = 30 * chroma_b.at(x, y);
      double px[3];
      for (int c = 0; c < 3; ++c)
        px[c] = base[c] + grad[c][0] * u + grad[c][1] * v + n + (c == 0 ? ca : c == 2 ? cb : 0);
      // The last shape drawn over a pixel wins (occlusion), with its own shading.
      for (const Shape& s : shapes) {
        const double dx = x - s.cx, dy = y - s.cy;
        // Outside the box of radius sqrt(2) r that holds a rotated rectangle of half-side r.
        if (std::abs(dx) > 1.5 * s.r || std::abs(dy) > 1.5 * s.r) continue;
        const double ru = (dx * s.cos + dy * s.sin) / s.r;
        const double rv = (-dx * s.sin + dy * s.cos) / (s.r * s.aspect);
        const bool inside =
            s.ellipse ? ru * ru + rv * rv < 1 : std::abs(ru) < 1 && std::abs(rv) < 1;
        if (inside)
          for (int c = 0; c < 3; ++c) px[c] = s.rgb[c] + 25 * ru + 0.5 * n;
      }
      const double g = texture * (35 * fine.at(x, y) + 12 * coarse.at(x, y));
      for (int c = 0; c < 3; ++c) {
        const double sensor = 10 * (2 * rng.uniform01() - 1);
        rgb[k++] =
            static_cast<unsigned char>(std::lround(std::clamp(px[c] + g + sensor, 0.0, 255.0)));
      }
    }
  }
  return rgb;
}

std::vector<unsigned char> encode_jpeg(std::span<const unsigned char> rgb, int width, int height,
                                       int quality) {
  if (rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3)
    throw std::invalid_argument("encode_jpeg: the buffer is not width * height * 3 bytes");
  TjHandle tj(tjInitCompress());
  unsigned char* out = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj.h, rgb.data(), width, 0, height, TJPF_RGB, &out, &size, TJSAMP_420, quality,
                  0) != 0) {
    const std::string msg = tjGetErrorStr2(tj.h);
    tjFree(out);
    throw std::runtime_error("libjpeg-turbo: cannot encode: " + msg);
  }
  std::vector<unsigned char> v(out, out + size);
  tjFree(out);
  return v;
}

std::vector<JpegImage> make_corpus(std::span<const ImageSize> sizes, std::span<const int> qualities,
                                   std::uint64_t seed) {
  std::vector<JpegImage> corpus;
  for (const ImageSize& s : sizes) {
    const auto rgb = synth_rgb(s.width, s.height, seed);
    for (const int q : qualities)
      corpus.push_back({s.width, s.height, q, encode_jpeg(rgb, s.width, s.height, q)});
  }
  return corpus;
}

}  // namespace servesim::calib
