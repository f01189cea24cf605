// ShardService: work that runs on a shard's thread beside its partitions: the server's
// listeners and connections (server/), whose sockets share the shard's io_uring ring. The shard
// polls every attached service once per loop round; a parked shard wakes on the ring's
// completions (a service's socket and timer operations) and on Shard::wake().
//
// Thread-safety: every call comes from the shard's thread.
#pragma once

#include <cstddef>

namespace sluice::engine {

class ShardService {
 public:
  virtual ~ShardService() = default;
  // Does what is ready (completions are delivered by the ring itself, from the shard's poll);
  // returns the work done, 0 when there was none, so that a busy shard does not sleep.
  virtual size_t poll() = 0;
};

}  // namespace sluice::engine
