// Journal: appends the engine's own records (request statuses, idempotency keys) and the
// events of submitted requests, each synced before its callback runs, from any thread without
// blocking the caller. Private to engine/.
//
// One thread owns an internal Producer (Durability::synced, linger 0, allowed to write internal
// topics). append() queues an event and returns at once; the thread sends it, and once the
// shard reports it synced (or failed) runs its callback. Events queued by one thread are sent
// in that order, so two records of the same partition are stored in the order they were
// queued. Callbacks run on the journal's thread, one at a time: they may call append() (the
// follow-up is sent after the callback returns) but must not block on the journal (a blocking
// engine call from a callback would wait for the thread that runs it).
//
// Waiting: with nothing in flight the thread sleeps on a condition variable until append()
// queues something; with batches in flight it waits on its producer's doorbell (a short spin,
// then a futex), which both the shards' completions and append() ring.
//
// Thread-safety: append() and post() from any thread; the destructor from one thread once no
// other calls are made. The Engine::Impl (its shards) must outlive the Journal.
#pragma once

#include "engine/doorbell.h"
#include "engine/engine_impl.h"

#include <sluice/event.h>
#include <sluice/producer.h>
#include <sluice/result.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sluice::engine {

class Journal {
 public:
  using Done = std::function<void(Result<Delivery>)>;

  explicit Journal(Engine::Impl& engine);
  // Sends what is queued, waits until every callback ran (callbacks' follow-ups included) and
  // stops the thread.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Queues `event` for `topic` (the event's partition as given, or chosen by its key). `done`
  // runs on the journal's thread with where the event was stored once it is synced, or with
  // the error that stopped it (those of Producer::send, the I/O errors).
  void append(std::string topic, Event event, Done done);
  // Runs `task` on the journal's thread, after what was queued before it.
  void post(std::function<void()> task);

  bool on_journal_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Item {
    std::string topic;
    Event event;
    Done done;
    std::function<void()> task;  // set: a task, not an event
  };

  void push(Item item);
  void run();
  // Sends or runs every queued item; returns how many there were.
  size_t take_queued();

  std::unique_ptr<Producer::Impl> producer_;  // the journal's thread only
  std::shared_ptr<Doorbell> bell_;            // the producer's; rung by push() too
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  // Set (release) by push() after it queued, cleared (relaxed, under mutex_) when the thread
  // takes the queue: lets the doorbell wait see new work without the mutex.
  std::atomic<bool> queued_{false};
  std::thread thread_;
};

}  // namespace sluice::engine
