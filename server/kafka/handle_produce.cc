// Produce: each partition's records (one or more record batches, as the client encoded them)
// go to the partition's shard byte for byte through the shard's RawBatchSender, which checks
// them (CRC, size, idempotence) and stores them with only the base offset rewritten. acks 0, 1
// and -1 ask for durability none, written and synced; the response goes out when every batch
// of the request has reached it (acks=0: no response at all).
#include "engine/raw_batch_sender.h"
#include "io/assert.h"
#include "partitions/endian.h"
#include "partitions/record_batch.h"
#include "server/kafka/handlers.h"
#include "server/kafka/produce.h"
#include "server/kafka/topic_lookup.h"
#include "server/metrics.h"
#include "server/shard_context.h"

#include <optional>

namespace sluice::server::kafka {
namespace {

// The request's answer, filled in as its batches complete.
struct PendingProduce {
  ProduceResponse response;
  int16_t version = 0;
  size_t outstanding = 0;  // batches sent and not completed
  std::shared_ptr<Reply> reply;

  void finish_one() {
    SLUICE_ASSERT(outstanding > 0);
    if (--outstanding > 0) return;
    Writer out = reply->writer();
    encode_produce_response(out, response, version);
    reply->complete();
  }
};

// Splits a partition's records into whole batches (base offset, length, then the rest). A
// trailing piece shorter than a batch header, or a length running past the end: nullopt.
std::optional<std::vector<std::span<const std::byte>>> split_batches(
    std::span<const std::byte> records) {
  std::vector<std::span<const std::byte>> batches;
  size_t at = 0;
  while (at < records.size()) {
    if (records.size() - at < partitions::kBatchHeaderBytes) return std::nullopt;
    const int32_t length = partitions::load_be<int32_t>(records.data() + at + 8);
    if (length <
        static_cast<int32_t>(partitions::kBatchHeaderBytes - partitions::kBatchLogOverhead)) {
      return std::nullopt;
    }
    const size_t total = partitions::kBatchLogOverhead + static_cast<size_t>(length);
    if (records.size() - at < total) return std::nullopt;
    batches.push_back(records.subspan(at, total));
    at += total;
  }
  if (batches.empty()) return std::nullopt;
  return batches;
}

Durability durability_for(int16_t acks) {
  return acks == 0 ? Durability::none : acks == 1 ? Durability::written : Durability::synced;
}

}  // namespace

Result<void> handle_produce(KafkaSession& session, const RequestHeader& header, Reader& body,
                            const std::shared_ptr<Reply>& reply) {
  Result<ProduceRequest> request = decode_produce_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  Metrics& metrics = context.metrics();
  const int16_t acks = request->acks;
  const bool acks_valid = acks == 0 || acks == 1 || acks == -1;
  const Durability durability = durability_for(acks);

  auto pending = std::make_shared<PendingProduce>();
  pending->version = header.api_version;
  pending->reply = reply;
  // Counted while sending, so that a batch completing early cannot finish the request before
  // the last one was sent; released at the end.
  pending->outstanding = 1;
  engine::RawBatchSender& sender = context.batch_sender();

  for (const ProduceTopicData& topic : request->topics) {
    ProduceTopicResponse topic_response;
    topic_response.name = std::string(topic.name);
    topic_response.partitions.reserve(topic.partitions.size());
    pending->response.topics.push_back(std::move(topic_response));
    const size_t topic_index = pending->response.topics.size() - 1;
    for (const ProducePartitionData& partition : topic.partitions) {
      ProducePartitionResponse answer;
      answer.index = partition.index;
      auto& answers = pending->response.topics[topic_index].partitions;
      answers.push_back(answer);
      const size_t partition_index = answers.size() - 1;
      auto set_error = [&](ErrorCode error) {
        pending->response.topics[topic_index].partitions[partition_index].error_code = code(error);
        reply->error = true;
      };
      if (!acks_valid) {
        set_error(ErrorCode::invalid_required_acks);
        continue;
      }
      if (request->transactional_id) {
        set_error(ErrorCode::transactional_id_authorization_failed);
        continue;
      }
      if (!find_kafka_partition(context, topic.name, partition.index)) {
        set_error(ErrorCode::unknown_topic_or_partition);
        continue;
      }
      std::optional<std::vector<std::span<const std::byte>>> batches;
      if (partition.records) batches = split_batches(*partition.records);
      if (!batches) {
        set_error(ErrorCode::corrupt_message);
        continue;
      }
      for (std::span<const std::byte> batch : *batches) {
        const int32_t records = partitions::load_be<int32_t>(batch.data() + 57);
        auto done = [pending, topic_index, partition_index, &metrics, records,
                     bytes = batch.size()](const Result<engine::BatchDelivery>& delivery) {
          ProducePartitionResponse& out =
              pending->response.topics[topic_index].partitions[partition_index];
          if (!delivery.ok()) {
            // The first error of the partition's batches is its answer.
            if (out.error_code == 0) out.error_code = code(partition_error(delivery.code()));
            pending->reply->error = true;
          } else {
            // The first batch's offset is the partition's base offset.
            if (out.base_offset < 0 || delivery->base_offset < out.base_offset) {
              out.base_offset = delivery->base_offset;
            }
            out.log_start_offset = delivery->log_start_offset;
            if (!delivery->duplicate) {
              metrics.produced_events.add(static_cast<uint64_t>(std::max(records, 0)));
              metrics.produced_bytes.add(bytes);
            }
          }
          pending->finish_one();
        };
        Result<void> sent =
            sender.send_batch(topic.name, partition.index, batch, durability, std::move(done));
        if (!sent.ok()) {
          set_error(partition_error(sent.code()));
          break;  // the rest of this partition's batches would land out of order
        }
        ++pending->outstanding;
      }
    }
  }
  if (acks == 0 && acks_valid) {
    // No response: the batches go on without one, and the reply leaves the queue at once.
    reply->no_response = true;
    reply->complete();
    pending->reply = std::make_shared<Reply>();  // completions fill a reply nobody sends
  }
  pending->finish_one();
  return {};
}

}  // namespace sluice::server::kafka
