// The inside of Engine, shared by the engine's files: engine.cc (open and close), topics.cc
// (create, delete, describe), query.cc (the synchronous query path), producer.cc, consumer.cc.
// Private to engine/.
//
// Thread-safety: `topics_mutex` guards the topic map (a shared lock to look up, an exclusive one
// to change it); lookups hand out shared_ptr<Topic> copies that stay valid after the lock is
// released. Shards, the catalog and the group coordinator have their own contracts.
#pragma once

#include "engine/engine_stats.h"
#include "engine/producer_ids.h"
#include "engine/shard.h"
#include "engine/topic.h"
#include "engine/topic_catalog.h"
#include "io/directory_lock.h"

#include <sluice/engine.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "consumers/offset_record.h"

namespace sluice::consumers {
class GroupCoordinator;
}
namespace sluice::engine {
class Queues;
class RequestBook;
class IdempotencyKeys;
class Journal;
}  // namespace sluice::engine
namespace sluice {
struct GroupsState;
}

namespace sluice {

struct Engine::Impl {
  ~Impl();

  EngineOptions options;
  // Measured by the shards, read by the server's /metrics.
  engine::EngineStats stats;
  std::optional<io::DirectoryLock> dir_lock;
  std::vector<std::unique_ptr<engine::Shard>> shards;

  // Topic changes (create, delete) are serialized by catalog_mutex, taken before
  // topics_mutex; the catalog's files are reached through shard 0's file system (synchronous
  // calls only).
  std::mutex catalog_mutex;
  std::optional<engine::TopicCatalog> catalog;
  mutable std::shared_mutex topics_mutex;
  std::map<std::string, std::shared_ptr<engine::Topic>, std::less<>> topics;

  // groups.cc
  Result<void> open_groups();
  void close_groups();
  // The group's committed offset for a partition, if any.
  std::optional<int64_t> committed_offset(std::string_view group, const TopicPartition& tp);
  // Fences the commit (member and generation), appends it to __consumer_offsets (synced) and
  // applies it. An empty member_id with generation -1 commits outside group membership.
  Result<void> commit_offsets(std::string_view group, std::string_view member_id,
                              int32_t generation,
                              const std::vector<std::pair<TopicPartition, int64_t>>& offsets);
  // Appends offset records to __consumer_offsets, waits until they are synced and applies them
  // to the table, all under commit_mutex: the table changes in the order of the log, and a
  // snapshot taken under the same lock holds every record written before it.
  Result<void> write_offset_records(const std::vector<consumers::OffsetRecord>& records);
  // Deletes every group's committed offsets of a deleted topic (tombstones).
  Result<void> forget_topic_offsets(std::string_view topic);
  // Rebuilds the committed offsets from every record of __consumer_offsets.
  Result<void> rebuild_offsets();
  // The housekeeping thread: expires silent members every 100 ms, and compacts the internal
  // topics __consumer_offsets and __queue_state when they grew past their thresholds
  // (EngineOptions::internal_compaction_*). Compaction runs here because nothing on a hot path
  // waits for this thread: commits, receives and acks go on while it writes a snapshot (each
  // waits at most for the snapshot records enqueued before its own, under the lock that orders
  // them), and member expiry, which it delays, works in seconds.
  void housekeeping();
  void compact_internal_topics();
  // Writes the committed offsets as commit records after a roll of __consumer_offsets, waits
  // until they are synced and deletes the segments before them (consumers/FORMAT.md).
  Result<void> compact_offsets();
  // Held by a compaction of __queue_state, and by close_queues while it sets queues_open false.
  std::mutex compaction_mutex;
  bool queues_open = false;  // guarded by compaction_mutex
  std::unique_ptr<consumers::GroupCoordinator> groups;
  std::unique_ptr<GroupsState> groups_state;

  // topics.cc
  // Builds the Topic and opens each partition's log on its shard (keyed indexes rebuilt).
  Result<std::shared_ptr<engine::Topic>> open_topic(const std::string& name,
                                                    const TopicConfig& config);
  // Closes every partition log of the topic on its shard.
  void close_topic(engine::Topic& topic);
  partitions::LogOptions log_options(const TopicConfig& config) const;
  Result<void> create_topic(std::string_view name, const TopicConfig& config,
                            engine::TopicAccess access);

  // The topic that exists under `name` now; not_found when none does.
  Result<std::shared_ptr<engine::Topic>> find_topic(std::string_view name) const;
  // The topic's partition slot; not_found / invalid_argument (partition out of range).
  Result<std::shared_ptr<engine::PartitionSlot>> find_partition(std::string_view topic,
                                                                int32_t partition) const;
  engine::Shard& shard(uint32_t id) { return *shards[id]; }

  // producer_ids.cc: Kafka's InitProducerId. A new producer id, never handed out before by this
  // data directory, at epoch 0. Any thread; blocks on a file write and two syncs at the first
  // call and once per kProducerIdBlock ids (call it off a shard thread, or accept that).
  // Errors: corruption (a damaged producer_ids file), the I/O errors.
  Result<engine::ProducerIdAndEpoch> init_producer_id();
  std::once_flag producer_ids_once;
  std::unique_ptr<engine::ProducerIds> producer_ids;  // made by init_producer_id()
  // queues.cc (engine/queues.h): every group's queue state, rebuilt from __queue_state.
  Result<void> open_queues();
  void close_queues();
  std::unique_ptr<engine::Queues> queues;

  // requests.cc (engine/request_book.h): request-reply statuses, rebuilt from __requests;
  // idempotency keys (engine/idempotency_keys.h), rebuilt from __idempotency.
  Result<void> open_requests();
  void close_requests();
  // Writes the records of both, and the events of submitted requests (engine/journal.h).
  std::unique_ptr<engine::Journal> journal;
  std::unique_ptr<engine::RequestBook> requests;
  std::unique_ptr<engine::IdempotencyKeys> idempotency;
  // A Queue dead-lettered the event that carried request `id`: the request becomes
  // dead-lettered with `reason` (nothing happens for an unknown or finished request).
  void request_dead_lettered(std::string_view id, std::string_view reason);

  // The shard that owns partition p of topic t: xxh3(t, p) % shards (DESIGN.md).
  uint32_t shard_of(std::string_view topic, int32_t partition) const;
};

}  // namespace sluice
