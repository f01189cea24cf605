// Engine (include/sluice/engine.h): open and close, and the lookups the other engine files use.
#include "engine/consumer_impl.h"
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "engine/idempotency_keys.h"
#include "engine/journal.h"
#include "engine/producer_impl.h"
#include "engine/queues.h"
#include "engine/request_book.h"

#include "consumers/group_coordinator.h"

#include "io/assert.h"

#include <xxhash.h>

#include <thread>

namespace sluice {
namespace {

constexpr uint32_t kMaxShards = 256;

Result<void> validate(const EngineOptions& options) {
  if (options.data_dir.empty()) {
    return Error(Errc::invalid_argument, "EngineOptions.data_dir is empty");
  }
  if (options.shards > kMaxShards) {
    return Error(Errc::invalid_argument, "EngineOptions.shards is " +
                                             std::to_string(options.shards) + ", at most " +
                                             std::to_string(kMaxShards));
  }
  if (options.internal_compaction_ratio < 1 || options.internal_compaction_ratio > 1000) {
    return Error(Errc::invalid_argument,
                 "EngineOptions.internal_compaction_ratio must be 1 to 1000");
  }
  if (options.internal_compaction_check_interval.count() <= 0) {
    return Error(Errc::invalid_argument,
                 "EngineOptions.internal_compaction_check_interval must be above 0");
  }
  if (options.tail_cache_bytes_per_partition < (2u << 20)) {
    return Error(Errc::invalid_argument,
                 "EngineOptions.tail_cache_bytes_per_partition must be at least 2 MiB");
  }
  if (options.small_write_bytes > (64u << 20)) {
    return Error(Errc::invalid_argument, "EngineOptions.small_write_bytes must be at most 64 MiB");
  }
  if (options.write_interval.count() < 0 || options.write_interval > std::chrono::seconds(1)) {
    return Error(Errc::invalid_argument, "EngineOptions.write_interval must be 0 to 1 s");
  }
  return {};
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options_in) {
  SLUICE_TRY(validate(options_in));
  auto impl = std::make_unique<Impl>();
  impl->options = options_in;
  EngineOptions& options = impl->options;
  if (options.shards == 0) options.shards = std::max(1u, std::thread::hardware_concurrency());

  for (uint32_t id = 0; id < options.shards; ++id) {
    engine::Shard::Options shard_options;
    shard_options.id = id;
    shard_options.wait = options.wait;
    shard_options.retention_check_interval = options.retention_check_interval;
    shard_options.peers = &impl->shards;
    Result<std::unique_ptr<engine::Shard>> shard = engine::Shard::start(shard_options);
    if (!shard.ok()) return std::move(shard).error();
    impl->shards.push_back(std::move(*shard));
  }
  io::FileSystem& fs = impl->shards[0]->fs();
  SLUICE_TRY(fs.create_directories(options.data_dir));
  Result<io::DirectoryLock> lock = io::DirectoryLock::acquire(options.data_dir);
  if (!lock.ok()) return std::move(lock).error();
  impl->dir_lock.emplace(std::move(*lock));

  Result<engine::TopicCatalog> catalog = engine::TopicCatalog::load(fs, options.data_dir);
  if (!catalog.ok()) return std::move(catalog).error();
  impl->catalog.emplace(std::move(*catalog));
  for (const std::string& name : impl->catalog->list()) {
    Result<TopicConfig> config = impl->catalog->get(name);
    SLUICE_ASSERT(config.ok());
    Result<std::shared_ptr<engine::Topic>> topic = impl->open_topic(name, *config);
    if (!topic.ok()) return std::move(topic).error();
    impl->topics.emplace(name, std::move(*topic));
  }
  SLUICE_TRY(impl->open_groups());
  // Before the queues: their threads may dead-letter a request's event from the start.
  SLUICE_TRY(impl->open_requests());
  SLUICE_TRY(impl->open_queues());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Impl::~Impl() {
  // Queues first: dead-letters they finish may still update requests and commit offsets.
  close_queues();
  close_requests();
  close_groups();
  // Producers and consumers are gone; each shard closes its logs (writing and syncing them).
  // Every thread stops before any Shard is freed: a shard completing a batch may still wake
  // another (a server sender's doorbell).
  for (auto& shard : shards)
    shard->stop();
  shards.clear();
}

Result<std::shared_ptr<engine::Topic>> Engine::Impl::find_topic(std::string_view name) const {
  std::shared_lock lock(topics_mutex);
  auto it = topics.find(name);
  if (it == topics.end()) {
    return Error(Errc::not_found, "topic " + std::string(name) + " does not exist");
  }
  return it->second;
}

Result<std::shared_ptr<engine::PartitionSlot>> Engine::Impl::find_partition(
    std::string_view topic, int32_t partition) const {
  Result<std::shared_ptr<engine::Topic>> found = find_topic(topic);
  if (!found.ok()) return std::move(found).error();
  const engine::Topic& t = **found;
  if (partition < 0 || partition >= t.config.partitions) {
    return Error(Errc::invalid_argument, "partition " + std::to_string(partition) + " of topic " +
                                             t.name + " does not exist (it has " +
                                             std::to_string(t.config.partitions) + ")");
  }
  return t.partitions[static_cast<size_t>(partition)];
}

uint32_t Engine::Impl::shard_of(std::string_view topic, int32_t partition) const {
  const uint64_t seed = XXH3_64bits(topic.data(), topic.size());
  const uint64_t hash = XXH3_64bits_withSeed(&partition, sizeof partition, seed);
  return static_cast<uint32_t>(hash % shards.size());
}

Result<Producer> Engine::producer(const ProducerOptions& options) {
  if (options.batch_bytes == 0 || options.batch_bytes > (1u << 20)) {
    return Error(Errc::invalid_argument, "ProducerOptions.batch_bytes must be 1 byte to 1 MiB");
  }
  if (options.max_in_flight_bytes == 0) {
    return Error(Errc::invalid_argument, "ProducerOptions.max_in_flight_bytes must be above 0");
  }
  if (options.linger.count() < 0) {
    return Error(Errc::invalid_argument, "ProducerOptions.linger must not be negative");
  }
  auto producer = std::make_unique<Producer::Impl>(*impl_, options, false);
  if (options.idempotent) {
    Result<engine::ProducerIdAndEpoch> id = impl_->init_producer_id();
    if (!id.ok()) return std::move(id).error();
    producer->producer_id = id->producer_id;
    producer->producer_epoch = id->epoch;
  }
  return Producer(std::move(producer));
}

Result<Consumer> Engine::consumer(const ConsumerOptions& options) {
  if (options.group.empty()) return Error(Errc::invalid_argument, "ConsumerOptions.group is empty");
  if (options.topics.empty()) {
    return Error(Errc::invalid_argument, "ConsumerOptions.topics is empty");
  }
  for (const std::string& topic : options.topics) {
    Result<std::shared_ptr<engine::Topic>> found = impl_->find_topic(topic);
    if (!found.ok()) return std::move(found).error();
    if ((*found)->internal) {
      return Error(Errc::invalid_argument, "topic " + topic + " is internal to sluice");
    }
  }
  if (options.max_poll_events == 0) {
    return Error(Errc::invalid_argument, "ConsumerOptions.max_poll_events must be above 0");
  }
  if (options.session_timeout.count() <= 0 || options.auto_commit_interval.count() <= 0) {
    return Error(Errc::invalid_argument,
                 "ConsumerOptions.session_timeout and auto_commit_interval must be above 0");
  }
  return Consumer(std::make_unique<Consumer::Impl>(*impl_, options));
}

const EngineOptions& Engine::options() const {
  return impl_->options;
}
uint32_t Engine::shard_count() const {
  return static_cast<uint32_t>(impl_->shards.size());
}

}  // namespace sluice
