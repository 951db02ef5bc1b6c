// A fan-out stage (`fanout`): how many children a request emits, their payload, and the broker
// between the fan-out stage and the stages the children run through.

#include <cmath>

#include "sim/scenario/sections.h"

namespace servesim {

namespace {

constexpr std::int64_t kMaxChildren = 100'000;

/// The round trip between a client and a broker on the same host, both brokers' default.
/// Defaults: docs/model.md ("Fan-out and message brokers") and docs/sources.md.
constexpr Time kBrokerRtt = 50 * kMicrosecond;

/// A broker operation's cost in ns: a whole number as a duration (5us), else in ns (0.3ns).
std::string cost_ns_text(double ns) {
  if (ns == std::floor(ns) && ns > 0 && ns < 1e15) return format_duration(static_cast<Time>(ns));
  return shortest(ns) + "ns";
}

/// A cost as the docs show a default: `{a: 5us, b: 0.3ns}`.
std::string cost_text(const CostParams& c) {
  return "`{a: " + cost_ns_text(c.curve.a_ns()) +
         ", b: " + cost_ns_text(c.curve.slope_ns(CurveInput::kBytes)) + "}`";
}

}  // namespace

const EnumNames<BrokerKind>& broker_kinds() {
  static const EnumNames<BrokerKind> names(kBrokerNames);
  return names;
}

const Table<FanoutParams>& fanout_keys() {
  static const std::string count_type =
      "integer 0.." + std::to_string(kMaxChildren) + ", or a map of the `count.` keys below";
  static const Table<FanoutParams> table{
      "",
      {},
      {
          {.key = "count",
           .type = custom_type(),
           .required = true,
           .help = "children per request (faces per frame): a fixed number, or drawn per request",
           .doc_type = count_type},
          {.key = "child",
           .type = custom_type(),
           .required = true,
           .help = "each child's payload (e.g. a 160x160x3 face crop: `{width: 160, height: 160, "
                   "bytes: 76800B}`)",
           .doc_type = "map of the `child.` keys below"},
          {.key = "broker",
           .type = custom_type(),
           .required = true,
           .help = "the broker, below",
           .doc_type = "map: `broker.kind` and the keys of that kind"},
          source_key<FanoutParams>(),
      }};
  return table;
}

const Table<FanoutCount>& count_keys() {
  using K = FanoutCount::Kind;
  static const EnumNames<K> kinds{
      {K::kFixed, "fixed"}, {K::kPoisson, "poisson"}, {K::kEmpirical, "empirical"}};
  static const std::string values_type =
      "non-empty list of integers 0.." + std::to_string(kMaxChildren);
  static const Table<FanoutCount> table{
      "count.",
      {},
      {
          {.key = "dist",
           .type = choice_type(),
           .at = {&FanoutCount::kind, kinds},
           .required = true,
           .help = "how the count is drawn, once per request"},
          {.key = "value",
           .type = integer_type(0, kMaxChildren),
           .at = {[](const FanoutCount& c) { return Value(static_cast<std::int64_t>(c.mean)); },
                  [](FanoutCount& c, const Value& v) {
                    c.mean = static_cast<double>(std::get<std::int64_t>(v));
                  }},
           .required = true,
           .help = "`fixed`: the count",
           .doc_default = "required for `fixed`"},
          {.key = "mean",
           .type = number_type(0, 500),
           .at = &FanoutCount::mean,
           .required = true,
           .help = "`poisson`: the mean count (for none, write `count: 0`)",
           .doc_type = "number in (0, 500]",
           .doc_default = "required for `poisson`"},
          {.key = "values",
           .type = custom_type(),
           .help = "`empirical`: the counts",
           .doc_type = values_type,
           .doc_default = "required for `empirical`"},
          {.key = "weights",
           .type = custom_type(),
           .help = "`empirical`: each value's relative frequency",
           .doc_type = "list of numbers > 0, one per value",
           .doc_default = "equal"},
      }};
  return table;
}

const Table<FanoutParams>& child_keys() {
  static const Table<FanoutParams> table{"child.",
                                         {},
                                         {
                                             {.key = "width",
                                              .type = integer_type(1, 1'000'000),
                                              .at = &FanoutParams::width,
                                              .required = true,
                                              .help = "pixels"},
                                             {.key = "height",
                                              .type = integer_type(1, 1'000'000),
                                              .at = &FanoutParams::height,
                                              .required = true,
                                              .help = "pixels"},
                                             {.key = "bytes",
                                              .type = quantity_type(Dimension::kBytes),
                                              .at = &FanoutParams::bytes,
                                              .required = true,
                                              .help = "the payload each child carries"},
                                             source_key<FanoutParams>(),
                                         }};
  return table;
}

const Table<BrokerParams>& broker_keys() {
  static const Table<BrokerParams> table{
      "broker.",
      {},
      {
          {.key = "kind",
           .type = choice_type(),
           .at = {&BrokerParams::kind, broker_kinds()},
           .required = true,
           .help = "the path between the fan-out stage and the child stages; `fused` takes no "
                   "other key, `redis` and `kafka` take the keys below"},
          source_key<BrokerParams>(),
      }};
  return table;
}

const Table<RedisParams>& redis_keys() {
  static const EnumNames<bool> cpus{{false, "dedicated"}, {true, "node"}};
  static const RedisParams defaults = [] {
    RedisParams p;
    p.op_cost.curve = Curve::affine(5000, {{CurveInput::kBytes, 0.3}});
    p.rtt = kBrokerRtt;
    return p;
  }();
  static const std::string op_cost_default = cost_text(defaults.op_cost);
  static const Table<RedisParams> table{
      "",
      defaults,
      {
          {.key = "op_cost",
           .type = custom_type(),
           .help = "server time of each push and each pop. a: redis-benchmark LPUSH 200,000/s, "
                   "LPOP 200,400/s on one Xeon X5670 core over a Unix socket "
                   "(gist.github.com/dspezia/1364675); b: assumption (see docs/sources.md)",
           .doc_type = "`{a: DURATION, b: DURATION}` (a + b x bytes; b per byte, fractions of a "
                       "ns allowed) or `{curve: NAME}` (a curve of `bytes`)",
           .doc_default = op_cost_default},
          {.key = "push_cost",
           .type = custom_type(),
           .help = "server time of each push instead of `op_cost`, e.g. measured with the "
                   "producer's pipelining (a pipelined group is read at once, so each push costs "
                   "less than one sent alone)",
           .doc_type = "as `op_cost`",
           .doc_default = "`op_cost`"},
          {.key = "rtt",
           .type = duration_type(true),
           .at = &RedisParams::rtt,
           .help = "client-server network round trip; assumption: TCP loopback on one host"},
          {.key = "pipeline",
           .type = integer_type(1, 1'000'000),
           .at = &RedisParams::pipeline,
           .help = "pushes per round trip (the producer's pipeline depth)"},
          {.key = "cpu",
           .type = choice_type(),
           .at = {&RedisParams::on_node_cpu, cpus},
           .help = "where the server's work runs: a core of its own, or the node's CPU pool, "
                   "sharing its cores with the stages (a redis-server on the same host; "
                   "docs/model.md)"},
          {.key = "client",
           .type = custom_type(),
           .help = "the DNN processes' side of each message, on the node's CPU pool: the "
                   "`client.` keys below",
           .doc_type = "map",
           .doc_default = "not charged"},
      }};
  return table;
}

const Table<BrokerClientParams>& redis_client_keys() {
  static const EnumNames<bool> waits{{false, "no"}, {true, "yes"}};
  static const Table<BrokerClientParams> table{
      "client.",
      BrokerClientParams{},
      {
          {.key = "produce",
           .type = custom_type(),
           .help = "the producer's CPU per push (build the LPUSH, write it, read its reply), "
                   "charged before each pipelined group is sent",
           .doc_type = "as `op_cost`",
           .doc_default = "not charged"},
          {.key = "consume",
           .type = custom_type(),
           .help = "the consumer's CPU per popped message (read and parse the BRPOP reply), "
                   "before it enters the first child stage",
           .doc_type = "as `op_cost`",
           .doc_default = "not charged"},
          {.key = "kernel",
           .type = custom_type(),
           .help = "the kernel's loopback TCP work per message (its push and its pop), on the "
                   "node's cores beside the message's path",
           .doc_type = "as `op_cost`",
           .doc_default = "not charged"},
          {.key = "wait_replies",
           .type = choice_type(),
           .at = {&BrokerClientParams::wait_replies, waits},
           .help = "`yes`: the fan-out stage's worker waits for its last reply (a synchronous "
                   "pipeline), so its instance is held until then"},
          source_key<BrokerClientParams>(),
      }};
  return table;
}

const Table<KafkaParams>& kafka_keys() {
  static const KafkaParams defaults = [] {
    KafkaParams p;
    p.request_cost.curve = Curve::affine(50000, {{CurveInput::kBytes, 1.0}});
    p.rtt = kBrokerRtt;
    p.disk_bytes_per_s = 500e6;
    p.fsync_latency = kMillisecond;
    return p;
  }();
  static const std::string request_cost_default = cost_text(defaults.request_cost);
  static const Table<KafkaParams> table{
      "",
      defaults,
      {
          {.key = "batch_size",
           .type = quantity_type(Dimension::kBytes),
           .at = &KafkaParams::batch_size,
           .help = "[batch.size], producer docs default 16384"},
          {.key = "linger",
           .type = duration_type(true),
           .at = &KafkaParams::linger,
           .help = "[linger.ms], Kafka >= 4.0 default 5 (KIP-1030); 0 before 4.0"},
          {.key = "linger_ms",
           .type = number_type(0, 1e9),
           .emit = Emit::kNever,
           .help = "Kafka's name for `linger`, a number of ms; not with `linger`"},
          {.key = "fetch_min_bytes",
           .type = quantity_type(Dimension::kBytes),
           .at = &KafkaParams::fetch_min_bytes,
           .help = "[fetch.min.bytes], consumer docs default 1"},
          {.key = "fetch_max_wait",
           .type = duration_type(true),
           .at = &KafkaParams::fetch_max_wait,
           .help = "[fetch.max.wait.ms], consumer docs default 500"},
          {.key = "fetch_max_wait_ms",
           .type = number_type(0, 1e9),
           .emit = Emit::kNever,
           .help = "Kafka's name for `fetch_max_wait`, a number of ms; not with `fetch_max_wait`"},
          {.key = "partitions",
           .type = integer_type(1, 100'000),
           .at = &KafkaParams::partitions,
           .help = "the topic's partitions [num.partitions default 1]"},
          {.key = "consumers",
           .type = integer_type(1, 100'000),
           .at = &KafkaParams::consumers,
           .help = "consumers in the group; partition p goes to consumer p mod consumers"},
          {.key = "threads",
           .type = integer_type(1, 10'000),
           .at = &KafkaParams::threads,
           .help = "broker request-handler threads [num.io.threads default 8]"},
          {.key = "request_cost",
           .type = custom_type(),
           .help = "broker CPU per produce or fetch request, of its bytes; assumption",
           .doc_type = "as `op_cost`",
           .doc_default = request_cost_default},
          {.key = "rtt",
           .type = duration_type(true),
           .at = &KafkaParams::rtt,
           .help = "client-broker round trip; assumption"},
          {.key = "disk",
           .type = custom_type(),
           .help = "the log's disk, the `disk.` keys below",
           .doc_type = "map",
           .doc_default = "page cache"},
      }};
  return table;
}

const Table<KafkaParams>& disk_keys() {
  static const EnumNames<bool> syncs{{false, "page_cache"}, {true, "fsync"}};
  static const Table<KafkaParams> table{
      "disk.",
      kafka_keys().defaults,
      {
          {.key = "sync",
           .type = choice_type(),
           .at = {&KafkaParams::fsync, syncs},
           .help = "[log.flush.interval.messages default Long.MAX_VALUE: no fsync]; `fsync`: "
                   "every batch"},
          {.key = "bandwidth",
           .type = quantity_type(Dimension::kBandwidth),
           .at = &KafkaParams::disk_bytes_per_s,
           .help = "sequential write, `fsync` only; assumption (a SATA SSD)"},
          {.key = "fsync_latency",
           .type = duration_type(true),
           .at = &KafkaParams::fsync_latency,
           .help = "per batch, `fsync` only; assumption"},
          source_key<KafkaParams>(),
      }};
  return table;
}

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

/// The form `{dist: empirical, values: [...], weights: [...]}` of a count.
void parse_empirical_count(MapReader& r, FanoutCount& c) {
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

/// A bare count, or a map of the count keys (the form its `dist` names).
FanoutCount parse_count(const ConfigNode& node, const std::string& path) {
  FanoutCount c;
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
  const Table<FanoutCount>& keys = count_keys();
  read_key(r, keys, "dist", c);
  switch (c.kind) {
    case FanoutCount::Kind::kFixed:
      read_key(r, keys, "value", c);
      break;
    case FanoutCount::Kind::kPoisson:
      read_key(r, keys, "mean", c);
      if (c.mean <= 0) r.fail("mean", "a Poisson count needs mean > 0 (for none, write count: 0)");
      break;
    case FanoutCount::Kind::kEmpirical:
      parse_empirical_count(r, c);
      break;
  }
  r.finish();
  return c;
}

/// `linger` or `fetch_max_wait`, which Kafka's own name (`linger_ms`) gives as a number of ms.
void read_ms_alias(MapReader& r, std::string_view ours, std::string_view kafka, KafkaParams& p,
                   Time KafkaParams::*out) {
  const bool d = read_key(r, kafka_keys(), ours, p);
  const Value n = read_row(r, kafka_keys(), kafka);
  const bool has_n = !std::holds_alternative<std::monostate>(n);
  if (d && has_n)
    r.fail(kafka, std::string(kafka) + " is Kafka's name for " + std::string(ours) + ": keep one");
  if (has_n) p.*out = sample_to_time(std::get<double>(n) * 1e6);
}

void parse_kafka(MapReader& r, const CurveSet& curves, KafkaParams& p) {
  const Table<KafkaParams>& keys = kafka_keys();
  p = keys.defaults;
  read_key(r, keys, "batch_size", p);
  read_ms_alias(r, "linger", "linger_ms", p, &KafkaParams::linger);
  read_ms_alias(r, "fetch_max_wait", "fetch_max_wait_ms", p, &KafkaParams::fetch_max_wait);
  for (const char* k : {"fetch_min_bytes", "partitions", "consumers", "threads"})
    read_key(r, keys, k, p);
  if (r.has("request_cost")) p.request_cost = parse_cost(r.child("request_cost"), curves);
  read_key(r, keys, "rtt", p);
  if (r.has("disk")) {
    MapReader d = r.child("disk");
    read_keys(d, disk_keys(), p);
    d.finish();
  }
  r.finish();
  if (p.fetch_max_wait == 0 && p.rtt == 0 && p.request_cost.curve.mean_ns(CurveArgs{1, 0, 0}) <= 0)
    r.fail("fetch_max_wait",
           "with fetch_max_wait 0, rtt 0 and a free request, an idle consumer would fetch forever "
           "in one instant; give one of them a non-zero time");
}

void parse_redis_client(MapReader r, const CurveSet& curves, BrokerClientParams& c) {
  read_keys(r, redis_client_keys(), c, [&](std::string_view key) {
    if (!r.has(key)) return;
    const bool produce = key == "produce", consume = key == "consume";
    (produce ? c.has_produce : consume ? c.has_consume : c.has_kernel) = true;
    (produce ? c.produce : consume ? c.consume : c.kernel) = parse_cost(r.child(key), curves);
  });
  r.finish();
}

BrokerParams parse_broker(MapReader r, const CurveSet& curves) {
  BrokerParams b;
  read_keys(r, broker_keys(), b);
  switch (b.kind) {
    case BrokerKind::kFused:
      r.finish();
      break;
    case BrokerKind::kRedis:
      b.redis = redis_keys().defaults;
      read_keys(r, redis_keys(), b.redis, [&](std::string_view key) {
        if (key == "op_cost" && r.has("op_cost")) {
          b.redis.op_cost = parse_cost(r.child("op_cost"), curves);
        } else if (key == "push_cost" && r.has("push_cost")) {
          b.redis.push_cost = parse_cost(r.child("push_cost"), curves);
          b.redis.has_push_cost = true;
        } else if (key == "client" && r.has("client")) {
          parse_redis_client(r.child("client"), curves, b.redis.client);
        }
      });
      r.finish();
      break;
    case BrokerKind::kKafka:
      parse_kafka(r, curves, b.kafka);
      break;
  }
  return b;
}

}  // namespace

FanoutParams parse_fanout(MapReader r, const CurveSet& curves) {
  FanoutParams f;
  read_keys(r, fanout_keys(), f, [&](std::string_view key) {
    if (key == "count") {
      f.count = parse_count(r.require("count"), r.key_path("count"));
    } else if (key == "child") {
      MapReader c = r.child("child");
      read_keys(c, child_keys(), f);
      c.finish();
    } else {
      f.broker = parse_broker(r.child("broker"), curves);
    }
  });
  r.finish();
  return f;
}

namespace {

Json cost_json(const CostParams& c) {
  if (!c.curve_name.empty()) return {{"curve", c.curve_name}};
  return {{"a", shortest(c.curve.a_ns()) + "ns"},
          {"b", shortest(c.curve.slope_ns(CurveInput::kBytes)) + "ns"}};
}

Json count_json(const FanoutCount& c) {
  const Table<FanoutCount>& keys = count_keys();
  if (c.kind == FanoutCount::Kind::kFixed) return static_cast<std::uint64_t>(c.mean);
  Json j;
  emit_key(j, keys, "dist", c);
  if (c.kind == FanoutCount::Kind::kPoisson) {
    emit_key(j, keys, "mean", c);
    return j;
  }
  auto w = Json::array();
  double prev = 0;
  for (const double cw : c.cum_weights) {
    w.push_back(cw - prev);
    prev = cw;
  }
  j["values"] = c.values;
  j["weights"] = w;
  return j;
}

Json broker_json(const BrokerParams& b) {
  Json j;
  emit_keys(j, broker_keys(), b);
  if (b.kind == BrokerKind::kRedis) {
    emit_keys(j, redis_keys(), b.redis, [&](std::string_view key) {
      if (key == "op_cost" || key == "push_cost") {
        if (key == "op_cost" || b.redis.has_push_cost)
          j[std::string(key)] = cost_json(key == "op_cost" ? b.redis.op_cost : b.redis.push_cost);
        return;
      }
      const BrokerClientParams& c = b.redis.client;
      if (!c.has_produce && !c.has_consume && !c.has_kernel && !c.wait_replies) return;
      Json cj;
      emit_keys(cj, redis_client_keys(), c, [&](std::string_view k) {
        if (k == "produce" && c.has_produce) cj["produce"] = cost_json(c.produce);
        if (k == "consume" && c.has_consume) cj["consume"] = cost_json(c.consume);
        if (k == "kernel" && c.has_kernel) cj["kernel"] = cost_json(c.kernel);
      });
      j["client"] = cj;
    });
  } else if (b.kind == BrokerKind::kKafka) {
    emit_keys(j, kafka_keys(), b.kafka, [&](std::string_view key) {
      if (key == "request_cost") {
        j["request_cost"] = cost_json(b.kafka.request_cost);
      } else {
        Json d;
        emit_keys(d, disk_keys(), b.kafka);
        j["disk"] = d;
      }
    });
  }
  return j;
}

}  // namespace

Json fanout_json(const FanoutParams& f) {
  Json j;
  emit_keys(j, fanout_keys(), f, [&](std::string_view key) {
    if (key == "count") {
      j["count"] = count_json(f.count);
    } else if (key == "child") {
      Json c;
      emit_keys(c, child_keys(), f);
      j["child"] = c;
    } else {
      j["broker"] = broker_json(f.broker);
    }
  });
  return j;
}

}  // namespace servesim
