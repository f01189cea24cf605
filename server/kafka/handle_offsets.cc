// OffsetCommit and OffsetFetch: a group's committed offsets, in the one store that sluice's own
// Consumer API uses too (the OffsetTable, rebuilt from __consumer_offsets at open).
//
// A commit is checked on the shard thread, in the connection's request order: each partition
// (an unknown topic or partition, metadata too long) and then the fencing of the whole request
// (GroupCoordinator::validate_commit: member and generation), so that a commit the client sent
// before its LeaveGroup is judged before the member leaves, as Kafka, which serves one request
// of a connection at a time, judges it. The accepted partitions are then written to
// __consumer_offsets (synced) on the offloader, which blocks, and applied to the OffsetTable;
// the response waits for that.
//
// The commit is written record by record rather than through Engine::Impl::commit_offsets, which
// cannot carry a partition's metadata and leader epoch (Kafka clients read both back) and which
// would fence the commit a second time, on the offloader, after later requests of the
// connection may have changed the group.
//
// A fetch goes through the offloader too, which runs its work in order: the fetch then reads
// the table after the commits this connection sent before it were applied.
#include "consumers/group_coordinator.h"
#include "consumers/names.h"
#include "consumers/offset_record.h"
#include "engine/engine_impl.h"
#include "engine/groups_state.h"
#include "server/kafka/group_handler_support.h"
#include "server/kafka/handlers.h"
#include "server/kafka/offset_commit.h"
#include "server/kafka/offset_fetch.h"
#include "server/kafka/topic_lookup.h"
#include "server/shard_context.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::server::kafka {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Kafka error for a failed write of offset records. Kafka answers a commit its log could
// not take with a retriable coordinator error; the client commits again.
ErrorCode commit_write_error(Errc errc) {
  switch (errc) {
    case Errc::too_large:
      return ErrorCode::invalid_commit_offset_size;
    case Errc::invalid_argument:
      return ErrorCode::unknown_server_error;  // checked before: a bug, not the client's doing
    default:
      return ErrorCode::coordinator_not_available;
  }
}

// A commit's response, and the records of the partitions accepted so far (each with the
// response entry it answers).
struct CommitPlan {
  OffsetCommitResponse response;
  std::vector<consumers::OffsetRecord> records;
  std::vector<OffsetCommitPartitionResponse*> written;  // parallel to records
};

// The record for one partition of the request. A negative offset deletes the committed one (a
// tombstone): Kafka would store it, and a fetch would then answer -1, as it does here.
consumers::OffsetRecord commit_record(std::string_view group, std::string_view topic,
                                      const OffsetCommitPartition& partition, int64_t now_ms) {
  if (partition.committed_offset < 0) {
    return consumers::OffsetTombstone{std::string(group), std::string(topic),
                                      partition.partition_index};
  }
  consumers::OffsetCommit commit;
  commit.group = std::string(group);
  commit.partition = TopicPartition{std::string(topic), partition.partition_index};
  commit.committed.offset = partition.committed_offset;
  commit.committed.leader_epoch = std::max<int32_t>(partition.committed_leader_epoch, -1);
  commit.committed.metadata = std::string(partition.committed_metadata.value_or(""));
  commit.committed.commit_time_ms = now_ms;
  return commit;
}

// Answers each partition that needs no write (unknown topic or partition, metadata too long),
// and plans the records of the others.
void plan_commit(ShardContext& context, const OffsetCommitRequest& request, CommitPlan& plan) {
  const int64_t now_ms = wall_ms();
  plan.response.topics.reserve(request.topics.size());
  for (const OffsetCommitTopic& topic : request.topics) {
    OffsetCommitTopicResponse& topic_out = plan.response.topics.emplace_back();
    topic_out.name = std::string(topic.name);
    topic_out.partitions.reserve(topic.partitions.size());
  }
  // Pointers into the response are taken once every vector has its final size.
  for (size_t t = 0; t < request.topics.size(); ++t) {
    const OffsetCommitTopic& topic = request.topics[t];
    OffsetCommitTopicResponse& topic_out = plan.response.topics[t];
    std::shared_ptr<engine::Topic> found = find_kafka_topic(context, topic.name);
    for (const OffsetCommitPartition& partition : topic.partitions) {
      topic_out.partitions.push_back({partition.partition_index, ErrorCode::none});
    }
    for (size_t p = 0; p < topic.partitions.size(); ++p) {
      const OffsetCommitPartition& partition = topic.partitions[p];
      OffsetCommitPartitionResponse& out = topic_out.partitions[p];
      if (!found || partition.partition_index < 0 ||
          static_cast<size_t>(partition.partition_index) >= found->partitions.size()) {
        out.error = ErrorCode::unknown_topic_or_partition;
      } else if (partition.committed_metadata &&
                 partition.committed_metadata->size() > consumers::kOffsetMetadataBytesMax) {
        out.error = ErrorCode::offset_metadata_too_large;
      } else {
        plan.records.push_back(commit_record(request.group_id, topic.name, partition, now_ms));
        plan.written.push_back(&out);
      }
    }
  }
}

