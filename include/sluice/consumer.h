// Consumer: a member of a consumer group, reading the partitions the group assigns to it.
// One thread uses a Consumer at a time: it is NOT thread-safe.
//
// Group membership lives in poll(): the first poll() joins the group; every poll() is also a
// heartbeat. A member that does not poll for session_timeout is removed and its partitions go
// to the others. When membership changes, the group rebalances: every member learns it at its
// next poll(), gives up its partitions (committing its positions first when auto_commit is on)
// and receives its new assignment once every member has rejoined, so that no two members of
// one generation read the same partition.
//
// Each assigned partition is read in offset order from the committed offset of the group (or
// from `reset` when the group never committed one). poll() returns what is there; a caught-up
// consumer reads the partition's in-memory tail without touching the disk, and one that has
// fallen behind reads from disk; memory never grows with lag.
//
// Offsets: commit() stores the position after the last event poll() returned for each
// assigned partition (at-least-once: commit after processing); auto_commit does it every
// auto_commit_interval from poll(). Commits are appended to the internal log
// __consumer_offsets and survive restarts.
//
// Callback delivery (ConsumerOptions::on_events): instead of returning events from poll(), the
// consumer hands them to on_events on the thread of the shard that owns each partition, right
// after the append that publishes them: no hand-off to another thread, the lowest latency the
// engine has (bench/RESULTS.md). A partition that starts behind its tail is read there too,
// max_partition_bytes at a time between the shard's other work. The rules:
// - on_events runs on engine threads. For one partition its calls never overlap and come in
//   offset order; calls for partitions of different shards may run at the same time.
// - It must be quick and must not block or call back into this Consumer: the shard's producers
//   and other partitions wait while it runs.
// - The position of a partition moves past the events of a call once the call returns, so a
//   commit (auto or manual) never covers an event whose call has not returned: at-least-once.
// - An exception thrown by on_events stops that partition's delivery (its position stays before
//   the events of that call) and the next poll() returns the error; seek() starts it again.
// - poll() must still be called: it joins the group, heartbeats, commits and rebalances (and
//   returns read errors of the deliveries); it returns no events, and sleeps while it waits.
#pragma once

#include <sluice/event.h>
#include <sluice/result.h>
#include <sluice/topic.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice {

enum class AssignmentStrategy : uint8_t { range, round_robin };
// Where a partition without a committed offset starts.
enum class OffsetReset : uint8_t { earliest, latest };
// Callback delivery: the events of one partition, in offset order (see above).
using EventsCallback = std::function<void(std::span<const Record> events)>;

struct ConsumerOptions {
  std::string group;                // required
  std::vector<std::string> topics;  // required, each must exist
  AssignmentStrategy strategy = AssignmentStrategy::range;
  std::chrono::milliseconds session_timeout{10000};
  // A rebalance waits this long for every member to rejoin; those that do not are removed.
  std::chrono::milliseconds rebalance_timeout{30000};
  bool auto_commit = true;
  std::chrono::milliseconds auto_commit_interval{5000};
  OffsetReset reset = OffsetReset::earliest;
  uint32_t max_poll_events = 500;
  // Bytes read from one partition per poll, at most (a first event larger than this is still
  // returned).
  uint64_t max_partition_bytes = 1u << 20;
  // When set, events go to this callback on the shards' threads instead of out of poll()
  // (callback delivery, above); max_poll_events then bounds the events of one call.
  EventsCallback on_events;
};

// Where seek() moves a partition's position.
struct SeekTarget {
  enum class Kind : uint8_t { earliest, latest, offset, timestamp } kind = Kind::earliest;
  int64_t value = 0;  // the offset, or the timestamp in milliseconds
  static SeekTarget earliest() { return {Kind::earliest, 0}; }
  static SeekTarget latest() { return {Kind::latest, 0}; }
  static SeekTarget offset(int64_t offset) { return {Kind::offset, offset}; }
  static SeekTarget timestamp(int64_t ms) { return {Kind::timestamp, ms}; }
};

struct PartitionLag {
  TopicPartition partition;
  int64_t position = 0;    // the next offset this consumer reads
  int64_t committed = -1;  // the group's committed offset; -1 when none
  int64_t latest = 0;      // the partition's high watermark
  int64_t lag = 0;         // latest - committed (latest - earliest when none was committed)
};

class Engine;

class Consumer {
 public:
  ~Consumer();  // close()
  Consumer(Consumer&&) noexcept;
  Consumer& operator=(Consumer&&) noexcept;
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Returns up to max_poll_events events, waiting up to `timeout` for the first one. An empty
  // vector when none came. Errors: closed, and the I/O errors of reading a partition.
  Result<std::vector<Record>> poll(std::chrono::milliseconds timeout);
  // Commits the positions of every assigned partition (what poll() returned so far) and waits
  // until they are durable.
  Result<void> commit();
  // Commits `offset` (the next offset to read) for one assigned partition.
  Result<void> commit(const TopicPartition& partition, int64_t offset);
  // Moves the position of an assigned partition; invalid_argument when it is not assigned.
  Result<void> seek(const TopicPartition& partition, SeekTarget target);

  // The partitions of this member's current assignment.
  std::vector<TopicPartition> assignment() const;
  // Position, committed offset and lag of each assigned partition.
  Result<std::vector<PartitionLag>> lag() const;
  const std::string& member_id() const;
  int32_t generation() const;

  // Commits (when auto_commit is on) and leaves the group, so that its partitions move to the
  // other members at once. Later calls return Errc::closed.
  Result<void> close();

  struct Impl;

 private:
  friend class Engine;
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
