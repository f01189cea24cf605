// Server: sluiced's listeners and connections on the engine's shards. Each shard gets its own
// Kafka and HTTP listener on the configured ports (SO_REUSEPORT: the kernel spreads the
// connections) and serves the connections it accepted on its own thread and ring; requests for
// partitions of other shards travel through the shard-to-shard rings (the shard's producers'
// channels) and the any-thread query path.
//
// Sessions are made by factories, so that the same transport carries Kafka, HTTP, and the test
// sessions of tests/server/.
//
// Thread-safety: start, stop and the accessors from one controlling thread (not a shard's).
#pragma once

#include "server/server_options.h"
#include "server/session.h"

#include <sluice/engine.h>
#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sluice::server {

struct Metrics;
class Offloader;
class ShardContext;
class ShardServer;

// Makes the session of a new connection on the shard thread; `peer` names the client
// ("127.0.0.1:53412").
using SessionFactory =
    std::function<std::shared_ptr<Session>(ShardContext& context, const std::string& peer)>;

struct SessionFactories {
  SessionFactory kafka;  // empty: no Kafka listener
  SessionFactory http;   // empty: no HTTP listener
};

class Server {
 public:
  // Binds the listeners (errors: busy when a port is taken, invalid_argument / not_found for a
  // bad host) and attaches a shard server to every shard of the engine, which must outlive the
  // server.
  static Result<std::unique_ptr<Server>> start(Engine& engine, const ServerOptions& options,
                                               SessionFactories factories);
  // stop(), if not done yet.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound ports (useful with port 0).
  uint16_t kafka_port() const { return kafka_port_; }
  uint16_t http_port() const { return http_port_; }
  Metrics& metrics() { return *metrics_; }

  // Stops accepting and reading, lets requests in flight complete and their responses go out
  // (at most `grace`; connections still busy then are cut), then detaches from the shards and
  // flushes the server's producers. The engine keeps running.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

 private:
  Server(Engine& engine, const ServerOptions& options);

  Engine& engine_;
  ServerOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Offloader> offloader_;
  std::vector<std::unique_ptr<ShardContext>> contexts_;
  std::vector<std::unique_ptr<ShardServer>> shard_servers_;
  uint16_t kafka_port_ = 0;
  uint16_t http_port_ = 0;
  bool stopped_ = false;
};

}  // namespace sluice::server
