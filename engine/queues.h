// Queues: every group's queue state (include/sluice/queue.h), one QueueState per (group,
// topic), made on first use and rebuilt at open from the records of the internal topic
// __queue_state (consumers/queue_record.h, consumers/FORMAT.md). Private to engine/.
//
// Records go through one internal producer (`writer`), always to partition 0 of
// __queue_state, sent while the state's mutex is held: the log holds each table's changes in
// the order they were made, which the rebuild needs. The durability of each record is set per
// send (linger 0: every send is one batch, handed over at once). Deliver records are not
// waited for: a deliver record lost in a crash only means a lower delivery count (the event is
// delivered again as if that delivery had not happened). Ack, nack, dead-letter and replay
// records are waited for with the durability the caller asked for.
//
// Threads:
// - callers (Queue handles, any thread): take events, ack, nack under the state's mutex;
// - the timer thread: expires locks and retries at their deadlines (sleeping until the next
//   one), serves receives that wait for events, and starts the periodic commit of each
//   group's handled prefix to __consumer_offsets. It sleeps on a Doorbell that the shards ring
//   through a Subscription per partition of every queue's topic (so a waiting receive learns
//   of appends without polling) and that kick() rings;
// - the completion thread: runs jobs that wait (async acks and nacks waiting for their records,
//   dead-lettering, offset commits), one at a time, in order.
//
// Lock order: making_mutex_ -> Queues::mutex_ (the registry) -> QueueState::mutex ->
// writer_mutex_; dlq_mutex_ is taken alone.
//
// Thread-safety: every public member from any thread between open() and close().
#pragma once

#include "engine/doorbell.h"
#include "engine/engine_impl.h"
#include "engine/subscription.h"
#include "engine/topic.h"

#include "consumers/queue_policy.h"
#include "consumers/queue_record.h"
#include "consumers/queue_table.h"

#include <sluice/queue.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::engine {

inline constexpr std::string_view kQueueStateTopic = "__queue_state";
inline constexpr std::string_view kDlqSuffix = ".dlq";
inline constexpr uint32_t kQueueReceiveMax = 10000;

// Milliseconds since the epoch: the clock of locks and retries (it survives restarts).
int64_t queue_wall_ms();

struct QueueState {
  QueueState(std::string group, std::shared_ptr<Topic> topic, consumers::QueueTable table);

  const std::string group;
  const std::shared_ptr<Topic> source;
  const std::string record_key;  // consumers::encode_queue_key(group, topic)

  std::mutex mutex;
  // Guarded by mutex.
  consumers::QueueTable table;
  bool forgotten = false;                      // the topic was deleted
  Durability durability = Durability::synced;  // of timer-driven dead-letters: the last handle's
  int32_t next_partition = 0;                  // where the next take starts reading
  std::vector<std::byte> buffer;               // reads
  std::vector<Record> records;                 // decoded reads
  std::vector<consumers::NewEvent> offered;
  std::vector<consumers::QueueDelivery> deliveries;

  // One per partition, registered with the partition's shard; drained by the timer thread.
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  // The timer thread's: positions last committed to __consumer_offsets.
  std::vector<int64_t> committed;
};

// A record sent to __queue_state; wait() gives its outcome.
struct PendingRecord {
  std::optional<std::future<Result<Delivery>>> future;  // none: nothing to wait for
};

class Queues {
 public:
  explicit Queues(Engine::Impl& engine);
  ~Queues();
  Queues(const Queues&) = delete;
  Queues& operator=(const Queues&) = delete;

  // Makes __queue_state when missing, rebuilds every table from it, starts the threads.
  Result<void> open();
  // Ends waiting receives (Errc::closed), runs the queued jobs, stops the threads and removes
  // the subscriptions. Later calls answer Errc::closed.
  void close();

  // The state of (group, topic), made on first use (a start record, synced, names where each
  // partition starts: the group's committed offset, else the partition's earliest).
  Result<std::shared_ptr<QueueState>> state(const std::string& group,
                                            const std::shared_ptr<Topic>& topic);
  std::vector<std::shared_ptr<QueueState>> states() const;
  // The topic was deleted: every table of it is forgotten (a forget record each, synced).
  Result<void> forget_topic(std::string_view topic);
  // Compacts __queue_state (queue_compaction.cc, consumers/FORMAT.md "Compaction"): rolls it,
  // writes a snapshot of every table under the table's mutex, waits until they are synced and
  // deletes the segments before the roll. Blocks for that long; takes each table's mutex only
  // while its snapshot is taken and sent. Errors: those of writing (nothing is deleted then).
  Result<void> compact();

