// Producer (include/sluice/producer.h): batching in the producer's own memory, hand-over to
// the owning shard through the producer's channel to it, completions back through the same
// channel.
#include "engine/producer_impl.h"

#include "io/assert.h"
#include "io/logger.h"
#include "partitions/key_index.h"
#include "partitions/producer_state.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace sluice {

using engine::ProduceBatch;

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Producer::~Producer() = default;
Producer::Producer(Producer&&) noexcept = default;
Producer& Producer::operator=(Producer&&) noexcept = default;

Result<void> Producer::send(std::string_view topic, Event event, DeliveryCallback done) {
  if (!impl_) return Error(Errc::closed, "producer was moved from");
  return impl_->send(topic, std::move(event), std::move(done), nullptr);
}

std::future<Result<Delivery>> Producer::send_future(std::string_view topic, Event event) {
  std::promise<Result<Delivery>> promise;
  std::future<Result<Delivery>> future = promise.get_future();
  if (!impl_) {
    promise.set_value(Error(Errc::closed, "producer was moved from"));
    return future;
  }
  Result<void> sent = impl_->send(topic, std::move(event), {}, &promise);
  if (!sent.ok()) promise.set_value(std::move(sent).error());
  return future;
}

size_t Producer::poll() {
  return impl_ ? impl_->poll() : 0;
}

Result<void> Producer::flush(std::chrono::milliseconds timeout) {
  if (!impl_) return Error(Errc::closed, "producer was moved from");
  return impl_->flush(timeout);
}

uint64_t Producer::in_flight_bytes() const {
  return impl_ ? impl_->in_flight_bytes : 0;
}

// ---- Impl ----

Producer::Impl::Impl(Engine::Impl& engine_in, const ProducerOptions& options_in, bool internal_in)
    : engine(engine_in),
      options(options_in),
      internal(internal_in),
      links(engine_in.shards.size()) {}

Producer::Impl::~Impl() {
  // Every batch must be back before the batches are freed: wait as long as it takes (the
  // engine outlives its producers, so the shards answer).
  while (!flush(std::chrono::hours(1)).ok()) {
  }
  bell->also_wake(nullptr);  // nothing is in flight, but the channels keep the bell
  for (Link& link : links) {
    if (link.channel) link.channel->closed.store(true, std::memory_order_release);
  }
}

// One clock for event timestamps and linger, read once per send (a clock read costs about as
// much as encoding a small event). Linger measured on the wall clock may be off while the clock
// is stepped; it only decides when a batch goes.
int64_t Producer::Impl::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<Producer::Impl::TopicEntry*> Producer::Impl::topic_entry(std::string_view name) {
  // Most producers send to one topic: the last one found is checked first.
  if (last_entry != nullptr && last_name == name &&
      !last_entry->topic->deleted.load(std::memory_order_acquire)) {
    return last_entry;
  }
  Result<TopicEntry*> found = find_entry(name);
  if (found.ok()) {
    last_entry = *found;
    last_name = std::string(name);
  }
  return found;
}

Result<Producer::Impl::TopicEntry*> Producer::Impl::find_entry(std::string_view name) {
  auto it = topics.find(name);
  if (it != topics.end() && !it->second.topic->deleted.load(std::memory_order_acquire)) {
    return &it->second;
  }
  Result<std::shared_ptr<engine::Topic>> found = engine.find_topic(name);
  if (!found.ok()) return std::move(found).error();
  if ((*found)->internal && !internal) {
    return Error(Errc::invalid_argument, "topic " + std::string(name) + " is internal to sluice");
  }
  if (it != topics.end()) {
    hand_over_all(it->second);
    if (last_entry == &it->second) last_entry = nullptr;
    topics.erase(it);
  }
  TopicEntry entry;
  entry.topic = std::move(*found);
  entry.open.assign(static_cast<size_t>(entry.topic->config.partitions), nullptr);
  entry.sticky = 0;
  // A topic made again under this name has new partitions: their sequences start at 0.
  if (producer_id >= 0) entry.next_sequence.assign(entry.open.size(), 0);
  return &topics.emplace(std::string(name), std::move(entry)).first->second;
}

