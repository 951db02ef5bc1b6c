// ResNet-50 in OpenCV DNN, its graph built in code (Net::addLayer, no model file) with random
// weights. Built only where Debian's libopencv-dnn-dev was found (calib/CMakeLists.txt).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>

#include <cmath>
#include <map>
#include <string>

#include "calib/infer_backends.h"

namespace servesim::calib {

namespace {

namespace dnn = cv::dnn;

/// Builds ResNet-50 (torchvision's layout) into a Net: batch norm folded into each convolution's
/// bias, as OpenCV's importers fold it, so the graph is convolutions, ReLUs, pools, sums, one
/// fully connected layer.
class Builder {
 public:
  explicit Builder(dnn::Net& net) : net_(net) {}

  /// A convolution (He-normal weights, a zero bias) from layer `from`, with a ReLU when `relu`.
  int conv(int from, int in, int out, int k, int stride, int pad, bool relu) {
    dnn::LayerParams p;
    p.set("kernel_size", k);
    p.set("num_output", out);
    p.set("stride", stride);
    p.set("pad", pad);
    p.set("bias_term", true);
    const int shape[] = {out, in, k, k};
    cv::Mat w(4, shape, CV_32F);
    cv::randn(w, 0.0, std::sqrt(2.0 / (in * k * k)));
    p.blobs.push_back(w);
    p.blobs.push_back(cv::Mat::zeros(1, out, CV_32F));
    weights_ += double(w.total() + out) * 4;
    const int id = add("Convolution", p, from);
    return relu ? this->relu(id) : id;
  }
  int relu(int from) {
    dnn::LayerParams p;
    return add("ReLU", p, from);
  }
  int pool(int from, const char* kind, int k, int stride, int pad, bool global) {
    dnn::LayerParams p;
    p.set("pool", kind);
    if (global) {
      p.set("global_pooling", true);
    } else {
      p.set("kernel_size", k);
      p.set("stride", stride);
      p.set("pad", pad);
    }
    return add("Pooling", p, from);
  }
  int sum(int a, int b) {
    dnn::LayerParams p;
    p.set("operation", "sum");
    const int id = add("Eltwise", p, a);
    net_.connect(b, 0, id, 1);
    return id;
  }
  int dense(int from, int in, int out) {
    dnn::LayerParams p;
    p.set("num_output", out);
    p.set("bias_term", true);
    cv::Mat w(out, in, CV_32F);
    cv::randn(w, 0.0, std::sqrt(1.0 / in));
    p.blobs.push_back(w);
    p.blobs.push_back(cv::Mat::zeros(1, out, CV_32F));
    weights_ += double(w.total() + out) * 4;
    return add("InnerProduct", p, from);
  }
  double weights() const { return weights_; }

 private:
  int add(const char* type, dnn::LayerParams& p, int from) {
    const std::string name = std::string(type) + "_" + std::to_string(++count_);
    p.name = name;
    p.type = type;
    const int id = net_.addLayer(name, type, p);
    net_.connect(from, 0, id, 0);
    return id;
  }
  dnn::Net& net_;
  double weights_ = 0;
  int count_ = 0;
};

class OpenCvResNet50 final : public InferNet {
 public:
  OpenCvResNet50() {
    net_.setInputsNames({"data"});
    Builder b(net_);
    int x = b.conv(0, 3, 64, 7, 2, 3, true);
    x = b.pool(x, "max", 3, 2, 1, false);
    int in = 64;
    const int blocks[] = {3, 4, 6, 3};
    for (int stage = 0; stage < 4; ++stage) {
      const int width = 64 << stage;
      for (int i = 0; i < blocks[stage]; ++i) {
        const int stride = i == 0 && stage > 0 ? 2 : 1;
        int y = b.conv(x, in, width, 1, 1, 0, true);
        y = b.conv(y, width, width, 3, stride, 1, true);
        y = b.conv(y, width, width * 4, 1, 1, 0, false);
        const int shortcut =
            stride != 1 || in != width * 4 ? b.conv(x, in, width * 4, 1, stride, 0, false) : x;
        x = b.relu(b.sum(y, shortcut));
        in = width * 4;
      }
    }
    x = b.pool(x, "ave", 0, 0, 0, true);
    b.dense(x, 2048, 1000);
    weights_ = b.weights();
    net_.setPreferableBackend(dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(dnn::DNN_TARGET_CPU);
  }
  void run(int batch) override {
    auto it = inputs_.find(batch);
    if (it == inputs_.end()) {
      const int shape[] = {batch, 3, kInferImage, kInferImage};
      cv::Mat in(4, shape, CV_32F);
      cv::randn(in, 0.0, 1.0);
      it = inputs_.emplace(batch, in).first;
    }
    net_.setInput(it->second);
    out_ = net_.forward();
  }
  double weight_bytes() const override { return weights_; }
  double checksum() const override { return out_.empty() ? 0.0 : cv::norm(out_, cv::NORM_L1); }

 private:
  dnn::Net net_;
  double weights_ = 0;
  std::map<int, cv::Mat> inputs_;
  cv::Mat out_;
};

}  // namespace

InferBackend opencv_dnn_backend() {
  InferBackend b;
  b.framework = "opencv_dnn";
  b.version = CV_VERSION;
  b.models = {"resnet50"};
  b.note = "ResNet-50 only, batch norm folded into the convolutions, its own CPU backend";
  b.make = [](std::string_view, int threads, std::uint64_t seed) -> std::unique_ptr<InferNet> {
    cv::setNumThreads(threads);
    cv::theRNG().state = seed;
    return std::make_unique<OpenCvResNet50>();
  };
  return b;
}

}  // namespace servesim::calib
