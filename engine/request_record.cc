// __requests records: encoding, decoding and folding (request_record.h; bytes in FORMAT.md).
#include "engine/request_record.h"

#include "io/assert.h"
#include "partitions/byte_codec.h"

#include <algorithm>

namespace sluice::engine {
namespace {

constexpr size_t kFixedBytes = 36;  // every field but the topic's and the outcome's bytes
constexpr size_t kMaxTopicBytes = 249;

using partitions::append_be;
using partitions::read_be;

Error corrupt(std::string_view key, const std::string& why) {
  std::string id(key.substr(0, kRequestIdChars));
  return Error(Errc::corruption, "__requests record of request '" + id + "': " + why);
}

}  // namespace

bool valid_request_id(std::string_view id) {
  return id.size() == kRequestIdChars && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

EncodedRequestRecord encode_request_record(const RequestState& state) {
  SLUICE_ASSERT(valid_request_id(state.id));
  SLUICE_ASSERT(!state.topic.empty() && state.topic.size() <= kMaxTopicBytes);
  SLUICE_ASSERT(state.outcome.size() <= kMaxRequestOutcomeBytes);
  EncodedRequestRecord out;
  out.key = state.id;
  out.value.reserve(kFixedBytes + state.topic.size() + state.outcome.size());
  append_be<uint8_t>(out.value, kRequestRecordVersion);
  append_be<uint8_t>(out.value, static_cast<uint8_t>(state.status));
  append_be<int32_t>(out.value, state.partition);
  append_be<int64_t>(out.value, state.offset);
  append_be<int64_t>(out.value, state.created_ms);
  append_be<int64_t>(out.value, state.updated_ms);
  append_be<uint16_t>(out.value, static_cast<uint16_t>(state.topic.size()));
  out.value += state.topic;
  append_be<uint32_t>(out.value, static_cast<uint32_t>(state.outcome.size()));
  out.value += state.outcome;
  SLUICE_ASSERT(out.value.size() == kFixedBytes + state.topic.size() + state.outcome.size());
  return out;
}

Result<RequestState> decode_request_record(std::string_view key, std::string_view value) {
  if (!valid_request_id(key)) return corrupt(key, "the key is not a request id");
  if (value.size() < kFixedBytes) return corrupt(key, "shorter than a record");
  const auto version = read_be<uint8_t>(value, 0);
  if (version != kRequestRecordVersion) {
    return Error(Errc::unsupported, "__requests record version " + std::to_string(version) +
                                        " (this sluice reads " +
                                        std::to_string(kRequestRecordVersion) + ")");
  }
  RequestState state;
  state.id = std::string(key);
  const auto status = read_be<uint8_t>(value, 1);
  if (status > static_cast<uint8_t>(RequestStatus::dead_lettered)) {
    return corrupt(key, "unknown status " + std::to_string(status));
  }
  state.status = static_cast<RequestStatus>(status);
  state.partition = read_be<int32_t>(value, 2);
  state.offset = read_be<int64_t>(value, 6);
  state.created_ms = read_be<int64_t>(value, 14);
  state.updated_ms = read_be<int64_t>(value, 22);
  if (state.partition < -1 || state.offset < -1 || (state.partition < 0) != (state.offset < 0)) {
    return corrupt(key, "bad partition or offset");
  }
  const size_t topic_bytes = read_be<uint16_t>(value, 30);
  if (topic_bytes == 0 || topic_bytes > kMaxTopicBytes ||
      value.size() < kFixedBytes + topic_bytes) {
    return corrupt(key, "bad topic length");
  }
  state.topic = std::string(value.substr(32, topic_bytes));
  const size_t outcome_bytes = read_be<uint32_t>(value, 32 + topic_bytes);
  if (outcome_bytes > kMaxRequestOutcomeBytes ||
      value.size() != kFixedBytes + topic_bytes + outcome_bytes) {
    return corrupt(key, "bad outcome length");
  }
  state.outcome = std::string(value.substr(36 + topic_bytes));
  return state;
}

void merge_request_record(RequestState& state, const RequestState& record) {
  SLUICE_ASSERT(state.id == record.id);
  if (record.partition >= 0) {
    state.partition = record.partition;
    state.offset = record.offset;
  }
  if (state.status == RequestStatus::pending && record.status != RequestStatus::pending) {
    state.status = record.status;
    state.outcome = record.outcome;
  }
  state.updated_ms = std::max(state.updated_ms, record.updated_ms);
}

}  // namespace sluice::engine