Result<void> Producer::Impl::send(std::string_view topic_name, Event event, DeliveryCallback done,
                                  std::promise<Result<Delivery>>* promise) {
  Result<TopicEntry*> found = topic_entry(topic_name);
  if (!found.ok()) return std::move(found).error();
  TopicEntry& entry = **found;
  const TopicConfig& config = entry.topic->config;

  std::optional<uint64_t> hash;
  if (event.key) hash = partitions::key_hash(std::string_view(*event.key));
  int32_t partition = event.partition;
  if (partition >= config.partitions || partition < -1) {
    return Error(Errc::invalid_argument, "partition " + std::to_string(partition) + " of topic " +
                                             entry.topic->name + " does not exist (it has " +
                                             std::to_string(config.partitions) + ")");
  }
  if (partition < 0) {
    partition = hash ? static_cast<int32_t>(*hash % static_cast<uint64_t>(config.partitions))
                     : entry.sticky;
  }
  const uint64_t size = event_bytes(event);
  if (size > config.max_event_bytes) {
    return Error(Errc::too_large, "event of " + std::to_string(size) + " bytes is above the " +
                                      std::to_string(config.max_event_bytes) +
                                      "-byte maximum of topic " + entry.topic->name);
  }
  SLUICE_TRY(reserve(size));

  const bool lingering = options.linger.count() > 0;
  const int64_t now = lingering || event.timestamp_ms < 0 ? now_ns() : 0;
  ProduceBatch*& open = entry.open[static_cast<size_t>(partition)];
  if (open != nullptr && open->builder.size_bytes() + size > options.batch_bytes) {
    hand_over(entry, partition);
  }
  if (open == nullptr) {
    open = acquire_batch();
    open->slot = entry.topic->partitions[static_cast<size_t>(partition)];
    open->durability = options.durability;
    if (lingering) {
      open->opened_ns = now;
      next_linger_check_ns = std::min(
          next_linger_check_ns, open->opened_ns + std::chrono::nanoseconds(options.linger).count());
    }
  }
  add_event(*open, event, hash, event.timestamp_ms >= 0 ? event.timestamp_ms : now / 1'000'000);
  open->charged_bytes += size;
  in_flight_bytes += size;
  const int32_t index = open->events() - 1;
  if (done) open->callbacks.emplace_back(index, std::move(done));
  if (promise) open->promises.emplace_back(index, std::move(*promise));

  if (!lingering || open->builder.size_bytes() >= options.batch_bytes) {
    hand_over(entry, partition);
  } else {
    hand_over_lingering(now);
  }
  if (!in_callback) run_completions();
  return {};
}

uint64_t Producer::Impl::event_bytes(const Event& event) {
  // The record's own framing (length, attributes, deltas, lengths) is at most ~25 bytes.
  uint64_t bytes = 25 + (event.key ? event.key->size() : 0) + event.value.size();
  for (const Header& header : event.headers) {
    bytes += 10 + header.key.size() + (header.value ? header.value->size() : 0);
  }
  return bytes;
}

void Producer::Impl::add_event(ProduceBatch& batch, const Event& event,
                               std::optional<uint64_t> hash, int64_t timestamp) {
  std::optional<std::span<const std::byte>> key;
  if (event.key) key = std::as_bytes(std::span(event.key->data(), event.key->size()));
  const auto value = std::as_bytes(std::span(event.value.data(), event.value.size()));
  header_scratch.clear();
  for (const Header& header : event.headers) {
    header_scratch.emplace_back();
    header_scratch.back().key = header.key;
    if (header.value) {
      const auto bytes = std::as_bytes(std::span(header.value->data(), header.value->size()));
      header_scratch.back().value.emplace(bytes.begin(), bytes.end());
    }
  }
  batch.builder.add(key, value, timestamp, header_scratch);
  if (hash && batch.slot->keyed) batch.key_hashes.emplace_back(batch.events() - 1, *hash);
}

