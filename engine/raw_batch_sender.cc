// RawBatchSender: checks a Kafka batch, copies it into a ProduceBatch, hands it to the owning
// shard through the sender's channel to it, and runs the callbacks of the batches that come
// back. See raw_batch_sender.h for the contract.
#include "engine/raw_batch_sender.h"

#include "io/assert.h"
#include "partitions/key_index.h"
#include "partitions/record_batch.h"

namespace sluice::engine {

// A ProduceBatch carrying a copy of a Kafka batch. The shard sees only the ProduceBatch part
// (bytes, slot, durability, key hashes, channel, and the outcome it writes back); `copy` and
// `done` belong to the sender's thread.
struct RawBatchSender::RawBatch : ProduceBatch {
  std::vector<std::byte> copy;
  BatchCallback done;
};

struct RawBatchSender::Core {
  Doorbell bell;
  std::vector<std::unique_ptr<RawBatch>> batches;  // every batch ever made
};

namespace {

Error corrupt(const std::string& why) {
  return Error(Errc::corruption, "record batch: " + why);
}

// A sender keeps a scratch buffer of this size at most between batches.
constexpr size_t kScratchBytesKept = size_t{4} << 20;

// The keys of a batch, as (offset delta, hash) for the shard's KeyIndex. A compressed batch is
// decompressed into `scratch` first.
Result<void> hash_keys(std::span<const std::byte> bytes, const partitions::BatchHeader& header,
                       std::vector<std::byte>& scratch,
                       std::vector<std::pair<int32_t, uint64_t>>& out) {
  auto records = partitions::decode_records(bytes, scratch);
  if (!records.ok()) {
    if (records.code() == Errc::too_large) {
      return Error(Errc::too_large, "record batch: " + records.error().message());
    }
    return corrupt(records.error().message());
  }
  for (const partitions::RecordView& record : *records) {
    if (!record.key) continue;
    out.emplace_back(static_cast<int32_t>(record.offset - header.base_offset),
                     partitions::key_hash(*record.key));
  }
  return {};
}

}  // namespace

RawBatchSender::RawBatchSender(Engine::Impl& engine, const RawBatchSenderOptions& options)
    : engine_(engine),
      options_(options),
      core_(std::make_shared<Core>()),
      links_(engine.shards.size()) {}

RawBatchSender::~RawBatchSender() {
  // Batches still in flight ring the bell when they complete, perhaps after the shard it woke
  // is gone.
  core_->bell.also_wake(nullptr);
  for (Link& link : links_) {
    if (!link.channel) continue;
    // Batches back already are done with; their callbacks do not run.
    ProduceBatch* popped = nullptr;
    while (link.outstanding > 0 && link.channel->to_producer.pop(popped))
      --link.outstanding;
    // Release: every batch of the channel came back before; the shard (acquire) then drops
    // it. A channel with batches out stays open: the shard holds it, and through its bell the
    // core with every batch, until the shard stops.
    if (link.outstanding == 0) link.channel->closed.store(true, std::memory_order_release);
  }
  // The shard never touches `done`: dropping the callbacks of batches in flight races with
  // nothing.
  for (const auto& batch : core_->batches)
    batch->done = nullptr;
}

size_t RawBatchSender::in_flight_batches() const {
  size_t total = 0;
  for (const Link& link : links_)
    total += link.outstanding;
  return total;
}

Result<std::shared_ptr<Topic>> RawBatchSender::find_topic(std::string_view name) {
  auto it = topics_.find(name);
  // Acquire: pairs with delete_topic's release; a deleted topic is looked up again.
  if (it != topics_.end() && !it->second->deleted.load(std::memory_order_acquire)) {
    return it->second;
  }
  Result<std::shared_ptr<Topic>> found = engine_.find_topic(name);
  if (!found.ok()) {
    if (it != topics_.end()) topics_.erase(it);
    return found;
  }
  if ((*found)->internal) {
    return Error(Errc::invalid_argument, "topic " + std::string(name) + " is internal to sluice");
  }
  if (it != topics_.end()) {
    it->second = *found;
  } else {
    topics_.emplace(std::string(name), *found);
  }
  return found;
}

Result<void> RawBatchSender::send_batch(std::string_view topic_name, int32_t partition,
                                        std::span<const std::byte> kafka_batch,
                                        Durability durability, BatchCallback done) {
  Result<std::shared_ptr<Topic>> found = find_topic(topic_name);
  if (!found.ok()) return std::move(found).error();
  const Topic& topic = **found;
  if (partition < 0 || partition >= topic.config.partitions) {
    return Error(Errc::invalid_argument, "partition " + std::to_string(partition) + " of topic " +
                                             topic.name + " does not exist (it has " +
                                             std::to_string(topic.config.partitions) + ")");
  }

  // The batch, before validate_batch: its errors for a wrong magic or length are
  // invalid_argument, and these deserve their own codes.
  if (kafka_batch.size() < partitions::kBatchHeaderBytes) {
    return corrupt(std::to_string(kafka_batch.size()) + " bytes, shorter than a batch header");
  }
  const auto magic = static_cast<int8_t>(kafka_batch[16]);
  if (magic != partitions::kMagicV2) {
    return Error(Errc::unsupported,
                 "record batch: magic " + std::to_string(magic) + " (sluice stores magic 2 only)");
  }
  auto header = partitions::decode_batch_header(kafka_batch);
  if (!header.ok()) return corrupt(header.error().message());
  if (header->total_bytes() != kafka_batch.size()) {
    return corrupt("batch_length " + std::to_string(header->batch_length) + " does not match the " +
                   std::to_string(kafka_batch.size()) + " bytes given (one whole batch expected)");
  }
  header = partitions::validate_batch(kafka_batch);
  if (!header.ok()) {
    if (header.code() == Errc::invalid_argument) return corrupt(header.error().message());
    return std::move(header).error();
  }
  const partitions::BatchHeader& h = *header;
  if (h.control() || h.transactional()) {
    return Error(Errc::unsupported,
                 "record batch: transactional and control batches are not "
                 "supported (sluice has no transactions)");
  }
  if (kafka_batch.size() > topic.config.max_event_bytes) {
    return Error(Errc::too_large, "record batch of " + std::to_string(kafka_batch.size()) +
                                      " bytes is above the " +
                                      std::to_string(topic.config.max_event_bytes) +
                                      "-byte maximum of topic " + topic.name);
  }
  if (h.producer_id >= 0 && (h.producer_epoch < 0 || h.base_sequence < 0)) {
    return Error(Errc::invalid_argument,
                 "record batch of producer " + std::to_string(h.producer_id) + " has epoch " +
                     std::to_string(h.producer_epoch) + " and base sequence " +
                     std::to_string(h.base_sequence) + " (both must be >= 0)");
  }

  const std::shared_ptr<PartitionSlot>& slot = topic.partitions[static_cast<size_t>(partition)];
  Link& link = links_[slot->shard];
  const uint64_t size = kafka_batch.size();
  if (in_flight_bytes_ > 0 && in_flight_bytes_ + size > options_.max_in_flight_bytes) {
    return Error(Errc::would_block, "raw batch sender has " + std::to_string(in_flight_bytes_) +
                                        " bytes in flight (max_in_flight_bytes " +
                                        std::to_string(options_.max_in_flight_bytes) + ")");
  }
  if (link.outstanding >= kChannelCapacity) {
    return Error(Errc::would_block, "raw batch sender has " + std::to_string(link.outstanding) +
                                        " batches in flight to shard " +
                                        std::to_string(slot->shard));
  }

  RawBatch* batch = acquire_batch();
  if (slot->keyed) {
    // Here, on the sender's thread, rather than on the shard: the shard only puts the hashes.
    auto hashed = hash_keys(kafka_batch, h, scratch_, batch->key_hashes);
    if (scratch_.capacity() > kScratchBytesKept) std::vector<std::byte>().swap(scratch_);
    if (!hashed.ok()) {
      release_batch(batch);
      return hashed;
    }
  }
  batch->copy.assign(kafka_batch.begin(), kafka_batch.end());
  batch->bytes = batch->copy;
  batch->slot = slot;
  batch->durability = durability;
  batch->charged_bytes = size;
  batch->done = std::move(done);
  if (!link.channel) {
    link.channel = std::make_shared<Channel>();
    // Aliasing: the channel's bell shares ownership of the core, batches included.
    link.channel->producer_bell = std::shared_ptr<Doorbell>(core_, &core_->bell);
    engine_.shard(slot->shard).add_channel(link.channel);
  }
  batch->channel = link.channel.get();
  in_flight_bytes_ += size;
  // Release (inside push): the batch's fields above are visible to the shard that pops it.
  const bool pushed = link.channel->to_shard.push(batch);
  SLUICE_ASSERT(pushed);  // outstanding < capacity
  ++link.outstanding;
  engine_.shard(slot->shard).wake();
  return {};
}

RawBatchSender::RawBatch* RawBatchSender::acquire_batch() {
  if (free_batches_.empty()) {
    core_->batches.push_back(std::make_unique<RawBatch>());
    return core_->batches.back().get();
  }
  RawBatch* batch = free_batches_.back();
  free_batches_.pop_back();
  idle_copy_bytes_ -= batch->copy.capacity();
  return batch;
}

void RawBatchSender::release_batch(RawBatch* batch) {
  batch->reset();
  batch->copy.clear();
  batch->done = nullptr;
  // Idle copy buffers are kept up to max_in_flight_bytes in all, so memory stays bounded after
  // a burst of large batches.
  if (idle_copy_bytes_ + batch->copy.capacity() > options_.max_in_flight_bytes) {
    std::vector<std::byte>().swap(batch->copy);
  }
  idle_copy_bytes_ += batch->copy.capacity();
  free_batches_.push_back(batch);
}

bool RawBatchSender::completions_ready() const {
  for (const Link& link : links_) {
    if (link.outstanding > 0 && link.channel->to_producer.read_available() > 0) return true;
  }
  return false;
}

void RawBatchSender::wake_on_completion(Shard* shard) {
  core_->bell.also_wake(shard);
}

bool RawBatchSender::wait(std::chrono::steady_clock::time_point until) {
  return core_->bell.wait(engine_.options.wait, until, [this] { return completions_ready(); });
}

size_t RawBatchSender::poll() {
  if (in_callback_) return 0;
  in_callback_ = true;
  size_t completed = 0;
  for (Link& link : links_) {
    if (link.outstanding == 0) continue;
    ProduceBatch* popped = nullptr;
    // Acquire (inside pop): the shard's outcome (info, error) is visible.
    while (link.channel->to_producer.pop(popped)) {
      auto* batch = static_cast<RawBatch*>(popped);
      --link.outstanding;
      in_flight_bytes_ -= batch->charged_bytes;
      ++completed;
      BatchCallback done = std::move(batch->done);
      if (done) {
        if (batch->error) {
          done(*batch->error);
        } else {
          BatchDelivery delivery;
          delivery.base_offset = batch->info.base_offset;
          delivery.log_start_offset =
              batch->slot->reader ? batch->slot->reader->start_offset() : -1;
          delivery.duplicate = batch->info.duplicate;
          done(delivery);
        }
      }
      release_batch(batch);
    }
  }
  in_callback_ = false;
  return completed;
}

}  // namespace sluice::engine
