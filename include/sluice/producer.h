// Producer: sends events to topics. One per application thread: a Producer is NOT thread-safe
// (each thread makes its own with Engine::producer()); it owns one ring to each shard.
//
// send() appends the event to an open batch for its partition in the producer's memory. A
// batch is handed to the shard that owns the partition when it reaches batch_bytes, when its
// first event has waited `linger` (checked by every send(), poll() and flush()), or at once when
// linger is zero (the default). The shard appends it to the partition's log, and the completion
// fires when the producer's durability is reached (none: stored in memory and visible to
// readers; written: handed to the kernel; synced: covered by an fdatasync).
//
// Completions:
// - the callback form runs the callback on the producer's thread, from poll(), send() or
//   flush(), with the event's partition and offset or the error that stopped it;
// - the future form becomes ready as soon as the shard completes the batch, from the shard's
//   thread (no poll() is needed, but with linger > 0 call flush() before waiting on it).
//
// Memory is bounded: events in open batches and batches not yet completed count against
// max_in_flight_bytes. When a send would go past it, send() waits (polling completions) or
// returns Errc::would_block, as on_full says.
#pragma once

#include <sluice/durability.h>
#include <sluice/event.h>
#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string_view>

namespace sluice {

enum class OnFull : uint8_t { wait, fail };

struct ProducerOptions {
  Durability durability = Durability::written;
  // A batch is handed over when it reaches this many bytes (at most 1 MiB).
  uint32_t batch_bytes = 64 * 1024;
  std::chrono::microseconds linger{0};
  // Bytes of events sent but not yet completed, at most.
  uint64_t max_in_flight_bytes = 64ull << 20;
  OnFull on_full = OnFull::wait;
  // How long send() waits for room when on_full is wait before it gives Errc::timed_out.
  std::chrono::milliseconds max_block{60000};
  // An idempotent producer (Kafka's, natively): Engine::producer() gives it a producer id of
  // its own (never handed out twice by the data directory; the call may block on a small file
  // write and sync once every 1000 ids), and each batch carries that id, an epoch and a base
  // sequence per partition. A partition stores a batch only if its sequence follows the
  // producer's previous batch there: a repeated batch is acknowledged with the original's
  // offsets and not stored again, and a gap is refused with Errc::out_of_order_sequence.
  // When a batch fails, the producer moves to its next epoch and restarts its sequences at 0,
  // so that later sends go on; batches already in flight behind the failed one to the same
  // partition fail too (out_of_order_sequence), and their callbacks say so. Costs nothing
  // per event when false; when true, a few stores per batch.
  bool idempotent = false;
};

using DeliveryCallback = std::function<void(const Result<Delivery>&)>;

class Engine;

class Producer {
 public:
  ~Producer();  // flushes and waits for every completion
  Producer(Producer&&) noexcept;
  Producer& operator=(Producer&&) noexcept;
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Errors returned at once (nothing is sent): not_found (no such topic), invalid_argument
  // (partition out of range, an internal topic), too_large (above the topic's
  // max_event_bytes), would_block (on_full is fail and the producer is full), timed_out,
  // closed (the engine is closing). Later errors (I/O) reach the callback or the future.
  Result<void> send(std::string_view topic, Event event, DeliveryCallback done = {});
  std::future<Result<Delivery>> send_future(std::string_view topic, Event event);

  // Hands over the open batches whose linger ran out; runs ready callbacks. Returns how many
  // ran.
  size_t poll();
  // Hands every open batch over and waits until all of them completed (callbacks run).
  Result<void> flush(std::chrono::milliseconds timeout = std::chrono::milliseconds{60000});

  uint64_t in_flight_bytes() const;

  struct Impl;
  // sluice's own layers reach the inside through this; embedders have no use for it.
  Impl& impl() { return *impl_; }

 private:
  friend class Engine;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