Result<void> Producer::Impl::reserve(uint64_t bytes) {
  if (in_flight_bytes + bytes <= options.max_in_flight_bytes) return {};
  // Everything open goes now, so that completions can free room.
  for (auto& [name, entry] : topics)
    hand_over_all(entry);
  run_completions();
  if (in_flight_bytes + bytes <= options.max_in_flight_bytes || in_flight_bytes == 0) return {};
  if (options.on_full == OnFull::fail) {
    return Error(Errc::would_block, "producer has " + std::to_string(in_flight_bytes) +
                                        " bytes in flight (max_in_flight_bytes " +
                                        std::to_string(options.max_in_flight_bytes) + ")");
  }
  const auto until = std::chrono::steady_clock::now() + options.max_block;
  while (in_flight_bytes + bytes > options.max_in_flight_bytes && in_flight_bytes > 0) {
    if (!wait_for_completion(until)) {
      return Error(Errc::timed_out, "no room freed within max_block");
    }
    run_completions();
  }
  return {};
}

ProduceBatch* Producer::Impl::acquire_batch() {
  if (free_batches.empty()) {
    batches.push_back(std::make_unique<ProduceBatch>());
    return batches.back().get();
  }
  ProduceBatch* batch = free_batches.back();
  free_batches.pop_back();
  return batch;
}

void Producer::Impl::hand_over(TopicEntry& entry, int32_t partition) {
  ProduceBatch*& open = entry.open[static_cast<size_t>(partition)];
  SLUICE_ASSERT(open != nullptr);
  ProduceBatch* batch = open;
  open = nullptr;
  // Key-less events stick to one partition per batch; the next batch takes the next one.
  if (partition == entry.sticky) {
    entry.sticky = (entry.sticky + 1) % entry.topic->config.partitions;
  }
  if (producer_id >= 0) [[unlikely]]
    stamp(entry, partition, *batch);
  batch->bytes = batch->builder.finish();
  const uint32_t shard_id = batch->slot->shard;
  Link& link = links[shard_id];
  if (!link.channel) {
    link.channel = std::make_shared<engine::Channel>();
    link.channel->producer_bell = bell;
    engine.shard(shard_id).add_channel(link.channel);
  }
  batch->channel = link.channel.get();
  if (options.on_full == OnFull::fail &&
      (!link.backlog.empty() || link.outstanding >= engine::kChannelCapacity)) {
    // Never wait (see Link::backlog); keep the order behind what already waits.
    link.backlog.push_back(batch);
    return;
  }
  while (link.outstanding >= engine::kChannelCapacity) {
    wait_for_completion(std::chrono::steady_clock::time_point::max());
    run_completions();
  }
  const bool pushed = link.channel->to_shard.push(batch);
  SLUICE_ASSERT(pushed);  // outstanding < capacity
  ++link.outstanding;
  engine.shard(shard_id).wake();
}

void Producer::Impl::hand_over_all(TopicEntry& entry) {
  for (int32_t p = 0; p < static_cast<int32_t>(entry.open.size()); ++p) {
    if (entry.open[static_cast<size_t>(p)] != nullptr) hand_over(entry, p);
  }
}

// Scans the open batches only once the oldest may have lingered long enough.
void Producer::Impl::hand_over_lingering(int64_t now) {
  if (now < next_linger_check_ns) return;
  const int64_t linger_ns = std::chrono::nanoseconds(options.linger).count();
  next_linger_check_ns = INT64_MAX;
  for (auto& [name, entry] : topics) {
    for (int32_t p = 0; p < static_cast<int32_t>(entry.open.size()); ++p) {
      const ProduceBatch* open = entry.open[static_cast<size_t>(p)];
      if (open == nullptr) continue;
      if (open->opened_ns + linger_ns <= now) {
        hand_over(entry, p);
      } else {
        next_linger_check_ns = std::min(next_linger_check_ns, open->opened_ns + linger_ns);
      }
    }
  }
}

bool Producer::Impl::completions_ready() const {
  for (const Link& link : links) {
    if (link.outstanding > 0 && link.channel->to_producer.read_available() > 0) return true;
  }
  return false;
}

bool Producer::Impl::wait_for_completion(std::chrono::steady_clock::time_point until) {
  return bell->wait(engine.options.wait, until, [this] { return completions_ready(); });
}

