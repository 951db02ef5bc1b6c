#pragma once
/// Message brokers between a fan-out stage and its child stages (docs/model.md, "Fan-out and
/// message brokers"): Redis, one single-threaded server running every push and pop in FIFO
/// order; Kafka, producer batching per partition, a log append to the page cache or with an
/// fsync, and consumers' long-poll fetches. (`fused` has no broker: see FanOut.)

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/ring.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/cpu_pool.h"
#include "sim/model/engine.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/tracer.h"

namespace servesim {

/// Where a broker's consumers hand the children they took (the node's FanOut).
class BrokerConsumer {
 public:
  /// `children`, taken in this instant, go on to the first child stage.
  virtual void deliver(std::span<const RequestId> children) = 0;
  /// The producer read the last reply for one parent's pushes; `holder` is the fan-out stage
  /// instance that published them (with `client.wait_replies` it waits for this).
  virtual void replied(std::uint32_t holder) = 0;

 protected:
  ~BrokerConsumer() = default;
};

/// What a broker works with: the node's clock, its request records (children are chained through
/// them), its CPU (for a server on the node's cores) and whom it delivers to.
struct BrokerSetup {
  Simulator& sim;
  RequestPool& requests;
  Server& cpu;
  BrokerConsumer& consumer;
};

class Broker : public WorkOwner, public EventHandler {
 public:
  virtual ~Broker() = default;
  /// The children chained from `first` by Request::next_sibling are published now. Each is
  /// later handed to BrokerConsumer::deliver, alone or with others delivered in the same instant.
  virtual void publish(RequestId first) = 0;
  /// Its resources (appended to the node's), and their busy areas in the same order.
  virtual void describe(std::vector<ResourceInfo>& out) const = 0;
  virtual void busy_areas(Time now, std::vector<double>& out) const = 0;
  /// Its servers' jobs as spans on lanes of their own (nullptr: no tracing).
  virtual void trace_to(Tracer* t, std::uint32_t node) = 0;
  /// The network time a lone message spends (one way to the broker, one way to its consumer).
  virtual Time network() const = 0;
};

/// The broker of `p` (kafka or redis); `rng` draws the noise of its cost curves.
std::unique_ptr<Broker> make_broker(const BrokerSetup& on, const BrokerParams& p, Rng rng);

/// One job at a time, in FIFO order, each run on `under` (the node's CPU pool): a
/// single-threaded server process that shares the host's cores with everything else.
class SerialServer final : public Server, public WorkOwner {
 public:
  SerialServer(Simulator& sim, Server& under) : sim_(sim), under_(under) {}
  void submit(Time work, WorkOwner& owner, std::uint64_t token) override;
  double busy_area(Time now) const override { return busy_.area(now); }
  int servers() const override { return 1; }
  void work_done(std::uint64_t token) override;

 private:
  struct Job {
    Time work = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
  };
  void start();

  Simulator& sim_;
  Server& under_;
  Ring<Job> waiting_;
  bool running_ = false;
  int core_ = -1;  // the core its thread last ran on (node.cpu.scheduler: per_core)
  TimeIntegral busy_;
};

/// Redis: push = rtt/2 to the server, then a + b * bytes on its one worker; pop (consumers are
/// blocked in BRPOP, so it is queued as soon as the push ends) = a + b * bytes, then rtt/2 to the
/// consumer. A parent's pushes go `pipeline` per round trip, one round trip after the other.
/// With `client`: the producer's CPU for a group before it is sent, the consumer's CPU for a
/// message before it enters the first child stage, and the kernel's per message beside its path,
/// each a job on the node's CPU pool.
class RedisBroker final : public Broker {
 public:
  RedisBroker(const BrokerSetup& on, const RedisParams& p, Rng rng);
  void publish(RequestId first) override;
  void describe(std::vector<ResourceInfo>& out) const override;
  void busy_areas(Time now, std::vector<double>& out) const override;
  void trace_to(Tracer* t, std::uint32_t node) override;
  Time network() const override { return p_.rtt; }
  void work_done(std::uint64_t token) override;
  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  enum : std::uint32_t { kGroupArrives, kDeliver, kReply, kLastReply, kPopArrives };
  /// What a job of the server or of the node's CPU does (the low bits of its token).
  enum : std::uint64_t { kPush, kPop, kProduce, kConsume, kKernel, kJobKinds = 8 };
  Time cost(const CostParams& c, RequestId id);
  /// The producer builds and sends the group that starts at `first` (its CPU first, with
  /// `client.produce`); it reaches the server rtt/2 later.
  void send_group(RequestId first);

  static std::uint64_t token(RequestId id, std::uint64_t kind) { return id * kJobKinds + kind; }

  BrokerSetup on_;
  const RedisParams& p_;
  Rng rng_;
  FifoEngine own_core_;   // cpu: dedicated
  SerialServer on_node_;  // cpu: node
  Server& server_;        // the one of the two that runs the operations
};

/// Kafka: see docs/model.md for the timeline of a record.
class KafkaBroker final : public Broker {
 public:
  KafkaBroker(const BrokerSetup& on, const KafkaParams& p, Rng rng);
  void publish(RequestId first) override;
  void describe(std::vector<ResourceInfo>& out) const override;
  void busy_areas(Time now, std::vector<double>& out) const override;
  void trace_to(Tracer* t, std::uint32_t node) override;
  Time network() const override { return p_.rtt; }
  void work_done(std::uint64_t token) override;
  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  enum : std::uint32_t { kLinger, kProduceArrives, kFetchArrives, kFetchTimer, kDeliver };
  enum : std::uint64_t { kProduceCpu, kDiskWrite, kFetchCpu };
  struct Batch {  // records of one partition, chained by next_sibling
    RequestId first = kNoRequest, last = kNoRequest;
    double bytes = 0;
    std::uint32_t partition = 0;
    EventId linger;
  };
  struct Partition {
    std::uint32_t open = kNone;                      // the batch being filled
    RequestId head = kNoRequest, tail = kNoRequest;  // appended, not yet fetched
    double bytes = 0;
  };
  enum class Fetch : std::uint8_t { kTravelling, kWaiting, kAnswering };
  struct Consumer {
    Fetch state = Fetch::kTravelling;
    EventId timer;
    RequestId taken = kNoRequest;  // the records of the answer being prepared
  };
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  void add(RequestId id);
  void send(std::uint32_t batch);
  void append(std::uint32_t batch);
  double available(std::uint32_t consumer) const;
  void answer(std::uint32_t consumer);
  Time request_cost(double bytes);
  void add_work(RequestId first, Time t);

  BrokerSetup on_;
  const KafkaParams& p_;
  Rng rng_;
  FifoEngine cpu_, disk_;
  std::vector<Batch> batches_;
  std::vector<std::uint32_t> free_batches_;
  std::vector<Partition> partitions_;
  std::vector<Consumer> consumers_;
  std::uint32_t sticky_ = 0;  // the partition new records go to
  std::vector<RequestId> scratch_;
};

}  // namespace servesim
