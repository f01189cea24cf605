// sluice-bench kafka, http and redis: options, the human summary line and the JSON report (the
// embedded benchmark's shape: events_per_sec, bytes_per_sec, latency_us, the options used).
#include "bench/sluice_bench/remote_bench.h"
#include "bench/sluice_bench/report_json.h"
#include "tools/common/flags.h"

#include <chrono>
#include <cstdio>
#include <string>

namespace sluice::bench {
namespace {

using ull = unsigned long long;

constexpr const char* kKafkaUsage =
    "usage: sluice-bench kafka --bootstrap HOST:PORT --workload produce|consume|e2e --json FILE\n"
    "           [--seconds S (10)] [--event-bytes N (100)] [--key-bytes K (0: no key)]\n"
    "           [--partitions K (1)] [--topic T (a fresh one)] [--acks all|1|0 (all)]\n"
    "           [--producers P (1)] [--rate EVENTS_PER_SEC (open loop; produce, e2e)]\n"
    "           [--linger-us L (5000; e2e 0)] [--batch-bytes B (1000000)]\n"
    "           [--batch-messages M (10000)] [--fetch-bytes B (1M, per partition)]\n"
    "           [--fill-events N (consume; 2000000, 0 reads what the topic holds)]\n";
constexpr const char* kHttpUsage =
    "usage: sluice-bench http --url http://HOST:PORT --workload query|queue --json FILE\n"
    "           [--seconds S (10)] [--event-bytes N (100)] [--partitions K (1)]\n"
    "           [--topic T (a fresh one)]\n"
    "  query:   [--rate READS_PER_SEC (open loop)] [--readers R (4)] [--fill-events N (100000)]\n"
    "  queue:   [--rate EVENTS_PER_SEC (open loop)] [--consumers C (4)] [--batch B (100)]\n"
    "           [--lock-ms L (30000)] [--group G (<topic>-workers)] [--fill-events N (1000000)]\n";
constexpr const char* kRedisUsage =
    "usage: sluice-bench redis --address HOST:PORT --workload xadd|xrange --json FILE\n"
    "           [--seconds S (10)] [--rate EVENTS_PER_SEC (open loop)] [--event-bytes N (100)]\n"
    "           [--topic KEY (a fresh stream)] [--producers P (xadd; 1)]\n"
    "           [--pipeline N (xadd; 64)] [--readers R (xrange; 4)]\n"
    "           [--fill-events N (xrange; 100000)]\n";

constexpr uint64_t kMaxThreads = 1024;
constexpr uint64_t kMaxPartitions = 10000;

const char* usage_text(RemoteBenchmark benchmark) {
  switch (benchmark) {
    case RemoteBenchmark::kafka:
      return kKafkaUsage;
    case RemoteBenchmark::http:
      return kHttpUsage;
    case RemoteBenchmark::redis:
      return kRedisUsage;
  }
  return "";
}

Error bad(const std::string& message) {
  return Error(Errc::invalid_argument, message);
}

Result<void> take_size(tools::Flags& flags, const char* name, uint64_t low, uint64_t high,
                       uint64_t& out) {
  Result<uint64_t> value = flags.size(name, out);
  if (!value.ok()) return std::move(value).error();
  if (*value < low || *value > high) {
    return bad("--" + std::string(name) + " must be " + std::to_string(low) + " to " +
               std::to_string(high));
  }
  out = *value;
  return {};
}

Result<void> take_count(tools::Flags& flags, const char* name, uint64_t high, uint32_t& out) {
  uint64_t value = out;
  SLUICE_TRY(take_size(flags, name, 1, high, value));
  out = static_cast<uint32_t>(value);
  return {};
}

bool parse_workload(RemoteBenchmark benchmark, const std::string& text, RemoteWorkload* out) {
  const RemoteWorkload all[] = {RemoteWorkload::produce, RemoteWorkload::consume,
                                RemoteWorkload::e2e,     RemoteWorkload::query,
                                RemoteWorkload::queue,   RemoteWorkload::xadd,
                                RemoteWorkload::xrange};
  for (RemoteWorkload workload : all) {
    if (text != remote_workload_name(workload)) continue;
    const bool fits =
        benchmark == RemoteBenchmark::kafka
            ? (workload == RemoteWorkload::produce || workload == RemoteWorkload::consume ||
               workload == RemoteWorkload::e2e)
        : benchmark == RemoteBenchmark::http
            ? (workload == RemoteWorkload::query || workload == RemoteWorkload::queue)
            : (workload == RemoteWorkload::xadd || workload == RemoteWorkload::xrange);
    if (!fits) return false;
    *out = workload;
    return true;
  }
  return false;
}

bool parse_kafka_acks(const std::string& text, int* out) {
  if (text == "all" || text == "-1" || text == "synced") {
    *out = -1;
  } else if (text == "1" || text == "written") {
    *out = 1;
  } else if (text == "0" || text == "none") {
    *out = 0;
  } else {
    return false;
  }
  return true;
}

const char* kafka_acks_name(int acks) {
  return acks < 0 ? "all" : acks == 0 ? "0" : "1";
}

// "http://HOST:PORT" (a trailing slash allowed) -> "HOST:PORT".
Result<std::string> address_of_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return bad("--url must start with http://");
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return bad("--url must be http://HOST:PORT");
  }
  return rest;
}

