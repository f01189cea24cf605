// Engine: sluice embedded. Opens a data directory, runs the shards (one thread and one io_uring
// ring per core by default, each the only writer of the partitions it owns) and hands out
// producers and consumers. Beside them, the synchronous query path reads published events from
// any thread without waiting for a shard.
//
// Thread-safety: every Engine member function may be called from any thread. The Engine must
// outlive the producers and consumers it made.
#pragma once

#include <sluice/consumer.h>
#include <sluice/durability.h>
#include <sluice/event.h>
#include <sluice/producer.h>
#include <sluice/queue.h>
#include <sluice/requests.h>
#include <sluice/result.h>
#include <sluice/topic.h>
#include <sluice/wait_strategy.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct EngineOptions {
  std::string data_dir;  // required; created when missing
  uint32_t shards = 0;   // 0: one per core
  WaitStrategy wait = WaitStrategy::park;
  // In-memory tail of each partition (recent events for readers, and bytes on their way to the
  // disk). Appends wait for the disk when it is full.
  uint64_t tail_cache_bytes_per_partition = 16ull << 20;
  // O_DIRECT segment writes (the default: the highest throughput on the machines measured,
  // bench/RESULTS.md), all but the small ones (small_write_bytes). false writes everything
  // through the page cache, at a third less throughput (the page cache copies every byte and
  // writes it back on other threads).
  bool direct_io = true;
  // With direct_io, writes shorter than this (the small writes of a trickle of events) go
  // through the page cache instead, at about 8 us to start where O_DIRECT stops the shard's
  // thread 17-40 us on a virtual machine; bulk writes stay O_DIRECT (0: every write O_DIRECT;
  // at most 64 MiB). The kernel keeps the two coherent (partitions/partition_log.h).
  uint32_t small_write_bytes = 64 * 1024;
  // Write a partition's new bytes at most this often (0: as soon as they can be, a page as it
  // fills and the partial last page whenever the previous write completed). A busy partition
  // of small events then costs its shard's thread far fewer writes (each a system call, a
  // device notification that stops a virtual machine's thread for about 15 us, and a
  // completion), which is what shortens the end-to-end latency of callback delivery
  // (bench/RESULTS.md). `written` acknowledgements come up to this much later; synced appends
  // and sync() are not held, nor are 256 KiB or more of waiting bytes, so throughput is not.
  std::chrono::microseconds write_interval{0};
  // How often each shard applies retention.
  std::chrono::milliseconds retention_check_interval{60000};
  // How long a request's status is kept after its last change (include/sluice/requests.h).
  std::chrono::milliseconds request_retention{24 * 3600 * 1000};
  // How long the answer to a call with an idempotency key is kept after it was recorded (the
  // HTTP API's Idempotency-Key header): a repeat within it gets that answer and changes nothing.
  std::chrono::milliseconds idempotency_retention{24 * 3600 * 1000};
  // Compaction of the internal topics that hold the committed offsets (__consumer_offsets) and
  // the queues' delivery state (__queue_state), which otherwise grow with every commit, receive
  // and ack, and with them the time open() takes to rebuild from them. When the bytes appended
  // to one since its last compaction pass both internal_compaction_min_bytes and
  // internal_compaction_ratio times the size of its last snapshot, the engine writes a snapshot
  // of the state it holds (in the background, beside commits, receives and acks) and deletes
  // the segments before it: each topic stays within about (ratio + 1) x its live state, or
  // min_bytes plus the live state. Checked every internal_compaction_check_interval.
  // internal_compaction_min_bytes = 0 turns compaction off (consumers/FORMAT.md).
  uint64_t internal_compaction_min_bytes = 16ull << 20;
  uint32_t internal_compaction_ratio = 2;  // 1 to 1000
  std::chrono::milliseconds internal_compaction_check_interval{1000};
};

class Engine {
 public:
  // Opens (creating when missing) the data directory: reads the topic catalog, recovers every
  // partition and rebuilds the keyed indexes and the committed offsets, then starts the shards.
  // Errors: invalid_argument (bad options), busy (another engine has the directory open),
  // unsupported (a missing io_uring feature), the I/O errors of recovery.
  static Result<std::unique_ptr<Engine>> open(const EngineOptions& options);
  // Stops the shards after they wrote and synced everything they hold.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- Topics ----
  // Errors: invalid_argument (bad name or config), already_exists.
  Result<void> create_topic(std::string_view name, const TopicConfig& config);
  // Removes the topic and its data. Errors: not_found, invalid_argument (an internal topic).
  Result<void> delete_topic(std::string_view name);
  std::vector<std::string> list_topics() const;
  Result<TopicDescription> describe_topic(std::string_view name) const;

