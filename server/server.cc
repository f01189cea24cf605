#include "server/server.h"

#include "engine/engine_impl.h"
#include "engine/shard.h"
#include "io/assert.h"
#include "io/socket.h"
#include "server/metrics.h"
#include "server/net/shard_server.h"
#include "server/offloader.h"
#include "server/shard_context.h"

#include <thread>

namespace sluice::server {
namespace {

// Listeners for every shard on one port: the first binds (perhaps port 0), the rest join it.
Result<std::vector<int>> listen_all(const Endpoint& endpoint, uint32_t shards,
                                    uint16_t* bound_port) {
  std::vector<int> fds;
  io::ListenOptions options;
  options.reuse_port = true;
  io::HostPort address{endpoint.host, endpoint.port};
  // Joining a group of SO_REUSEPORT listeners that another process holds would split the
  // connections between the two servers without a word: refuse a taken port first.
  if (address.port != 0) SLUICE_TRY(io::check_port_free(address));
  for (uint32_t i = 0; i < shards; ++i) {
    Result<int> fd = io::listen_tcp(address, options);
    if (!fd.ok()) {
      for (int open : fds)
        io::close_socket(open);
      return fd.error();
    }
    fds.push_back(*fd);
    if (i == 0) {
      Result<uint16_t> port = io::local_port(*fd);
      if (!port.ok()) {
        io::close_socket(*fd);
        return port.error();
      }
      address.port = *port;
      *bound_port = *port;
    }
  }
  return fds;
}

}  // namespace

Server::Server(Engine& engine, const ServerOptions& options)
    : engine_(engine),
      options_(options),
      metrics_(std::make_unique<Metrics>()),
      offloader_(std::make_unique<Offloader>()) {}

Result<std::unique_ptr<Server>> Server::start(Engine& engine, const ServerOptions& options,
                                              SessionFactories factories) {
  std::unique_ptr<Server> server(new Server(engine, options));
  const uint32_t shards = engine.shard_count();
  std::vector<int> kafka_fds(shards, -1);
  std::vector<int> http_fds(shards, -1);
  if (factories.kafka && options.kafka_enabled) {
    Result<std::vector<int>> fds = listen_all(options.kafka, shards, &server->kafka_port_);
    if (!fds.ok()) {
      return Error(fds.code(), "Kafka listener: " + fds.error().message());
    }
    kafka_fds = std::move(*fds);
  }
  if (factories.http && options.http_enabled) {
    Result<std::vector<int>> fds = listen_all(options.http, shards, &server->http_port_);
    if (!fds.ok()) {
      for (int fd : kafka_fds)
        if (fd >= 0) io::close_socket(fd);
      return Error(fds.code(), "HTTP listener: " + fds.error().message());
    }
    http_fds = std::move(*fds);
  }
  // Metadata and FindCoordinator send clients here.
  std::string broker_host = options.advertised_host;
  if (broker_host.empty()) {
    broker_host = options.kafka.host;
    if (broker_host == "0.0.0.0" || broker_host == "::" || broker_host.empty()) {
      broker_host = "127.0.0.1";
    }
  }
  const int32_t broker_port =
      options.advertised_port != 0 ? options.advertised_port : server->kafka_port_;
  for (uint32_t i = 0; i < shards; ++i) {
    engine::Shard& shard = engine.impl().shard(i);
    server->contexts_.push_back(std::make_unique<ShardContext>(
        engine, shard, *server->offloader_, *server->metrics_, server->options_));
    server->contexts_.back()->set_broker(broker_host, broker_port);
    server->shard_servers_.push_back(std::make_unique<ShardServer>(
        *server->contexts_.back(), kafka_fds[i], http_fds[i], factories));
  }
  for (uint32_t i = 0; i < shards; ++i) {
    engine.impl().shard(i).attach(server->shard_servers_[i].get());
  }
  return server;
}

Server::~Server() {
  stop();
}

void Server::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  const uint32_t shards = static_cast<uint32_t>(shard_servers_.size());
  for (uint32_t i = 0; i < shards; ++i) {
    ShardServer* shard_server = shard_servers_[i].get();
    engine_.impl().shard(i).run([shard_server] { shard_server->stop_input(); });
  }
  // Requests in flight complete and their answers go out; the shards keep polling meanwhile.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (uint32_t i = 0; i < shards; ++i) {
    ShardServer* shard_server = shard_servers_[i].get();
    engine::Shard& shard = engine_.impl().shard(i);
    bool cut = false;
    while (!shard.run([shard_server] { return shard_server->idle(); })) {
      if (!cut && std::chrono::steady_clock::now() >= deadline) {
        shard.run([shard_server] { shard_server->abort_connections(); });
        cut = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    shard.detach(shard_server);
  }
  // Blocking work still queued (topic changes, commits) finishes before the contexts go, and
  // so do the completions it posted to the shards (a task queue is FIFO: an empty task run
  // after them is a barrier).
  offloader_.reset();
  for (uint32_t i = 0; i < shards; ++i)
    engine_.impl().shard(i).run([] {});
  // The contexts' producers flush here, on this thread: their shards are free to complete.
  contexts_.clear();
  shard_servers_.clear();
}

}  // namespace sluice::server
