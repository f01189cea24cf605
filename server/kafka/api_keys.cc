#include "server/kafka/api_keys.h"

#include <array>

namespace sluice::server::kafka {

namespace {

constexpr std::array<ApiRange, 17> kApis{{
    // Produce from v0, although only v3+ carry RecordBatch v2 (a v0-2 request's message sets are
    // answered UNSUPPORTED_FOR_MESSAGE_FORMAT): librdkafka compresses with gzip, snappy and lz4
    // only when the broker's Produce range includes v0, and sends those batches uncompressed
    // otherwise. It still produces at the highest common version, 7.
    {ApiKey::produce, 0, 7, 9, "Produce"},
    {ApiKey::fetch, 4, 11, 12, "Fetch"},
    {ApiKey::list_offsets, 0, 3, 6, "ListOffsets"},
    {ApiKey::metadata, 0, 6, 9, "Metadata"},
    {ApiKey::offset_commit, 0, 7, 8, "OffsetCommit"},
    {ApiKey::offset_fetch, 0, 5, 6, "OffsetFetch"},
    {ApiKey::find_coordinator, 0, 2, 3, "FindCoordinator"},
    {ApiKey::join_group, 0, 5, 6, "JoinGroup"},
    {ApiKey::heartbeat, 0, 3, 4, "Heartbeat"},
    {ApiKey::leave_group, 0, 3, 4, "LeaveGroup"},
    {ApiKey::sync_group, 0, 3, 4, "SyncGroup"},
    {ApiKey::describe_groups, 0, 4, 5, "DescribeGroups"},
    {ApiKey::list_groups, 0, 2, 3, "ListGroups"},
    {ApiKey::api_versions, 0, 3, 3, "ApiVersions"},
    {ApiKey::create_topics, 0, 4, 5, "CreateTopics"},
    {ApiKey::delete_topics, 0, 3, 4, "DeleteTopics"},
    {ApiKey::init_producer_id, 0, 4, 2, "InitProducerId"},
}};

}  // namespace

std::span<const ApiRange> supported_apis() {
  return kApis;
}

std::optional<ApiRange> find_api(int16_t key) {
  for (const ApiRange& api : kApis) {
    if (static_cast<int16_t>(api.key) == key) return api;
  }
  return std::nullopt;
}

const char* api_name(int16_t key) {
  std::optional<ApiRange> api = find_api(key);
  return api ? api->name : "Unknown";
}

bool is_flexible(ApiKey key, int16_t version) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(key));
  return api && version >= api->first_flexible;
}

}  // namespace sluice::server::kafka
