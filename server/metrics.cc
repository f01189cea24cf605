// Metrics: histogram updates and the Prometheus text exposition (format 0.0.4): "# HELP" and
// "# TYPE" before each family, counters named *_total, histograms as cumulative
// *_bucket{le="..."} series (in seconds, Prometheus' base unit) with *_sum and *_count.
#include "server/metrics.h"

#include <cstdio>

#include "server/kafka/api_keys.h"

#include "engine/engine_impl.h"
#include "engine/engine_stats.h"

#include <sluice/engine.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <string_view>

namespace sluice::server {

void Histogram::observe_us(uint64_t us) {
  // Bucket i counts the samples in (2^(i-1), 2^i] microseconds; longer ones count only in +Inf.
  const auto i = static_cast<size_t>(us <= 1 ? 0 : std::bit_width(us - 1));
  // Relaxed: each is a count on its own; a scrape may see one update before another.
  if (i < kBuckets) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

namespace {

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, static_cast<size_t>(end - digits));
}

void append_number(std::string& out, int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, static_cast<size_t>(end - digits));
}

// Microseconds as decimal seconds, exactly ("0.000512", "67.108864").
void append_seconds(std::string& out, uint64_t us) {
  append_number(out, us / 1000000);
  out.push_back('.');
  char fraction[7] = "000000";
  uint64_t rest = us % 1000000;
  for (int i = 5; i >= 0; --i, rest /= 10)
    fraction[i] = static_cast<char>('0' + rest % 10);
  out.append(fraction, 6);
}

// A label value with '\', '"' and newlines escaped.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void counter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  family(out, name, "counter", help);
  out.append(name).append(" ");
  append_number(out, value);
  out.push_back('\n');
}

// A histogram's numbers as rendered: per-bucket counts with their bounds, the count, the sum.
struct Buckets {
  std::array<uint64_t, Histogram::kBuckets> counts{};
  size_t size = 0;  // buckets rendered with a bound; what is above counts only in +Inf
  uint64_t count = 0;
  uint64_t sum_us = 0;
};

Buckets buckets_of(const Histogram& histogram) {
  Buckets b;
  b.size = Histogram::kBuckets;
  for (size_t i = 0; i < b.size; ++i)
    b.counts[i] = histogram.bucket(i);
  b.count = histogram.count();
  b.sum_us = histogram.sum_us();
  return b;
}

// One histogram's series; `labels` is empty or 'api="Produce",' (with its trailing comma).
void histogram_series(std::string& out, std::string_view name, std::string_view labels,
                      const Buckets& histogram) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < histogram.size; ++i) {
    cumulative += histogram.counts[i];
    out.append(name).append("_bucket{").append(labels).append("le=\"");
    append_seconds(out, Histogram::bucket_bound_us(i));
    out.append("\"} ");
    append_number(out, cumulative);
    out.push_back('\n');
  }
  // The count is read after the buckets and may lag them: +Inf is never below a bucket.
  const uint64_t count = std::max(histogram.count, cumulative);
  out.append(name).append("_bucket{").append(labels).append("le=\"+Inf\"} ");
  append_number(out, count);
  out.push_back('\n');
  const std::string_view bare = labels.empty() ? labels : labels.substr(0, labels.size() - 1);
  out.append(name).append("_sum");
  if (!bare.empty()) out.append("{").append(bare).append("}");
  out.push_back(' ');
  append_seconds(out, histogram.sum_us);
  out.push_back('\n');
  out.append(name).append("_count");
  if (!bare.empty()) out.append("{").append(bare).append("}");
  out.push_back(' ');
  append_number(out, count);
  out.push_back('\n');
}

void group_lag(std::string& out, Engine& engine) {
  family(out, "sluice_group_lag", "gauge",
         "Events between a group's committed offset and the partition's latest offset.");
  for (const std::string& group : engine.list_groups()) {
    Result<Engine::GroupDescription> described = engine.describe_group(group);
    if (!described.ok()) continue;  // removed since it was listed
    for (const PartitionLag& lag : described->offsets) {
      out.append("sluice_group_lag{group=\"");
      append_label_value(out, group);
      out.append("\",topic=\"");
      append_label_value(out, lag.partition.topic);
      out.append("\",partition=\"");
      append_number(out, int64_t{lag.partition.partition});
      out.append("\"} ");
      append_number(out, lag.lag);
      out.push_back('\n');
    }
  }
}

