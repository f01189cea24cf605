#include "server/net/shard_server.h"

#include "engine/shard.h"
#include "io/assert.h"
#include "io/ring.h"
#include "io/socket.h"
#include "server/metrics.h"

#include <algorithm>
#include <chrono>

namespace sluice::server {
namespace {

// While a request waits on time, the shard polls at least this often (a parked shard would
// otherwise sleep up to 100 ms past a long poll's deadline).
constexpr std::chrono::milliseconds kWaitingTick{1};

}  // namespace

ShardServer::ShardServer(ShardContext& context, int kafka_fd, int http_fd,
                         SessionFactories factories)
    : context_(context), factories_(std::move(factories)) {
  timer_op_.callback = &ShardServer::on_timer;
  timer_op_.context = this;
  // Frames up to the request limit, plus room for the next read.
  const size_t kafka_input = size_t{context.options().kafka_limits.max_request_bytes} + 4 + 65536;
  const size_t http_input = size_t{context.options().http_limits.max_header_bytes} +
                            context.options().http_limits.max_body_bytes + 65536;
  if (kafka_fd >= 0) {
    kafka_listener_ = std::make_unique<Listener>(
        kafka_fd, [this, kafka_input](int fd) { accept(fd, factories_.kafka, kafka_input); });
  }
  if (http_fd >= 0) {
    http_listener_ = std::make_unique<Listener>(
        http_fd, [this, http_input](int fd) { accept(fd, factories_.http, http_input); });
  }
}

ShardServer::~ShardServer() {
  SLUICE_ASSERT(idle());
}

void ShardServer::accept(int fd, const SessionFactory& factory, size_t max_input_bytes) {
  Metrics& metrics = context_.metrics();
  if (stopping_ || metrics.connections_open.value() >=
                       static_cast<int64_t>(context_.options().max_connections)) {
    metrics.connections_rejected.add();
    io::close_socket(fd);
    return;
  }
  (void)io::tune_connection(fd);  // TCP_NODELAY; a failure costs latency, not correctness
  std::shared_ptr<Session> session = factory(context_, io::peer_name(fd));
  metrics.connections_accepted.add();
  metrics.connections_open.add(1);
  connections_.push_back(std::make_unique<Connection>(context_.shard().ring(), fd,
                                                      std::move(session), max_input_bytes));
}

size_t ShardServer::poll() {
  io::Ring& ring = context_.shard().ring();
  size_t work = context_.poll_producers();
  if (kafka_listener_) kafka_listener_->poll(ring);
  if (http_listener_) http_listener_->poll(ring);
  if (kafka_listener_ && kafka_listener_->finished()) kafka_listener_.reset();
  if (http_listener_ && http_listener_->finished()) http_listener_.reset();
  if (connections_.empty()) return work;  // (and no clock read on an idle shard)
  const int64_t now_ms = context_.now_ms();
  bool waiting = false;
  for (auto& connection : connections_) {
    work += connection->poll(now_ms);
    waiting = waiting || connection->waiting();
  }
  // Finished connections go (swap-and-pop keeps this O(1) per removal).
  for (size_t i = 0; i < connections_.size();) {
    if (connections_[i]->finished()) {
      connections_[i] = std::move(connections_.back());
      connections_.pop_back();
      context_.metrics().connections_open.add(-1);
      ++work;
    } else {
      ++i;
    }
  }
  if (waiting) arm_timer();
  return work;
}

void ShardServer::arm_timer() {
  if (timer_in_flight_) return;
  timer_in_flight_ = true;
  context_.shard().ring().timeout(timer_op_, kWaitingTick);
}

void ShardServer::on_timer(io::IoOp& op, Result<uint64_t>) {
  static_cast<ShardServer*>(op.context)->timer_in_flight_ = false;
}

void ShardServer::stop_input() {
  stopping_ = true;
  context_.set_stopping();
  if (kafka_listener_) kafka_listener_->stop();
  if (http_listener_) http_listener_->stop();
  for (auto& connection : connections_)
    connection->stop_input();
}

void ShardServer::abort_connections() {
  for (auto& connection : connections_)
    connection->abort();
}

bool ShardServer::idle() const {
  return !kafka_listener_ && !http_listener_ && connections_.empty() && !timer_in_flight_;
}

}  // namespace sluice::server
