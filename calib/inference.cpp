#include "calib/inference.h"

#include <Eigen/Dense>

#include <cmath>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "sim/core/random.h"

namespace servesim::calib {

namespace {

using Eigen::Index;
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::Matrix<float, 1, Eigen::Dynamic>;

/// Uniform in [-s, s].
Mat uniform_matrix(Index rows, Index cols, Rng& rng, double s) {
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(s * (2 * rng.uniform01() - 1));
  return m;
}

/// Weights uniform in [-s, s] with s = 1/sqrt(fan_in), as common initialisers do, so that
/// activations stay in range through the block.
Mat random_matrix(Index rows, Index cols, Rng& rng) {
  return uniform_matrix(rows, cols, rng, 1.0 / std::sqrt(static_cast<double>(rows)));
}

Vec random_vector(Index n, Rng& rng, double s) {
  Vec v(n);
  for (Index i = 0; i < n; ++i) v[i] = static_cast<float>(s * (2 * rng.uniform01() - 1));
  return v;
}

/// Storage that only grows, viewed as a matrix of any smaller size: a serving engine allocates
/// its buffers for the largest batch once, so no timed call allocates or faults pages in (after
/// a warm-up call at the largest batch).
class Buffer {
 public:
  std::span<const float> first(Index n) const {
    return {data_.data(), static_cast<std::size_t>(n)};
  }
  Eigen::Map<Mat> view(Index rows, Index cols) {
    const auto n = static_cast<std::size_t>(rows * cols);
    if (data_.size() < n) data_.resize(n);
    return {data_.data(), rows, cols};
  }

 private:
  std::vector<float> data_;
};

/// Input values: uniform in [-1, 1], element i the same whatever the batch sizes run before.
class Inputs {
 public:
  Inputs(std::uint64_t seed, std::string_view entity)
      : rng_(Rng::stream(seed, 0, entity, "input")) {}
  std::span<const float> first(Index n) const {
    return {data_.data(), static_cast<std::size_t>(n)};
  }
  Eigen::Map<const Mat> view(Index rows, Index cols) {
    const auto n = static_cast<std::size_t>(rows * cols);
    while (data_.size() < n) data_.push_back(static_cast<float>(2 * rng_.uniform01() - 1));
    return {data_.data(), rows, cols};
  }

