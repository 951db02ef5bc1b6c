#include "calib/plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <vector>

namespace servesim::calib {

void* open_plugin(const std::string& file, const std::string& built, std::string& tried) {
  std::vector<std::filesystem::path> candidates;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / file);
    candidates.push_back(
        (exe.parent_path() / SERVESIM_PLUGIN_DIR_INSTALLED / file).lexically_normal());
  }
  if (!built.empty()) candidates.emplace_back(built);
  tried.clear();
  for (const std::filesystem::path& c : candidates) {
    if (!std::filesystem::exists(c, ec)) continue;
    if (void* handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
    const char* e = dlerror();
    tried += (tried.empty() ? "" : "; ") + c.string() + ": " + (e ? e : "cannot load");
  }
  if (tried.empty()) tried = "no " + file + " found";
  return nullptr;
}

}  // namespace servesim::calib
