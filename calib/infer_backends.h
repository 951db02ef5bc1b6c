#pragma once
/// The backends of `calib bench infer`. libtorch's and OpenCV DNN's live in a plugin,
/// libservesim_infer.so (infer_torch.cpp, infer_opencv.cpp, infer_plugin.cpp), built only where
/// their libraries were found and loaded only when a bench asks for them: linked into servesim,
/// libtorch alone would add about 0.3 s and 160 MB to the start of every command. Eigen's is
/// built in (infer_eigen.cpp).

#include <string>
#include <vector>

#include "calib/infer_bench.h"

namespace servesim::calib {

#ifdef SERVESIM_TORCH
InferBackend torch_backend();  // infer_torch.cpp, in the plugin
#endif
#ifdef SERVESIM_OPENCV_DNN
InferBackend opencv_dnn_backend();  // infer_opencv.cpp, in the plugin
#endif
InferBackend eigen_backend();  // infer_eigen.cpp

/// The plugin's one entry point (extern "C", so that dlsym finds it by this name): appends its
/// backends to `out`. The plugin and servesim are built together, by one compiler, from these
/// headers, so the C++ types cross the boundary as they are.
using InferPluginEntry = void (*)(std::vector<InferBackend>* out);
inline constexpr const char* kInferPluginEntry = "servesim_infer_plugin_backends";
inline constexpr const char* kInferPluginFile = "libservesim_infer.so";

/// The side of every network's input, 224 x 224 x 3 float32 (torchvision's).
inline constexpr int kInferImage = 224;

/// The ViT-B/16 shape every backend builds: 224x224 input, 16x16 patches (196 + the class
/// token), 12 pre-norm blocks of width 768 with 12 heads and an MLP of 3072, 1000 classes.
struct VitB16 {
  static constexpr int kImage = kInferImage, kPatch = 16, kTokens = 197, kDim = 768, kHeads = 12,
                       kMlp = 3072, kBlocks = 12, kClasses = 1000;
};

}  // namespace servesim::calib