  // ---- Producing and consuming ----
  Result<Producer> producer(const ProducerOptions& options = {});
  Result<Consumer> consumer(const ConsumerOptions& options);

  // ---- The synchronous query path (any thread; never waits for a shard) ----
  // Up to max_events events from `offset` on, in order; only published events. Errors:
  // not_found (topic), invalid_argument (partition), offset_out_of_range (before the earliest
  // offset or past the latest), the I/O errors of a read from disk.
  Result<std::vector<Record>> read(std::string_view topic, int32_t partition, int64_t offset,
                                   uint32_t max_events) const;
  Result<PartitionState> partition_state(std::string_view topic, int32_t partition) const;
  // The latest event with this key, on a topic with keyed_index, in whichever partition it was
  // written (sent with an explicit partition, or by a Kafka client's partitioner); when several
  // partitions hold the key, the one with the newest timestamp. not_found when the key has no
  // event; invalid_argument when the topic has no keyed index.
  Result<Record> latest(std::string_view topic, std::string_view key) const;

  // ---- Queues (include/sluice/queue.h) ----
  // A handle on the group's queue state for the topic (made on first use, shared by every
  // handle of the same group and topic). Errors: invalid_argument (options), not_found (topic).
  Result<Queue> queue(const QueueOptions& options);
  // Puts dead-lettered events of `topic`'s DLQ (<topic>.dlq) back in front of the groups that
  // dead-lettered them; each DLQ offset at most once. Errors: not_found (no such topic or DLQ),
  // invalid_argument, the I/O errors.
  Result<ReplayResult> replay_dlq(std::string_view topic, const ReplayFilter& filter);
  // Every queue's counters (for /metrics).
  std::vector<QueueStats> queue_stats() const;

  // ---- Request-reply (include/sluice/requests.h) ----
  // Appends `event` to `topic` with a new request id in its kRequestIdHeader header (a header
  // of that name in `event` is replaced) once the pending status is recorded; returns the
  // pending state. Errors: those of Producer::send, the I/O errors of the record.
  Result<RequestState> submit_request(std::string_view topic, Event event);
  // Ends a pending request. Errors: not_found (unknown or expired id), conflict (it already
  // has its outcome, or another call's outcome is being recorded; the state returned by
  // request() says which), too_large (a result or error above 1 MiB), the I/O errors of the
  // record.
  Result<RequestState> complete_request(std::string_view id, std::string result);
  Result<RequestState> fail_request(std::string_view id, std::string error);
  Result<RequestState> request(std::string_view id) const;
  // The state once it is no longer pending, or after `timeout` (still pending).
  Result<RequestState> wait_request(std::string_view id, std::chrono::milliseconds timeout) const;
  // The same without blocking: `done` runs once, on an engine thread or inside this call.
  void wait_request_async(std::string_view id, std::chrono::milliseconds timeout,
                          std::function<void(Result<RequestState>)> done) const;
  // Non-blocking forms of submit_request, complete_request and fail_request, for callers that
  // must never wait (the server's shard threads): the same checks and errors, and `done` runs
  // once with the outcome, on an engine thread or inside the call. A `done` must not block on
  // the engine's request calls (it may run on the thread that would answer them). The blocking
  // forms wait for these; call them from threads that may block, never from inside a `done`.
  void submit_request_async(std::string_view topic, Event event,
                            std::function<void(Result<RequestState>)> done);
  void complete_request_async(std::string_view id, std::string result,
                              std::function<void(Result<RequestState>)> done);
  void fail_request_async(std::string_view id, std::string error,
                          std::function<void(Result<RequestState>)> done);

  // ---- Groups ----
  struct GroupMember {
    std::string member_id;
    std::vector<TopicPartition> assignment;
  };
  struct GroupDescription {
    std::string group;
    int32_t generation = 0;
    std::string state;  // "empty", "rebalancing", "stable"
    std::vector<GroupMember> members;
    std::vector<PartitionLag> offsets;  // committed offset and lag per partition
  };
  std::vector<std::string> list_groups() const;
  Result<GroupDescription> describe_group(std::string_view group) const;

  const EngineOptions& options() const;
  uint32_t shard_count() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
