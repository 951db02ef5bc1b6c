// A fan-out stage (`fanout`): how many children a request emits, their payload, and the broker
// between the fan-out stage and the stages the children run through.

#include <cmath>

#include "sim/scenario/sections.h"

namespace servesim {

namespace {

/// A broker operation's cost of (bytes): {a: 5us, b: 0.3ns} (a + b * bytes) or {curve: NAME}.
CostParams parse_cost(MapReader r, const CurveSet& curves) {
  CostParams c;
  if (const ConfigNode* n = r.get("curve")) {
    c.curve_name = read_scalar(*n, r.key_path("curve"), "a curve name");
    c.curve = find_curve(curves, c.curve_name, *n, r.key_path("curve"));
    for (const char* k : {"a", "b"})
      if (r.get(k)) r.fail(k, std::string(k) + " and curve are two ways to say the same: keep one");
    r.finish();
    return c;
  }
  const double a = read_fine_ns(r.require("a"), r.key_path("a"));
  const ConfigNode* bn = r.get("b");
  const double b = bn ? read_fine_ns(*bn, r.key_path("b")) : 0.0;
  r.finish();
  c.curve = Curve::affine(a, {{CurveInput::kBytes, b}});
  return c;
}

FanoutCount parse_count(const ConfigNode& node, const std::string& path) {
  FanoutCount c;
  const std::int64_t kMaxChildren = 100'000;
  if (node.is_scalar()) {
    const std::string& text = read_scalar(node, path, "a count or a map");
    const auto v = parse_number(text);
    if (!v || *v != std::floor(*v) || *v < 0 || *v > kMaxChildren)
      throw ConfigError(node.mark, path,
                        "expected a whole number of children from 0 to 100000, or a map such as "
                        "{dist: poisson, mean: 5} or {dist: empirical, values: [0, 1, 4], "
                        "weights: [5, 3, 2]}, got '" +
                            text + "'");
    c.mean = *v;
    return c;
  }
  MapReader r(node, path);
  const auto dist = r.choice("dist", {"fixed", "poisson", "empirical"});
  if (!dist) r.require("dist");
  if (*dist == "fixed") {
    const auto v = r.integer("value", 0, kMaxChildren);
    if (!v) r.require("value");
    c.mean = static_cast<double>(*v);
  } else if (*dist == "poisson") {
    c.kind = FanoutCount::Kind::kPoisson;
    const auto m = r.number("mean", 0, 500);
    if (!m) r.require("mean");
    if (*m <= 0) r.fail("mean", "a Poisson count needs mean > 0 (for none, write count: 0)");
    c.mean = *m;
  } else {
    c.kind = FanoutCount::Kind::kEmpirical;
    const ConfigNode& vals = r.require("values");
    if (!vals.is_sequence() || vals.items.empty())
      r.fail_at(vals, "values", "expected a non-empty list of counts (e.g. [0, 1, 4])");
    std::vector<double> w(vals.items.size(), 1.0);
    if (const ConfigNode* wn = r.get("weights")) {
      if (!wn->is_sequence() || wn->items.size() != vals.items.size())
        r.fail_at(*wn, "weights", "expected one weight per value");
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string& t = read_scalar(wn->items[i], r.key_path("weights"), "a weight");
        const auto v = parse_number(t);
        if (!v || *v <= 0)
          throw ConfigError(wn->items[i].mark, r.key_path("weights"),
                            "weights must be numbers > 0, got '" + t + "'");
        w[i] = *v;
      }
    }
    double total = 0, acc = 0, mean = 0;
    for (const double x : w) total += x;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const std::string& t = read_scalar(vals.items[i], r.key_path("values"), "a count");
      const auto v = parse_number(t);
      if (!v || *v != std::floor(*v) || *v < 0 || *v > kMaxChildren)
        throw ConfigError(vals.items[i].mark, r.key_path("values"),
                          "counts are whole numbers from 0 to 100000, got '" + t + "'");
      c.values.push_back(static_cast<std::uint32_t>(*v));
      c.cum_weights.push_back((acc += w[i]) / total);
      mean += *v * w[i] / total;
    }
    c.mean = mean;
  }
  r.finish();
  return c;
}

