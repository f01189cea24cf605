#include "bench/sluice_bench/embedded_report.h"

#include "bench/sluice_bench/report_json.h"

#include <sluice/durability.h>
#include <sluice/wait_strategy.h>

#include <cstdio>
#include <string>

namespace sluice::bench {
namespace {

using ull = unsigned long long;

const char* workload_name(EmbeddedWorkload workload) {
  switch (workload) {
    case EmbeddedWorkload::produce:
      return "produce";
    case EmbeddedWorkload::e2e:
      return "e2e";
    case EmbeddedWorkload::query:
      return "query";
    case EmbeddedWorkload::queue:
      return "queue";
  }
  return "?";
}

double us(uint64_t ns) {
  return ns_to_us(ns);
}

// Key and value bytes of the events done, per second.
double bytes_per_sec(const EmbeddedOptions& o, const EmbeddedResult& r) {
  return r.events_per_sec() * static_cast<double>(o.event_bytes + o.key_bytes);
}

bool open_loop_e2e(const EmbeddedOptions& o) {
  return o.workload == EmbeddedWorkload::e2e && o.rate > 0;
}

void print_options(FILE* out, const EmbeddedOptions& o, const EmbeddedResult& r) {
  std::fprintf(
      out,
      "{\n  \"benchmark\": \"embedded\",\n  \"workload\": \"%s\",\n  \"event_bytes\": %llu,\n"
      "  \"key_bytes\": %llu,\n  \"producers\": %u,\n  \"partitions\": %u,\n"
      "  \"acks\": \"%s\",\n  \"wait\": \"%s\",\n  \"shards\": %u,\n  \"batch_bytes\": %llu,\n"
      "  \"linger_us\": %llu,\n  \"write_interval_us\": %llu,\n  \"direct_io\": %s,\n"
      "  \"small_write_bytes\": %llu,\n"
      "  \"tail_cache_bytes\": %llu,\n"
      "  \"segment_bytes\": %llu,\n"
      "  \"mode\": \"%s\",\n"
      "  \"rate\": %.0f,\n  \"run_seconds\": %.3f,\n  \"seconds\": %.3f",
      workload_name(o.workload), static_cast<ull>(o.event_bytes), static_cast<ull>(o.key_bytes),
      o.workload == EmbeddedWorkload::query ? 0 : o.producers, o.partitions,
      std::string(durability_name(o.acks)).c_str(), std::string(wait_strategy_name(o.wait)).c_str(),
      r.shards, static_cast<ull>(o.batch_bytes), static_cast<ull>(o.linger_us),
      static_cast<ull>(o.write_interval_us), o.direct_io ? "true" : "false",
      static_cast<ull>(o.small_write_bytes), static_cast<ull>(r.tail_cache_bytes),
      static_cast<ull>(r.segment_bytes), o.rate > 0 ? "open" : "closed", o.rate, o.seconds,
      r.elapsed_s);
  if (o.workload == EmbeddedWorkload::e2e) {
    std::fprintf(out, ",\n  \"delivery\": \"%s\"", o.callback_delivery ? "callback" : "poll");
  }
  if (o.workload == EmbeddedWorkload::queue) {
    std::fprintf(out, ",\n  \"workers\": %u,\n  \"batch_events\": %u", o.readers, o.batch_events);
  }
  if (o.workload == EmbeddedWorkload::query || o.workload == EmbeddedWorkload::queue) {
    std::fprintf(out, ",\n  \"readers\": %u,\n  \"fill_events\": %llu,\n  \"fill_seconds\": %.3f",
                 o.readers, static_cast<ull>(r.filled_events), r.fill_s);
  }
}

void print_figures(FILE* out, const EmbeddedOptions& o, const EmbeddedResult& r) {
  std::fprintf(out,
               ",\n  \"events\": %llu,\n  \"sent\": %llu,\n  \"missing\": %llu,\n"
               "  \"events_per_sec\": %.1f,\n  \"bytes_per_sec\": %.1f,\n  \"errors\": %llu",
               static_cast<ull>(r.events), static_cast<ull>(r.sent), static_cast<ull>(r.missing),
               r.events_per_sec(), bytes_per_sec(o, r), static_cast<ull>(r.errors));
  if (r.errors > 0) {
    std::fprintf(out, ",\n  \"first_error\": \"%s\"", json_safe(r.first_error).c_str());
  }
  print_latency_json(out, "latency_us", r.latency_ns);
  if (o.workload == EmbeddedWorkload::e2e)
    print_latency_json(out, "ack_latency_us", r.ack_latency_ns);
  if (open_loop_e2e(o)) {
    print_latency_json(out, "latency_intended_us", r.latency_intended_ns);
    print_latency_json(out, "send_delay_us", r.send_delay_ns);
  }
  std::fputs("\n}\n", out);
}

}  // namespace

void print_embedded_summary(const EmbeddedOptions& o, const EmbeddedResult& r) {
  const auto& h = r.latency_ns;
  const bool query = o.workload == EmbeddedWorkload::query || o.workload == EmbeddedWorkload::queue;
  std::printf(
      "embedded %s acks=%s event=%lluB %s=%u partitions=%u shards=%u wait=%s %s: "
      "%.0f events/s, %.1f MB/s, latency us p50 %.1f p99 %.1f p99.9 %.1f p99.99 %.1f max %.1f",
      workload_name(o.workload), std::string(durability_name(o.acks)).c_str(),
      static_cast<ull>(o.event_bytes), query ? "readers" : "producers",
      query ? o.readers : o.producers, o.partitions, r.shards,
      std::string(wait_strategy_name(o.wait)).c_str(), o.rate > 0 ? "open-loop" : "closed-loop",
      r.events_per_sec(), bytes_per_sec(o, r) / 1e6, us(h.percentile(50)), us(h.percentile(99)),
      us(h.percentile(99.9)), us(h.percentile(99.99)), us(h.max()));
  if (o.workload == EmbeddedWorkload::e2e) {
    std::printf(", delivery %s", o.callback_delivery ? "callback" : "poll");
  }
  if (open_loop_e2e(o)) {
    const auto& i = r.latency_intended_ns;
    std::printf(", from intended p50 %.1f p99 %.1f max %.1f, send delay p99 %.1f",
                us(i.percentile(50)), us(i.percentile(99)), us(i.max()),
                us(r.send_delay_ns.percentile(99)));
  }
  if (r.missing > 0) std::printf(", MISSING %llu", static_cast<ull>(r.missing));
  if (r.errors > 0) std::printf(", ERRORS: %s", r.first_error.c_str());
  std::printf("\n");
}

Result<void> write_embedded_json(const EmbeddedOptions& o, const EmbeddedResult& r) {
  FILE* out = std::fopen(o.json_path.c_str(), "w");
  if (out == nullptr) return Error(Errc::io_error, "cannot write " + o.json_path);
  print_options(out, o, r);
  print_figures(out, o, r);
  if (std::fclose(out) != 0) return Error(Errc::io_error, "cannot write " + o.json_path);
  return {};
}

}  // namespace sluice::bench
