#include "server/shard_context.h"

#include "engine/doorbell.h"
#include "engine/producer_impl.h"
#include "engine/raw_batch_sender.h"
#include "engine/shard.h"
#include "io/assert.h"
#include "server/offloader.h"

#include <chrono>

namespace sluice::server {

ShardContext::ShardContext(Engine& engine, engine::Shard& shard, Offloader& offloader,
                           Metrics& metrics, const ServerOptions& options)
    : engine_(engine), shard_(shard), offloader_(offloader), metrics_(metrics), options_(options) {}

ShardContext::~ShardContext() = default;

uint32_t ShardContext::shard_id() const {
  return shard_.id();
}

Producer& ShardContext::producer(Durability durability) {
  auto& slot = producers_[static_cast<size_t>(durability)];
  if (!slot) {
    ProducerOptions options;
    options.durability = durability;
    options.on_full = OnFull::fail;  // a shard thread never waits
    options.linger = std::chrono::microseconds(0);
    Result<Producer> made = engine_.producer(options);
    SLUICE_ASSERT_MSG(made.ok(), "a server producer could not be made");
    slot = std::make_unique<Producer>(std::move(*made));
    // Completions come back to this shard's thread: let them wake it.
    slot->impl().bell->also_wake(&shard_);
  }
  return *slot;
}

engine::RawBatchSender& ShardContext::batch_sender() {
  if (!batch_sender_) {
    batch_sender_ = std::make_unique<engine::RawBatchSender>(engine_.impl());
    batch_sender_->wake_on_completion(&shard_);
  }
  return *batch_sender_;
}

size_t ShardContext::poll_producers() {
  // Every shard loop round calls this: only senders with something in flight have anything to
  // complete (with linger 0 nothing waits in an open batch), and Producer::poll walks every
  // topic it knows.
  size_t ran = 0;
  if (batch_sender_ && batch_sender_->in_flight_bytes() > 0) ran += batch_sender_->poll();
  for (auto& producer : producers_) {
    if (producer && producer->in_flight_bytes() > 0) ran += producer->poll();
  }
  return ran;
}

void ShardContext::offload(std::function<void()> work, std::function<void()> done) {
  engine::Shard* shard = &shard_;
  offloader_.submit([shard, work = std::move(work), done = std::move(done)]() mutable {
    work();
    shard->post(std::move(done));
  });
}

namespace {

std::string queue_key(std::string_view group, std::string_view topic) {
  std::string key;
  key.reserve(group.size() + 1 + topic.size());
  key.append(group);
  key.push_back('\0');
  key.append(topic);
  return key;
}

}  // namespace

Queue* ShardContext::find_queue(std::string_view group, std::string_view topic) {
  const auto it = queues_.find(queue_key(group, topic));
  return it == queues_.end() ? nullptr : it->second.get();
}

Queue* ShardContext::keep_queue(Queue queue) {
  std::string key = queue_key(queue.group(), queue.topic());
  const auto it = queues_.find(key);
  if (it != queues_.end()) return it->second.get();
  if (queues_.size() >= kMaxQueues) queues_.erase(queues_.begin());
  auto made = std::make_unique<Queue>(std::move(queue));
  Queue* kept = made.get();
  queues_.emplace(std::move(key), std::move(made));
  return kept;
}

void ShardContext::drop_queue(std::string_view group, std::string_view topic) {
  queues_.erase(queue_key(group, topic));
}

int64_t ShardContext::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sluice::server
