// embed: sluice as a library, end to end, through <sluice/sluice.h> only.
//
// Opens an engine in a fresh temporary directory, creates a keyed topic of 3 partitions,
// produces keyed events (half with futures, half with callbacks), consumes all of them in a
// consumer group and commits, reads them again in a second group by callback delivery, then
// asks the query path: read() and partition_state() of each
// partition, and latest() of every key. Prints what it does; exits 0, or 1 with a message on
// the first error.
#include <sluice/sluice.h>

#include <stdlib.h>  // mkdtemp

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

constexpr const char* kTopic = "orders";
constexpr int kPartitions = 3;
constexpr int kEvents = 60;
constexpr int kKeys = 7;

template <typename T>
bool ok(const sluice::Result<T>& result, const std::string& what) {
  if (result.ok()) return true;
  std::fprintf(stderr, "embed: %s failed: %s\n", what.c_str(), result.error().to_string().c_str());
  return false;
}

std::string key_of(int i) {
  return "customer-" + std::to_string(i % kKeys);
}

std::string value_of(int i) {
  return "order " + std::to_string(i);
}

// Sends kEvents keyed events: even ones with send_future, odd ones with a callback. Fills
// `last_value` with the last value sent per key.
bool produce(sluice::Engine& engine, std::map<std::string, std::string>& last_value) {
  // Declared before the producer: its destructor may still run callbacks that count here.
  int callbacks_ok = 0;
  int callbacks_failed = 0;
  sluice::ProducerOptions options;
  options.durability = sluice::Durability::written;
  auto producer = engine.producer(options);
  if (!ok(producer, "Engine::producer")) return false;

  std::vector<std::future<sluice::Result<sluice::Delivery>>> futures;
  for (int i = 0; i < kEvents; ++i) {
    sluice::Event event;
    event.key = key_of(i);
    event.value = value_of(i);
    event.headers.push_back({"source", std::string("embed")});
    last_value[key_of(i)] = value_of(i);
    if (i % 2 == 0) {
      futures.push_back(producer->send_future(kTopic, std::move(event)));
      continue;
    }
    auto sent = producer->send(kTopic, std::move(event),
                               [&](const sluice::Result<sluice::Delivery>& delivery) {
                                 if (delivery.ok()) {
                                   ++callbacks_ok;
                                 } else {
                                   ++callbacks_failed;
                                   std::fprintf(stderr, "embed: delivery failed: %s\n",
                                                delivery.error().to_string().c_str());
                                 }
                               });
    if (!ok(sent, "Producer::send")) return false;
  }
  // Callbacks run on this thread, from send(), poll() and flush().
  if (!ok(producer->flush(std::chrono::seconds(30)), "Producer::flush")) return false;

  int futures_ok = 0;
  for (auto& future : futures) {
    sluice::Result<sluice::Delivery> delivery = future.get();
    if (!ok(delivery, "Producer::send_future")) return false;
    ++futures_ok;
  }
  std::printf("produced %d events to '%s': %d confirmed by future, %d by callback\n", kEvents,
              kTopic, futures_ok, callbacks_ok);
  return callbacks_failed == 0 && futures_ok + callbacks_ok == kEvents;
}

// Reads the topic in group "billing" until every event arrived, then commits.
bool consume(sluice::Engine& engine) {
  sluice::ConsumerOptions options;
  options.group = "billing";
  options.topics = {kTopic};
  options.auto_commit = false;
  options.reset = sluice::OffsetReset::earliest;
  auto consumer = engine.consumer(options);
  if (!ok(consumer, "Engine::consumer")) return false;

  std::map<int32_t, int> per_partition;
  int received = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < kEvents) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "embed: only %d of %d events arrived in 30 s\n", received, kEvents);
      return false;
    }
    auto records = consumer->poll(std::chrono::milliseconds(200));
    if (!ok(records, "Consumer::poll")) return false;
    for (const sluice::Record& record : *records)
      ++per_partition[record.partition];
    received += static_cast<int>(records->size());
  }
  if (!ok(consumer->commit(), "Consumer::commit")) return false;
  std::printf("consumed %d events as member %s of group 'billing' (generation %d):", received,
              consumer->member_id().c_str(), consumer->generation());
  for (const auto& [partition, count] : per_partition)
    std::printf(" partition %d: %d", partition, count);
  std::printf("\n");

  auto lag = consumer->lag();
  if (!ok(lag, "Consumer::lag")) return false;
  for (const sluice::PartitionLag& p : *lag) {
    std::printf("  committed %s/%d at %lld, lag %lld\n", p.partition.topic.c_str(),
                p.partition.partition, static_cast<long long>(p.committed),
                static_cast<long long>(p.lag));
  }
  return ok(consumer->close(), "Consumer::close");
}

