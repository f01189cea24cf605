// Metrics: the server's counters and latency histograms, rendered as Prometheus text by
// GET /metrics. One Metrics per server, shared by every shard thread: each update is one
// relaxed atomic add (a counter is a count; nothing is published through it).
//
// Thread-safety: every member may be used from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace sluice {
class Engine;
}

namespace sluice::server {

class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Latency in microseconds, in fixed buckets (powers of two from 1 us to about 67 s).
class Histogram {
 public:
  static constexpr size_t kBuckets = 27;
  void observe_us(uint64_t us);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t sum_us() const { return sum_us_.load(std::memory_order_relaxed); }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  // The upper bound of bucket i in microseconds (2^i).
  static uint64_t bucket_bound_us(size_t i) { return uint64_t{1} << i; }

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

// The Kafka API keys we answer have their own request histograms (indexed by key).
inline constexpr size_t kKafkaApiSlots = 64;

struct Metrics {
  Counter produced_events;
  Counter produced_bytes;
  Counter fetched_events;
  Counter fetched_bytes;
  Counter connections_accepted;
  Counter connections_rejected;  // over max_connections
  Gauge connections_open;
  Counter kafka_requests;
  Counter kafka_request_errors;  // requests answered with an error or closed as malformed
  Counter http_requests;
  Counter http_request_errors;                                  // 4xx and 5xx answers
  std::array<Histogram, kKafkaApiSlots> kafka_request_latency;  // by API key
  Histogram http_request_latency;

  // Everything above, plus what the engine knows (fsync latency, group lag, ring occupancy),
  // in the Prometheus text exposition format.
  std::string render_prometheus(Engine& engine) const;
};

}  // namespace sluice::server
