// The data-path codecs' field reader (ApiVersions, Metadata, Produce, Fetch, ListOffsets,
// CreateTopics, DeleteTopics, InitProducerId): a Reader that remembers the first field it
// failed on, so that a malformed request is answered with a message naming the field
// ("Produce v7 request: topics[].partitions[].records: truncated"), and that picks the classic
// or the flexible (compact, tagged) encoding of each field from the message's version, so that
// a decoder is a straight list of fields.
//
// Also the small helpers every codec of this family shares: the version checks, int32 arrays
// both ways, and the conversions between views and owning strings.
//
// Thread-safety: plain values; one thread at a time.
#pragma once

#include "server/kafka/api_keys.h"
#include "server/kafka/wire.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

class FieldReader {
 public:
  FieldReader(Reader& in, bool flexible) : in_(in), flexible_(flexible) {}

  bool ok() const { return in_.ok(); }
  bool flexible() const { return flexible_; }

  int8_t int8(const char* field) { return note(field, in_.int8()); }
  bool boolean(const char* field) { return note(field, in_.boolean()); }
  int16_t int16(const char* field) { return note(field, in_.int16()); }
  int32_t int32(const char* field) { return note(field, in_.int32()); }
  int64_t int64(const char* field) { return note(field, in_.int64()); }
  // A null string fails.
  std::string_view string(const char* field) { return note(field, in_.flex_string(flexible_)); }
  std::optional<std::string_view> nullable_string(const char* field) {
    return note(field, in_.flex_nullable_string(flexible_));
  }
  // nullopt for null bytes.
  std::optional<std::span<const std::byte>> nullable_bytes(const char* field);
  // Null bytes fail.
  std::span<const std::byte> bytes(const char* field);
  // The count of an array whose elements take at least `min_element_bytes` each (a count the
  // bytes left cannot hold fails, so no decoder reserves more than the frame could fill); null
  // fails.
  int32_t array(const char* field, size_t min_element_bytes);
  // The same where null is allowed: nullopt for null.
  std::optional<int32_t> nullable_array(const char* field, size_t min_element_bytes);
  std::vector<int32_t> int32_array(const char* field);
  std::vector<int64_t> int64_array(const char* field);
  // In a flexible version, skips a tagged-field section (sluice reads no tagged field); in a
  // classic one there is none and this reads nothing.
  void tagged_fields(const char* field);

  // Fails the read at `field` for `reason` (a value the encoding can hold but the protocol
  // does not allow).
  void fail(const char* field, const char* reason);

  // The decode's outcome: ok when every field was read and no byte is left over. Otherwise
  // invalid_argument naming the message ("Produce v7 request"), the field and the reason.
  Result<void> finish(ApiKey key, int16_t version, const char* direction);
  // The same for a message that is no API's own ("ConsumerProtocolAssignment v1").
  Result<void> finish(const std::string& what);

 private:
  template <typename T>
  T note(const char* field, T value) {
    if (!in_.ok() && field_ == nullptr) field_ = field;
    return value;
  }

  Reader& in_;
  bool flexible_;
  const char* field_ = nullptr;  // the first field the reader failed on
};

// invalid_argument unless `version` is in the range sluiced advertises for `key`.
Result<void> check_version(ApiKey key, int16_t version, const char* direction);
// The same as an assertion, for encoders: encoding at a version sluiced does not speak is a bug.
void assert_version(ApiKey key, int16_t version);

// Writes an int32 / int64 array (compact in flexible versions).
void write_int32_array(Writer& out, std::span<const int32_t> values, bool flexible);
void write_int64_array(Writer& out, std::span<const int64_t> values, bool flexible);
// Writes an array count; a count past int32 is a caller's bug.
void write_array_length(Writer& out, size_t count, bool flexible);
// An empty tagged-field section in a flexible version; nothing in a classic one.
inline void write_tagged_fields(Writer& out, bool flexible) {
  if (flexible) out.empty_tagged_fields();
}

inline std::optional<std::string> to_owned(const std::optional<std::string_view>& s) {
  return s ? std::optional<std::string>(*s) : std::nullopt;
}
inline std::optional<std::string_view> as_view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

}  // namespace sluice::server::kafka
