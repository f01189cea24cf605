// sluice-bench embedded: the engine as an embedder sees it, through the public API only
// (<sluice/sluice.h>). Three workloads:
// - produce: P threads, each with its own Producer, send events to a topic of K partitions;
//   latency is from send() (or the event's intended send time, open loop) to its delivery
//   callback, and throughput counts completions.
// - e2e: the same producers plus one consumer thread in a group; latency is from send() to the
//   moment Consumer::poll returns the event (the send time travels in the event's value).
// - query: fills a topic, then times Engine::read(topic, partition, random offset, 1).
// - queue: fills a topic, then R worker threads share one Queue (group) of it: receive up to
//   --batch-events, ack them all in one call (durability --acks), until every event is acked;
//   latency is from receive() returning to ack() returning, per event.
// Without --rate the load is closed loop (as fast as it goes); with it, open loop at that
// many events (or reads) per second in total, split evenly over the threads.
#pragma once

#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/durability.h>
#include <sluice/result.h>
#include <sluice/wait_strategy.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sluice::bench {

enum class EmbeddedWorkload : uint8_t { produce, e2e, query, queue };

struct EmbeddedOptions {
  EmbeddedWorkload workload = EmbeddedWorkload::produce;
  uint64_t event_bytes = 100;  // value bytes per event
  uint64_t key_bytes = 0;      // 0: key-less events (sticky partitioning)
  uint32_t producers = 1;
  uint32_t partitions = 1;
  Durability acks = Durability::written;
  double rate = 0;  // events (reads) per second in total; 0: closed loop
  WaitStrategy wait = WaitStrategy::park;
  // e2e: how the consumer receives: ConsumerOptions::on_events (on the shard's thread) or
  // Consumer::poll (on the consumer's thread).
  bool callback_delivery = true;
  double seconds = 10;
  std::string json_path;
  uint32_t shards = 0;                     // 0: the engine's default (one per core)
  std::string data_dir;                    // empty: a temporary directory, removed afterwards
  uint64_t batch_bytes = 64 * 1024;        // ProducerOptions::batch_bytes
  uint64_t linger_us = 0;                  // ProducerOptions::linger
  uint64_t write_interval_us = 0;          // EngineOptions::write_interval
  bool direct_io = true;                   // EngineOptions::direct_io
  uint64_t small_write_bytes = 64 * 1024;  // EngineOptions::small_write_bytes
  // TopicConfig::segment_bytes; 0: the default (1 GiB, preallocated per partition).
  uint64_t segment_bytes = 0;
  // EngineOptions::internal_compaction_min_bytes (the compaction of __queue_state and
  // __consumer_offsets); unset: the engine's default.
  std::optional<uint64_t> internal_compaction_bytes;
  // query and queue (readers: the queue's worker threads).
  uint32_t readers = 1;
  uint32_t batch_events = 256;  // queue: receive (and ack) this many per call
  uint64_t fill_events = 200000;
  uint64_t tail_cache_bytes = 0;  // per partition; 0: the engine's default (query: enough)
};

struct EmbeddedResult {
  uint64_t events = 0;   // completed (produce), received (e2e) or read (query)
  uint64_t sent = 0;     // produce and e2e: events handed to send()
  double elapsed_s = 0;  // from the start to the last completion, receipt or read
  uint64_t errors = 0;
  std::string first_error;
  uint64_t missing = 0;  // e2e: sent but not received before the drain deadline
  // The headline figure of the workload (see the header comment).
  LatencyHistogram latency_ns;
  // e2e, open loop: intended send time -> received, and intended -> actual send.
  LatencyHistogram latency_intended_ns;
  LatencyHistogram send_delay_ns;
  // e2e: send() -> delivery callback (the produce workload's figure, beside the consumer's).
  LatencyHistogram ack_latency_ns;
  uint32_t shards = 0;  // as the engine runs
  uint64_t tail_cache_bytes = 0;
  uint64_t segment_bytes = 0;  // as the topic has it
  uint64_t filled_events = 0;  // query
  double fill_s = 0;

  double events_per_sec() const {
    return elapsed_s > 0 ? static_cast<double>(events) / elapsed_s : 0;
  }
};

Result<EmbeddedResult> run_embedded_bench(const EmbeddedOptions& options);

// The command: parses `words`, runs, prints a summary line, writes the JSON; an exit code
// (0 ok, 1 run error, 2 usage error).
int embedded_command(std::span<const std::string> words);

}  // namespace sluice::bench
