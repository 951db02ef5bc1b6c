// The cluster's request store and the nodes' pools drawn from it: ids unique across the nodes,
// trace ids and live counts per node, records fresh on reuse and never moved as the store grows.
#include <catch2/catch.hpp>

#include <cstddef>
#include <set>
#include <vector>

#include "sim/model/request.h"

namespace servesim {

TEST_CASE("two nodes' pools share one store: ids unique, trace ids and live counts per node",
          "[unit]") {
  RequestStore store;
  RequestPool a(store), b(store);
  const RequestId a1 = a.acquire(), b1 = b.acquire(), a2 = a.acquire();
  CHECK(std::set<RequestId>{a1, b1, a2}.size() == 3);
  CHECK(a[a1].trace_id == 1);
  CHECK(b[b1].trace_id == 1);  // each node names its requests 1, 2, ... as it did alone
  CHECK(a[a2].trace_id == 2);
  CHECK(a.live() == 2);
  CHECK(b.live() == 1);
  // A record node a frees is node b's next, fresh (every field its default) but for its trace id.
  a[a1].bytes = 5;
  a[a1].parent = 7;
  a.release(a1);
  CHECK(a.live() == 1);
  const RequestId b2 = b.acquire();
  CHECK(b2 == a1);
  CHECK(b[b2].bytes == 0);
  CHECK(b[b2].parent == kNoRequest);
  CHECK(b[b2].trace_id == 2);
  CHECK(b.live() == 2);
}

TEST_CASE("request store: records stay where they are as the store grows past its blocks",
          "[unit]") {
  RequestStore store;
  RequestPool pool(store);
  std::vector<Request*> at;
  for (int i = 0; i < 1000; ++i) {  // 16 blocks of 64 and some
    const RequestId id = pool.acquire();
    CHECK(id == static_cast<RequestId>(i));  // an empty free list hands out the next new record
    pool[id].stage = static_cast<std::uint32_t>(i);
    at.push_back(&pool[id]);
  }
  for (std::size_t i = 0; i < at.size(); ++i) {
    CHECK(&pool[static_cast<RequestId>(i)] == at[i]);
    CHECK(at[i]->stage == i);
  }
}

}  // namespace servesim
