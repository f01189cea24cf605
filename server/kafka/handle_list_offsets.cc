// ListOffsets: earliest (-2), latest (-1: the high watermark) or the first offset at or after a
// timestamp, per partition, from the partition's LogReader. v0 answers in its old form (a list
// of offsets).
#include "partitions/log_reader.h"
#include "server/kafka/handlers.h"
#include "server/kafka/list_offsets.h"
#include "server/kafka/topic_lookup.h"
#include "server/shard_context.h"

namespace sluice::server::kafka {

Result<void> handle_list_offsets(KafkaSession& session, const RequestHeader& header, Reader& body,
                                 const std::shared_ptr<Reply>& reply) {
  Result<ListOffsetsRequest> request = decode_list_offsets_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  ListOffsetsResponse response;
  for (const ListOffsetsTopic& topic : request->topics) {
    ListOffsetsTopicResponse topic_response;
    topic_response.name = std::string(topic.name);
    for (const ListOffsetsPartition& partition : topic.partitions) {
      ListOffsetsPartitionResponse out;
      out.partition_index = partition.partition_index;
      std::shared_ptr<engine::PartitionSlot> slot =
          find_kafka_partition(context, topic.name, partition.partition_index);
      if (!slot) {
        out.error_code = code(ErrorCode::unknown_topic_or_partition);
        topic_response.partitions.push_back(std::move(out));
        continue;
      }
      const partitions::LogReader& reader = *slot->reader;
      int64_t offset = -1;
      if (partition.timestamp == kListOffsetsLatest) {
        offset = reader.high_watermark();
      } else if (partition.timestamp == kListOffsetsEarliest) {
        offset = reader.start_offset();
      } else if (partition.timestamp < 0) {
        out.error_code = code(ErrorCode::invalid_request);
      } else {
        Result<int64_t> found = reader.offset_for_timestamp(partition.timestamp);
        if (!found.ok()) {
          out.error_code = code(partition_error(found.code()));
        } else if (*found < reader.high_watermark()) {
          offset = *found;
          out.timestamp = partition.timestamp;
        }
        // No record at or after the timestamp: offset -1, as the protocol answers.
      }
      if (out.error_code == 0) {
        out.offset = offset;
        if (header.api_version == 0 && offset >= 0) out.old_style_offsets.push_back(offset);
      }
      topic_response.partitions.push_back(std::move(out));
    }
    response.topics.push_back(std::move(topic_response));
  }
  Writer out = reply->writer();
  encode_list_offsets_response(out, response, header.api_version);
  reply->complete();
  return {};
}

}  // namespace sluice::server::kafka
