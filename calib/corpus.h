#pragma once
/// Synthetic JPEGs that compress like photographs, made on the spot so nothing is downloaded.

#include <cstdint>
#include <span>
#include <vector>

namespace servesim::calib {

struct ImageSize {
  int width;
  int height;
};

/// An encoded image of the corpus.
struct JpegImage {
  int width = 0;
  int height = 0;
  int quality = 0;
  std::vector<unsigned char> data;  // the JPEG file (4:2:0 subsampling, baseline)
};

/// Photo-like RGB content (row-major, 3 bytes per pixel), the same for the same (size, seed):
/// smooth colour gradients, band-limited noise over several octaves scaled to the image (the
/// structure of a scene), a few hard-edged shapes (objects), and fine texture a few pixels across
/// (grain, foliage), so that a JPEG of it has the compressed bytes per pixel of a photograph
/// (about 0.2 to 1 at quality 75 to 95) rather than of flat colour.
std::vector<unsigned char> synth_rgb(int width, int height, std::uint64_t seed);

/// Encodes RGB pixels with libjpeg-turbo (tjCompress2, 4:2:0). Throws std::runtime_error.
std::vector<unsigned char> encode_jpeg(std::span<const unsigned char> rgb, int width, int height,
                                       int quality);

/// Every size at every quality, in that order (content shared by a size's qualities).
std::vector<JpegImage> make_corpus(std::span<const ImageSize> sizes, std::span<const int> qualities,
                                   std::uint64_t seed);

}  // namespace servesim::calib
