// RawBatchSender: sends pre-encoded Kafka RecordBatch v2 batches (a Produce request's, byte for
// byte, compressed or not) to partitions, for the Kafka server. Internal to sluice: the server
// includes it, embedders use Producer.
//
// send_batch() checks the batch on the caller's thread, copies it (the request's buffer may go
// once it returns) into a ProduceBatch and hands that to the partition's shard through the
// sender's Channel to it, the ring a Producer uses. The shard appends it as it is: only the
// base offset changes (outside the CRC), so the producer's CRC stays valid end to end and a
// compressed batch is stored and served without being decoded. A batch with a producer id goes
// through the partition's idempotence check (partitions/producer_state.h): a retry is answered
// with the original's offsets and `duplicate`, and nothing is written twice.
//
// Checks, before anything is sent (each an Errc, for the server's error code):
// - the topic exists (not_found) and is not internal (invalid_argument), the partition exists
//   (invalid_argument);
// - the span is one whole batch: at least a header, magic 2 (else unsupported: the old message
//   formats), batch_length equal to the span's size (else corruption), a good CRC-32C (else
//   corruption: Kafka's CORRUPT_MESSAGE), at least one record (empty_batch);
// - not a control or transactional batch (unsupported: sluice has no transactions);
// - at most the topic's max_event_bytes in all (too_large);
// - with a producer id, an epoch and base sequence >= 0 (invalid_argument);
// - room: at most max_in_flight_bytes of batches in flight (one larger batch goes alone), and
//   at most kChannelCapacity batches to one shard; else would_block, at once. The caller may be
//   a shard thread, so nothing here ever waits. A refused batch was not sent: the caller keeps
//   the order of one producer's batches to a partition by retrying it before any later one (a
//   later batch that goes first is out of sequence).
//
// Keyed topics: the keys of a batch are hashed here and indexed by the shard, as a Producer's
// are (a batch whose records do not decode is refused: corruption). A compressed batch is
// decompressed for that into a scratch buffer of the sender's (and still stored compressed);
// a stream that does not decode is corruption, one that decompresses past
// partitions::kMaxDecompressedBatchBytes too_large. Batches to topics that are not keyed are
// never decompressed here.
//
// Durability is per batch (Kafka acks 0, 1 and -1 are none, written and synced), and one sender
// may mix them. The callback runs on the sender's thread from poll(), once the batch reached
// its durability or failed; a `none` batch completes as soon as the shard accepted it. A
// duplicate completes once the original reached the durability the retry asks for.
//
// Thread-safety: one thread only (like Producer): send_batch(), poll(), wait() and the
// destructor from the thread that made it. The Engine must outlive it. Destroying it never
// waits: callbacks of batches still in flight never run, and their memory stays with their
// channels until the shards are done with it.
#pragma once

#include "engine/engine_impl.h"

#include <sluice/durability.h>
#include <sluice/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::engine {

struct BatchDelivery {
  int64_t base_offset = -1;         // the batch's first offset (the original's, for a duplicate)
  int64_t log_start_offset = -1;    // the partition's first offset when the batch completed
  int64_t log_append_time_ms = -1;  // always -1: sluice keeps the producer's timestamps
  bool duplicate = false;           // a retry of a batch stored before
};

using BatchCallback = std::function<void(const Result<BatchDelivery>&)>;

struct RawBatchSenderOptions {
  // Bytes of batches sent and not completed, at most; also the most memory kept for reuse.
  uint64_t max_in_flight_bytes = 64ull << 20;
};

class RawBatchSender {
 public:
  explicit RawBatchSender(Engine::Impl& engine, const RawBatchSenderOptions& options = {});
  ~RawBatchSender();
  RawBatchSender(const RawBatchSender&) = delete;
  RawBatchSender& operator=(const RawBatchSender&) = delete;

  // Checks `kafka_batch` (see above) and hands a copy to the partition's shard; `done` (may be
  // empty) runs from a later poll() with the outcome. An error returned here means nothing was
  // sent and `done` will not run.
  Result<void> send_batch(std::string_view topic, int32_t partition,
                          std::span<const std::byte> kafka_batch, Durability durability,
                          BatchCallback done);

  // Completions also wake this shard (for a sender that lives on a shard thread, which waits in
  // its loop, not in wait()). Call before the first send_batch().
  void wake_on_completion(Shard* shard);
  // Runs the callbacks of completed batches; returns how many batches completed. A callback may
  // call send_batch(); a poll() from inside a callback does nothing. Call it often: a batch's
  // bytes count as in flight until a poll() takes it back, `none` batches included.
  size_t poll();
  // Waits (as the engine's WaitStrategy says) until a completion is ready or `until` passes;
  // true when one is ready. For callers that may block (tests, tools), never a shard thread.
  bool wait(std::chrono::steady_clock::time_point until);

  uint64_t in_flight_bytes() const { return in_flight_bytes_; }
  size_t in_flight_batches() const;

 private:
  struct RawBatch;
  struct Core;
  struct Link {
    std::shared_ptr<Channel> channel;
    uint32_t outstanding = 0;  // batches handed over and not back yet
  };

  Result<std::shared_ptr<Topic>> find_topic(std::string_view name);
  RawBatch* acquire_batch();
  void release_batch(RawBatch* batch);
  bool completions_ready() const;

  Engine::Impl& engine_;
  RawBatchSenderOptions options_;
  // The bell and every batch; shared with the channels, so that a batch in flight outlives the
  // sender when it is destroyed first.
  std::shared_ptr<Core> core_;
  std::vector<Link> links_;  // per shard
  std::vector<RawBatch*> free_batches_;
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_;
  uint64_t in_flight_bytes_ = 0;
  uint64_t idle_copy_bytes_ = 0;  // capacity of the free batches' copy buffers
  // A keyed topic's compressed batch is decompressed here to hash its keys; freed after a batch
  // that needed more than kScratchBytesKept.
  std::vector<std::byte> scratch_;
  bool in_callback_ = false;
};

}  // namespace sluice::engine
