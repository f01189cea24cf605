// Error codes for operating errors: the things that go wrong in a correct program
// (I/O failure, a full disk, corruption on disk, bad input from a caller). Programmer errors
// are not here: they stop the process through SLUICE_ASSERT.
//
// Thread-safety: plain values; errc_name is safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

enum class Errc : uint8_t {
  io_error = 1,         // the OS reported an I/O failure (EIO and the like)
  no_space,             // the disk is full (ENOSPC, EDQUOT)
  corruption,           // bytes on disk failed a length, magic or CRC check
  not_found,            // a file, directory or topic does not exist
  already_exists,       // the thing to create is already there
  invalid_argument,     // a caller passed a malformed value
  too_large,            // an event or batch above the configured maximum
  empty_batch,          // a batch with no records
  offset_out_of_range,  // before the log start or past the log end
  would_block,          // a bounded buffer or ring is full: back off and retry
  unsupported,          // the kernel or filesystem lacks a needed feature
  closed,               // the object was closed or is shutting down
  timed_out,            // a wait ran out of time
  permission_denied,    // EACCES, EPERM
  busy,                 // the resource is in use (EBUSY, a lock held by another)
  // Idempotent producers (partitions/producer_state.h): a batch whose sequence does not follow
  // the producer's last one (Kafka OUT_OF_ORDER_SEQUENCE_NUMBER, 45), one from an epoch older
  // than the producer's current one (INVALID_PRODUCER_EPOCH, 47), and one with a sequence
  // above 0 from a producer the partition does not know (UNKNOWN_PRODUCER_ID, 59).
  out_of_order_sequence,
  invalid_producer_epoch,
  unknown_producer_id,
  // Queues (include/sluice/queue.h): the lock named by an ack or nack is not the event's
  // current one (it ran out, or the token is wrong).
  lock_lost,
  // The thing is in a state that forbids the call (a request that already has its outcome,
  // an idempotency key whose first use is still in progress).
  conflict,
};

// A short stable name: "io_error", "no_space", ...
std::string_view errc_name(Errc code);

}  // namespace sluice
