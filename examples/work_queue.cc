// work_queue: asynchronous work with sluice as a library, through <sluice/sluice.h> only.
//
// A caller submits commands as requests (each one an event of the topic "commands" with a
// request-id header) and waits for their outcomes; two workers read the topic as a queue of the
// group "workers", and complete each request, except that the command "broken" fails until it
// reaches max_deliveries and is dead-lettered to "commands.dlq" (its request becomes
// dead-lettered). Then the workers are "fixed", and the dead letter is replayed (once: a second
// replay finds it replayed) and handled. Prints what happens; exits 0, or 1 with a message on
// the first unexpected outcome.
#include <sluice/sluice.h>

#include <stdlib.h>  // mkdtemp

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "commands";
constexpr uint32_t kMaxDeliveries = 3;

template <typename T>
bool ok(const sluice::Result<T>& result, const std::string& what) {
  if (result.ok()) return true;
  std::fprintf(stderr, "work_queue: %s failed: %s\n", what.c_str(),
               result.error().to_string().c_str());
  return false;
}

std::string request_id_of(const sluice::Record& record) {
  for (const sluice::Header& header : record.headers) {
    if (header.key == sluice::kRequestIdHeader && header.value) return *header.value;
  }
  return {};
}

// Receives and works until `stop`: completes each request with "done: <command>", except the
// command "broken" while `fixed` is false: that one it nacks (delivered again at once) until it
// is dead-lettered.
void work(sluice::Engine& engine, sluice::Queue& queue, const std::atomic<bool>& stop,
          const std::atomic<bool>& fixed, std::atomic<int>& failures) {
  while (!stop.load()) {
    sluice::Result<std::vector<sluice::QueuedEvent>> events = queue.receive(8, 100ms);
    if (!ok(events, "receive")) {
      ++failures;
      return;
    }
    for (const sluice::QueuedEvent& event : *events) {
      const sluice::Record& record = event.record;
      const std::string command = record.value.value_or("");
      const sluice::LockRef ref{record.partition, record.offset, event.lock_token};
      if (command == "broken" && !fixed.load()) {
        sluice::NackOptions nack;
        nack.reason =
            "cannot handle 'broken' (delivery " + std::to_string(event.delivery_count) + ")";
        nack.retry_after = 0ms;
        if (!ok(queue.nack({ref}, nack), "nack")) ++failures;
        continue;
      }
      const std::string id = request_id_of(record);
      if (!id.empty()) {
        sluice::Result<sluice::RequestState> completed =
            engine.complete_request(id, "done: " + command);
        // A replayed command's request already has its outcome (dead-lettered): conflict.
        if (!completed.ok() && completed.code() != sluice::Errc::conflict) {
          ok(completed, "complete_request");
          ++failures;
        }
      }
      if (!ok(queue.ack({ref}), "ack")) ++failures;
    }
  }
}

int run(const std::string& dir) {
  sluice::EngineOptions options;
  options.data_dir = dir;
  sluice::Result<std::unique_ptr<sluice::Engine>> opened = sluice::Engine::open(options);
  if (!ok(opened, "open")) return 1;
  sluice::Engine& engine = **opened;

  sluice::TopicConfig config;
  config.partitions = 2;
  config.queue.max_deliveries = kMaxDeliveries;
  if (!ok(engine.create_topic(kTopic, config), "create_topic")) return 1;

  sluice::QueueOptions queue_options;
  queue_options.group = "workers";
  queue_options.topic = kTopic;
  std::atomic<bool> stop{false};
  std::atomic<bool> fixed{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<sluice::Queue>> queues;
  for (int i = 0; i < 2; ++i) {
    sluice::Result<sluice::Queue> queue = engine.queue(queue_options);
    if (!ok(queue, "queue")) return 1;
    queues.push_back(std::make_unique<sluice::Queue>(std::move(*queue)));
    workers.emplace_back([&, q = queues.back().get()] { work(engine, *q, stop, fixed, failures); });
  }

  int unexpected = 0;
  for (const std::string command : {"ship", "invoice", "broken", "refund"}) {
    sluice::Event event;
    event.key = command;
    event.value = command;
    sluice::Result<sluice::RequestState> submitted = engine.submit_request(kTopic, event);
    if (!ok(submitted, "submit_request")) return 1;
    // The synchronous face of asynchronous work: wait up to 10 s for the outcome.
    sluice::Result<sluice::RequestState> outcome = engine.wait_request(submitted->id, 10s);
    if (!ok(outcome, "wait_request")) return 1;
    std::printf("request %s (%s): %s: %s\n", outcome->id.c_str(), command.c_str(),
                std::string(sluice::request_status_name(outcome->status)).c_str(),
                outcome->outcome.c_str());
    const sluice::RequestStatus expected = command == "broken"
                                               ? sluice::RequestStatus::dead_lettered
                                               : sluice::RequestStatus::completed;
    if (outcome->status != expected) ++unexpected;
  }

  // The dead-lettered command is in commands.dlq with its reason; replay puts it back in front
  // of the group once (a second replay finds it replayed already).
  sluice::Result<std::vector<sluice::Record>> dead = engine.read("commands.dlq", 0, 0, 10);
  sluice::Result<std::vector<sluice::Record>> dead1 = engine.read("commands.dlq", 1, 0, 10);
  const size_t dead_count = (dead.ok() ? dead->size() : 0) + (dead1.ok() ? dead1->size() : 0);
  std::printf("dead letters: %zu\n", dead_count);
  if (dead_count != 1) ++unexpected;
  fixed = true;
  sluice::ReplayFilter everything;
  sluice::Result<sluice::ReplayResult> replayed = engine.replay_dlq(kTopic, everything);
  sluice::Result<sluice::ReplayResult> again = engine.replay_dlq(kTopic, everything);
  if (!ok(replayed, "replay_dlq") || !ok(again, "replay_dlq")) return 1;
  std::printf("replayed %llu, then %llu (already replayed %llu)\n",
              static_cast<unsigned long long>(replayed->replayed),
              static_cast<unsigned long long>(again->replayed),
              static_cast<unsigned long long>(again->already_replayed));
  if (replayed->replayed != 1 || again->replayed != 0 || again->already_replayed != 1) ++unexpected;

  // The replayed command is handled now: 4 acks in all.
  const auto until = std::chrono::steady_clock::now() + 10s;
  uint64_t acked = 0;
  while (std::chrono::steady_clock::now() < until) {
    acked = 0;
    for (const sluice::QueueStats& stats : engine.queue_stats())
      acked += stats.acked;
    if (acked == 4) break;
    std::this_thread::sleep_for(10ms);
  }
  if (acked != 4) ++unexpected;

  stop = true;
  for (std::thread& worker : workers)
    worker.join();
  for (const sluice::QueueStats& stats : engine.queue_stats()) {
    std::printf("queue %s/%s: acked %llu, redelivered %llu, dead-lettered %llu, replayed %llu\n",
                stats.group.c_str(), stats.topic.c_str(),
                static_cast<unsigned long long>(stats.acked),
                static_cast<unsigned long long>(stats.redelivered),
                static_cast<unsigned long long>(stats.dead_lettered),
                static_cast<unsigned long long>(stats.replayed));
  }
  if (failures.load() != 0 || unexpected != 0) {
    std::fprintf(stderr, "work_queue: %d failed calls, %d unexpected outcomes\n", failures.load(),
                 unexpected);
    return 1;
  }
  return 0;
}

}  // namespace

int main() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sluice-work-queue-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("work_queue: mkdtemp");
    return 1;
  }
  const int code = run(pattern);
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  return code;
}
