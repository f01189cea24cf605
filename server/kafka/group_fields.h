// The group codecs' field reader: a Reader that also remembers which field it failed on, so
// that a malformed request is answered with a message naming the field
// ("JoinGroup v5 request: protocols[].metadata: truncated").
//
// Classic (non-flexible) encodings only: every version of the group APIs that sluiced
// advertises comes before that API's first flexible version (see api_keys.cc); the decoders
// refuse any version outside the advertised range.
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

namespace sluice::server::kafka::group_codec {

class FieldReader {
 public:
  explicit FieldReader(Reader& in) : in_(in) {}

  bool ok() const { return in_.ok(); }

  int8_t int8(const char* field) { return note(field, in_.int8()); }
  bool boolean(const char* field) { return note(field, in_.boolean()); }
  int16_t int16(const char* field) { return note(field, in_.int16()); }
  int32_t int32(const char* field) { return note(field, in_.int32()); }
  int64_t int64(const char* field) { return note(field, in_.int64()); }
  // A null string fails.
  std::string_view string(const char* field) { return note(field, in_.string()); }
  std::optional<std::string_view> nullable_string(const char* field) {
    return note(field, in_.nullable_string());
  }
  // Null bytes fail.
  std::span<const std::byte> bytes(const char* field);
  std::optional<std::span<const std::byte>> nullable_bytes(const char* field);
  // The count of an array whose elements take at least `min_element_bytes`; null fails.
  int32_t array(const char* field, size_t min_element_bytes);
  // The same where null is allowed: nullopt for null.
  std::optional<int32_t> nullable_array(const char* field, size_t min_element_bytes);
  // A non-null array of int32 (partition indexes).
  std::vector<int32_t> int32_array(const char* field);

  // Fails the read at `field` for `reason` (a value the encoding can hold but the protocol
  // does not allow).
  void fail(const char* field, const char* reason);

  // The decode's outcome: ok when every field was read and no byte is left over (a classic
  // encoding has no room for trailing bytes). Otherwise invalid_argument naming the message
  // ("JoinGroup v5 request"), the field and the reason.
  Result<void> finish(ApiKey key, int16_t version, const char* direction);
  // The same for a message that is not an API's ("ConsumerProtocolAssignment v1").
  Result<void> finish(const std::string& what);

 private:
  template <typename T>
  T note(const char* field, T value) {
    if (!in_.ok() && field_ == nullptr) field_ = field;
    return value;
  }

  Reader& in_;
  const char* field_ = nullptr;  // the first field the reader failed on
};

// invalid_argument unless `version` is in the range sluiced advertises for `key`.
Result<void> check_version(ApiKey key, int16_t version, const char* direction);
// The same as an assertion, for encoders: encoding at a version we do not speak is a bug.
void assert_version(ApiKey key, int16_t version);

// Writes an array count; a count past int32 is a caller's bug.
void write_array_length(Writer& out, size_t count);
void write_int32_array(Writer& out, std::span<const int32_t> values);

// The bytes of a string holding opaque bytes, and back.
inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string to_string(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline std::optional<std::string> to_string(const std::optional<std::string_view>& s) {
  return s ? std::optional<std::string>(*s) : std::nullopt;
}
inline std::optional<std::string_view> as_view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

}  // namespace sluice::server::kafka::group_codec
