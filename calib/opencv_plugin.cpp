// libservesim_opencv.so: OpenCV's resize behind plain C entry points (calib/opencv_plugin.h).
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "calib/opencv_plugin.h"

extern "C" __attribute__((visibility("default"))) const char* servesim_opencv_resize(
    const unsigned char* src, int w, int h, unsigned char* dst, int ow, int oh, int area) {
  static thread_local std::string error;
  try {
    // cv::Mat does not write through a const pointer; the source is only read.
    const cv::Mat in(h, w, CV_8UC3, const_cast<unsigned char*>(src));
    cv::Mat out(oh, ow, CV_8UC3, dst);
    cv::resize(in, out, cv::Size(ow, oh), 0, 0, area ? cv::INTER_AREA : cv::INTER_LINEAR);
    return nullptr;
  } catch (const cv::Exception& e) {
    error = e.what();
    return error.c_str();
  }
}

extern "C" __attribute__((visibility("default"))) void servesim_opencv_single_thread() {
  cv::setNumThreads(1);
}

extern "C" __attribute__((visibility("default"))) const char* servesim_opencv_version() {
  static const std::string v = cv::getVersionString();
  return v.c_str();
}
