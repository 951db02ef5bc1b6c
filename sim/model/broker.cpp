#include "sim/model/broker.h"

#include <cassert>

namespace servesim {

std::unique_ptr<Broker> make_broker(const BrokerSetup& on, const BrokerParams& p, Rng rng) {
  switch (p.kind) {
    case BrokerKind::kRedis:
      return std::make_unique<RedisBroker>(on, p.redis, rng);
    case BrokerKind::kKafka:
      return std::make_unique<KafkaBroker>(on, p.kafka, rng);
    case BrokerKind::kFused:
      break;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Redis

void SerialServer::submit(Time work, WorkOwner& owner, std::uint64_t token) {
  waiting_.push({work, &owner, token});
  if (!running_) start();
}

void SerialServer::start() {
  running_ = true;
  busy_.set(sim_.now(), 1);
  under_.submit_from(waiting_.front().work, *this, 0, core_);  // one server thread
}

void SerialServer::work_done(std::uint64_t) {
  const Job done = waiting_.pop();
  running_ = false;
  busy_.set(sim_.now(), 0);
  if (!waiting_.empty()) start();
  done.owner->work_done(done.token);
}

RedisBroker::RedisBroker(const BrokerSetup& on, const RedisParams& p, Rng rng)
    : on_(on),
      p_(p),
      rng_(rng),
      own_core_(on.sim, 1, 1.0),
      on_node_(on.sim, on.cpu),
      server_(p.on_node_cpu ? static_cast<Server&>(on_node_) : own_core_) {}

Time RedisBroker::cost(const CostParams& c, RequestId id) {
  const Request& r = on_.requests[id];
  return sample_to_time(c.curve.sample_ns(CurveArgs{1, r.pixels, r.bytes}, rng_));
}

void RedisBroker::publish(RequestId first) { send_group(first); }

void RedisBroker::send_group(RequestId first) {
  if (!p_.client.has_produce) {
    on_.sim.schedule_in(p_.rtt / 2, *this, kGroupArrives, first);
    return;
  }
  // One job for the group: the producer formats its pushes and writes them in one go.
  Time work = 0;
  RequestId c = first;
  for (int k = 0; k < p_.pipeline && c != kNoRequest; ++k, c = on_.requests[c].next_sibling) {
    const Time t = cost(p_.client.produce, c);
    on_.requests[c].broker_work += t;
    work += t;
  }
  on_.cpu.submit(work, *this, token(first, kProduce));
}

void RedisBroker::on_event(std::uint32_t kind, std::uint64_t arg) {
  const auto id = static_cast<RequestId>(arg);
  switch (kind) {
    case kDeliver:
      on_.consumer.deliver(std::span<const RequestId>(&id, 1));
      return;
    case kPopArrives: {  // the consumer reads and parses the popped message
      const Time t = cost(p_.client.consume, id);
      on_.requests[id].broker_work += t;
      on_.cpu.submit(t, *this, token(id, kConsume));
      return;
    }
    case kReply:  // the producer read a group's reply: the next group goes (`id` is its first)
      send_group(id);
      return;
    case kLastReply:  // the producer read its last reply: its worker goes on
      on_.consumer.replied(static_cast<std::uint32_t>(arg));
      return;
    default:
      break;
  }
  // A pipelined group of pushes reaches the server: each is an operation on its one worker.
  RequestId c = id;
  for (int k = 0; k < p_.pipeline && c != kNoRequest; ++k) {
    const Time t = cost(p_.has_push_cost ? p_.push_cost : p_.op_cost, c);
    on_.requests[c].broker_work += t;
    server_.submit(t, *this, token(c, kPush));
    if (p_.client.has_kernel) on_.cpu.submit(cost(p_.client.kernel, c), *this, token(c, kKernel));
    c = on_.requests[c].next_sibling;
  }
}

void RedisBroker::work_done(std::uint64_t tok) {
  const auto id = static_cast<RequestId>(tok / kJobKinds);
  switch (tok % kJobKinds) {
    case kProduce:
      on_.sim.schedule_in(p_.rtt / 2, *this, kGroupArrives, id);
      return;
    case kConsume:
      on_.consumer.deliver(std::span<const RequestId>(&id, 1));
      return;
    case kKernel:
      return;
    case kPop:  // the pop ended: the message travels to its consumer
      on_.sim.schedule_in(p_.rtt - p_.rtt / 2, *this,
                          p_.client.has_consume ? kPopArrives : kDeliver, id);
      return;
    default:
      break;
  }
  const Request& r = on_.requests[id];
  const bool last_of_group = (r.seq + 1) % static_cast<std::uint32_t>(p_.pipeline) == 0;
  const bool waits = p_.client.has_produce || p_.client.wait_replies;
  if (waits && r.next_sibling == kNoRequest) {
    // The last group's reply returns to the producer (the message may be gone by then: the
    // event carries what the producer needs).
    on_.sim.schedule_in(p_.rtt - p_.rtt / 2, *this, kLastReply, r.holder);
  } else if (waits && last_of_group) {
    // The group's reply returns to the producer, who reads it before it sends the next.
    on_.sim.schedule_in(p_.rtt - p_.rtt / 2, *this, kReply, r.next_sibling);
  } else if (last_of_group && r.next_sibling != kNoRequest) {
    // Its reply returns, the next group goes (rtt/2 back, rtt/2 out again).
    on_.sim.schedule_in(p_.rtt, *this, kGroupArrives, r.next_sibling);
  }
  // A consumer blocked in BRPOP is served as soon as the push lands.
  const Time t = cost(p_.op_cost, id);
  on_.requests[id].broker_work += t;
  server_.submit(t, *this, token(id, kPop));
}

void RedisBroker::describe(std::vector<ResourceInfo>& out) const {
  out.push_back({"redis.server", 1, "", 0, 0});
}

void RedisBroker::busy_areas(Time now, std::vector<double>& out) const {
  out.push_back(server_.busy_area(now));
}

void RedisBroker::trace_to(Tracer* t, std::uint32_t node) {
  own_core_.trace_to(t, node, "redis");  // on the node's CPU, its work is in the CPU's lanes
}

// ---------------------------------------------------------------------------------------------
// Kafka

KafkaBroker::KafkaBroker(const BrokerSetup& on, const KafkaParams& p, Rng rng)
    : on_(on),
      p_(p),
      rng_(rng),
      cpu_(on.sim, p.threads, 1.0),
      disk_(on.sim, 1, 1.0),
      partitions_(static_cast<std::size_t>(p.partitions)),
      consumers_(static_cast<std::size_t>(p.consumers)) {
  // Every consumer starts with a fetch on its way to the broker.
  for (std::uint32_t c = 0; c < consumers_.size(); ++c)
    on.sim.schedule_in(p.rtt / 2, *this, kFetchArrives, c);
}

Time KafkaBroker::request_cost(double bytes) {
  return sample_to_time(p_.request_cost.curve.sample_ns(CurveArgs{1, 0, bytes}, rng_));
}

void KafkaBroker::add_work(RequestId first, Time t) {
  for (RequestId c = first; c != kNoRequest; c = on_.requests[c].next_sibling)
    on_.requests[c].broker_work += t;
}

void KafkaBroker::publish(RequestId first) {
  // The records are re-chained by batch, so read each one's sibling before adding it.
  for (RequestId id = first; id != kNoRequest;) {
    const RequestId next = on_.requests[id].next_sibling;
    on_.requests[id].next_sibling = kNoRequest;
    add(id);
    id = next;
  }
}

void KafkaBroker::add(RequestId id) {
  const double bytes = on_.requests[id].bytes;
  // Sticky partitioning: records fill one partition's batch until it is sent.
  if (const std::uint32_t open = partitions_[sticky_].open;
      open != kNone && batches_[open].bytes + bytes > p_.batch_size)
    send(open);  // the record does not fit: the full batch goes, the record starts the next
  Partition& part = partitions_[sticky_];
  if (part.open == kNone) {
    std::uint32_t b;
    if (free_batches_.empty()) {
      b = static_cast<std::uint32_t>(batches_.size());
      batches_.emplace_back();
    } else {
      b = free_batches_.back();
      free_batches_.pop_back();
    }
    batches_[b] = Batch{kNoRequest, kNoRequest, 0, sticky_, {}};
    // linger 0 still lets the records published in this instant join (an event at `now`).
    batches_[b].linger = on_.sim.schedule_in(p_.linger, *this, kLinger, b);
    part.open = b;
  }
  const std::uint32_t b = part.open;
  Batch& batch = batches_[b];
  if (batch.last == kNoRequest) {
    batch.first = id;
  } else {
    on_.requests[batch.last].next_sibling = id;
  }
  batch.last = id;
  batch.bytes += bytes;
  if (batch.bytes >= p_.batch_size) send(b);
}

void KafkaBroker::send(std::uint32_t b) {
  Batch& batch = batches_[b];
  on_.sim.cancel(batch.linger);
  partitions_[batch.partition].open = kNone;
  if (batch.partition == sticky_)
    sticky_ = (sticky_ + 1) % static_cast<std::uint32_t>(p_.partitions);
  on_.sim.schedule_in(p_.rtt / 2, *this, kProduceArrives, b);
}

void KafkaBroker::append(std::uint32_t b) {
  const Batch batch = batches_[b];
  free_batches_.push_back(b);
  Partition& part = partitions_[batch.partition];
  if (part.tail == kNoRequest) {
    part.head = batch.first;
  } else {
    on_.requests[part.tail].next_sibling = batch.first;
  }
  part.tail = batch.last;
  part.bytes += batch.bytes;
  const std::uint32_t c = batch.partition % static_cast<std::uint32_t>(p_.consumers);
  Consumer& con = consumers_[c];
  if (con.state == Fetch::kWaiting && available(c) >= p_.fetch_min_bytes) {
    on_.sim.cancel(con.timer);
    answer(c);
  }
}

double KafkaBroker::available(std::uint32_t c) const {
  double bytes = 0;
  for (std::size_t p = c; p < partitions_.size(); p += consumers_.size())
    bytes += partitions_[p].bytes;
  return bytes;
}

void KafkaBroker::answer(std::uint32_t c) {
  // The fetch takes every appended record of the consumer's partitions (fetch.max.bytes and
  // max.partition.fetch.bytes are not modelled).
  Consumer& con = consumers_[c];
  con.state = Fetch::kAnswering;
  RequestId head = kNoRequest, tail = kNoRequest;
  double bytes = 0;
  for (std::size_t p = c; p < partitions_.size(); p += consumers_.size()) {
    Partition& part = partitions_[p];
    if (part.head == kNoRequest) continue;
    if (tail == kNoRequest) {
      head = part.head;
    } else {
      on_.requests[tail].next_sibling = part.head;
    }
    tail = part.tail;
    bytes += part.bytes;
    part = Partition{part.open, kNoRequest, kNoRequest, 0};
  }
  con.taken = head;
  const Time t = request_cost(bytes);
  add_work(head, t);
  cpu_.submit(t, *this, (std::uint64_t{c} << 2) | kFetchCpu);
}

void KafkaBroker::on_event(std::uint32_t kind, std::uint64_t arg) {
  const auto i = static_cast<std::uint32_t>(arg);
  switch (kind) {
    case kLinger:
      send(i);
      return;
    case kProduceArrives: {
      const Time t = request_cost(batches_[i].bytes);
      add_work(batches_[i].first, t);
      cpu_.submit(t, *this, (std::uint64_t{i} << 2) | kProduceCpu);
      return;
    }
    case kFetchArrives:
      if (available(i) >= p_.fetch_min_bytes) {
        answer(i);
      } else {
        consumers_[i].state = Fetch::kWaiting;
        consumers_[i].timer = on_.sim.schedule_in(p_.fetch_max_wait, *this, kFetchTimer, i);
      }
      return;
    case kFetchTimer:
      answer(i);
      return;
    case kDeliver: {
      scratch_.clear();
      for (RequestId c = i; c != kNoRequest; c = on_.requests[c].next_sibling)
        scratch_.push_back(c);
      for (const RequestId c : scratch_) on_.requests[c].next_sibling = kNoRequest;
      on_.consumer.deliver(scratch_);
      return;
    }
  }
  assert(false && "unknown kafka event");
}

void KafkaBroker::work_done(std::uint64_t token) {
  const auto i = static_cast<std::uint32_t>(token >> 2);
  switch (token & 3) {
    case kProduceCpu:
      if (p_.fsync) {  // the batch is written and synced before it can be fetched
        const Batch& b = batches_[i];
        const Time t = p_.fsync_latency + sample_to_time(b.bytes / p_.disk_bytes_per_s * 1e9);
        add_work(b.first, t);
        disk_.submit(t, *this, (std::uint64_t{i} << 2) | kDiskWrite);
      } else {
        append(i);
      }
      return;
    case kDiskWrite:
      append(i);
      return;
    case kFetchCpu: {  // the answer travels back; the consumer's next fetch follows it
      Consumer& con = consumers_[i];
      if (con.taken != kNoRequest)
        on_.sim.schedule_in(p_.rtt - p_.rtt / 2, *this, kDeliver, con.taken);
      con.taken = kNoRequest;
      con.state = Fetch::kTravelling;
      on_.sim.schedule_in(p_.rtt, *this, kFetchArrives, i);
      return;
    }
  }
  assert(false && "unknown kafka job");
}

void KafkaBroker::describe(std::vector<ResourceInfo>& out) const {
  out.push_back({"kafka.cpu", static_cast<double>(p_.threads), "", 0, 0});
  out.push_back({"kafka.disk", 1, "", 0, 0});
}

void KafkaBroker::busy_areas(Time now, std::vector<double>& out) const {
  out.push_back(cpu_.busy_area(now));
  out.push_back(disk_.busy_area(now));
}

void KafkaBroker::trace_to(Tracer* t, std::uint32_t node) {
  cpu_.trace_to(t, node, "kafka cpu");
  disk_.trace_to(t, node, "kafka disk");
}

}  // namespace servesim
