#include "sim/app/load.h"

#include <algorithm>
#include <vector>

namespace servesim {

void set_workload(ConfigNode& root, bool closed, const std::string& value, int threads, int& n) {
  ConfigNode* w = root.find("workload");
  if (w && w->is_map()) {
    const auto drop = closed ? std::vector<std::string>{"rate", "arrival", "cv"}
                             : std::vector<std::string>{"concurrency", "think_time"};
    std::erase_if(w->entries, [&](const MapEntry& e) {
      return std::find(drop.begin(), drop.end(), e.key) != drop.end();
    });
  }
  apply_override(root, std::string("workload.mode=") + (closed ? "closed" : "open"), ++n);
  apply_override(root, (closed ? "workload.concurrency=" : "workload.rate=") + value, ++n);
  const ConfigNode* client = w && w->is_map() ? w->find("client") : nullptr;
  if (!closed && client && client->is_map() && !client->find("threads"))
    apply_override(root, "workload.client.threads=" + std::to_string(threads), ++n);
}

}  // namespace servesim