 private:
  Rng rng_;
  std::vector<float> data_;
};

/// Row-wise layer norm in place (gain 1, bias 0).
template <class M>
void layer_norm(M&& x) {
  const auto d = static_cast<float>(x.cols());
  for (Index r = 0; r < x.rows(); ++r) {
    auto row = x.row(r);
    const float mean = row.sum() / d;
    row.array() -= mean;
    const float var = row.squaredNorm() / d;
    row *= 1.0f / std::sqrt(var + 1e-6f);
  }
}

template <class M>
void gelu(M&& x) {
  // tanh approximation (Hendrycks & Gimpel), as most inference runtimes use.
  constexpr float k = 0.7978845608f;  // sqrt(2 / pi)
  x.array() = 0.5f * x.array() * (1.0f + (k * (x.array() + 0.044715f * x.array().cube())).tanh());
}

}  // namespace

struct EncoderBlock::Impl {
  EncoderShape s;
  Mat wqkv, wo, w1, w2;
  Vec bqkv, bo, b1, b2;
  Inputs input{7, "calib encoder block"};
  Buffer x, h, qkv, attn, mlp;
  Mat scores;  // one (sequence, head) at a time: tokens x tokens
  Index last_rows = 0;
};

EncoderBlock::EncoderBlock(EncoderShape shape, std::uint64_t seed)
    : impl_(std::make_unique<Impl>()) {
  if (shape.tokens <= 0 || shape.dim <= 0 || shape.heads <= 0 || shape.mlp <= 0 ||
      shape.dim % shape.heads != 0)
    throw std::invalid_argument("encoder shape: sizes > 0 and dim a multiple of heads");
  Impl& m = *impl_;
  m.s = shape;
  Rng rng = Rng::stream(seed, 0, "calib encoder block", "weights");
  m.wqkv = random_matrix(shape.dim, Index{3} * shape.dim, rng);
  m.wo = random_matrix(shape.dim, shape.dim, rng);
  m.w1 = random_matrix(shape.dim, shape.mlp, rng);
  m.w2 = random_matrix(shape.mlp, shape.dim, rng);
  m.bqkv = random_vector(Index{3} * shape.dim, rng, 0.02);
  m.bo = random_vector(shape.dim, rng, 0.02);
  m.b1 = random_vector(shape.mlp, rng, 0.02);
  m.b2 = random_vector(shape.dim, rng, 0.02);
}

EncoderBlock::~EncoderBlock() = default;
EncoderBlock::EncoderBlock(EncoderBlock&&) noexcept = default;
EncoderBlock& EncoderBlock::operator=(EncoderBlock&&) noexcept = default;

void EncoderBlock::run(int batch) {
  Impl& m = *impl_;
  const Index t = m.s.tokens, d = m.s.dim, nh = m.s.heads, dh = d / nh, f = m.s.mlp;
  const Index rows = static_cast<Index>(batch) * t;
  auto x = m.x.view(rows, d);
  auto h = m.h.view(rows, d);
  auto qkv = m.qkv.view(rows, 3 * d);
  auto attn = m.attn.view(rows, d);
  auto mlp = m.mlp.view(rows, f);
  x = m.input.view(rows, d);
  // Attention: x + (softmax(Q K' / sqrt(dh)) V) Wo, per sequence and head.
  h = x;
  layer_norm(h);
  qkv.noalias() = h * m.wqkv;
  qkv.rowwise() += m.bqkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  for (Index b = 0; b < batch; ++b)
    for (Index hd = 0; hd < nh; ++hd) {
      const auto q = qkv.block(b * t, hd * dh, t, dh);
      const auto k = qkv.block(b * t, d + hd * dh, t, dh);
      const auto v = qkv.block(b * t, 2 * d + hd * dh, t, dh);
      m.scores.noalias() = (q * k.transpose()) * scale;
      for (Index r = 0; r < t; ++r) {
        auto row = m.scores.row(r);
        row.array() = (row.array() - row.maxCoeff()).exp();
        row /= row.sum();
      }
      attn.block(b * t, hd * dh, t, dh).noalias() = m.scores * v;
    }
  h.noalias() = attn * m.wo;
  h.rowwise() += m.bo;
  x += h;
  // MLP: x + W2 GELU(W1 LN(x)).
  h = x;
  layer_norm(h);
  mlp.noalias() = h * m.w1;
  mlp.rowwise() += m.b1;
  gelu(mlp);
  h.noalias() = mlp * m.w2;
  h.rowwise() += m.b2;
  x += h;
  m.last_rows = rows;
}

double EncoderBlock::input_bytes() const {
  return static_cast<double>(impl_->s.tokens) * impl_->s.dim * 4;
}

double EncoderBlock::flops() const {
  const double t = impl_->s.tokens, d = impl_->s.dim, f = impl_->s.mlp;
  return 2 * t * d * 3 * d + 2 * 2 * t * t * d + 2 * t * d * d + 2 * 2 * t * d * f;
}

double EncoderBlock::checksum() const {
  return impl_->x.view(impl_->last_rows, impl_->s.dim).cast<double>().sum();
}

struct ConvLayer::Impl {
  ConvShape s;
  Mat w;  // (9 C) x C_out
  Vec b;
  Inputs input{7, "calib conv layer"};
  Buffer cols, out;
  Index last_rows = 0;
};

ConvLayer::ConvLayer(ConvShape shape, std::uint64_t seed) : impl_(std::make_unique<Impl>()) {
  if (shape.channels <= 0 || shape.out_channels <= 0 || shape.height <= 0 || shape.width <= 0)
    throw std::invalid_argument("conv shape: sizes > 0");
  impl_->s = shape;
  Rng rng = Rng::stream(seed, 0, "calib conv layer", "weights");
  impl_->w = random_matrix(Index{9} * shape.channels, shape.out_channels, rng);
  impl_->b = random_vector(shape.out_channels, rng, 0.02);
}

ConvLayer::~ConvLayer() = default;
ConvLayer::ConvLayer(ConvLayer&&) noexcept = default;
ConvLayer& ConvLayer::operator=(ConvLayer&&) noexcept = default;

void ConvLayer::run(int batch) {
  Impl& m = *impl_;
  const Index c = m.s.channels, hgt = m.s.height, wid = m.s.width, hw = hgt * wid;
  const Index rows = static_cast<Index>(batch) * hw;
  const auto input = m.input.view(static_cast<Index>(batch) * c, hw);  // NCHW: a row per (n, c)
  auto cols = m.cols.view(rows, 9 * c);
  auto out = m.out.view(rows, m.s.out_channels);
  // im2col: a row per output pixel of every image, 9 C columns (3x3 window, zero padding).
  for (Index n = 0; n < batch; ++n)
    for (Index y = 0; y < hgt; ++y)
      for (Index x = 0; x < wid; ++x) {
        float* dst = cols.row(n * hw + y * wid + x).data();
        for (Index ch = 0; ch < c; ++ch) {
          const float* src = input.row(n * c + ch).data();
          for (Index dy = -1; dy <= 1; ++dy)
            for (Index dx = -1; dx <= 1; ++dx) {
              const Index yy = y + dy, xx = x + dx;
              *dst++ = yy >= 0 && yy < hgt && xx >= 0 && xx < wid ? src[yy * wid + xx] : 0.0f;
            }
        }
      }
  out.noalias() = cols * m.w;
  out.rowwise() += m.b;
  out = out.cwiseMax(0.0f);
  m.last_rows = rows;
}

double ConvLayer::input_bytes() const {
  return static_cast<double>(impl_->s.channels) * impl_->s.height * impl_->s.width * 4;
}

double ConvLayer::flops() const {
  const auto& s = impl_->s;
  return 2.0 * s.height * s.width * 9 * s.channels * s.out_channels;
}

std::span<const float> EncoderBlock::output() const {
  return impl_->x.first(impl_->last_rows * impl_->s.dim);
}

std::span<const float> ConvLayer::output() const {
  return impl_->out.first(impl_->last_rows * impl_->s.out_channels);
}

std::span<const float> ConvLayer::input() const {
  const auto& s = impl_->s;
  return impl_->input.first(impl_->last_rows * s.channels);  // rows = batch * H * W
}

std::span<const float> ConvLayer::weights() const {
  return {impl_->w.data(), static_cast<std::size_t>(impl_->w.size())};
}

std::span<const float> ConvLayer::bias() const {
  return {impl_->b.data(), static_cast<std::size_t>(impl_->b.size())};
}

double ConvLayer::checksum() const {
  return impl_->out.view(impl_->last_rows, impl_->s.out_channels).cast<double>().sum();
}

}  // namespace servesim::calib
