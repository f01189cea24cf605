// sluice-bench embedded: options, the human summary line and the JSON report.
#include "bench/sluice_bench/embedded_bench.h"
#include "bench/sluice_bench/embedded_report.h"
#include "tools/common/flags.h"

#include <cstdio>
#include <string>

namespace sluice::bench {
namespace {

constexpr const char* kUsage =
    "usage: sluice-bench embedded --workload produce|e2e|query|queue --event-bytes N --partitions "
    "K\n"
    "           --acks none|written|synced --seconds S --json FILE\n"
    "           [--producers P (produce, e2e; required)] [--rate EVENTS_PER_SEC (open loop)]\n"
    "           [--wait spin|park (park)] [--shards N (one per core)] [--data-dir D]\n"
    "           [--delivery callback|poll (e2e: how the consumer receives; callback)]\n"
    "           [--write-interval-us U (write each partition at most every U us; 0)]\n"
    "           [--buffered-io (segments written through the page cache, not O_DIRECT)]\n"
    "           [--small-write-bytes B (O_DIRECT writes shorter than B go buffered; 64K)]\n"
    "           [--batch-bytes B (64K)] [--linger-us L (0)] [--key-bytes K (0: no key)]\n"
    "           [--readers R (query, queue: worker threads; 1)]\n"
    "           [--fill-events N (query, queue; 200000)] [--batch-events B (queue; 256)]\n"
    "           [--tail-cache-bytes B (per partition; query: enough for the fill)]\n"
    "           [--segment-bytes B (1G, preallocated per partition)]\n"
    "           [--internal-compaction-bytes B (compact __queue_state past B bytes; 16M; "
    "0: off)]\n";

constexpr uint64_t kMaxThreads = 1024;
constexpr uint64_t kMaxPartitions = 10000;
constexpr uint64_t kMaxShards = 256;
constexpr uint64_t kMaxBatchBytes = 1u << 20;

int usage(const std::string& message) {
  std::fprintf(stderr, "sluice-bench embedded: %s\n%s", message.c_str(), kUsage);
  return 2;
}

bool parse_workload(const std::string& text, EmbeddedWorkload* out) {
  if (text == "produce")
    *out = EmbeddedWorkload::produce;
  else if (text == "e2e")
    *out = EmbeddedWorkload::e2e;
  else if (text == "query")
    *out = EmbeddedWorkload::query;
  else if (text == "queue")
    *out = EmbeddedWorkload::queue;
  else
    return false;
  return true;
}

Error bad(const std::string& message) {
  return Error(Errc::invalid_argument, message);
}

// Reads --name into `out` (a size with an optional K, M or G suffix), within [low, high].
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

Result<void> read_required(tools::Flags& flags, EmbeddedOptions& o) {
  const std::string workload = flags.text("workload").value_or("");
  const bool query = workload == "query" || workload == "queue";
  for (const char* name : {"workload", "event-bytes", "partitions", "acks", "seconds", "json"}) {
    if (!flags.text(name)) return bad(std::string("--") + name + " is required");
  }
  if (!parse_workload(*flags.text("workload"), &o.workload)) {
    return bad("--workload must be produce, e2e, query or queue");
  }
  if (!parse_durability(*flags.text("acks"), &o.acks)) {
    return bad("--acks must be none, written or synced");
  }
  if (query && flags.text("producers")) {
    return bad("--producers is not for query or queue: use --readers");
  }
  if (workload != "queue" && flags.text("batch-events")) {
    return bad("--batch-events is for the queue workload only");
  }
  if (!query && !flags.text("producers")) return bad("--producers is required");
  if (!query && (flags.text("readers") || flags.text("fill-events"))) {
    return bad("--readers and --fill-events are for the query and queue workloads only");
  }
  o.json_path = *flags.text("json");
  return {};
}

Result<void> read_numbers(tools::Flags& flags, EmbeddedOptions& o) {
  const uint64_t min_event_bytes = o.workload == EmbeddedWorkload::e2e ? 16 : 1;
  SLUICE_TRY(take_size(flags, "event-bytes", min_event_bytes, 64u << 20, o.event_bytes));
  SLUICE_TRY(take_size(flags, "key-bytes", 0, 1u << 20, o.key_bytes));
  SLUICE_TRY(take_size(flags, "batch-bytes", 1, kMaxBatchBytes, o.batch_bytes));
  SLUICE_TRY(take_size(flags, "linger-us", 0, 10'000'000, o.linger_us));
  SLUICE_TRY(take_size(flags, "write-interval-us", 0, 1'000'000, o.write_interval_us));
  SLUICE_TRY(take_size(flags, "small-write-bytes", 0, 64u << 20, o.small_write_bytes));
  SLUICE_TRY(take_size(flags, "fill-events", 1, 100'000'000, o.fill_events));
  SLUICE_TRY(take_size(flags, "tail-cache-bytes", 0, 64ull << 30, o.tail_cache_bytes));
  if (flags.text("segment-bytes")) {  // else 0: the topic default
    SLUICE_TRY(take_size(flags, "segment-bytes", 4u << 20, 4ull << 30, o.segment_bytes));
  }
  if (flags.text("internal-compaction-bytes")) {  // else the engine's default
    uint64_t bytes = 0;
    SLUICE_TRY(take_size(flags, "internal-compaction-bytes", 0, 64ull << 30, bytes));
    o.internal_compaction_bytes = bytes;
  }
  SLUICE_TRY(take_count(flags, "producers", kMaxThreads, o.producers));
  SLUICE_TRY(take_count(flags, "readers", kMaxThreads, o.readers));
  SLUICE_TRY(take_count(flags, "batch-events", 10000, o.batch_events));
  SLUICE_TRY(take_count(flags, "partitions", kMaxPartitions, o.partitions));
  uint64_t shards = o.shards;
  SLUICE_TRY(take_size(flags, "shards", 0, kMaxShards, shards));
  o.shards = static_cast<uint32_t>(shards);
  Result<double> seconds = flags.number("seconds", o.seconds);
  Result<double> rate = flags.number("rate", o.rate);
  if (!seconds.ok()) return std::move(seconds).error();
  if (!rate.ok()) return std::move(rate).error();
  if (*seconds <= 0) return bad("--seconds must be > 0");
  o.seconds = *seconds;
  o.rate = *rate;
  return {};
}

Result<EmbeddedOptions> parse_options(std::span<const std::string> words) {
  auto flags = tools::Flags::parse(words, {"buffered-io"});
  if (!flags.ok()) return std::move(flags).error();
  if (!flags->positionals().empty()) {
    return bad("unexpected argument '" + flags->positionals().front() + "'");
  }
  EmbeddedOptions o;
  SLUICE_TRY(read_required(*flags, o));
  SLUICE_TRY(read_numbers(*flags, o));
  if (auto wait = flags->text("wait"); wait && !parse_wait_strategy(*wait, &o.wait)) {
    return bad("--wait must be spin or park");
  }
  if (auto delivery = flags->text("delivery")) {
    if (o.workload != EmbeddedWorkload::e2e) return bad("--delivery is for the e2e workload only");
    if (*delivery != "callback" && *delivery != "poll") {
      return bad("--delivery must be callback or poll");
    }
    o.callback_delivery = *delivery == "callback";
  }
  Result<bool> buffered = flags->boolean("buffered-io", false);
  if (!buffered.ok()) return std::move(buffered).error();
  o.direct_io = !*buffered;
  o.data_dir = flags->text("data-dir").value_or("");
  if (auto unknown = flags->first_unknown()) return bad("unknown option " + *unknown);
  return o;
}

}  // namespace

int embedded_command(std::span<const std::string> words) {
  if (!words.empty() && (words[0] == "--help" || words[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto options = parse_options(words);
  if (!options.ok()) return usage(options.error().message());
  auto result = run_embedded_bench(*options);
  if (!result.ok()) {
    std::fprintf(stderr, "sluice-bench embedded: %s\n", result.error().to_string().c_str());
    return 1;
  }
  print_embedded_summary(*options, *result);
  if (auto written = write_embedded_json(*options, *result); !written.ok()) {
    std::fprintf(stderr, "sluice-bench embedded: %s\n", written.error().to_string().c_str());
    return 1;
  }
  return result->errors == 0 && result->missing == 0 ? 0 : 1;
}

}  // namespace sluice::bench
