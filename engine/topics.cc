// Topics: create, delete, list, describe; opening and closing a topic's partitions on their
// shards.
#include "engine/engine_impl.h"
#include "engine/queues.h"

#include "consumers/group_coordinator.h"
#include "io/assert.h"
#include "partitions/key_index.h"

#include <future>

namespace sluice {
namespace {

// Rebuilds a keyed partition's index from every batch it holds (shard thread, at open).
// Compressed batches are decompressed to read their keys. One whose stream does not decode is
// skipped rather than failing the open: its CRC held, and earlier versions of sluice stored
// compressed batches unread, even in keyed topics. Readers of it get the decoding error.
Result<void> rebuild_keys(partitions::PartitionLog& log, partitions::KeyIndex& keys) {
  std::vector<std::byte> scratch;
  int64_t offset = log.start_offset();
  while (offset < log.next_offset()) {
    Result<partitions::ReadResult> read = log.read(offset, 4u << 20);
    if (!read.ok()) return std::move(read).error();
    size_t pos = 0;
    while (pos < read->bytes.size()) {
      Result<partitions::BatchHeader> header =
          partitions::decode_batch_header(std::span(read->bytes).subspan(pos));
      if (!header.ok()) return std::move(header).error();
      const auto batch = std::span(read->bytes).subspan(pos, header->total_bytes());
      Result<partitions::BatchKeys> indexed = partitions::index_batch_keys(batch, keys, scratch);
      if (!indexed.ok() && header->compression() == partitions::Compression::none) {
        return std::move(indexed).error();
      }
      pos += header->total_bytes();
    }
    offset = read->next_offset;
  }
  return {};
}

}  // namespace

partitions::LogOptions Engine::Impl::log_options(const TopicConfig& config) const {
  partitions::LogOptions log;
  log.segment_bytes = config.segment_bytes;
  log.segment_ms = config.segment_ms;
  log.retention_bytes = config.retention_bytes;
  log.retention_ms = config.retention_ms;
  log.direct_io = options.direct_io;
  log.small_write_bytes = options.small_write_bytes;
  log.write_interval = options.write_interval;
  // A step at a time, so that many partitions do not each reserve a whole segment on disk.
  log.preallocate_step_bytes = 32ull << 20;
  // A producer batch is at most 1 MiB unless one event is larger; room for the batch framing.
  log.max_batch_bytes = std::max<uint32_t>(1u << 20, config.max_event_bytes) + 4096;
  // The tail must hold a few of the largest batches.
  log.tail_cache_bytes =
      std::max<uint64_t>(options.tail_cache_bytes_per_partition, 4ull * log.max_batch_bytes);
  // Every partition's group-commit rounds feed the engine's fdatasync latency (for /metrics).
  log.on_fdatasync = [sync = const_cast<engine::LatencyBuckets*>(&stats.fdatasync)](
                         uint64_t latency_us) { sync->observe_us(latency_us); };
  return log;
}

Result<std::shared_ptr<engine::Topic>> Engine::Impl::open_topic(const std::string& name,
                                                                const TopicConfig& config) {
  auto topic = std::make_shared<engine::Topic>();
  topic->name = name;
  topic->config = config;
  topic->internal = engine::is_internal_topic(name);
  std::vector<std::future<Result<void>>> opened;
  for (int32_t p = 0; p < config.partitions; ++p) {
    auto slot = std::make_shared<engine::PartitionSlot>();
    slot->topic = name;
    slot->partition = p;
    slot->shard = shard_of(name, p);
    slot->keyed = config.keyed_index;
    topic->partitions.push_back(slot);
    engine::Shard& owner = shard(slot->shard);
    auto task = std::make_shared<std::packaged_task<Result<void>()>>(
        [&owner, slot, dir = catalog->partition_dir(name, p),
         log_opts = log_options(config)]() -> Result<void> {
          Result<std::unique_ptr<partitions::PartitionLog>> log =
              partitions::PartitionLog::open(owner.fs(), dir, log_opts);
          if (!log.ok()) return std::move(log).error();
          if (slot->keyed) {
            slot->keys = std::make_shared<partitions::KeyIndex>();
            SLUICE_TRY(rebuild_keys(**log, *slot->keys));
          }
          slot->reader = (*log)->reader();
          slot->log = std::move(*log);
          owner.adopt(slot);
          return {};
        });
    opened.push_back(task->get_future());
    owner.post([task] { (*task)(); });
  }
  std::optional<Error> first_error;
  for (auto& result : opened) {
    Result<void> done = result.get();
    if (!done.ok() && !first_error) first_error = std::move(done).error();
  }
  if (first_error) {
    close_topic(*topic);
    return *first_error;
  }
  return topic;
}

void Engine::Impl::close_topic(engine::Topic& topic) {
  topic.deleted.store(true, std::memory_order_release);
  std::vector<std::future<void>> closed;
  for (const auto& slot : topic.partitions) {
    engine::Shard& owner = shard(slot->shard);
    auto task = std::make_shared<std::packaged_task<void()>>([&owner, slot] {
      if (slot->log) owner.release(*slot);
    });
    closed.push_back(task->get_future());
    owner.post([task] { (*task)(); });
  }
  for (auto& done : closed)
    done.get();
}

Result<void> Engine::Impl::create_topic(std::string_view name, const TopicConfig& config,
                                        engine::TopicAccess access) {
  std::lock_guard catalog_lock(catalog_mutex);
  SLUICE_TRY(catalog->create(name, config, access));
  Result<std::shared_ptr<engine::Topic>> topic = open_topic(std::string(name), config);
  if (!topic.ok()) {
    (void)catalog->remove(name, engine::TopicAccess::internal);
    return std::move(topic).error();
  }
  std::unique_lock lock(topics_mutex);
  topics.emplace(std::string(name), std::move(*topic));
  return {};
}

Result<void> Engine::create_topic(std::string_view name, const TopicConfig& config) {
  SLUICE_TRY(impl_->create_topic(name, config, engine::TopicAccess::user));
  impl_->groups->set_topic_partitions(name, config.partitions);
  return {};
}

Result<void> Engine::delete_topic(std::string_view name) {
  SLUICE_TRY(engine::validate_topic_name(name, engine::TopicAccess::user));
  std::lock_guard catalog_lock(impl_->catalog_mutex);
  std::shared_ptr<engine::Topic> topic;
  {
    std::unique_lock lock(impl_->topics_mutex);
    auto it = impl_->topics.find(name);
    if (it == impl_->topics.end()) {
      return Error(Errc::not_found, "topic " + std::string(name) + " does not exist");
    }
    topic = std::move(it->second);
    impl_->topics.erase(it);
  }
  impl_->close_topic(*topic);
  impl_->groups->remove_topic(name);
  SLUICE_TRY(impl_->catalog->remove(name, engine::TopicAccess::user));
  // The offsets and queue states of a topic that is gone would resume a new topic of the same
  // name mid-way.
  SLUICE_TRY(impl_->forget_topic_offsets(name));
  if (impl_->queues) SLUICE_TRY(impl_->queues->forget_topic(name));
  return {};
}

std::vector<std::string> Engine::list_topics() const {
  std::shared_lock lock(impl_->topics_mutex);
  std::vector<std::string> names;
  names.reserve(impl_->topics.size());
  for (const auto& [name, topic] : impl_->topics)
    names.push_back(name);
  return names;
}

Result<TopicDescription> Engine::describe_topic(std::string_view name) const {
  Result<std::shared_ptr<engine::Topic>> topic = impl_->find_topic(name);
  if (!topic.ok()) return std::move(topic).error();
  TopicDescription description;
  description.name = (*topic)->name;
  description.config = (*topic)->config;
  for (int32_t p = 0; p < (*topic)->config.partitions; ++p) {
    Result<PartitionState> state = partition_state(name, p);
    if (!state.ok()) return std::move(state).error();
    description.partitions.push_back(*state);
  }
  return description;
}

}  // namespace sluice