void answer_commit(Reply& reply, const OffsetCommitResponse& response, int16_t version) {
  bool failed = false;
  for (const auto& topic : response.topics) {
    for (const auto& partition : topic.partitions)
      failed = failed || partition.error != ErrorCode::none;
  }
  reply.error = failed;
  Writer out = reply.writer();
  encode_offset_commit_response(out, response, version);
  reply.complete();
}

// What a fetch needs once its frame is gone.
struct FetchQuery {
  std::string group;
  std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics;  // null: all
};

OffsetFetchPartitionResponse fetched(int32_t partition,
                                     const std::optional<consumers::CommittedOffset>& committed) {
  OffsetFetchPartitionResponse out;
  out.partition_index = partition;
  out.metadata = "";
  if (committed) {
    out.committed_offset = committed->offset;
    out.committed_leader_epoch = committed->leader_epoch;
    out.metadata = committed->metadata;
  }
  return out;
}

OffsetFetchResponse fetch_offsets(const consumers::OffsetTable& offsets, const FetchQuery& query,
                                  int16_t version) {
  OffsetFetchResponse response;
  if (!consumers::valid_group_id(query.group)) {
    // v2+ say it once for the group; v0-1 only have the partitions' errors.
    if (version >= 2) response.error = ErrorCode::invalid_group_id;
    if (!query.topics) return response;
    for (const auto& [name, partitions] : *query.topics) {
      OffsetFetchTopicResponse& topic = response.topics.emplace_back();
      topic.name = name;
      for (int32_t partition : partitions) {
        topic.partitions.push_back(fetched(partition, std::nullopt));
        topic.partitions.back().error = ErrorCode::invalid_group_id;
      }
    }
    return response;
  }
  if (!query.topics) {
    // Every committed offset of the group; the map's order puts a topic's partitions together.
    for (const auto& [tp, committed] : offsets.committed(query.group)) {
      if (response.topics.empty() || response.topics.back().name != tp.topic) {
        response.topics.push_back({tp.topic, {}});
      }
      response.topics.back().partitions.push_back(fetched(tp.partition, committed));
    }
    return response;
  }
  response.topics.reserve(query.topics->size());
  for (const auto& [name, partitions] : *query.topics) {
    OffsetFetchTopicResponse& topic = response.topics.emplace_back();
    topic.name = name;
    topic.partitions.reserve(partitions.size());
    for (int32_t partition : partitions) {
      topic.partitions.push_back(
          fetched(partition, offsets.committed(query.group, TopicPartition{name, partition})));
    }
  }
  return response;
}

}  // namespace

Result<void> handle_offset_commit(KafkaSession& session, const RequestHeader& header, Reader& body,
                                  const std::shared_ptr<Reply>& reply) {
  Result<OffsetCommitRequest> request = decode_offset_commit_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  const int16_t version = header.api_version;
  auto plan = std::make_shared<CommitPlan>();
  plan_commit(context, *request, *plan);
  if (plan->records.empty()) {
    answer_commit(*reply, plan->response, version);
    return {};
  }
  // v0 and a commit outside group membership carry generation -1 and no member id: the
  // coordinator accepts those while the group has no members.
  Engine::Impl* impl = &context.engine().impl();
  consumers::GroupResult<void> fenced =
      impl->groups->validate_commit(request->group_id, request->member_id, request->generation_id);
  if (!fenced.ok()) {
    const ErrorCode error = group_error_code(fenced.error());
    for (OffsetCommitPartitionResponse* out : plan->written)
      out->error = error;
    answer_commit(*reply, plan->response, version);
    return {};
  }
  auto written = std::make_shared<Result<void>>();
  context.offload(
      // Applied to the table by write_offset_records, in the order of the log.
      [impl, plan, written] { *written = impl->write_offset_records(plan->records); },
      [plan, written, reply, version] {
        if (!written->ok()) {
          const ErrorCode error = commit_write_error(written->error().code());
          for (OffsetCommitPartitionResponse* out : plan->written)
            out->error = error;
        }
        answer_commit(*reply, plan->response, version);
      });
  return {};
}

Result<void> handle_offset_fetch(KafkaSession& session, const RequestHeader& header, Reader& body,
                                 const std::shared_ptr<Reply>& reply) {
  Result<OffsetFetchRequest> request = decode_offset_fetch_request(body, header.api_version);
  if (!request.ok()) return request.error();
  ShardContext& context = session.context();
  auto query = std::make_shared<FetchQuery>();
  query->group = std::string(request->group_id);
  if (request->topics) {
    query->topics.emplace();
    query->topics->reserve(request->topics->size());
    for (const OffsetFetchTopic& topic : *request->topics) {
      query->topics->emplace_back(std::string(topic.name), topic.partition_indexes);
    }
  }
  const int16_t version = header.api_version;
  const consumers::OffsetTable* offsets = &context.engine().impl().groups_state->offsets;
  // Nothing to do on the offloader but to come after the commits queued before (see the top).
  context.offload([] {},
                  [offsets, query, reply, version] {
                    OffsetFetchResponse response = fetch_offsets(*offsets, *query, version);
                    reply->error = response.error != ErrorCode::none;
                    Writer out = reply->writer();
                    encode_offset_fetch_response(out, response, version);
                    reply->complete();
                  });
  return {};
}

}  // namespace sluice::server::kafka