BrokerParams parse_broker(MapReader r, const CurveSet& curves) {
  BrokerParams b;
  const auto kind = r.choice("kind", {"kafka", "redis", "fused"});
  if (!kind) r.require("kind");
  r.string("source");
  if (*kind == "fused") {
    b.kind = BrokerKind::kFused;
    r.finish();
    return b;
  }
  // Defaults: docs/model.md ("Fan-out and message brokers") and docs/sources.md.
  const Time default_rtt = 50 * kMicrosecond;
  if (*kind == "redis") {
    b.kind = BrokerKind::kRedis;
    RedisParams& p = b.redis;
    p.op_cost.curve = Curve::affine(5000, {{CurveInput::kBytes, 0.3}});
    if (r.has("op_cost")) p.op_cost = parse_cost(r.child("op_cost"), curves);
    p.rtt = r.duration("rtt", true).value_or(default_rtt);
    if (auto n = r.integer("pipeline", 1, 1'000'000)) p.pipeline = static_cast<int>(*n);
    p.on_node_cpu = r.choice("cpu", {"dedicated", "node"}).value_or("dedicated") == "node";
    r.finish();
    return b;
  }
  b.kind = BrokerKind::kKafka;
  KafkaParams& p = b.kafka;
  if (auto v = r.quantity("batch_size", Dimension::kBytes)) p.batch_size = *v;
  // Kafka's own names take milliseconds as plain numbers; ours take durations.
  auto ms_alias = [&](const char* ours, const char* kafka, Time& out) {
    const auto d = r.duration(ours, true);
    const auto n = r.number(kafka, 0, 1e9);
    if (d && n) r.fail(kafka, std::string(kafka) + " is Kafka's name for " + ours + ": keep one");
    if (d) out = *d;
    if (n) out = sample_to_time(*n * 1e6);
  };
  ms_alias("linger", "linger_ms", p.linger);
  ms_alias("fetch_max_wait", "fetch_max_wait_ms", p.fetch_max_wait);
  if (auto v = r.quantity("fetch_min_bytes", Dimension::kBytes)) p.fetch_min_bytes = *v;
  if (auto n = r.integer("partitions", 1, 100'000)) p.partitions = static_cast<int>(*n);
  if (auto n = r.integer("consumers", 1, 100'000)) p.consumers = static_cast<int>(*n);
  if (auto n = r.integer("threads", 1, 10'000)) p.threads = static_cast<int>(*n);
  p.request_cost.curve = Curve::affine(50000, {{CurveInput::kBytes, 1.0}});
  if (r.has("request_cost")) p.request_cost = parse_cost(r.child("request_cost"), curves);
  p.rtt = r.duration("rtt", true).value_or(default_rtt);
  p.disk_bytes_per_s = 500e6;
  p.fsync_latency = kMillisecond;
  if (r.has("disk")) {
    MapReader d = r.child("disk");
    p.fsync = d.choice("sync", {"page_cache", "fsync"}).value_or("page_cache") == "fsync";
    if (auto bw = d.quantity("bandwidth", Dimension::kBandwidth)) p.disk_bytes_per_s = *bw;
    if (auto l = d.duration("fsync_latency", true)) p.fsync_latency = *l;
    d.string("source");
    d.finish();
  }
  r.finish();
  if (p.fetch_max_wait == 0 && p.rtt == 0 && p.request_cost.curve.mean_ns(CurveArgs{1, 0, 0}) <= 0)
    r.fail("fetch_max_wait",
           "with fetch_max_wait 0, rtt 0 and a free request, an idle consumer would fetch forever "
           "in one instant; give one of them a non-zero time");
  return b;
}

}  // namespace

FanoutParams parse_fanout(MapReader r, const CurveSet& curves) {
  FanoutParams f;
  f.count = parse_count(r.require("count"), r.key_path("count"));
  MapReader c = r.child("child");
  const auto w = c.integer("width", 1, 1'000'000);
  if (!w) c.require("width");
  const auto h = c.integer("height", 1, 1'000'000);
  if (!h) c.require("height");
  const auto bytes = c.quantity("bytes", Dimension::kBytes);
  if (!bytes) c.require("bytes");
  f.width = static_cast<int>(*w);
  f.height = static_cast<int>(*h);
  f.bytes = *bytes;
  c.string("source");
  c.finish();
  f.broker = parse_broker(r.child("broker"), curves);
  r.string("source");
  r.finish();
  return f;
}

namespace {

Json cost_json(const CostParams& c) {
  if (!c.curve_name.empty()) return {{"curve", c.curve_name}};
  return {{"a", shortest(c.curve.a_ns()) + "ns"},
          {"b", shortest(c.curve.slope_ns(CurveInput::kBytes)) + "ns"}};
}

}  // namespace

Json fanout_json(const FanoutParams& f) {
  Json j;
  const FanoutCount& c = f.count;
  switch (c.kind) {
    case FanoutCount::Kind::kFixed:
      j["count"] = static_cast<std::uint64_t>(c.mean);
      break;
    case FanoutCount::Kind::kPoisson:
      j["count"] = {{"dist", "poisson"}, {"mean", c.mean}};
      break;
    case FanoutCount::Kind::kEmpirical: {
      auto w = Json::array();
      double prev = 0;
      for (const double cw : c.cum_weights) {
        w.push_back(cw - prev);
        prev = cw;
      }
      j["count"] = {{"dist", "empirical"}, {"values", c.values}, {"weights", w}};
      break;
    }
  }
  j["child"] = {{"width", f.width}, {"height", f.height}, {"bytes", shortest(f.bytes) + "B"}};
  auto& b = j["broker"];
  b["kind"] = broker_name(f.broker.kind);
  const auto dur = [](Time t) { return t ? format_duration(t) : std::string("0s"); };
  if (f.broker.kind == BrokerKind::kRedis) {
    const RedisParams& r = f.broker.redis;
    b["op_cost"] = cost_json(r.op_cost);
    b["rtt"] = dur(r.rtt);
    b["pipeline"] = r.pipeline;
    b["cpu"] = r.on_node_cpu ? "node" : "dedicated";
  } else if (f.broker.kind == BrokerKind::kKafka) {
    const KafkaParams& k = f.broker.kafka;
    b["batch_size"] = shortest(k.batch_size) + "B";
    b["linger"] = dur(k.linger);
    b["fetch_min_bytes"] = shortest(k.fetch_min_bytes) + "B";
    b["fetch_max_wait"] = dur(k.fetch_max_wait);
    b["partitions"] = k.partitions;
    b["consumers"] = k.consumers;
    b["threads"] = k.threads;
    b["request_cost"] = cost_json(k.request_cost);
    b["rtt"] = dur(k.rtt);
    b["disk"] = {{"sync", k.fsync ? "fsync" : "page_cache"},
                 {"bandwidth", shortest(k.disk_bytes_per_s) + "B/s"},
                 {"fsync_latency", dur(k.fsync_latency)}};
  }
  return j;
}

}  // namespace servesim
