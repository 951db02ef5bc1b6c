#pragma once
/// A DNN inference kernel on the CPU (Eigen, float32, one thread): a ViT-style encoder block and
/// a 3x3 convolution as im2col + GEMM, at any batch size, to measure how time grows with batch.

#include <cstdint>
#include <memory>
#include <span>

namespace servesim::calib {

/// The shape of a ViT encoder block. Defaults are ViT-Tiny/16 at 224x224 (197 tokens of 192,
/// 3 heads, MLP 768): small enough to time batches up to 128 on one core in seconds.
struct EncoderShape {
  int tokens = 197;
  int dim = 192;
  int heads = 3;
  int mlp = 768;
};

/// One pre-norm transformer encoder block with fixed random weights: x + MHA(LN(x)), then
/// x + MLP(LN(x)) with GELU.
class EncoderBlock {
 public:
  explicit EncoderBlock(EncoderShape shape = {}, std::uint64_t seed = 1);
  ~EncoderBlock();
  EncoderBlock(EncoderBlock&&) noexcept;
  EncoderBlock& operator=(EncoderBlock&&) noexcept;

  /// Runs the block on `batch` sequences (inputs fixed per batch size; buffers reused).
  void run(int batch);
  /// Bytes of one sequence's input tensor (tokens * dim * 4).
  double input_bytes() const;
  /// Floating-point operations per sequence (multiply-adds count 2).
  double flops() const;
  /// A checksum of the last output, so that a test can tell the block computed something.
  double checksum() const;
  /// The last output, batch * tokens rows of dim, row-major.
  std::span<const float> output() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The shape of a 3x3 convolution (stride 1, padding 1) + ReLU. Defaults: a ResNet stage-1-like
/// layer at reduced width, 32 -> 32 channels on 56x56.
struct ConvShape {
  int channels = 32;
  int out_channels = 32;
  int height = 56;
  int width = 56;
};

/// A convolution as im2col + one GEMM over the whole batch, with fixed random weights.
class ConvLayer {
 public:
  explicit ConvLayer(ConvShape shape = {}, std::uint64_t seed = 1);
  ~ConvLayer();
  ConvLayer(ConvLayer&&) noexcept;
  ConvLayer& operator=(ConvLayer&&) noexcept;

  void run(int batch);
  double input_bytes() const;
  double flops() const;
  double checksum() const;
  /// The last output: a row per (image, y, x), out_channels columns.
  std::span<const float> output() const;
  /// The last input (NCHW) and the weights (row (c, dy, dx), column out channel), for checks.
  std::span<const float> input() const;
  std::span<const float> weights() const;
  std::span<const float> bias() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace servesim::calib
