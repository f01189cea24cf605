// Shard: one thread with its own io_uring ring (a FileSystem) that owns a set of partitions and
// is the only writer of their logs. Producers reach it through their Channels (lock-free
// rings); everything else (opening and closing partitions, subscriptions, queries that need the
// owner) goes through its task queue, a mutex-protected cold path.
//
// The loop: run tasks, drain the channels (appending each batch; a batch whose partition tail is
// full waits, and its channel with it, until writes free room), poll the ring (write and sync
// completions fire the producers' completions), apply retention now and then. Out of work, it
// waits as its WaitStrategy says: spin, or park: spin at most kSpinBeforePark (doorbell.h), and
// only while work has recently been arriving in shorter gaps than that, then sleep in the
// ring's poll, which ends on an I/O completion or on wake() from a producer or a task poster.
//
// Thread-safety: post(), run(), wake() and add_channel() from any thread; the rest from the
// shard's own thread (tasks run there).
#pragma once

#include "engine/doorbell.h"
#include "engine/produce_batch.h"
#include "engine/shard_service.h"
#include "engine/topic.h"
#include "io/file_system.h"

#include <sluice/result.h>
#include <sluice/wait_strategy.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace sluice::engine {

class Shard {
 public:
  struct Options {
    uint32_t id = 0;
    WaitStrategy wait = WaitStrategy::park;
    std::chrono::milliseconds retention_check_interval{60000};
    // Every shard of the engine (this one included), to wake those waiting for an append to a
    // partition of this one (engine/tail_waiters.h). Read only when such a waiter exists, which
    // is after the engine has started every shard; null: nobody waits.
    const std::vector<std::unique_ptr<Shard>>* peers = nullptr;
  };

  // Makes the shard's file system (its own ring) and starts its thread.
  static Result<std::unique_ptr<Shard>> start(const Options& options);
  // Drains the channels, closes every partition it owns (each log writes and syncs what it
  // holds) and joins the thread (stop(), if not done yet).
  ~Shard();
  // The same, keeping the object: wake() stays safe to call afterwards.
  void stop();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  uint32_t id() const { return options_.id; }
  // Synchronous calls of this file system are safe from any thread; asynchronous ones belong to
  // the shard thread.
  io::FileSystem& fs() { return *fs_; }
  // The shard's io_uring ring (under fs()), for its services' sockets: shard thread only.
  io::Ring& ring() { return *fs_->ring(); }

  // Queues `task` to run on the shard thread.
  void post(std::function<void()> task);
  // Runs `task` on the shard thread and returns its result (inline when called from it).
  template <typename F>
  std::invoke_result_t<F> run(F&& task);
  // Registers a producer's channel (the shard starts draining it).
  void add_channel(std::shared_ptr<Channel> channel);
  // Wakes the shard if it sleeps. Producers call it after pushing to a channel.
  void wake();
  // Attaches a service (polled every round from now on) or detaches it (not polled after
  // detach returns); both wait for the shard thread. The caller keeps the service alive while
  // it is attached, and does not call these from the shard thread's own services.
  void attach(ShardService* service);
  // Batches waiting in the producers' rings to this shard, as of its last drain (relaxed: a
  // gauge for /metrics), and the number of those rings.
  uint64_t ring_backlog() const { return ring_backlog_.load(std::memory_order_relaxed); }
  uint64_t ring_count() const { return ring_count_.load(std::memory_order_relaxed); }
  // Times a parking shard went to sleep in its ring's poll (relaxed: a count, any thread).
  uint64_t sleeps() const { return sleeps_.load(std::memory_order_relaxed); }
  void detach(ShardService* service);

  // ---- Shard thread only ----
  bool on_shard_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  // Takes ownership of a slot whose log is open, for retention and for closing at stop.
  void adopt(std::shared_ptr<PartitionSlot> slot);
  // Closes the slot's log (writing and syncing what it holds) and forgets the slot.
  void release(PartitionSlot& slot);

 private:
  explicit Shard(const Options& options, std::unique_ptr<io::FileSystem> fs);
  void loop();
  size_t run_tasks();
  size_t drain_channels();
  void update_ring_gauges();
  size_t drain(Channel& channel);
  // Appends the batch; false when its partition's tail is full (try again later).
  bool append(ProduceBatch* batch);
  void complete(ProduceBatch* batch, const Result<partitions::AppendInfo>& result);
  void apply_retention();
  bool input_pending() const;
  void idle(uint32_t idle_rounds);
  void end_idle();
  void close_all();

  Options options_;
  std::unique_ptr<io::FileSystem> fs_;

  std::mutex tasks_mutex_;
  std::deque<std::function<void()>> tasks_;
  // Tasks queued and not yet taken: lets the loop skip the mutex when there are none. Bumped
  // (seq_cst) after a task is queued; read (seq_cst) before the shard sleeps.
  std::atomic<uint32_t> tasks_queued_{0};

  std::vector<std::shared_ptr<Channel>> channels_;        // shard thread
  std::vector<std::shared_ptr<PartitionSlot>> slots_;     // shard thread
  std::vector<ShardService*> services_;                   // shard thread
  std::chrono::steady_clock::time_point next_retention_;  // shard thread
  std::chrono::steady_clock::time_point idle_since_;      // shard thread: its last work
  // Shard thread: an average of its recent idle periods (from the end of one work to the start
  // of the next), which decides whether it spins before it sleeps.
  std::chrono::nanoseconds typical_gap_{0};
  std::atomic<uint64_t> sleeps_{0};  // relaxed: a count for tests and gauges
  // 1 (seq_cst) while the shard sleeps in poll; wake() reads it with a seq_cst
  // read-modify-write after its caller's push, so one of them sees the other.
  std::atomic<uint32_t> sleeping_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> ring_backlog_{0};  // written by the shard thread after each drain
  std::atomic<uint64_t> ring_count_{0};
  std::thread thread_;
};

template <typename F>
std::invoke_result_t<F> Shard::run(F&& task) {
  using R = std::invoke_result_t<F>;
  if (on_shard_thread()) return task();
  std::packaged_task<R()> packaged(std::forward<F>(task));
  std::future<R> result = packaged.get_future();
  auto shared = std::make_shared<std::packaged_task<R()>>(std::move(packaged));
  post([shared] { (*shared)(); });
  return result.get();
}

}  // namespace sluice::engine
