// The records of the internal topic __requests: each is the whole state of one request at the
// moment it was written (engine/FORMAT.md, section "__requests"). Private to engine/.
//
// A request writes a record when it is submitted (pending), when its event is stored (its
// partition and offset) and when it ends (completed, failed, dead-lettered). Rebuilding folds
// them in log order with merge_request_record(): the location comes from any record that has
// one, and an outcome is never replaced by a later pending record (the location record of a
// request may be written after its outcome's).
//
// Thread-safety: pure functions.
#pragma once

#include <sluice/requests.h>
#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::engine {

inline constexpr std::string_view kRequestsTopic = "__requests";
inline constexpr uint8_t kRequestRecordVersion = 1;
// The largest result or error a request keeps (include/sluice/requests.h): Errc::too_large
// above it.
inline constexpr size_t kMaxRequestOutcomeBytes = 1u << 20;
inline constexpr size_t kRequestIdChars = 32;

// 32 lowercase hex digits.
bool valid_request_id(std::string_view id);

struct EncodedRequestRecord {
  std::string key;  // the id
  std::string value;
};

// The state must have a valid id, a topic of at most 249 bytes and an outcome of at most
// kMaxRequestOutcomeBytes (asserted: the callers checked).
EncodedRequestRecord encode_request_record(const RequestState& state);
// Errors: corruption (the bytes are not a record), unsupported (a newer version).
Result<RequestState> decode_request_record(std::string_view key, std::string_view value);

// Folds `record` (a later record of the same id) into `state`.
void merge_request_record(RequestState& state, const RequestState& record);

}  // namespace sluice::engine