Result<void> read_address(RemoteBenchmark benchmark, tools::Flags& flags, RemoteOptions& o) {
  switch (benchmark) {
    case RemoteBenchmark::kafka:
      if (!flags.text("bootstrap")) return bad("--bootstrap is required");
      o.address = *flags.text("bootstrap");
      return {};
    case RemoteBenchmark::http: {
      if (!flags.text("url")) return bad("--url is required");
      Result<std::string> address = address_of_url(*flags.text("url"));
      if (!address.ok()) return std::move(address).error();
      o.address = *address;
      return {};
    }
    case RemoteBenchmark::redis:
      if (!flags.text("address")) return bad("--address is required");
      o.address = *flags.text("address");
      return {};
  }
  return {};
}

// The options every benchmark has.
Result<void> read_common(RemoteBenchmark benchmark, tools::Flags& flags, RemoteOptions& o) {
  o.benchmark = benchmark;
  for (const char* name : {"workload", "json"}) {
    if (!flags.text(name)) return bad(std::string("--") + name + " is required");
  }
  if (!parse_workload(benchmark, *flags.text("workload"), &o.workload)) {
    return bad("--workload " + *flags.text("workload") + " is not one of this benchmark's");
  }
  o.json_path = *flags.text("json");
  SLUICE_TRY(read_address(benchmark, flags, o));
  o.topic = flags.text("topic").value_or("");
  const uint64_t min_event_bytes = o.workload == RemoteWorkload::e2e ? 16 : 1;
  SLUICE_TRY(take_size(flags, "event-bytes", min_event_bytes, 16u << 20, o.event_bytes));
  Result<double> seconds = flags.number("seconds", o.seconds);
  if (!seconds.ok()) return std::move(seconds).error();
  if (*seconds <= 0) return bad("--seconds must be > 0");
  o.seconds = *seconds;
  if (o.workload != RemoteWorkload::consume) {
    Result<double> rate = flags.number("rate", o.rate);
    if (!rate.ok()) return std::move(rate).error();
    if (*rate < 0) return bad("--rate must be >= 0");
    o.rate = *rate;
  }
  return {};
}

