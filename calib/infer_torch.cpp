// ResNet-50 and ViT-B/16 in libtorch (PyTorch's C++ API), defined here layer by layer as
// torchvision defines them, with libtorch's default random initialisation. Built only where
// Debian's libtorch-dev was found (calib/CMakeLists.txt).
#include <dlfcn.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>

#include "calib/infer_backends.h"

namespace servesim::calib {

namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int in, int out, int k, int stride = 1, int pad = 0) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

/// torchvision's Bottleneck: 1x1, 3x3 (the stride), 1x1 to 4x the width, each with batch norm;
/// a projection on the shortcut where the shape changes.
struct BottleneckImpl : nn::Module {
  BottleneckImpl(int in, int width, int stride)
      : c1(register_module("c1", conv(in, width, 1))),
        b1(register_module("b1", nn::BatchNorm2d(width))),
        c2(register_module("c2", conv(width, width, 3, stride, 1))),
        b2(register_module("b2", nn::BatchNorm2d(width))),
        c3(register_module("c3", conv(width, width * 4, 1))),
        b3(register_module("b3", nn::BatchNorm2d(width * 4))) {
    if (stride != 1 || in != width * 4)
      down = register_module(
          "down", nn::Sequential(conv(in, width * 4, 1, stride), nn::BatchNorm2d(width * 4)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(b1(c1(x)));
    y = torch::relu(b2(c2(y)));
    y = b3(c3(y));
    return torch::relu(y + (down ? down->forward(x) : x));
  }
  nn::Conv2d c1;
  nn::BatchNorm2d b1;
  nn::Conv2d c2;
  nn::BatchNorm2d b2;
  nn::Conv2d c3;
  nn::BatchNorm2d b3;
  nn::Sequential down{nullptr};
};
TORCH_MODULE(Bottleneck);

struct ResNet50Impl : nn::Module {
  ResNet50Impl() {
    stem = register_module(
        "stem", nn::Sequential(conv(3, 64, 7, 2, 3), nn::BatchNorm2d(64), nn::ReLU(),
                               nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1))));
    int in = 64;
    const int blocks[] = {3, 4, 6, 3};
    for (int stage = 0; stage < 4; ++stage) {
      const int width = 64 << stage;
      for (int i = 0; i < blocks[stage]; ++i) {
        body->push_back(Bottleneck(in, width, i == 0 && stage > 0 ? 2 : 1));
        in = width * 4;
      }
    }
    register_module("body", body);
    fc = register_module("fc", nn::Linear(2048, 1000));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = body->forward(stem->forward(x));
    return fc(torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1));
  }
  nn::Sequential stem{nullptr}, body;
  nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet50);

/// A pre-norm encoder block: x + proj(attention(LN(x))), then x + MLP(LN(x)) with GELU.
struct EncoderImpl : nn::Module {
  using V = VitB16;
  EncoderImpl()
      : ln1(register_module("ln1", nn::LayerNorm(nn::LayerNormOptions({V::kDim})))),
        qkv(register_module("qkv", nn::Linear(V::kDim, 3 * V::kDim))),
        proj(register_module("proj", nn::Linear(V::kDim, V::kDim))),
        ln2(register_module("ln2", nn::LayerNorm(nn::LayerNormOptions({V::kDim})))),
        fc1(register_module("fc1", nn::Linear(V::kDim, V::kMlp))),
        fc2(register_module("fc2", nn::Linear(V::kMlp, V::kDim))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    const auto b = x.size(0), n = x.size(1);
    const int64_t head = V::kDim / V::kHeads;
    torch::Tensor t = qkv(ln1(x)).reshape({b, n, 3, V::kHeads, head}).permute({2, 0, 3, 1, 4});
    torch::Tensor a =
        torch::softmax(torch::matmul(t[0], t[1].transpose(-2, -1)) / std::sqrt(double(head)), -1);
    torch::Tensor y = x + proj(torch::matmul(a, t[2]).transpose(1, 2).reshape({b, n, V::kDim}));
    return y + fc2(torch::gelu(fc1(ln2(y))));
  }
  nn::LayerNorm ln1;
  nn::Linear qkv, proj;
  nn::LayerNorm ln2;
  nn::Linear fc1, fc2;
};
TORCH_MODULE(Encoder);

struct VitImpl : nn::Module {
  using V = VitB16;
  VitImpl()
      : patch(register_module(
            "patch", nn::Conv2d(nn::Conv2dOptions(3, V::kDim, V::kPatch).stride(V::kPatch)))),
        cls(register_parameter("cls", torch::zeros({1, 1, V::kDim}))),
        pos(register_parameter("pos", torch::randn({1, V::kTokens, V::kDim}) * 0.02)),
        ln(register_module("ln", nn::LayerNorm(nn::LayerNormOptions({V::kDim})))),
        head(register_module("head", nn::Linear(V::kDim, V::kClasses))) {
    for (int i = 0; i < V::kBlocks; ++i) blocks->push_back(Encoder());
    register_module("blocks", blocks);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor t = patch(x).flatten(2).transpose(1, 2);  // B x 196 x 768
    t = torch::cat({cls.expand({t.size(0), 1, V::kDim}), t}, 1) + pos;
    t = ln(blocks->forward(t));
    return head(t.select(1, 0));
  }
  nn::Conv2d patch;
  torch::Tensor cls, pos;
  nn::Sequential blocks;
  nn::LayerNorm ln;
  nn::Linear head;
};
TORCH_MODULE(Vit);

template <class Net>
class TorchNet final : public InferNet {
 public:
  explicit TorchNet(Net net) : net_(std::move(net)) { net_->eval(); }
  void run(int batch) override {
    auto it = inputs_.find(batch);
    if (it == inputs_.end())
      it = inputs_.emplace(batch, torch::randn({batch, 3, kInferImage, kInferImage})).first;
    torch::NoGradGuard no_grad;
    out_ = net_->forward(it->second);
  }
  double weight_bytes() const override {
    double b = 0;
    for (const auto& p : net_->parameters()) b += double(p.numel()) * double(p.element_size());
    for (const auto& p : net_->buffers()) b += double(p.numel()) * double(p.element_size());
    return b;
  }
  double checksum() const override {
    return out_.defined() ? out_.abs().sum().item<double>() : 0.0;
  }

 private:
  Net net_;
  std::map<int, torch::Tensor> inputs_;
  torch::Tensor out_;
};

}  // namespace

InferBackend torch_backend() {
  InferBackend b;
  b.framework = "libtorch";
  b.version = TORCH_VERSION;
  b.models = {"resnet50", "vit_b16"};
  b.note =
      "eager mode (no TorchScript, no batch-norm folding), float32, oneDNN where libtorch "
      "uses it";
  b.make = [](std::string_view model, int threads,
              std::uint64_t seed) -> std::unique_ptr<InferNet> {
    torch::set_num_threads(threads);
    // OpenBLAS (where Debian's alternatives select it) has threads of its own, which libtorch
    // built with the generic BLAS interface does not set.
    using SetThreads = void (*)(int);
    if (void* f = dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))
      reinterpret_cast<SetThreads>(f)(threads);
    torch::manual_seed(seed);
    if (model == "resnet50") return std::make_unique<TorchNet<ResNet50>>(ResNet50());
    return std::make_unique<TorchNet<Vit>>(Vit());
  };
  return b;
}

}  // namespace servesim::calib
