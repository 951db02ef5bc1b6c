// ViT-B/16 from calib's own Eigen encoder block (calib/inference.h): the block at ViT-B's shape,
// run 12 times per pass. Eigen is the third "framework" of calib bench infer: the hand-written
// kernel the rest of calib and validate time, against which the deployed frameworks compare.
#include <Eigen/Core>

#include "calib/infer_backends.h"
#include "calib/inference.h"

namespace servesim::calib {

namespace {

class EigenVit final : public InferNet {
 public:
  explicit EigenVit(std::uint64_t seed)
      : block_(EncoderShape{VitB16::kTokens, VitB16::kDim, VitB16::kHeads, VitB16::kMlp}, seed) {}
  void run(int batch) override {
    for (int i = 0; i < VitB16::kBlocks; ++i) block_.run(batch);
  }
  /// The whole network's parameters, as a network of 12 blocks would hold them (this one holds
  /// one block's): per block the qkv, output and two MLP matrices with their biases and two
  /// layer norms; the patch embedding, class token, position embedding, last norm and head.
  double weight_bytes() const override {
    using V = VitB16;
    const double d = V::kDim, f = V::kMlp;
    const double block = d * 3 * d + 3 * d + d * d + d + d * f + f + f * d + d + 4 * d;
    const double rest = 3.0 * V::kPatch * V::kPatch * d + d + d + V::kTokens * d + 2 * d +
                        d * V::kClasses + V::kClasses;
    return 4 * (V::kBlocks * block + rest);
  }
  double checksum() const override { return block_.checksum(); }

 private:
  EncoderBlock block_;
};

}  // namespace

InferBackend eigen_backend() {
  InferBackend b;
  b.framework = "eigen";
  b.version = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
              "." + std::to_string(EIGEN_MINOR_VERSION);
  b.models = {"vit_b16"};
  b.note =
      "ViT-B/16's 12 encoder blocks as one block run 12 times, on one thread whatever "
      "--threads (the patch embedding and head, 0.7% of the multiply-adds, left out; peak "
      "memory is one block's activations; weights counted for the whole network)";
  b.make = [](std::string_view, int, std::uint64_t seed) -> std::unique_ptr<InferNet> {
    return std::make_unique<EigenVit>(seed);
  };
  return b;
}

}  // namespace servesim::calib