size_t Producer::Impl::run_completions() {
  size_t ran = 0;
  in_callback = true;
  for (Link& link : links) {
    if (link.outstanding == 0) continue;
    ProduceBatch* batch = nullptr;
    while (link.channel->to_producer.pop(batch)) {
      --link.outstanding;
      in_flight_bytes -= batch->charged_bytes;
      if (batch->error && producer_id >= 0) [[unlikely]]
        on_idempotent_failure(*batch);
      for (auto& [index, callback] : batch->callbacks) {
        if (batch->error) {
          callback(*batch->error);
        } else {
          callback(Delivery{batch->slot->partition, batch->info.base_offset + index});
        }
        ++ran;
      }
      batch->reset();
      free_batches.push_back(batch);
    }
  }
  in_callback = false;
  for (uint32_t shard_id = 0; shard_id < links.size(); ++shard_id) {
    if (!links[shard_id].backlog.empty()) push_backlog(links[shard_id], shard_id);
  }
  return ran;
}

void Producer::Impl::push_backlog(Link& link, uint32_t shard_id) {
  bool pushed_any = false;
  while (!link.backlog.empty() && link.outstanding < engine::kChannelCapacity) {
    engine::ProduceBatch* batch = link.backlog.front();
    link.backlog.pop_front();
    const bool pushed = link.channel->to_shard.push(batch);
    SLUICE_ASSERT(pushed);  // outstanding < capacity
    ++link.outstanding;
    pushed_any = true;
  }
  if (pushed_any) engine.shard(shard_id).wake();
}

void Producer::Impl::stamp(TopicEntry& entry, int32_t partition, ProduceBatch& batch) {
  SLUICE_ASSERT(entry.next_sequence.size() == entry.open.size());
  int32_t& next = entry.next_sequence[static_cast<size_t>(partition)];
  batch.builder.set_producer(producer_id, producer_epoch, next);
  next = partitions::next_sequence_after(partitions::last_sequence_of(next, batch.events()));
}

void Producer::Impl::on_idempotent_failure(const ProduceBatch& batch) {
  Result<partitions::BatchHeader> header = partitions::decode_batch_header(batch.bytes);
  SLUICE_ASSERT(header.ok());  // the producer's own bytes, untouched since finish()
  // A batch of an older epoch (in flight behind the one that failed first) changes nothing.
  if (header->producer_id != producer_id || header->producer_epoch != producer_epoch) return;
  // The failed batch left a gap in this epoch's sequences. A new epoch starting at sequence 0
  // is accepted by every partition (and fences the old epoch's batches still in flight).
  if (producer_epoch < std::numeric_limits<int16_t>::max()) {
    ++producer_epoch;
  } else {
    Result<engine::ProducerIdAndEpoch> fresh = engine.init_producer_id();
    if (!fresh.ok()) {
      // Later batches fail as out of order until a new id can be had; say why once here.
      log_line(LogLevel::error,
               "idempotent producer " + std::to_string(producer_id) +
                   ": no new producer id after its last epoch: " + fresh.error().to_string());
      return;
    }
    producer_id = fresh->producer_id;
    producer_epoch = fresh->epoch;
  }
  for (auto& [name, entry] : topics)
    std::fill(entry.next_sequence.begin(), entry.next_sequence.end(), 0);
}

size_t Producer::Impl::poll() {
  if (options.linger.count() == 0) {
    for (auto& [name, entry] : topics)
      hand_over_all(entry);
  } else {
    hand_over_lingering(now_ns());
  }
  return run_completions();
}

Result<void> Producer::Impl::flush(std::chrono::milliseconds timeout) {
  for (auto& [name, entry] : topics)
    hand_over_all(entry);
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    run_completions();
    bool idle = true;
    for (const Link& link : links)
      idle = idle && link.outstanding == 0 && link.backlog.empty();
    if (idle) return {};
    if (!wait_for_completion(until)) {
      return Error(Errc::timed_out, "flush: batches still in flight after the timeout");
    }
  }
}

}  // namespace sluice