Result<void> read_kafka(tools::Flags& flags, RemoteOptions& o) {
  if (auto acks = flags.text("acks"); acks && !parse_kafka_acks(*acks, &o.kafka_acks)) {
    return bad("--acks must be all, 1 or 0");
  }
  if (o.workload == RemoteWorkload::e2e) o.linger_us = 0;
  SLUICE_TRY(take_size(flags, "key-bytes", 0, 1u << 20, o.key_bytes));
  SLUICE_TRY(take_count(flags, "partitions", kMaxPartitions, o.partitions));
  SLUICE_TRY(take_count(flags, "producers", kMaxThreads, o.producers));
  SLUICE_TRY(take_size(flags, "linger-us", 0, 10'000'000, o.linger_us));
  SLUICE_TRY(take_size(flags, "batch-bytes", 1, 1u << 30, o.batch_bytes));
  SLUICE_TRY(take_size(flags, "batch-messages", 1, 1'000'000, o.batch_messages));
  SLUICE_TRY(take_size(flags, "fetch-bytes", 1024, 1u << 30, o.fetch_bytes));
  if (o.workload == RemoteWorkload::consume) {
    o.fill_events = 2'000'000;
    SLUICE_TRY(take_size(flags, "fill-events", 0, 1'000'000'000, o.fill_events));
  }
  return {};
}

Result<void> read_http(tools::Flags& flags, RemoteOptions& o) {
  SLUICE_TRY(take_count(flags, "partitions", kMaxPartitions, o.partitions));
  if (o.workload == RemoteWorkload::queue) {
    SLUICE_TRY(take_count(flags, "consumers", kMaxThreads, o.consumers));
    // sluiced takes 1 to 10000 events per receive.
    SLUICE_TRY(take_count(flags, "batch", 10'000, o.batch_events));
    SLUICE_TRY(take_size(flags, "lock-ms", 1, 3'600'000, o.lock_ms));
    o.group = flags.text("group").value_or("");
    o.fill_events = 1'000'000;
  } else {
    SLUICE_TRY(take_count(flags, "readers", kMaxThreads, o.readers));
    o.fill_events = 100'000;
  }
  SLUICE_TRY(take_size(flags, "fill-events", 1, 100'000'000, o.fill_events));
  return {};
}

Result<void> read_redis(tools::Flags& flags, RemoteOptions& o) {
  if (o.workload == RemoteWorkload::xadd) {
    SLUICE_TRY(take_count(flags, "producers", kMaxThreads, o.producers));
    SLUICE_TRY(take_count(flags, "pipeline", 100'000, o.pipeline));
  } else {
    SLUICE_TRY(take_count(flags, "readers", kMaxThreads, o.readers));
    o.fill_events = 100'000;
    SLUICE_TRY(take_size(flags, "fill-events", 1, 100'000'000, o.fill_events));
  }
  return {};
}

Result<RemoteOptions> parse_options(RemoteBenchmark benchmark, std::span<const std::string> words) {
  auto flags = tools::Flags::parse(words);
  if (!flags.ok()) return std::move(flags).error();
  if (!flags->positionals().empty()) {
    return bad("unexpected argument '" + flags->positionals().front() + "'");
  }
  RemoteOptions o;
  SLUICE_TRY(read_common(benchmark, *flags, o));
  switch (benchmark) {
    case RemoteBenchmark::kafka:
      SLUICE_TRY(read_kafka(*flags, o));
      break;
    case RemoteBenchmark::http:
      SLUICE_TRY(read_http(*flags, o));
      break;
    case RemoteBenchmark::redis:
      SLUICE_TRY(read_redis(*flags, o));
      break;
  }
  if (auto unknown = flags->first_unknown()) {
    return bad("unknown option " + *unknown + " (for this benchmark and workload)");
  }
  return o;
}

double bytes_per_sec(const RemoteOptions& o, const RemoteResult& r) {
  if (r.consumed_bytes > 0 && r.elapsed_s > 0) {
    return static_cast<double>(r.consumed_bytes) / r.elapsed_s;
  }
  return r.events_per_sec() * static_cast<double>(o.event_bytes + o.key_bytes);
}

bool stamped(const RemoteOptions& o) {
  return o.workload == RemoteWorkload::e2e;
}

void print_summary(const RemoteOptions& o, const RemoteResult& r) {
  const LatencyHistogram& h = r.latency_ns;
  std::printf(
      "%s %s %s event=%lluB partitions=%u %s: %.0f events/s, %.1f MB/s, latency us p50 %.1f "
      "p90 %.1f p99 %.1f p99.9 %.1f p99.99 %.1f max %.1f",
      remote_benchmark_name(o.benchmark), remote_workload_name(o.workload), o.address.c_str(),
      static_cast<ull>(o.event_bytes), o.partitions, o.rate > 0 ? "open-loop" : "closed-loop",
      r.events_per_sec(), bytes_per_sec(o, r) / 1e6, ns_to_us(h.percentile(50)),
      ns_to_us(h.percentile(90)), ns_to_us(h.percentile(99)), ns_to_us(h.percentile(99.9)),
      ns_to_us(h.percentile(99.99)), ns_to_us(h.max()));
  if (stamped(o)) {
    const LatencyHistogram& i = r.latency_intended_ns;
    std::printf(", from intended p50 %.1f p99 %.1f max %.1f", ns_to_us(i.percentile(50)),
                ns_to_us(i.percentile(99)), ns_to_us(i.max()));
  }
  if (o.rate > 0) std::printf(", send delay p99 %.1f", ns_to_us(r.send_delay_ns.percentile(99)));
  if (r.filled_events > 0) {
    std::printf(", filled %llu in %.2f s", static_cast<ull>(r.filled_events), r.fill_s);
  }
  if (o.workload == RemoteWorkload::queue) {
    std::printf(", %u consumers, batch %u: %llu received, %llu acked in %llu round trips%s",
                o.consumers, o.batch_events, static_cast<ull>(r.sent), static_cast<ull>(r.events),
                static_cast<ull>(r.round_trips), r.drained ? " (the fill ran out)" : "");
  }
  if (r.missing > 0) std::printf(", MISSING %llu", static_cast<ull>(r.missing));
  if (r.errors > 0)
    std::printf(", ERRORS %llu: %s", static_cast<ull>(r.errors), r.first_error.c_str());
  std::printf("\n");
}

void print_options(FILE* out, const RemoteOptions& o, const RemoteResult& r) {
  std::fprintf(out,
               "{\n  \"benchmark\": \"%s\",\n  \"workload\": \"%s\",\n  \"address\": \"%s\",\n"
               "  \"topic\": \"%s\",\n  \"event_bytes\": %llu,\n  \"key_bytes\": %llu,\n"
               "  \"producers\": %u,\n  \"readers\": %u,\n  \"partitions\": %u,\n",
               remote_benchmark_name(o.benchmark), remote_workload_name(o.workload),
               json_safe(o.address).c_str(), json_safe(r.topic).c_str(),
               static_cast<ull>(o.event_bytes), static_cast<ull>(o.key_bytes), o.producers,
               o.readers, o.partitions);
  if (o.benchmark == RemoteBenchmark::kafka) {
    std::fprintf(out,
                 "  \"acks\": \"%s\",\n  \"linger_us\": %llu,\n  \"batch_bytes\": %llu,\n"
                 "  \"batch_messages\": %llu,\n  \"fetch_bytes\": %llu,\n",
                 kafka_acks_name(o.kafka_acks), static_cast<ull>(o.linger_us),
                 static_cast<ull>(o.batch_bytes), static_cast<ull>(o.batch_messages),
                 static_cast<ull>(o.fetch_bytes));
  }
  if (o.benchmark == RemoteBenchmark::redis) {
    std::fprintf(out, "  \"pipeline\": %u,\n", o.pipeline);
  }
  if (o.workload == RemoteWorkload::queue) {
    std::fprintf(out,
                 "  \"consumers\": %u,\n  \"batch_events\": %u,\n  \"lock_ms\": %llu,\n"
                 "  \"round_trips\": %llu,\n  \"drained\": %s,\n",
                 o.consumers, o.batch_events, static_cast<ull>(o.lock_ms),
                 static_cast<ull>(r.round_trips), r.drained ? "true" : "false");
  }
  std::fprintf(out,
               "  \"mode\": \"%s\",\n  \"rate\": %.0f,\n  \"run_seconds\": %.3f,\n"
               "  \"seconds\": %.3f,\n  \"fill_events\": %llu,\n  \"fill_seconds\": %.3f",
               o.rate > 0 ? "open" : "closed", o.rate, o.seconds, r.elapsed_s,
               static_cast<ull>(r.filled_events), r.fill_s);
}

void print_figures(FILE* out, const RemoteOptions& o, const RemoteResult& r) {
  std::fprintf(out,
               ",\n  \"events\": %llu,\n  \"sent\": %llu,\n  \"missing\": %llu,\n"
               "  \"events_per_sec\": %.1f,\n  \"bytes_per_sec\": %.1f,\n  \"errors\": %llu",
               static_cast<ull>(r.events), static_cast<ull>(r.sent), static_cast<ull>(r.missing),
               r.events_per_sec(), bytes_per_sec(o, r), static_cast<ull>(r.errors));
  if (r.errors > 0) {
    std::fprintf(out, ",\n  \"first_error\": \"%s\"", json_safe(r.first_error).c_str());
  }
  print_latency_json(out, "latency_us", r.latency_ns);
  if (stamped(o)) {
    print_latency_json(out, "ack_latency_us", r.ack_latency_ns);
    print_latency_json(out, "latency_intended_us", r.latency_intended_ns);
  }
  if (o.rate > 0) print_latency_json(out, "send_delay_us", r.send_delay_ns);
  std::fputs("\n}\n", out);
}

Result<void> write_json(const RemoteOptions& o, const RemoteResult& r) {
  FILE* out = std::fopen(o.json_path.c_str(), "w");
  if (out == nullptr) return Error(Errc::io_error, "cannot write " + o.json_path);
  print_options(out, o, r);
  print_figures(out, o, r);
  if (std::fclose(out) != 0) return Error(Errc::io_error, "cannot write " + o.json_path);
  return {};
}

Result<RemoteResult> run(const RemoteOptions& options) {
  switch (options.benchmark) {
    case RemoteBenchmark::kafka:
      return run_kafka_bench(options);
    case RemoteBenchmark::http:
      return run_http_bench(options);
    case RemoteBenchmark::redis:
      return run_redis_bench(options);
  }
  return Error(Errc::invalid_argument, "unknown benchmark");
}

}  // namespace

const char* remote_benchmark_name(RemoteBenchmark benchmark) {
  switch (benchmark) {
    case RemoteBenchmark::kafka:
      return "kafka";
    case RemoteBenchmark::http:
      return "http";
    case RemoteBenchmark::redis:
      return "redis";
  }
  return "?";
}

const char* remote_workload_name(RemoteWorkload workload) {
  switch (workload) {
    case RemoteWorkload::produce:
      return "produce";
    case RemoteWorkload::consume:
      return "consume";
    case RemoteWorkload::e2e:
      return "e2e";
    case RemoteWorkload::query:
      return "query";
    case RemoteWorkload::queue:
      return "queue";
    case RemoteWorkload::xadd:
      return "xadd";
    case RemoteWorkload::xrange:
      return "xrange";
  }
  return "?";
}

std::string fresh_topic_name() {
  using namespace std::chrono;
  return "sluice-bench-" +
         std::to_string(
             duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

int remote_command(RemoteBenchmark benchmark, std::span<const std::string> words) {
  const char* name = remote_benchmark_name(benchmark);
  if (!words.empty() && (words[0] == "--help" || words[0] == "help")) {
    std::fputs(usage_text(benchmark), stdout);
    return 0;
  }
  Result<RemoteOptions> options = parse_options(benchmark, words);
  if (!options.ok()) {
    std::fprintf(stderr, "sluice-bench %s: %s\n%s", name, options.error().message().c_str(),
                 usage_text(benchmark));
    return 2;
  }
  Result<RemoteResult> result = run(*options);
  if (!result.ok()) {
    std::fprintf(stderr, "sluice-bench %s: %s\n", name, result.error().to_string().c_str());
    return 1;
  }
  print_summary(*options, *result);
  if (Result<void> written = write_json(*options, *result); !written.ok()) {
    std::fprintf(stderr, "sluice-bench %s: %s\n", name, written.error().to_string().c_str());
    return 1;
  }
  return result->errors == 0 && result->missing == 0 ? 0 : 1;
}

}  // namespace sluice::bench
