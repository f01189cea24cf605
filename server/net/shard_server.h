// ShardServer: the server's part of one shard (an engine::ShardService): its listeners, the
// connections they accepted, and a timer that keeps a parked shard polling while requests wait
// for something only time brings (a long-poll deadline, a group's rebalance).
//
// Thread-safety: poll() and the control calls run on the shard thread (the Server sends the
// control calls through Shard::run).
#pragma once

#include "engine/shard_service.h"
#include "io/file_system.h"
#include "server/net/connection.h"
#include "server/net/listener.h"
#include "server/server.h"
#include "server/shard_context.h"

#include <memory>
#include <vector>

namespace sluice::server {

class ShardServer : public engine::ShardService {
 public:
  // Listener descriptors (-1: none) are owned from here on.
  ShardServer(ShardContext& context, int kafka_fd, int http_fd, SessionFactories factories);
  ~ShardServer() override;

  size_t poll() override;

  // ---- Control (shard thread) ----
  // Stops the listeners and stops reading on every connection; requests in flight go on.
  void stop_input();
  // Cuts every connection still open.
  void abort_connections();
  // True when nothing is left: listeners and connections finished, no timer in flight.
  bool idle() const;
  size_t connection_count() const { return connections_.size(); }

 private:
  void accept(int fd, const SessionFactory& factory, size_t max_input_bytes);
  void arm_timer();
  static void on_timer(io::IoOp& op, Result<uint64_t> result);

  ShardContext& context_;
  SessionFactories factories_;
  std::unique_ptr<Listener> kafka_listener_;
  std::unique_ptr<Listener> http_listener_;
  std::vector<std::unique_ptr<Connection>> connections_;
  io::IoOp timer_op_;
  bool timer_in_flight_ = false;
  bool stopping_ = false;
};

}  // namespace sluice::server
