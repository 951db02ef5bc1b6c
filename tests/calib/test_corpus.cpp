// Tests of calib's synthetic JPEG corpus and kernels: the images compress like photographs, are
// the same for the same seed, and each kernel computes what it says.

#include <catch2/catch.hpp>

#include <cmath>
#include <span>
#include <vector>

#include "calib/corpus.h"
#include "calib/kernels.h"

namespace servesim::calib {
namespace {

TEST_CASE("the synthetic corpus compresses like photographs, not like flat colour", "[unit]") {
  const std::vector<ImageSize> sizes{{60, 70}, {500, 375}};
  const std::vector<int> qualities{75, 90, 95};
  const auto corpus = make_corpus(sizes, qualities, 1);
  REQUIRE(corpus.size() == 6);
  double last = 0;
  for (const JpegImage& j : corpus) {
    const double bpp = static_cast<double>(j.data.size()) / (j.width * j.height);
    INFO(j.width << "x" << j.height << " q" << j.quality << ": " << bpp << " bytes/pixel");
    // ImageNet photos: the paper's 60x70 = 4kB (0.95 B/px), 500x375 = 121kB (0.65 B/px); a
    // flat or smooth image is < 0.05 B/px at these qualities.
    CHECK(bpp > 0.2);
    CHECK(bpp < 1.5);
    if (j.quality > 75) CHECK(bpp > last);  // a higher quality keeps more: more bytes
    last = bpp;
  }
  // The paper's medium image at a typical ImageNet quality is within a factor 1.5 of 121 kB.
  const auto medium_q95 = static_cast<double>(corpus[5].data.size());
  CHECK(medium_q95 > 121000 / 1.5);
  CHECK(medium_q95 < 121000 * 1.5);
}

TEST_CASE("the same seed gives the same corpus, another seed another", "[unit]") {
  const std::vector<ImageSize> sizes{{120, 90}};
  const std::vector<int> q{90};
  CHECK(make_corpus(sizes, q, 7)[0].data == make_corpus(sizes, q, 7)[0].data);
  CHECK(make_corpus(sizes, q, 7)[0].data != make_corpus(sizes, q, 8)[0].data);
}

TEST_CASE("decode with DCT scaling gives the scaled size and close to the encoded pixels",
          "[unit]") {
  const int w = 500, h = 375;
  const auto rgb = synth_rgb(w, h, 3);
  const JpegImage img{w, h, 95, encode_jpeg(rgb, w, h, 95)};
  JpegDecoder dec;
  std::vector<unsigned char> out;
  const ImageSize full = dec.decode(img, 1, 1, out);
  CHECK(full.width == w);
  CHECK(full.height == h);
  REQUIRE(out.size() == rgb.size());
  double err = 0;
  for (std::size_t i = 0; i < rgb.size(); ++i) err += std::abs(double(out[i]) - double(rgb[i]));
  CHECK(err / static_cast<double>(rgb.size()) < 12);  // q95 of a noisy image: a few levels
  const ImageSize eighth = dec.decode(img, 1, 8, out);
  CHECK(eighth.width == 63);  // ceil(500 / 8)
  CHECK(eighth.height == 47);
  CHECK(out.size() == 63u * 47u * 3u);
  CHECK_THROWS_AS(dec.scaled_size(img, 1, 3), std::invalid_argument);
  JpegImage broken = img;
  broken.data.resize(100);
  CHECK_THROWS_AS(dec.decode(broken, 1, 1, out), std::runtime_error);
  // From the bytes alone (as a server receives them): the size comes from the JPEG's header, and
  // the pixels are those of the decode above.
  std::vector<unsigned char> from_bytes;
  const ImageSize read = dec.decode(std::span<const unsigned char>(img.data), from_bytes);
  CHECK(read.width == w);
  CHECK(read.height == h);
  dec.decode(img, 1, 1, out);
  CHECK(from_bytes == out);
  const std::vector<unsigned char> not_jpeg(64, 0x42);
  CHECK_THROWS_AS(dec.decode(std::span<const unsigned char>(not_jpeg), from_bytes),
                  std::runtime_error);
}

TEST_CASE("resize gives the model input size and keeps a uniform image uniform", "[unit]") {
  const ImageSize from{640, 480}, to{224, 224};
  std::vector<unsigned char> src(640 * 480 * 3);
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<unsigned char>(40 + i % 3);
  std::vector<unsigned char> dst(224 * 224 * 3);
  for (const Interp in : {Interp::kLinear, Interp::kArea}) {
    std::fill(dst.begin(), dst.end(), 0);
    resize_rgb(src, from, dst, to, in);
    for (std::size_t i = 0; i < dst.size(); ++i) REQUIRE(dst[i] == 40 + i % 3);
  }
}

TEST_CASE("normalize_chw writes planes of (v / 255 - mean) / std", "[unit]") {
  const ImageSize s{2, 1};
  const std::vector<unsigned char> rgb{0, 128, 255, 255, 0, 128};
  std::vector<float> chw(6);
  normalize_chw(rgb, s, chw);
  CHECK(chw[0] == Approx((0 - 0.485) / 0.229).epsilon(1e-6));            // R of pixel 0
  CHECK(chw[1] == Approx((1 - 0.485) / 0.229).epsilon(1e-6));            // R of pixel 1
  CHECK(chw[2] == Approx((128 / 255.0 - 0.456) / 0.224).epsilon(1e-6));  // G of pixel 0
  CHECK(chw[5] == Approx((128 / 255.0 - 0.406) / 0.225).epsilon(1e-6));  // B of pixel 1
}

}  // namespace
}  // namespace servesim::calib
