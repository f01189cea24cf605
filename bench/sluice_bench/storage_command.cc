// sluice-bench storage: options, the human summary line and the JSON report.
#include "bench/sluice_bench/storage_bench.h"
#include "tools/common/flags.h"

#include <cstdio>
#include <string>

namespace sluice::bench {
namespace {

constexpr const char* kUsage =
    "usage: sluice-bench storage --record-bytes N --durability none|written|synced --seconds S\n"
    "                            --json FILE [--data-dir D] [--batch-bytes B (16384)]\n"
    "                            [--rate EVENTS_PER_SEC (open loop)] [--pipeline BATCHES]\n"
    "                            [--key-bytes K (16)] [--direct true|false (true)]\n"
    "                            [--segment-bytes (1G)] [--chunk-bytes (1M)]\n"
    "                            [--tail-cache-bytes (64M)] [--writes-in-flight (8)]\n"
    "                            [--small-write-bytes (64K; O_DIRECT writes shorter go "
    "buffered)]\n";

int usage(const std::string& message) {
  std::fprintf(stderr, "sluice-bench storage: %s\n%s", message.c_str(), kUsage);
  return 2;
}

Result<void> read_sizes(tools::Flags& flags, StorageOptions& o) {
  auto take = [&flags](const char* name, uint64_t& out) -> Result<void> {
    auto value = flags.size(name, out);
    if (!value.ok()) return std::move(value).error();
    out = *value;
    return {};
  };
  SLUICE_TRY(take("record-bytes", o.record_bytes));
  SLUICE_TRY(take("key-bytes", o.key_bytes));
  SLUICE_TRY(take("batch-bytes", o.batch_bytes));
  SLUICE_TRY(take("pipeline", o.pipeline));
  SLUICE_TRY(take("segment-bytes", o.segment_bytes));
  SLUICE_TRY(take("chunk-bytes", o.chunk_bytes));
  SLUICE_TRY(take("tail-cache-bytes", o.tail_cache_bytes));
  SLUICE_TRY(take("writes-in-flight", o.max_writes_in_flight));
  SLUICE_TRY(take("small-write-bytes", o.small_write_bytes));
  if (o.small_write_bytes > (64u << 20)) {
    return Error(Errc::invalid_argument, "--small-write-bytes must be at most 64M");
  }
  return {};
}

Result<StorageOptions> parse_options(std::span<const std::string> words) {
  auto flags = tools::Flags::parse(words);
  if (!flags.ok()) return std::move(flags).error();
  if (!flags->positionals().empty()) {
    return Error(Errc::invalid_argument,
                 "unexpected argument '" + flags->positionals().front() + "'");
  }
  StorageOptions o;
  if (!flags->text("record-bytes") || !flags->text("durability") || !flags->text("seconds") ||
      !flags->text("json")) {
    return Error(Errc::invalid_argument,
                 "--record-bytes, --durability, --seconds and --json are required");
  }
  SLUICE_TRY(read_sizes(*flags, o));
  if (!parse_durability(*flags->text("durability"), &o.durability)) {
    return Error(Errc::invalid_argument, "--durability must be none, written or synced");
  }
  auto seconds = flags->number("seconds", o.seconds);
  auto rate = flags->number("rate", o.rate);
  auto direct = flags->boolean("direct", o.direct_io);
  if (!seconds.ok()) return std::move(seconds).error();
  if (!rate.ok()) return std::move(rate).error();
  if (!direct.ok()) return std::move(direct).error();
  o.seconds = *seconds;
  o.rate = *rate;
  o.direct_io = *direct;
  o.json_path = *flags->text("json");
  o.data_dir = flags->text("data-dir").value_or("");
  if (auto unknown = flags->first_unknown()) {
    return Error(Errc::invalid_argument, "unknown option " + *unknown);
  }
  if (o.seconds <= 0 || o.record_bytes == 0 || o.batch_bytes == 0) {
    return Error(Errc::invalid_argument, "--seconds, --record-bytes and --batch-bytes must be > 0");
  }
  return o;
}

double us(uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

void print_summary(const StorageOptions& o, const StorageResult& r) {
  const auto& h = r.latency_ns;
  std::printf(
      "storage %s record=%lluB batch=%lluB (%llu records) direct=%s %s: %.0f events/s, "
      "%.1f MB/s, latency us p50 %.1f p99 %.1f p99.9 %.1f p99.99 %.1f max %.1f%s\n",
      std::string(durability_name(o.durability)).c_str(),
      static_cast<unsigned long long>(o.record_bytes),
      static_cast<unsigned long long>(r.batch_bytes),
      static_cast<unsigned long long>(r.records_per_batch), r.direct_io_used ? "true" : "false",
      o.rate > 0 ? "open-loop" : "closed-loop", r.events_per_sec(), r.bytes_per_sec() / 1e6,
      us(h.percentile(50)), us(h.percentile(99)), us(h.percentile(99.9)), us(h.percentile(99.99)),
      us(h.max()), r.errors > 0 ? (", ERRORS: " + r.first_error).c_str() : "");
}

Result<void> write_json(const StorageOptions& o, const StorageResult& r) {
  FILE* out = std::fopen(o.json_path.c_str(), "w");
  if (out == nullptr) return Error(Errc::io_error, "cannot write " + o.json_path);
  const auto& h = r.latency_ns;
  std::fprintf(
      out,
      "{\n  \"benchmark\": \"storage\",\n  \"durability\": \"%s\",\n"
      "  \"record_bytes\": %llu,\n  \"key_bytes\": %llu,\n  \"batch_bytes\": %llu,\n"
      "  \"records_per_batch\": %llu,\n  \"direct_io\": %s,\n  \"small_write_bytes\": %llu,\n"
      "  \"segment_bytes\": %llu,\n"
      "  \"mode\": \"%s\",\n  \"rate\": %.0f,\n  \"seconds\": %.3f,\n",
      std::string(durability_name(o.durability)).c_str(),
      static_cast<unsigned long long>(o.record_bytes), static_cast<unsigned long long>(o.key_bytes),
      static_cast<unsigned long long>(r.batch_bytes),
      static_cast<unsigned long long>(r.records_per_batch), r.direct_io_used ? "true" : "false",
      static_cast<unsigned long long>(o.small_write_bytes),
      static_cast<unsigned long long>(o.segment_bytes), o.rate > 0 ? "open" : "closed", o.rate,
      r.elapsed_s);
  std::fprintf(out,
               "  \"events\": %llu,\n  \"batches\": %llu,\n  \"events_per_sec\": %.1f,\n"
               "  \"bytes_per_sec\": %.1f,\n  \"would_block\": %llu,\n  \"errors\": %llu,\n"
               "  \"latency_us\": {\"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"p9999\": %.3f, "
               "\"max\": %.3f}\n}\n",
               static_cast<unsigned long long>(r.records),
               static_cast<unsigned long long>(r.batches), r.events_per_sec(), r.bytes_per_sec(),
               static_cast<unsigned long long>(r.would_block),
               static_cast<unsigned long long>(r.errors), us(h.percentile(50)),
               us(h.percentile(99)), us(h.percentile(99.9)), us(h.percentile(99.99)), us(h.max()));
  if (std::fclose(out) != 0) return Error(Errc::io_error, "cannot write " + o.json_path);
  return {};
}

}  // namespace

int storage_command(std::span<const std::string> words) {
  if (!words.empty() && (words[0] == "--help" || words[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto options = parse_options(words);
  if (!options.ok()) return usage(options.error().message());
  auto result = run_storage_bench(*options);
  if (!result.ok()) {
    std::fprintf(stderr, "sluice-bench storage: %s\n", result.error().to_string().c_str());
    return 1;
  }
  print_summary(*options, *result);
  if (auto written = write_json(*options, *result); !written.ok()) {
    std::fprintf(stderr, "sluice-bench storage: %s\n", written.error().to_string().c_str());
    return 1;
  }
  return result->errors == 0 ? 0 : 1;
}

}  // namespace sluice::bench