  // Locks and reads up to `max` events (no waiting). Errors: closed, not_found (the topic
  // was deleted), the I/O errors of reading.
  Result<std::vector<QueuedEvent>> take(QueueState& state, uint32_t max, int64_t lock_ms);
  // Serves a receive that found nothing: `done` runs on the timer thread when events came or
  // at `until` (with none).
  void wait_for_events(std::shared_ptr<QueueState> state, uint32_t max, int64_t lock_ms,
                       std::chrono::steady_clock::time_point until,
                       std::function<void(Result<std::vector<QueuedEvent>>)> done);

  // Sends a record of `state` (its mutex held by the caller). Durability::none: not waited.
  Result<PendingRecord> write(QueueState& state, const consumers::QueueRecordBody& body,
                              Durability durability);
  // Waits for the record (polling the writer now and then, so that batches it holds back go).
  Result<void> wait(PendingRecord& record);

  // Moves the events of the decisions to <topic>.dlq, then records them as dead-lettered.
  // Blocks: call it from the completion thread or a caller's thread. Returns the outcome of
  // each decision, in order.
  std::vector<Result<void>> dead_letter(const std::shared_ptr<QueueState>& state,
                                        std::vector<consumers::DeadLetterDecision> decisions,
                                        Durability durability);
  // Appends events to a user topic (DLQ events, replay copies) and waits for them.
  Result<std::vector<Delivery>> append_user_events(std::string_view topic,
                                                   std::vector<Event> events,
                                                   Durability durability);

  // Runs `job` on the completion thread (at once, on the caller's thread, once closed).
  void later(std::function<void()> job);
  // Wakes the timer thread (something became ready, or a waiter came).
  void kick();
  // A lock expiry or retry due time (wall clock) was set: wakes the timer thread if it plans to
  // sleep past it.
  void note_deadline(int64_t wall_ms);
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  Engine::Impl& engine() { return engine_; }

 private:
  struct Waiter {
    std::shared_ptr<QueueState> state;
    uint32_t max;
    int64_t lock_ms;
    std::chrono::steady_clock::time_point until;
    std::function<void(Result<std::vector<QueuedEvent>>)> done;
  };

  Result<void> rebuild();
  Result<std::shared_ptr<QueueState>> make_state(const std::string& group,
                                                 const std::shared_ptr<Topic>& topic,
                                                 consumers::QueueTable table);
  void subscribe(QueueState& state);
  void unsubscribe(QueueState& state);
  Result<void> read_redeliveries(QueueState& state, size_t first, std::vector<QueuedEvent>& out);
  Result<void> read_new(QueueState& state, int32_t partition, uint32_t max, int64_t now_ms,
                        int64_t lock_ms, std::vector<QueuedEvent>& out);
  void timer_loop();
  // Expires every table; returns the earliest deadline (steady clock).
  std::chrono::steady_clock::time_point expire_all(
      const std::vector<std::shared_ptr<QueueState>>& states);
  std::chrono::steady_clock::time_point serve_waiters();
  void commit_positions(const std::vector<std::shared_ptr<QueueState>>& states);
  void completion_loop();

  Engine::Impl& engine_;
  std::atomic<bool> closed_{false};

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<QueueState>> states_;

  // Held while a table is made (its start record written and the table registered), and by
  // compact() across its roll and its listing of the tables: a table is either listed, or its
  // start record comes after the roll.
  std::mutex making_mutex_;

  std::mutex writer_mutex_;
  std::unique_ptr<Producer::Impl> writer_;
  std::mutex dlq_mutex_;
  std::unique_ptr<Producer::Impl> dlq_writer_;

  // Timer thread.
  Doorbell bell_;
  std::atomic<bool> kicked_{false};
  // When the timer thread plans to wake (wall clock): relaxed, a hint (a late store costs one
  // spurious kick, an early one a wake-up that finds nothing).
  std::atomic<int64_t> planned_wake_ms_{0};
  std::atomic<bool> stopping_{false};
  std::mutex waiters_mutex_;
  std::deque<Waiter> waiters_;
  std::atomic<bool> commit_running_{false};
  std::thread timer_;

  // Completion thread.
  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::deque<std::function<void()>> jobs_;
  bool jobs_stopping_ = false;
  std::thread completer_;
};

}  // namespace sluice::engine
