// sluice-bench kafka, http and redis: a server measured through its network protocol, with the
// options, pacing and JSON report of the embedded workloads (embedded_bench.h):
// - kafka produce: P producer clients (librdkafka, one thread each) send events to a topic of K
//   partitions; latency is from each event's intended send time (the produce call in closed
//   loop) to its delivery report, for the acks asked for.
// - kafka consume: fills the topic (outside the measured time) unless it holds events already,
//   then one consumer reads it all from the earliest offsets: events/s and MB/s.
// - kafka e2e: producers at a rate and one consumer assigned to every partition; latency is from
//   the send time stamped in the value to the moment the consumer has the event.
// - http query: fills a topic over POST /v1/topics/{t}/events, then R keep-alive connections
//   (a thread each) GET /v1/topics/{t}/partitions/{p}/events/{offset} at random offsets.
// - http queue: fills a topic, then C keep-alive connections (a thread each) receive up to B
//   events at a time as one group and ack them; latency is per receive + ack round trip.
// - redis xadd: P connections append events to a stream with XADD, `pipeline` at a time.
// - redis xrange: fills a stream, then R connections read one entry by id with XRANGE.
// Without --rate the load is closed loop; with it, open loop at that many events (or reads) per
// second in total, split over the threads, and latency counts from each intended send time, so
// that a stalled client or server cannot hide a stall (coordinated omission).
#pragma once

#include "bench/sluice_bench/latency_histogram.h"

#include <sluice/result.h>

#include <cstdint>
#include <span>
#include <string>

namespace sluice::bench {

enum class RemoteBenchmark : uint8_t { kafka, http, redis };
enum class RemoteWorkload : uint8_t { produce, consume, e2e, query, queue, xadd, xrange };

const char* remote_benchmark_name(RemoteBenchmark benchmark);
const char* remote_workload_name(RemoteWorkload workload);

struct RemoteOptions {
  RemoteBenchmark benchmark = RemoteBenchmark::kafka;
  RemoteWorkload workload = RemoteWorkload::produce;
  // The server: "HOST:PORT" (kafka --bootstrap, redis --address; http --url gives it).
  std::string address;
  std::string topic;           // empty: a fresh name per run (redis: the stream's key)
  uint64_t event_bytes = 100;  // value bytes per event
  uint64_t key_bytes = 0;      // 0: key-less events
  uint32_t producers = 1;      // kafka produce and e2e: clients; redis xadd: connections
  uint32_t readers = 4;        // http query, redis xrange: connections
  uint32_t partitions = 1;
  int kafka_acks = -1;  // -1 (all), 1 or 0
  double rate = 0;      // events (reads) per second in total; 0: closed loop
  double seconds = 10;
  std::string json_path;
  // kafka: the producers' linger.ms (in us), batch.size and batch.num.messages, and the
  // consumer's max.partition.fetch.bytes.
  uint64_t linger_us = 5000;
  uint64_t batch_bytes = 1'000'000;
  uint64_t batch_messages = 10'000;
  uint64_t fetch_bytes = 1u << 20;
  // kafka consume, http query, redis xrange: events written before the measured part (kafka
  // consume: 0 when the topic already holds events reads those).
  uint64_t fill_events = 0;
  uint32_t pipeline = 64;  // redis xadd: commands in flight per connection
  // http queue: connections (a thread each), events per receive, their lock, the group.
  uint32_t consumers = 4;
  uint32_t batch_events = 100;
  uint64_t lock_ms = 30000;
  std::string group;  // empty: "<topic>-workers"
};

struct RemoteResult {
  std::string topic;
  uint64_t events = 0;   // delivered (produce), received (consume, e2e), read, appended
  uint64_t sent = 0;     // produce, e2e, xadd: events handed to the client
  double elapsed_s = 0;  // from the start to the last delivery, receipt or read
  uint64_t errors = 0;
  std::string first_error;
  uint64_t missing = 0;         // e2e: sent but not received before the drain deadline
  LatencyHistogram latency_ns;  // the workload's figure (see the header comment)
  // e2e: intended send time -> received; open loop: intended -> actual send.
  LatencyHistogram latency_intended_ns;
  LatencyHistogram send_delay_ns;
  LatencyHistogram ack_latency_ns;  // e2e: the producers' delivery reports
  uint64_t filled_events = 0;
  double fill_s = 0;
  uint64_t consumed_bytes = 0;  // consume: key and value bytes received
  uint64_t round_trips = 0;     // http queue: receive + ack pairs timed
  bool drained = false;         // http queue: a consumer found the queue empty before the end

  double events_per_sec() const {
    return elapsed_s > 0 ? static_cast<double>(events) / elapsed_s : 0;
  }
};

// The runs, one per benchmark (kafka_bench.cc, http_bench.cc, redis_bench.cc).
Result<RemoteResult> run_kafka_bench(const RemoteOptions& options);
Result<RemoteResult> run_http_bench(const RemoteOptions& options);  // query and queue
Result<RemoteResult> run_http_queue_bench(const RemoteOptions& options);
Result<RemoteResult> run_redis_bench(const RemoteOptions& options);

// The commands: parse `words`, run, print a summary line, write the JSON; an exit code (0 ok,
// 1 run error, 2 usage error).
int remote_command(RemoteBenchmark benchmark, std::span<const std::string> words);

// A topic (or stream) name no earlier run used.
std::string fresh_topic_name();

}  // namespace sluice::bench
