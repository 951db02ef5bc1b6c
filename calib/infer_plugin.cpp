// The entry point of libservesim_infer.so, the plugin that holds calib bench infer's libtorch and
// OpenCV DNN backends (calib/infer_backends.h says why they are not linked into servesim).
#include <vector>

#include "calib/infer_backends.h"

extern "C" __attribute__((visibility("default"))) void servesim_infer_plugin_backends(
    std::vector<servesim::calib::InferBackend>* out) {
#ifdef SERVESIM_TORCH
  out->push_back(servesim::calib::torch_backend());
#endif
#ifdef SERVESIM_OPENCV_DNN
  out->push_back(servesim::calib::opencv_dnn_backend());
#endif
}