// Every queue's counters (include/sluice/queue.h QueueStats), labelled by group and topic: what
// who watches stuck and dead-lettered work needs.
void queue_stats(std::string& out, Engine& engine) {
  const std::vector<QueueStats> queues = engine.queue_stats();
  struct Series {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const QueueStats&);
  };
  static constexpr Series kSeries[] = {
      {"sluice_queue_in_flight", "gauge", "Events received and locked, not yet acked.",
       [](const QueueStats& q) { return static_cast<double>(q.in_flight); }},
      {"sluice_queue_waiting_retry", "gauge",
       "Events nacked or expired, waiting for their backoff.",
       [](const QueueStats& q) { return static_cast<double>(q.waiting_retry); }},
      {"sluice_queue_backlog", "gauge", "Events never delivered yet.",
       [](const QueueStats& q) { return static_cast<double>(q.backlog); }},
      {"sluice_queue_oldest_unacked_age_seconds", "gauge",
       "Age of the oldest event received and not yet handled.",
       [](const QueueStats& q) { return static_cast<double>(q.oldest_unacked_age_ms) / 1000.0; }},
      {"sluice_queue_acked_total", "counter", "Events acked since the server started.",
       [](const QueueStats& q) { return static_cast<double>(q.acked); }},
      {"sluice_queue_redelivered_total", "counter",
       "Deliveries after an event's first, since the server started.",
       [](const QueueStats& q) { return static_cast<double>(q.redelivered); }},
      {"sluice_queue_dead_lettered_total", "counter",
       "Events moved to the dead-letter topic since the server started.",
       [](const QueueStats& q) { return static_cast<double>(q.dead_lettered); }},
      {"sluice_queue_replayed_total", "counter",
       "Dead-lettered events put back since the server started.",
       [](const QueueStats& q) { return static_cast<double>(q.replayed); }},
  };
  for (const Series& series : kSeries) {
    family(out, series.name, series.type, series.help);
    for (const QueueStats& q : queues) {
      out.append(series.name);
      out.append("{group=\"");
      append_label_value(out, q.group);
      out.append("\",topic=\"");
      append_label_value(out, q.topic);
      out.append("\"} ");
      const double value = series.value(q);
      if (value == static_cast<double>(static_cast<int64_t>(value))) {
        append_number(out, static_cast<int64_t>(value));
      } else {
        char text[32];
        const int n = std::snprintf(text, sizeof text, "%.3f", value);
        out.append(text, static_cast<size_t>(n));
      }
      out.push_back('\n');
    }
  }
}

// The internal topics the engine compacts (consumers/FORMAT.md, "Compaction"): their bytes on
// disk, what their last snapshot took and how many compactions ran since the engine opened.
void internal_topics(std::string& out, Engine& engine) {
  const engine::EngineStats& stats = engine.impl().stats;
  const std::pair<std::string_view, const engine::InternalCompaction*> topics[] = {
      {"__consumer_offsets", &stats.offsets_compaction},
      {"__queue_state", &stats.queue_state_compaction}};
  auto series = [&](std::string_view name, std::string_view topic, uint64_t value) {
    out.append(name).append("{topic=\"");
    append_label_value(out, topic);
    out.append("\"} ");
    append_number(out, value);
    out.push_back('\n');
  };
  family(out, "sluice_internal_topic_bytes", "gauge",
         "Bytes on disk of an internal topic the engine compacts.");
  for (const auto& [topic, compaction] : topics) {
    Result<PartitionState> state = engine.partition_state(topic, 0);
    if (state.ok()) series("sluice_internal_topic_bytes", topic, state->size_bytes);
  }
  family(out, "sluice_internal_snapshot_bytes", "gauge",
         "Bytes of an internal topic's last snapshot (0: none since the engine opened).");
  for (const auto& [topic, compaction] : topics) {
    series("sluice_internal_snapshot_bytes", topic,
           compaction->last_snapshot_bytes.load(std::memory_order_relaxed));
  }
  family(out, "sluice_internal_compactions_total", "counter",
         "Compactions of an internal topic (a snapshot written, the segments before it deleted).");
  for (const auto& [topic, compaction] : topics) {
    series("sluice_internal_compactions_total", topic,
           compaction->compactions.load(std::memory_order_relaxed));
  }
}