// Reads the topic again in group "audit" by callback delivery: the shards hand the events to
// on_events on their own threads; poll() only keeps the membership. Closing commits.
bool consume_by_callback(sluice::Engine& engine) {
  std::atomic<int> received{0};
  sluice::ConsumerOptions options;
  options.group = "audit";
  options.topics = {kTopic};
  options.on_events = [&received](std::span<const sluice::Record> events) {
    received.fetch_add(static_cast<int>(events.size()));  // keep it short: a shard waits
  };
  auto consumer = engine.consumer(options);
  if (!ok(consumer, "Engine::consumer (callback)")) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received.load() < kEvents) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "embed: only %d of %d events reached on_events in 30 s\n",
                   received.load(), kEvents);
      return false;
    }
    auto polled = consumer->poll(std::chrono::milliseconds(50));
    if (!ok(polled, "Consumer::poll (callback)")) return false;
  }
  if (!ok(consumer->close(), "Consumer::close (callback)")) return false;
  std::printf("group 'audit' received %d events through on_events\n", received.load());
  return true;
}

// The synchronous query path: state and contents of each partition, and each key's latest.
bool query(sluice::Engine& engine, const std::map<std::string, std::string>& last_value) {
  int64_t stored = 0;
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    auto state = engine.partition_state(kTopic, partition);
    if (!ok(state, "Engine::partition_state")) return false;
    auto records = engine.read(kTopic, partition, state->earliest_offset, 1000);
    if (!ok(records, "Engine::read")) return false;
    std::printf("partition %d: offsets [%lld, %lld), %llu bytes, read back %zu events\n", partition,
                static_cast<long long>(state->earliest_offset),
                static_cast<long long>(state->latest_offset),
                static_cast<unsigned long long>(state->size_bytes), records->size());
    stored += state->latest_offset - state->earliest_offset;
  }
  if (stored != kEvents) {
    std::fprintf(stderr, "embed: the partitions hold %lld events, not %d\n",
                 static_cast<long long>(stored), kEvents);
    return false;
  }
  for (const auto& [key, value] : last_value) {
    auto latest = engine.latest(kTopic, key);
    if (!ok(latest, "Engine::latest(" + key + ")")) return false;
    if (!latest->value || *latest->value != value) {
      std::fprintf(stderr, "embed: latest(%s) is '%s', expected '%s'\n", key.c_str(),
                   latest->value ? latest->value->c_str() : "(null)", value.c_str());
      return false;
    }
    std::printf("latest(%s) = '%s' at partition %d offset %lld\n", key.c_str(),
                latest->value->c_str(), latest->partition, static_cast<long long>(latest->offset));
  }
  return true;
}

int run(const std::string& data_dir) {
  sluice::EngineOptions options;
  options.data_dir = data_dir;
  options.shards = 2;
  auto engine = sluice::Engine::open(options);
  if (!ok(engine, "Engine::open")) return 1;
  std::printf("opened an engine in %s with %u shards\n", data_dir.c_str(),
              (*engine)->shard_count());

  sluice::TopicConfig config;
  config.partitions = kPartitions;
  config.keyed_index = true;
  if (!ok((*engine)->create_topic(kTopic, config), "Engine::create_topic")) return 1;
  std::printf("created topic '%s' with %d partitions and a keyed index\n", kTopic, kPartitions);

  std::map<std::string, std::string> last_value;
  if (!produce(**engine, last_value)) return 1;
  if (!consume(**engine)) return 1;
  if (!consume_by_callback(**engine)) return 1;
  if (!query(**engine, last_value)) return 1;
  std::printf("done\n");
  return 0;
}

}  // namespace

int main() {
  std::error_code error;
  std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  std::string pattern = (base / "sluice-embed-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("embed: mkdtemp");
    return 1;
  }
  int status = run(pattern);
  std::filesystem::remove_all(pattern, error);
  return status;
}
