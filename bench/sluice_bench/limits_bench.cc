#include "bench/sluice_bench/limits_bench.h"

#include "bench/sluice_bench/embedded_pacer.h"
#include "bench/sluice_bench/embedded_workers.h"
#include "bench/sluice_bench/latency_histogram.h"
#include "bench/sluice_bench/report_json.h"
#include "bench/sluice_bench/write_submit.h"
#include "io/socket.h"
#include "tools/common/flags.h"
#include "tools/common/scratch_dir.h"

#include <sys/socket.h>

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace sluice::bench {
namespace {

constexpr const char* kUsage =
    "usage: sluice-bench limits --json FILE [--seconds S (1, per test)]\n"
    "                           [--data-dir D (where the write tests write; a temporary one)]\n";
constexpr size_t kCopyBytes = 64u << 20;
constexpr size_t kChunkBytes = 256u << 10;
// The rate of the paced hand-off: that of the embedded e2e targets (issue 3).
constexpr double kHandoffRate = 100000;

struct Limits {
  double memcpy_bytes_per_sec = 0;
  double tcp_bytes_per_sec = 0;
  LatencyHistogram round_trip_ns;
  LatencyHistogram handoff_ns;
  LatencyHistogram direct_submit_ns;  // empty when the data directory refuses O_DIRECT
  LatencyHistogram buffered_submit_ns;
};

double memcpy_bandwidth(double seconds) {
  std::vector<char> from(kCopyBytes, 'x');
  std::vector<char> to(kCopyBytes, 'y');
  const int64_t start_ns = steady_now_ns();
  const int64_t end_ns = start_ns + static_cast<int64_t>(seconds * 1e9);
  uint64_t copied = 0;
  int64_t now = start_ns;
  while (now < end_ns) {
    std::memcpy(to.data(), from.data(), kCopyBytes);
    copied += kCopyBytes;
    from[copied % kCopyBytes] = to[(copied + 1) % kCopyBytes];  // keep the copies observable
    now = steady_now_ns();
  }
  return static_cast<double>(copied) / (static_cast<double>(now - start_ns) / 1e9);
}

// A connected pair of loopback TCP sockets: {accepted, connected}.
Result<std::pair<int, int>> loopback_pair() {
  Result<int> listener = io::listen_tcp(io::HostPort{"127.0.0.1", 0});
  if (!listener.ok()) return std::move(listener).error();
  Result<uint16_t> port = io::local_port(*listener);
  Result<int> client =
      port.ok() ? io::connect_tcp(io::HostPort{"127.0.0.1", *port}) : Result<int>(port.error());
  if (!client.ok()) {
    io::close_socket(*listener);
    return std::move(client).error();
  }
  // The benchmark's one raw call: a blocking accept of the connection just made (io/ accepts
  // through a Ring, which a one-off measurement does not need).
  const int server = ::accept4(*listener, nullptr, nullptr, SOCK_CLOEXEC);
  io::close_socket(*listener);
  if (server < 0) {
    io::close_socket(*client);
    return Error(Errc::io_error, std::string("accept: ") + std::strerror(errno));
  }
  (void)io::tune_connection(server);
  return std::make_pair(server, *client);
}

Result<double> tcp_bandwidth(double seconds) {
  Result<std::pair<int, int>> pair = loopback_pair();
  if (!pair.ok()) return std::move(pair).error();
  const auto [receiver, sender] = *pair;
  uint64_t received = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  std::thread reader([&, receiver = receiver] {
    std::vector<std::byte> buffer(kChunkBytes);
    while (true) {
      Result<size_t> got = io::recv_some(receiver, buffer);
      if (!got.ok() || *got == 0) return;
      if (first_ns == 0) first_ns = steady_now_ns();
      received += *got;
      last_ns = steady_now_ns();
    }
  });
  const std::vector<std::byte> chunk(kChunkBytes, std::byte{'x'});
  const int64_t end_ns = steady_now_ns() + static_cast<int64_t>(seconds * 1e9);
  Result<void> sent;
  while (sent.ok() && steady_now_ns() < end_ns)
    sent = io::send_all(sender, chunk);
  io::shutdown_socket(sender);
  reader.join();
  io::close_socket(sender);
  io::close_socket(receiver);
  if (!sent.ok()) return std::move(sent).error();
  // Bytes after the first arrival over the time since then.
  return static_cast<double>(received) / (static_cast<double>(last_ns - first_ns) / 1e9);
}

Result<void> round_trips(double seconds, LatencyHistogram& out) {
  Result<std::pair<int, int>> pair = loopback_pair();
  if (!pair.ok()) return std::move(pair).error();
  const auto [server, client] = *pair;
  std::thread echo([server = server] {
    std::byte byte[1];
    while (true) {
      Result<size_t> got = io::recv_some(server, byte);
      if (!got.ok() || *got == 0) return;
      if (!io::send_all(server, byte).ok()) return;
    }
  });
  const int64_t end_ns = steady_now_ns() + static_cast<int64_t>(seconds * 1e9);
  Result<void> outcome;
  std::byte byte[1] = {std::byte{'p'}};
  for (int64_t now = steady_now_ns(); now < end_ns; now = steady_now_ns()) {
    outcome = io::send_all(client, byte);
    if (outcome.ok()) outcome = io::recv_exactly(client, byte);
    if (!outcome.ok()) break;
    out.record(static_cast<uint64_t>(steady_now_ns() - now));
  }
  io::shutdown_socket(client);
  echo.join();
  io::close_socket(client);
  io::close_socket(server);
  return outcome;
}

// The floor of e2e on this machine: one thread paced at kHandoffRate as the embedded
// benchmark's senders are (embedded_pacer.h) pushes its send time through a boost spsc_queue;
// another busy-polls it as the engine's spinning threads do (a pause between checks, a yield
// every 8) and records how long after the push it saw each one. Two threads, one hand-off,
// no work: what an engine's sender -> shard hop cannot beat.
void paced_handoff(double seconds, LatencyHistogram& out) {
  boost::lockfree::spsc_queue<int64_t, boost::lockfree::capacity<65536>> queue;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    int64_t sent_ns = 0;
    for (uint32_t checks = 0; !done.load(std::memory_order_acquire) || queue.read_available();) {
      if (queue.pop(sent_ns)) {
        out.record(static_cast<uint64_t>(std::max<int64_t>(0, steady_now_ns() - sent_ns)));
        continue;
      }
      if ((++checks & 7) == 0) {
        std::this_thread::yield();
      } else {
        Pacer::relax();
      }
    }
  });
  Pacer::tighten_timer_slack();
  const int64_t start_ns = steady_now_ns() + 1'000'000;
  const int64_t end_ns = start_ns + static_cast<int64_t>(seconds * 1e9);
  const Pacer pacer(start_ns, kHandoffRate);
  for (uint64_t k = 0; pacer.due_ns(k) < end_ns; ++k) {
    Pacer::wait_until(pacer.due_ns(k), steady_now_ns, [] {});
    while (!queue.push(steady_now_ns())) {
      Pacer::relax();  // the reader is 64 k behind: wait, as a full ring would make a sender
    }
  }
  done.store(true, std::memory_order_release);
  reader.join();
}