// What only the engine measures (engine/engine_stats.h): the latency of its group-commit
// fdatasync rounds. The engine's last bucket also holds everything above its bound, so it is
// rendered as +Inf only. The shard rings' occupancy is not measured by the engine yet.
void engine_stats(std::string& out, Engine& engine) {
  static_assert(engine::LatencyBuckets::kBuckets - 1 <= Histogram::kBuckets);
  const engine::LatencyBuckets& fdatasync = engine.impl().stats.fdatasync;
  Buckets b;
  b.size = engine::LatencyBuckets::kBuckets - 1;
  for (size_t i = 0; i < b.size; ++i)
    b.counts[i] = fdatasync.bucket(i);
  b.count = fdatasync.count();
  b.sum_us = fdatasync.sum_us();
  family(out, "sluice_fsync_duration_seconds", "histogram",
         "Latency of the engine's group-commit fdatasync rounds, one per partition and round.");
  histogram_series(out, "sluice_fsync_duration_seconds", {}, b);
  internal_topics(out, engine);
}

}  // namespace

std::string Metrics::render_prometheus(Engine& engine) const {
  std::string out;
  out.reserve(16 << 10);
  counter(out, "sluice_produced_events_total", "Events appended through the server.",
          produced_events.value());
  counter(out, "sluice_produced_bytes_total",
          "Bytes of keys, values and headers appended through the server.", produced_bytes.value());
  counter(out, "sluice_fetched_events_total", "Events read through the server.",
          fetched_events.value());
  counter(out, "sluice_fetched_bytes_total",
          "Bytes of keys, values and headers read through the server.", fetched_bytes.value());
  counter(out, "sluice_connections_accepted_total", "Connections accepted.",
          connections_accepted.value());
  counter(out, "sluice_connections_rejected_total",
          "Connections refused because max_connections were open.", connections_rejected.value());
  family(out, "sluice_connections_open", "gauge", "Connections open now.");
  out.append("sluice_connections_open ");
  append_number(out, connections_open.value());
  out.push_back('\n');
  counter(out, "sluice_kafka_requests_total", "Kafka requests answered.", kafka_requests.value());
  counter(out, "sluice_kafka_request_errors_total",
          "Kafka requests answered with an error or closed as malformed.",
          kafka_request_errors.value());
  counter(out, "sluice_http_requests_total", "HTTP requests answered.", http_requests.value());
  counter(out, "sluice_http_request_errors_total", "HTTP requests answered 4xx or 5xx.",
          http_request_errors.value());

  family(out, "sluice_kafka_request_duration_seconds", "histogram",
         "Kafka request latency, from the whole request read to its response queued, by API.");
  std::string labels;
  for (size_t key = 0; key < kKafkaApiSlots; ++key) {
    if (kafka_request_latency[key].count() == 0) continue;
    labels.assign("api=\"");
    const std::string_view name = kafka::api_name(static_cast<int16_t>(key));
    if (name == "Unknown") {
      labels.append("ApiKey");
      append_number(labels, uint64_t{key});
    } else {
      labels.append(name);
    }
    labels.append("\",");
    histogram_series(out, "sluice_kafka_request_duration_seconds", labels,
                     buckets_of(kafka_request_latency[key]));
  }
  family(out, "sluice_http_request_duration_seconds", "histogram",
         "HTTP request latency, from the whole request read to its response queued.");
  histogram_series(out, "sluice_http_request_duration_seconds", {},
                   buckets_of(http_request_latency));

  group_lag(out, engine);
  queue_stats(out, engine);
  engine_stats(out, engine);
  return out;
}

}  // namespace sluice::server
