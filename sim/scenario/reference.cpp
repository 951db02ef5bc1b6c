#include "sim/scenario/reference.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "sim/scenario/sections.h"

namespace servesim {

namespace {

/// Each docs table by the name the template uses. Some join two key tables (a map and the map
/// nested in it), as a reader of the docs sees one section.
std::map<std::string, std::function<std::string()>, std::less<>> doc_tables() {
  return {
      {"top", [] { return doc_table(top_keys()); }},
      {"run", [] { return doc_table(run_keys()); }},
      {"workload",
       [] {
         return doc_table(workload_keys()) + doc_rows(schedule_keys(), schedule_keys().prefix) +
                doc_rows(client_keys(), client_keys().prefix);
       }},
      {"node.network", [] { return doc_table(network_keys()); }},
      {"image", [] { return doc_table(image_keys()); }},
      {"cluster",
       [] {
         return doc_table(cluster_keys()) + doc_rows(balancer_keys(), balancer_keys().prefix) +
                doc_rows(autoscale_keys(), autoscale_keys().prefix);
       }},
      {"node.cpu",
       [] {
         return doc_table(cpu_keys()) + doc_rows(efficiency_keys(), efficiency_keys().prefix) +
                doc_rows(stall_keys(), stall_keys().prefix) +
                doc_rows(slowdown_keys(), slowdown_keys().prefix);
       }},
      {"node.gpus",
       [] {
         return doc_table(gpu_keys()) + doc_rows(copy_engine_keys(), copy_engine_keys().prefix);
       }},
      {"node.pcie",
       [] {
         return doc_table(pcie_keys()) + doc_rows(link_keys(), "host_link.") +
                doc_rows(link_keys(), "gpu_link.") +
                doc_rows(tree_link_keys(), tree_link_keys().prefix) +
                doc_rows(link_keys(), tree_link_keys().prefix) +
                doc_rows(bifurcation_keys(), bifurcation_keys().prefix);
       }},
      {"node.memory", [] { return doc_table(memory_keys()); }},
      {"stage", [] { return doc_table(stage_keys()); }},
      {"batching", [] { return doc_table(batching_keys()); }},
      {"fanout",
       [] {
         return doc_table(fanout_keys()) + doc_rows(count_keys(), count_keys().prefix) +
                doc_rows(child_keys(), child_keys().prefix) +
                doc_rows(broker_keys(), broker_keys().prefix);
       }},
      {"model",
       [] {
         return doc_table(model_keys()) + doc_rows(tensor_keys(), "input.") +
                doc_rows(model_output_keys(), model_output_keys().prefix) +
                doc_rows(framework_keys(), framework_keys().prefix);
       }},
      {"output",
       [] { return doc_header() + doc_rows(tensor_keys(), "") + doc_rows(output_keys(), ""); }},
      {"curve", [] { return curve_keys_doc(); }},
      {"curve.forms", [] { return curve_forms_doc(); }},
      {"distribution", [] { return doc_table(distribution_keys()); }},
      {"broker.redis",
       [] { return doc_table(redis_keys()) + doc_rows(redis_client_keys(), "client."); }},
      {"broker.kafka",
       [] { return doc_table(kafka_keys()) + doc_rows(disk_keys(), disk_keys().prefix); }},
  };
}

}  // namespace

std::string config_reference(std::string_view text) {
  const auto tables = doc_tables();
  std::map<std::string, int, std::less<>> used;
  std::string out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.starts_with("@keys ") && line.ends_with("@")) {
      const std::string_view name = line.substr(6, line.size() - 7);
      const auto it = tables.find(name);
      if (it == tables.end())
        throw std::runtime_error("the template names no table '" + std::string(name) + "'");
      out += it->second();
      ++used[std::string(name)];
      continue;
    }
    out += line;
    out += '\n';
  }
  for (const auto& [name, make] : tables)
    if (!used.count(name))
      throw std::runtime_error("the template never places the table '" + name + "' (@keys " + name +
                               "@)");
  return out;
}

}  // namespace servesim