Result<void> write_json(const std::string& path, const Limits& limits) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return Error(Errc::io_error, "cannot write " + path);
  std::fprintf(out,
               "{\n  \"benchmark\": \"limits\",\n  \"memcpy_bytes_per_sec\": %.1f,\n"
               "  \"loopback_tcp_bytes_per_sec\": %.1f",
               limits.memcpy_bytes_per_sec, limits.tcp_bytes_per_sec);
  print_latency_json(out, "loopback_round_trip_us", limits.round_trip_ns);
  print_latency_json(out, "paced_handoff_us", limits.handoff_ns);
  if (limits.direct_submit_ns.count() > 0) {
    print_latency_json(out, "direct_write_submit_us", limits.direct_submit_ns);
  }
  print_latency_json(out, "buffered_write_submit_us", limits.buffered_submit_ns);
  std::fputs("\n}\n", out);
  if (std::fclose(out) != 0) return Error(Errc::io_error, "cannot write " + path);
  return {};
}

Result<Limits> measure(double seconds, const std::string& data_dir) {
  Limits limits;
  Result<void> direct = measure_write_submits(data_dir, true, seconds, limits.direct_submit_ns);
  if (!direct.ok() && direct.code() != Errc::unsupported) return std::move(direct).error();
  SLUICE_TRY(measure_write_submits(data_dir, false, seconds, limits.buffered_submit_ns));
  limits.memcpy_bytes_per_sec = memcpy_bandwidth(seconds);
  Result<double> tcp = tcp_bandwidth(seconds);
  if (!tcp.ok()) return std::move(tcp).error();
  limits.tcp_bytes_per_sec = *tcp;
  SLUICE_TRY(round_trips(seconds, limits.round_trip_ns));
  paced_handoff(seconds, limits.handoff_ns);
  return limits;
}

}  // namespace

