// `node`: the machine every node of a cluster is, its CPU, GPUs and PCIe links.

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "sim/scenario/sections.h"

namespace servesim {

namespace {

/// Both or neither; energy = idle + (busy - idle) x utilisation.
void check_power(MapReader& r, const PowerParams& p) {
  if ((p.idle_w > 0) != (p.busy_w > 0))
    r.fail(p.idle_w > 0 ? "busy_power" : "idle_power",
           "give both idle_power and busy_power (energy = idle + (busy - idle) x utilisation)");
  if (p.busy_w < p.idle_w) r.fail("busy_power", "busy_power must be at least idle_power");
}

}  // namespace

const Table<CpuParams>& cpu_keys() {
  static const EnumNames<CpuScheduler> schedulers{{CpuScheduler::kShared, "shared"},
                                                  {CpuScheduler::kPerCore, "per_core"}};
  static const Table<CpuParams> table{
      "",
      {},
      {
          {.key = "cores",
           .type = integer_type(1, 1'000'000),
           .at = &CpuParams::cores,
           .required = true,
           .help = "cores shared by all CPU work (processor sharing beyond `cores` items)"},
          {.key = "speed",
           .type = number_type(1e-6, 1e6),
           .at = &CpuParams::speed,
           .help = "relative speed: CPU service times are divided by it"},
          {.key = "idle_power",
           .type = quantity_type(Dimension::kPower),
           .at = {&CpuParams::power, &PowerParams::idle_w},
           .emit = Emit::kUnlessDefault,
           .help = "with `busy_power`: both or neither; energy = idle + (busy - idle) x "
                   "utilisation",
           .doc_default = "none"},
          {.key = "busy_power",
           .type = quantity_type(Dimension::kPower),
           .at = {&CpuParams::power, &PowerParams::busy_w},
           .emit = Emit::kUnlessDefault,
           .help = "at least `idle_power`",
           .doc_default = "none"},
          {.key = "scheduler",
           .type = choice_type(),
           .at = {&CpuParams::scheduler, schedulers},
           .emit = Emit::kUnlessDefault,
           .help = "how runnable work shares the cores: processor sharing over all of them, or "
                   "Linux's run queue per core with CFS's wake-up placement and idle pull "
                   "(docs/model.md)"},
          {.key = "efficiency",
           .type = custom_type(),
           .help = "per-core speed when k cores are busy, relative to one busy core (shared "
                   "caches, memory bandwidth, turbo limits): measured points, linear between; "
                   "`servesim calib bench memory` measures it (docs/model.md)",
           .doc_type = "map (below)",
           .doc_default = "none (1.0 at every k)"},
          {.key = "wakeup",
           .type = custom_type(),
           .help = "latency of handing a batch to a CPU or GPU stage instance whose thread "
                   "slept waiting for work; counted as queue time (docs/model.md)",
           .doc_type = "distribution (below), or a duration",
           .doc_default = "none"},
          {.key = "stalls",
           .type = custom_type(),
           .help = "times when a core runs nothing (the hypervisor runs another guest, an "
                   "interrupt storm): each core alone stalls `duration` every `interval` "
                   "(docs/model.md)",
           .doc_type = "map (below)",
           .doc_default = "none"},
          {.key = "slowdowns",
           .type = custom_type(),
           .help = "stretches when a core runs slower (on a VM: a busy SMT sibling or a "
                   "neighbour's memory traffic on the host): each core alone runs at `speed` "
                   "times its own for `duration` every `interval` (docs/model.md)",
           .doc_type = "map (below)",
           .doc_default = "none"},
          source_key<CpuParams>(),
          {.key = "type",
           .type = string_type(),
           .emit = Emit::kNever,
           .help = "free text (e.g. `i9-13900k`)"},
      }};
  return table;
}

const Table<EfficiencyParams>& efficiency_keys() {
  static const Table<EfficiencyParams> table{
      "efficiency.",
      {},
      {
          {.key = "busy_cores",
           .type = custom_type(),
           .help = "k at each point: whole numbers ascending from 1, the last at least "
                   "`cores`",
           .doc_type = "list of integers",
           .doc_default = "required"},
          {.key = "factor",
           .type = custom_type(),
           .help = "per-core speed at each k relative to one busy core: the first is 1, each "
                   "in (0, 2]",
           .doc_type = "list of numbers",
           .doc_default = "required"},
          source_key<EfficiencyParams>(),
      }};
  return table;
}

const Table<StallParams>& stall_keys() {
  static const Table<StallParams> table{
      "stalls.",
      {},
      {
          {.key = "interval",
           .type = custom_type(),
           .help = "from the end of one stall of a core to the start of its next",
           .doc_type = "distribution, or a duration",
           .doc_default = "required"},
          {.key = "duration",
           .type = custom_type(),
           .help = "how long a stall lasts",
           .doc_type = "distribution, or a duration",
           .doc_default = "required"},
          source_key<StallParams>(),
      }};
  return table;
}

const Table<StallParams>& slowdown_keys() {
  static const Table<StallParams> table{
      "slowdowns.",
      {},
      {
          {.key = "interval",
           .type = custom_type(),
           .help = "from the end of one slowdown of a core to the start of its next",
           .doc_type = "distribution, or a duration",
           .doc_default = "required"},
          {.key = "duration",
           .type = custom_type(),
           .help = "how long a slowdown lasts",
           .doc_type = "distribution, or a duration",
           .doc_default = "required"},
          {.key = "speed",
           .type = number_type(1e-3, 1),
           .at = &StallParams::speed,
           .help = "the core's speed during one, as a fraction of its own (a core that runs "
                   "nothing is a stall)",
           .doc_default = "required"},
          source_key<StallParams>(),
      }};
  return table;
}

const Table<GpuParams>& gpu_keys() {
  static const EnumNames<MemoryPolicy> policies{{MemoryPolicy::kBlock, "block"},
                                                {MemoryPolicy::kSpill, "spill"}};
  static const EnumNames<GpuCompute> computes{{GpuCompute::kExclusive, "exclusive"},
                                              {GpuCompute::kShared, "shared"},
                                              {GpuCompute::kConcurrent, "concurrent"}};
  static const Table<GpuParams> table{
      "",
      {.type = "gpu"},
      {
          {.key = "count",
           .type = integer_type(0, 4096),
           .at = &GpuParams::count,
           .required = true,
           .help = "GPUs in the node"},
          {.key = "type",
           .type = name_type(),
           .at = &GpuParams::type,
           .help = "how outputs name the GPU (e.g. `rtx4090`)"},
          {.key = "memory",
           .type = quantity_type(Dimension::kBytes),
           .at = &GpuParams::memory_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "capacity for request tensors",
           .doc_default = "unlimited"},
          {.key = "reserved_memory",
           .type = quantity_type(Dimension::kBytes),
           .at = &GpuParams::reserved_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "taken by weights and workspaces before any request; needs `memory`",
           .doc_type = "size, < `memory`",
           .doc_default = "0"},
          {.key = "memory_policy",
           .type = choice_type(),
           .at = {&GpuParams::memory_policy, policies},
           .help = "when a reservation (in `memory` or the pool) does not fit: wait, or evict "
                   "and pay the copies"},
          {.key = "cuda_memory_pool_byte_size",
           .type = quantity_type(Dimension::kBytes),
           .at = &GpuParams::pool_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "Triton's CUDA memory pool per GPU (`--cuda-memory-pool-byte-size`, Triton's "
                   "default 64 MiB): holds a GPU stage's outputs until the next GPU stage has "
                   "used them",
           .doc_default = "not modelled"},
          {.key = "compute",
           .type = choice_type(),
           .at = {&GpuParams::compute, computes},
           .help = "the compute engine runs one job at a time (FIFO), all at once sharing "
                   "equally, or `concurrent`: the kernels of one process share the SMs by their "
                   "stages' `sm_share`, different processes take turns (`time_slice`)"},
          {.key = "time_slice",
           .type = duration_type(),
           .at = &GpuParams::time_slice,
           .emit = Emit::kUnlessDefault,
           .help = "`compute: concurrent`: how long one process holds the SMs while another "
                   "process's kernels wait (the driver's time-slice scheduler, without MPS); "
                   "required when GPU stages name more than one `process`",
           .doc_default = "none"},
          {.key = "context_switch",
           .type = duration_type(true),
           .at = &GpuParams::context_switch,
           .emit = Emit::kUnlessDefault,
           .help = "`compute: concurrent`: the SMs' idle time at each change of process "
                   "(context save and restore); required when `time_slice` is",
           .doc_default = "none"},
          {.key = "nvjpg_engines",
           .type = integer_type(0, 64),
           .at = &GpuParams::nvjpg_engines,
           .help = "hardware JPEG decoders, needed by `device: nvjpg`"},
          {.key = "copy_engines",
           .type = custom_type(),
           .help = "DMA copy engines per direction (the keys below); each transfer holds one",
           .doc_type = "map",
           .doc_default = "1, 1"},
          {.key = "speed",
           .type = number_type(1e-6, 1e6),
           .at = &GpuParams::speed,
           .help = "relative speed: compute and NVJPG service times are divided by it"},
          {.key = "idle_power",
           .type = quantity_type(Dimension::kPower),
           .at = {&GpuParams::power, &PowerParams::idle_w},
           .emit = Emit::kUnlessDefault,
           .help = "per GPU, as for the CPU; utilisation is the compute engine's",
           .doc_default = "none"},
          {.key = "busy_power",
           .type = quantity_type(Dimension::kPower),
           .at = {&GpuParams::power, &PowerParams::busy_w},
           .emit = Emit::kUnlessDefault,
           .help = "per GPU, at least `idle_power`; the power of every kernel whose stage gives "
                   "no `busy_power` of its own",
           .doc_default = "none"},
          source_key<GpuParams>(),
      }};
  return table;
}

const Table<GpuParams>& copy_engine_keys() {
  static const Table<GpuParams> table{"copy_engines.",
                                      {},
                                      {
                                          {.key = "h2d",
                                           .type = integer_type(1, 64),
                                           .at = &GpuParams::h2d_engines,
                                           .help = "host-to-device copy engines"},
                                          {.key = "d2h",
                                           .type = integer_type(1, 64),
                                           .at = &GpuParams::d2h_engines,
                                           .help = "device-to-host copy engines"},
                                      }};
  return table;
}

const Table<LinkParams>& link_keys() {
  static const Table<LinkParams> table{
      "",
      {},
      {
          {.key = "bandwidth",
           .type = quantity_type(Dimension::kBandwidth),
           .at = &LinkParams::bytes_per_s,
           .required = true,
           .help = "the link's bandwidth in each direction",
           .doc_type = "bandwidth, >= 1 kB/s"},
          {.key = "latency",
           .type = duration_type(true),
           .at = &LinkParams::latency,
           .help = "added to every transfer over the link (over `gpu_link`: to or from that GPU)"},
      }};
  return table;
}

const Table<LinkParams>& network_keys() {
  static const Table<LinkParams> table{
      "",
      {},
      {
          {.key = "bandwidth",
           .type = quantity_type(Dimension::kBandwidth),
           .at = &LinkParams::bytes_per_s,
           .required = true,
           .help = "toward the node: the NIC's line rate (e.g. 25Gb/s), or loopback's copy rate "
                   "when the client shares the host",
           .doc_type = "bandwidth, >= 1 kB/s"},
          {.key = "latency",
           .type = duration_type(true),
           .at = &LinkParams::latency,
           .help = "a request-response round trip (ping's RTT), paid once per request"},
          source_key<LinkParams>(),
      }};
  return table;
}

const Table<PcieParams>& pcie_keys() {
  static const Table<PcieParams> table{
      "",
      {},
      {
          {.key = "host_link",
           .type = custom_type(),
           .help = "the root complex / switch uplink shared by all GPUs of the node",
           .doc_type = "link (below)",
           .doc_default = "required without `topology`"},
          {.key = "gpu_link",
           .type = custom_type(),
           .help = "each GPU's own link",
           .doc_type = "link (below)",
           .doc_default = "required without `topology`"},
          {.key = "topology",
           .type = custom_type(),
           .help = "instead of `host_link` and `gpu_link`: a tree of links from the root complex "
                   "down to the slots, each a link per direction (keys below); a GPU's route is "
                   "the chain from its port up to a root port",
           .doc_type = "list of links",
           .doc_default = "none"},
          {.key = "gpu_ports",
           .type = custom_type(),
           .help = "GPU g sits on the link named by item g; one GPU per link, and at least "
                   "`node.gpus.count` items",
           .doc_type = "list of link names",
           .doc_default = "required with `topology`"},
          source_key<PcieParams>(),
      }};
  return table;
}

const Table<PcieTreeLink>& tree_link_keys() {
  static const Table<PcieTreeLink> table{
      "topology[].",
      {},
      {
          {.key = "name",
           .type = name_type(),
           .at = &PcieTreeLink::name,
           .required = true,
           .help = "unique; reports name the link's resources `pcie.NAME_h2d` and `pcie.NAME_d2h`; "
                   "no spaces, dots, commas or brackets (`--set node.pcie.topology.NAME.key=...`)"},
          {.key = "parent",
           .type = string_type(),
           .at = &PcieTreeLink::parent_name,
           .emit = Emit::kUnlessDefault,
           .help = "the link above this one; none: a root port of the root complex",
           .doc_type = "link name",
           .doc_default = "none"},
          {.key = "bifurcation",
           .type = custom_type(),
           .help = "the link trains narrower while a GPU sits on (or below) another link "
                   "that shares its lanes (keys below)",
           .doc_type = "map",
           .doc_default = "none"},
      }};
  return table;
}

const Table<PcieTreeLink>& bifurcation_keys() {
  static const Table<PcieTreeLink> table{
      "topology[].bifurcation.",
      {},
      {
          {.key = "with",
           .type = string_type(),
           .at = &PcieTreeLink::narrow_with_name,
           .required = true,
           .help = "the link (another slot) whose GPU narrows this one",
           .doc_type = "link name"},
          {.key = "bandwidth",
           .type = quantity_type(Dimension::kBandwidth),
           .at = &PcieTreeLink::narrow_bytes_per_s,
           .required = true,
           .help = "this link's bandwidth in each direction while it is narrowed",
           .doc_type = "bandwidth, >= 1 kB/s, <= the link's"},
      }};
  return table;
}

const Table<MemoryParams>& memory_keys() {
  static const Table<MemoryParams> table{
      "",
      {},
      {
          {.key = "bandwidth",
           .type = quantity_type(Dimension::kBandwidth),
           .at = &MemoryParams::bytes_per_s,
           .emit = Emit::kUnlessDefault,
           .help = "host DRAM bandwidth, reads and writes together: one link crossed by every "
                   "PCIe transfer in either direction",
           .doc_type = "bandwidth, >= 1 kB/s",
           .doc_default = "none (not a resource); required without `capacity`"},
          {.key = "capacity",
           .type = quantity_type(Dimension::kBytes),
           .at = &MemoryParams::capacity_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "host memory the cpu stages' frameworks may hold (their `weights` and "
                   "`activation_memory`, docs/model.md): a batch that does not fit is an error "
                   "naming the largest that does",
           .doc_default = "none (not checked)"},
          source_key<MemoryParams>(),
      }};
  return table;
}

namespace {

/// A list of numbers under `key` of `r`, each checked by `ok` (its message says what is wanted).
std::vector<double> number_list(MapReader& r, std::string_view key, std::string_view what,
                                const std::function<bool(double)>& ok) {
  const ConfigNode& list = r.require(key);
  const std::string path = r.key_path(key);
  if (!list.is_sequence() || list.items.empty())
    throw ConfigError(list.mark, path, "expected a list of " + std::string(what));
  std::vector<double> out;
  for (const auto& it : list.items) {
    const auto v = parse_number(read_scalar(it, path, what));
    if (!v || !ok(*v)) throw ConfigError(it.mark, path, "expected " + std::string(what));
    out.push_back(*v);
  }
  return out;
}

EfficiencyParams parse_efficiency(MapReader e, int cores) {
  EfficiencyParams p;
  read_keys(e, efficiency_keys(), p, [&](std::string_view key) {
    if (key == "factor") {
      p.factor = number_list(e, key, "factors in (0, 2]", [](double v) { return v > 0 && v <= 2; });
      return;
    }
    for (const double v :
         number_list(e, key, "whole numbers of busy cores, 1 or more",
                     [](double v) { return v >= 1 && v == std::floor(v) && v <= 1e6; }))
      p.busy_cores.push_back(static_cast<int>(v));
  });
  const std::vector<int>& k = p.busy_cores;
  if (k.front() != 1)
    e.fail("busy_cores", "the first point is 1 busy core (the factor is relative to it)");
  for (std::size_t i = 1; i < k.size(); ++i)
    if (k[i] <= k[i - 1]) e.fail("busy_cores", "busy core counts must be strictly ascending");
  if (k.back() < cores)
    e.fail("busy_cores", "the points end at " + std::to_string(k.back()) +
                             " busy cores but node.cpu.cores is " + std::to_string(cores) +
                             ": measure up to every core, or lower node.cpu.cores");
  if (p.factor.size() != k.size())
    e.fail("factor", "give one factor per busy_cores point (" + std::to_string(k.size()) + ")");
  if (p.factor.front() != 1)
    e.fail("factor", "the first factor is 1: speed already is the speed of one busy core");
  e.finish();
  return p;
}

/// node.cpu.stalls, or (slow) node.cpu.slowdowns: the same process, the second at a speed.
StallParams parse_stalls(MapReader m, bool slow) {
  StallParams p;
  const char* what = slow ? "slowdown" : "stall";
  read_keys(m, slow ? slowdown_keys() : stall_keys(), p, [&](std::string_view key) {
    if (const ConfigNode* d = m.get(key)) {
      Distribution dist = parse_distribution(*d, m.key_path(std::string(key)));
      (key == "interval" ? p.interval : p.duration) = dist;
    }
  });
  if (!p.interval) m.fail("interval", std::string("give the time between a core's ") + what + "s");
  if (!p.duration) m.fail("duration", std::string("give how long a ") + what + " lasts");
  if (slow && p.speed == 0)
    m.fail("speed", "give the core's speed during a slowdown, a fraction of its own in [0.001, 1]");
  if (p.interval->mean() <= 0)
    m.fail("interval", std::string("the time between ") + what +
                           "s must have a mean above 0 (else " +
                           (slow ? "a core is never at full speed)" : "a core never runs)"));
  m.finish();
  return p;
}

CpuParams parse_cpu(MapReader c) {
  CpuParams p = cpu_keys().defaults;
  read_keys(c, cpu_keys(), p, [&](std::string_view key) {
    if (key == "efficiency") {
      if (c.has("efficiency")) p.efficiency = parse_efficiency(c.child("efficiency"), p.cores);
      return;
    }
    if (key == "stalls" || key == "slowdowns") {
      if (c.has(key))
        (key == "stalls" ? p.stalls : p.slowdowns) =
            parse_stalls(c.child(std::string(key)), key == "slowdowns");
      return;
    }
    if (const ConfigNode* w = c.get("wakeup"))
      p.wakeup = parse_distribution(*w, c.key_path("wakeup"));
  });
  check_power(c, p.power);
  c.finish();
  return p;
}

GpuParams parse_gpus(MapReader g) {
  GpuParams p = gpu_keys().defaults;
  read_keys(g, gpu_keys(), p, [&](std::string_view /*copy_engines*/) {
    if (!g.has("copy_engines")) return;
    MapReader ce = g.child("copy_engines");
    read_keys(ce, copy_engine_keys(), p);
    ce.finish();
  });
  if (p.memory_bytes > 0 && p.reserved_bytes >= p.memory_bytes)
    g.fail("reserved_memory", "reserved_memory must be less than memory");
  if (p.reserved_bytes > 0 && p.memory_bytes == 0)
    g.fail("reserved_memory", "reserved_memory needs memory (the capacity) too");
  if (p.compute != GpuCompute::kConcurrent)
    for (const char* k : {"time_slice", "context_switch"})
      if (g.holds(k)) g.fail(k, std::string(k) + " needs compute: concurrent");
  check_power(g, p.power);
  g.finish();
  return p;
}

/// A bandwidth under 1 kB/s is a unit mistake (1GB where 1GB/s was meant is refused earlier).
void check_bandwidth(const MapReader& r, std::string_view key, double bytes_per_s) {
  if (bytes_per_s < 1e3) r.fail(key, "a link slower than 1 kB/s is surely a unit mistake");
}

/// A link's bandwidth and latency, in a map that may hold other keys too.
LinkParams read_link(MapReader& r) {
  LinkParams l = link_keys().defaults;
  read_key(r, link_keys(), "bandwidth", l);
  check_bandwidth(r, "bandwidth", l.bytes_per_s);
  read_key(r, link_keys(), "latency", l);
  return l;
}

LinkParams parse_link(MapReader r) {
  const LinkParams l = read_link(r);
  r.finish();
  return l;
}

Json link_json(const LinkParams& l) {
  Json j;
  emit_keys(j, link_keys(), l);
  return j;
}

Json tree_link_json(const PcieTreeLink& t) {
  Json j;
  emit_key(j, tree_link_keys(), "name", t);
  emit_key(j, tree_link_keys(), "parent", t);
  emit_keys(j, link_keys(), t.link);
  if (t.narrow_with >= 0) emit_keys(j["bifurcation"], bifurcation_keys(), t);
  return j;
}

Json pcie_json(const PcieParams& p) {
  if (p.topology.empty())
    return {{"host_link", link_json(p.host_link)}, {"gpu_link", link_json(p.gpu_link)}};
  Json tree = Json::array(), ports = Json::array();
  for (const auto& t : p.topology) tree.push_back(tree_link_json(t));
  for (const int port : p.gpu_ports)
    ports.push_back(p.topology[static_cast<std::size_t>(port)].name);
  return {{"topology", tree}, {"gpu_ports", ports}};
}

MemoryParams parse_memory(MapReader r) {
  MemoryParams m = memory_keys().defaults;
  read_keys(r, memory_keys(), m);
  if (!r.holds("capacity")) r.require("bandwidth");
  if (r.holds("bandwidth")) check_bandwidth(r, "bandwidth", m.bytes_per_s);
  r.finish();
  return m;
}

int find_link(const std::vector<PcieTreeLink>& links, std::string_view name) {
  for (std::size_t i = 0; i < links.size(); ++i)
    if (links[i].name == name) return static_cast<int>(i);
  return -1;
}

/// `name` as a link's index, else an error at `at` (the value naming it, of key path `key`)
/// with a did-you-mean.
int link_named(const std::vector<PcieTreeLink>& links, const std::string& name,
               const ConfigNode& at, const std::string& key) {
  const int l = find_link(links, name);
  if (l >= 0) return l;
  std::vector<std::string> names;
  names.reserve(links.size());
  for (const auto& t : links) names.push_back(t.name);
  const std::string hint = did_you_mean(name, names);
  throw ConfigError(
      at.mark, key,
      "no link of node.pcie.topology is named '" + name + "'" + (hint.empty() ? "" : "; " + hint));
}

/// A parent chain that never reaches a root port is an error at the first link of its cycle.
void check_no_cycle(const std::vector<PcieTreeLink>& links, const ConfigNode& list,
                    const std::string& path) {
  const std::size_t n = links.size();
  for (std::size_t i = 0; i < n; ++i) {
    int l = static_cast<int>(i);
    for (std::size_t steps = 0; l >= 0 && steps <= n; ++steps)
      l = links[static_cast<std::size_t>(l)].parent;
    if (l < 0) continue;  // reached a root port
    // After n steps the walk is inside the cycle: start it at its first link in file order.
    int first = l;
    for (int m = links[static_cast<std::size_t>(l)].parent; m != l;
         m = links[static_cast<std::size_t>(m)].parent)
      first = std::min(first, m);
    std::string cycle = links[static_cast<std::size_t>(first)].name;
    int m = first;
    do {
      m = links[static_cast<std::size_t>(m)].parent;
      cycle += " -> " + links[static_cast<std::size_t>(m)].name;
    } while (m != first);
    const auto& t = links[static_cast<std::size_t>(first)];
    MapReader(list.items[static_cast<std::size_t>(first)], path + "." + t.name)
        .fail("parent", "the parents form a cycle (" + cycle +
                            "): every chain of parents must end at a root port, a link "
                            "without a parent");
  }
}

/// The links of node.pcie.topology, each parent and bifurcation partner resolved to its index.
std::vector<PcieTreeLink> parse_topology(MapReader& pc, std::string_view key) {
  const ConfigNode& list = pc.require(key);
  const std::string path = pc.key_path(key);
  if (!list.is_sequence() || list.items.empty())
    pc.fail_at(list, key,
               "expected a non-empty list of links ({name, parent, bandwidth, latency})");
  std::vector<PcieTreeLink> links;
  for (std::size_t i = 0; i < list.items.size(); ++i) {  // the names first: parents may follow
    MapReader probe(list.items[i], path + "[" + std::to_string(i) + "]");
    PcieTreeLink t;
    read_key(probe, tree_link_keys(), "name", t);
    if (t.name.empty() || t.name.find_first_of(". [],") != std::string::npos)
      probe.fail("name",
                 "a link name must be non-empty without spaces, dots, commas or brackets (it is "
                 "used in --set node.pcie.topology.NAME.key=... and in the resources' names)");
    if (find_link(links, t.name) >= 0) probe.fail("name", "two links are named '" + t.name + "'");
    links.push_back(t);
  }
  for (std::size_t i = 0; i < links.size(); ++i) {
    PcieTreeLink& t = links[i];
    MapReader r(list.items[i], path + "." + t.name);
    r.get("name");
    if (read_key(r, tree_link_keys(), "parent", t))
      t.parent = link_named(links, t.parent_name, *r.get("parent"), r.key_path("parent"));
    t.link = read_link(r);
    read_keys(r, tree_link_keys(), t, [&](std::string_view /*bifurcation*/) {
      if (!r.has("bifurcation")) return;
      MapReader b = r.child("bifurcation");
      read_keys(b, bifurcation_keys(), t);
      t.narrow_with = link_named(links, t.narrow_with_name, *b.get("with"), b.key_path("with"));
      if (t.narrow_with == static_cast<int>(i))
        b.fail("with", "a link cannot bifurcate with itself: name the slot that shares its lanes");
      check_bandwidth(b, "bandwidth", t.narrow_bytes_per_s);
      if (t.narrow_bytes_per_s > t.link.bytes_per_s)
        b.fail("bandwidth",
               "a bifurcated link trains narrower: its bandwidth must be at most the "
               "link's own");
      b.finish();
    });
    r.finish();
  }
  check_no_cycle(links, list, path);
  return links;
}

/// GPU g's port: a link of the topology, one GPU per link, at least one per GPU of the node.
std::vector<int> parse_gpu_ports(MapReader& pc, const std::vector<PcieTreeLink>& links, int gpus) {
  const ConfigNode& list = pc.require("gpu_ports");
  const std::string path = pc.key_path("gpu_ports");
  if (!list.is_sequence() || list.items.empty())
    pc.fail_at(list, "gpu_ports", "expected a non-empty list of link names (GPU g sits on item g)");
  std::vector<int> ports;
  for (std::size_t g = 0; g < list.items.size(); ++g) {
    const ConfigNode& item = list.items[g];
    const std::string& name = read_scalar(item, path, "a link name");
    const int l = link_named(links, name, item, path);
    if (const auto prev = std::find(ports.begin(), ports.end(), l); prev != ports.end())
      pc.fail_at(item, "gpu_ports",
                 "GPUs " + std::to_string(prev - ports.begin()) + " and " + std::to_string(g) +
                     " are both on '" + name +
                     "': a slot holds one card; give each GPU a link of its own");
    ports.push_back(l);
  }
  if (ports.size() < static_cast<std::size_t>(gpus))
    pc.fail("gpu_ports", "node.pcie.gpu_ports has " + std::to_string(ports.size()) +
                             " port(s) but node.gpus.count is " + std::to_string(gpus) +
                             ": --set node.gpus.count must be at most " +
                             std::to_string(ports.size()) +
                             ", or declare more ports (links of node.pcie.topology) in gpu_ports");
  return ports;
}

PcieParams parse_pcie(MapReader pc, int gpus) {
  PcieParams p;
  const bool tree = pc.holds("topology");
  read_keys(pc, pcie_keys(), p, [&](std::string_view key) {
    if (key == "topology") {
      if (tree) p.topology = parse_topology(pc, "topology");
    } else if (key == "gpu_ports") {
      if (tree) {
        p.gpu_ports = parse_gpu_ports(pc, p.topology, gpus);
      } else if (pc.has(key)) {
        pc.fail(key,
                "gpu_ports names links of node.pcie.topology: give topology too, or leave "
                "gpu_ports out (with host_link and gpu_link every GPU has a link of its own)");
      }
    } else if (!tree) {
      (key == "host_link" ? p.host_link : p.gpu_link) = parse_link(pc.child(key));
    } else if (pc.has(key)) {
      pc.fail(key,
              "node.pcie has a topology, which replaces host_link and gpu_link: give one "
              "form or the other (to change a link of the tree, set "
              "node.pcie.topology.NAME.bandwidth)");
    }
  });
  pc.finish();
  return p;
}

}  // namespace

NodeParams parse_node(MapReader r) {
  NodeParams p;
  p.cpu = parse_cpu(r.child("cpu"));
  if (r.has("gpus")) {
    p.gpus = parse_gpus(r.child("gpus"));
    if (p.gpus.count > 0 && !r.has("pcie"))
      r.fail("gpus",
             "a node with GPUs needs node.pcie (host_link and gpu_link bandwidths, or a topology "
             "and gpu_ports)");
  }
  if (r.has("network")) {
    MapReader n = r.child("network");
    LinkParams l;
    read_keys(n, network_keys(), l);
    check_bandwidth(n, "bandwidth", l.bytes_per_s);
    n.finish();
    p.network = l;
  }
  if (r.has("pcie")) p.pcie = parse_pcie(r.child("pcie"), p.gpus.count);
  if (r.has("memory")) p.memory = parse_memory(r.child("memory"));
  r.finish();
  return p;
}

Json node_json(const NodeParams& n) {
  Json j;
  auto& cpu = j["cpu"];
  emit_keys(cpu, cpu_keys(), n.cpu, [&](std::string_view key) {
    if (key == "efficiency") {
      if (!n.cpu.efficiency.busy_cores.empty())
        cpu["efficiency"] = {{"busy_cores", n.cpu.efficiency.busy_cores},
                             {"factor", n.cpu.efficiency.factor}};
      return;
    }
    if (key == "stalls") {
      if (n.cpu.stalls)
        cpu["stalls"] = {{"interval", distribution_json(*n.cpu.stalls->interval)},
                         {"duration", distribution_json(*n.cpu.stalls->duration)}};
      return;
    }
    if (key == "slowdowns") {
      if (n.cpu.slowdowns)
        cpu["slowdowns"] = {{"interval", distribution_json(*n.cpu.slowdowns->interval)},
                            {"duration", distribution_json(*n.cpu.slowdowns->duration)},
                            {"speed", n.cpu.slowdowns->speed}};
      return;
    }
    if (n.cpu.wakeup) cpu["wakeup"] = distribution_json(*n.cpu.wakeup);
  });
  if (n.gpus.count > 0) {
    auto& g = j["gpus"];
    emit_keys(g, gpu_keys(), n.gpus, [&](std::string_view /*copy_engines*/) {
      Json ce;
      emit_keys(ce, copy_engine_keys(), n.gpus);
      g["copy_engines"] = ce;
    });
    j["pcie"] = pcie_json(n.pcie);
  }
  if (n.memory.bytes_per_s > 0 || n.memory.capacity_bytes > 0)
    emit_keys(j["memory"], memory_keys(), n.memory);
  if (n.network) emit_keys(j["network"], network_keys(), *n.network);
  return j;
}

}  // namespace servesim
