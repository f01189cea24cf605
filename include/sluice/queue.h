// Queue: a consumer group reading one topic as a work queue, event by event.
//
// Where a Consumer reads its assigned partitions in order and commits positions, a Queue hands
// events to any number of workers at once: receive() locks up to N events for lock_duration;
// the worker acks each one (done), nacks it (failed: delivered again after a backoff, or when
// the nack says), or lets the lock run out (delivered again). Events of one partition are
// worked on in parallel; with `key_order` an event waits while an earlier event with the same
// key is locked or waiting for its retry.
//
// Each delivery counts. An event that failed max_deliveries times (nacked, or its lock ran
// out) is dead-lettered: appended to the topic `<topic>.dlq` (made on first use, with the
// source topic's partition count) with headers that say where it came from and why
// (kDlqHeader* below), and counts as handled for the group. Nothing is lost: replay_dlq() puts
// dead-lettered events back in front of the group that gave them up, once per DLQ offset.
//
// State (locks, delivery counts, pending retries, handled offsets) is recorded in the internal
// topic __queue_state and rebuilt when the engine opens: a restart keeps every pending, locked
// and retrying event and re-runs no acknowledged one; a lock taken before the restart stays
// valid until it runs out. The handled prefix of each partition is also committed as the
// group's offset (__consumer_offsets), so describe_group shows the queue's lag.
//
// Settings come from, in order: a nack's own retry delay; the QueueOptions of the handle; the
// topic's TopicConfig::queue; the defaults of QueuePolicy.
//
// Thread-safety: every Queue member function may be called from any thread, and any number of
// Queue handles (in any threads, library or server) may serve the same group and topic: they
// share one state. The Engine must outlive its Queues.
#pragma once

#include <sluice/durability.h>
#include <sluice/event.h>
#include <sluice/result.h>
#include <sluice/topic.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// The headers of a dead-lettered event, beside the event's own headers (values are decimal
// text, times in milliseconds since the epoch).
inline constexpr std::string_view kDlqHeaderTopic = "sluice-dlq-topic";
inline constexpr std::string_view kDlqHeaderPartition = "sluice-dlq-partition";
inline constexpr std::string_view kDlqHeaderOffset = "sluice-dlq-offset";
inline constexpr std::string_view kDlqHeaderGroup = "sluice-dlq-group";
inline constexpr std::string_view kDlqHeaderDeliveries = "sluice-dlq-delivery-count";
inline constexpr std::string_view kDlqHeaderReason = "sluice-dlq-reason";
inline constexpr std::string_view kDlqHeaderTime = "sluice-dlq-time";

struct QueueOptions {
  std::string group;  // required
  std::string topic;  // required; must exist and not be internal
  // Unset: the topic's TopicConfig::queue settings.
  std::optional<uint32_t> max_deliveries;
  std::optional<RetryBackoff> retry;
  std::optional<std::chrono::milliseconds> lock_duration;
  // A key's later events wait while an earlier one is locked or waiting for its retry.
  bool key_order = false;
  // How far the records of acks, nacks and dead-letters get before those calls return.
  Durability durability = Durability::synced;
  // Events locked and not yet acked, at most, per group and topic: receive() returns fewer
  // while this many are out.
  uint32_t max_in_flight = 100000;
};

// One delivery of an event.
struct QueuedEvent {
  Record record;
  uint32_t delivery_count = 0;  // 1 on the first delivery
  std::string lock_token;       // names this delivery: ack and nack must give it back
  int64_t lock_expires_ms = 0;  // wall clock, milliseconds since the epoch
};

// What ack and nack name: an event and the lock of its current delivery.
struct LockRef {
  int32_t partition = -1;
  int64_t offset = -1;
  std::string lock_token;
};

// The outcome of ack/nack for one event: ok, or
// - Errc::lock_lost: the lock ran out (and the event may have been delivered again), or the
//   token is not the current delivery's;
// - Errc::not_found: the event is not locked by anyone (already handled, never delivered).
struct LockOutcome {
  LockRef ref;
  Result<void> result;
};

struct NackOptions {
  std::string reason;  // kept, and written to the DLQ header when the event is dead-lettered
  // Unset: the backoff of the policy; zero: deliver again at once.
  std::optional<std::chrono::milliseconds> retry_after;
};

struct QueueStats {
  std::string group;
  std::string topic;
  uint64_t in_flight = 0;             // locked now
  uint64_t waiting_retry = 0;         // nacked or expired, waiting for their backoff
  uint64_t redelivered = 0;           // deliveries after the first, since the engine opened
  uint64_t dead_lettered = 0;         // since the engine opened
  uint64_t replayed = 0;              // since the engine opened
  uint64_t acked = 0;                 // since the engine opened
  int64_t oldest_unacked_age_ms = 0;  // of the oldest event received and not handled; 0: none
  int64_t backlog = 0;                // events never delivered yet (high watermarks - cursors)
};

// Which dead-lettered events replay_dlq() puts back. All fields unset: every one.
struct ReplayFilter {
  std::optional<std::string> group;  // only those this group dead-lettered
  std::optional<int64_t> from;       // DLQ offsets from (inclusive) ...
  std::optional<int64_t> to;         // ... to (inclusive), on every DLQ partition
  std::optional<std::string> key;    // only events with this key
};

struct ReplayResult {
  uint64_t replayed = 0;          // put back now
  uint64_t already_replayed = 0;  // matched, but replayed before (replay is once per DLQ offset)
};

class Engine;

class Queue {
 public:
  ~Queue();
  Queue(Queue&&) noexcept;
  Queue& operator=(Queue&&) noexcept;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Locks and returns up to max_events events (1 to 10000), waiting up to `wait` for the first
  // one; an empty vector when none came. Redeliveries that are due come before new events.
  // `lock`: this call's lock duration instead of the policy's. Errors: invalid_argument,
  // closed (the engine is closing), not_found (the topic was deleted), the I/O errors of reading.
  Result<std::vector<QueuedEvent>> receive(uint32_t max_events, std::chrono::milliseconds wait,
                                           std::optional<std::chrono::milliseconds> lock = {});
  // The same without blocking: `done` runs once, on an engine thread or inside this call, when
  // events came or `wait` ran out. It must not block (hand the events to your own thread).
  void receive_async(uint32_t max_events, std::chrono::milliseconds wait,
                     std::optional<std::chrono::milliseconds> lock,
                     std::function<void(Result<std::vector<QueuedEvent>>)> done);

  // Done: the events count as handled for the group. One outcome per ref, in order; the call
  // fails as a whole only when the record of the acks could not be written.
  Result<std::vector<LockOutcome>> ack(const std::vector<LockRef>& refs);
  // Failed: each event is delivered again after its backoff (or dead-lettered when it reached
  // max_deliveries).
  Result<std::vector<LockOutcome>> nack(const std::vector<LockRef>& refs,
                                        const NackOptions& options = {});
  // Non-blocking forms for threads that must not wait for durability (the server's shards):
  // `done` runs once, on an engine thread or inside this call.
  void ack_async(std::vector<LockRef> refs,
                 std::function<void(Result<std::vector<LockOutcome>>)> done);
  void nack_async(std::vector<LockRef> refs, NackOptions options,
                  std::function<void(Result<std::vector<LockOutcome>>)> done);

  QueueStats stats() const;
  const std::string& group() const;
  const std::string& topic() const;

  struct Impl;

 private:
  friend class Engine;
  explicit Queue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