int limits_command(std::span<const std::string> words) {
  if (!words.empty() && (words[0] == "--help" || words[0] == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto flags = tools::Flags::parse(words);
  std::optional<std::string> json = flags.ok() ? flags->text("json") : std::nullopt;
  Result<double> seconds = flags.ok() ? flags->number("seconds", 1) : Result<double>(flags.error());
  const std::string data_dir = flags.ok() ? flags->text("data-dir").value_or("") : "";
  if (!flags.ok() || !json || !seconds.ok() || *seconds <= 0 || !flags->positionals().empty() ||
      flags->first_unknown()) {
    std::fprintf(stderr, "sluice-bench limits: bad options\n%s", kUsage);
    return 2;
  }
  std::optional<tools::ScratchDir> scratch;
  Result<std::string> dir =
      tools::ScratchDir::given_or_scratch(data_dir, "sluice-bench-limits", scratch);
  Result<Limits> limits = dir.ok() ? measure(*seconds, *dir) : Result<Limits>(dir.error());
  if (!limits.ok()) {
    std::fprintf(stderr, "sluice-bench limits: %s\n", limits.error().to_string().c_str());
    return 1;
  }
  const LatencyHistogram& rtt = limits->round_trip_ns;
  const LatencyHistogram& hop = limits->handoff_ns;
  const LatencyHistogram& direct = limits->direct_submit_ns;
  const LatencyHistogram& buffered = limits->buffered_submit_ns;
  std::printf(
      "limits: memcpy %.2f GB/s, loopback TCP %.2f GB/s, loopback round trip us p50 %.1f p99 "
      "%.1f p99.9 %.1f max %.1f, paced hand-off at %.0f/s us p50 %.2f p99 %.2f p99.9 %.1f max "
      "%.1f, ",
      limits->memcpy_bytes_per_sec / 1e9, limits->tcp_bytes_per_sec / 1e9,
      ns_to_us(rtt.percentile(50)), ns_to_us(rtt.percentile(99)), ns_to_us(rtt.percentile(99.9)),
      ns_to_us(rtt.max()), kHandoffRate, ns_to_us(hop.percentile(50)), ns_to_us(hop.percentile(99)),
      ns_to_us(hop.percentile(99.9)), ns_to_us(hop.max()));
  if (direct.count() > 0) {
    std::printf("4 KiB write submission us: O_DIRECT p50 %.1f p99 %.1f, ",
                ns_to_us(direct.percentile(50)), ns_to_us(direct.percentile(99)));
  } else {
    std::printf("4 KiB write submission us: O_DIRECT refused by the data directory, ");
  }
  std::printf("buffered p50 %.1f p99 %.1f\n", ns_to_us(buffered.percentile(50)),
              ns_to_us(buffered.percentile(99)));
  if (Result<void> written = write_json(*json, *limits); !written.ok()) {
    std::fprintf(stderr, "sluice-bench limits: %s\n", written.error().to_string().c_str());
    return 1;
  }
  return 0;
}

}  // namespace sluice::bench
