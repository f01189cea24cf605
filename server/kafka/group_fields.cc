#include "server/kafka/group_fields.h"

#include "io/assert.h"

#include <limits>
#include <string>

namespace sluice::server::kafka::group_codec {

std::span<const std::byte> FieldReader::bytes(const char* field) {
  bool is_null = false;
  std::span<const std::byte> value = note(field, in_.bytes(&is_null));
  if (is_null) fail(field, "null bytes");
  return value;
}

std::optional<std::span<const std::byte>> FieldReader::nullable_bytes(const char* field) {
  bool is_null = false;
  std::span<const std::byte> value = note(field, in_.bytes(&is_null));
  if (!in_.ok() || is_null) return std::nullopt;
  return value;
}

int32_t FieldReader::array(const char* field, size_t min_element_bytes) {
  bool is_null = false;
  int32_t n = note(field, in_.array_length(min_element_bytes, &is_null));
  if (is_null) fail(field, "null array");
  return n;
}

std::optional<int32_t> FieldReader::nullable_array(const char* field, size_t min_element_bytes) {
  bool is_null = false;
  int32_t n = note(field, in_.array_length(min_element_bytes, &is_null));
  if (!in_.ok() || is_null) return std::nullopt;
  return n;
}

std::vector<int32_t> FieldReader::int32_array(const char* field) {
  int32_t n = array(field, 4);
  std::vector<int32_t> values;
  values.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i)
    values.push_back(int32(field));
  return values;
}

void FieldReader::fail(const char* field, const char* reason) {
  if (in_.ok()) field_ = field;
  in_.fail(reason);
}

Result<void> FieldReader::finish(ApiKey key, int16_t version, const char* direction) {
  if (in_.ok() && in_.at_end()) return {};
  return finish(std::string(api_name(static_cast<int16_t>(key))) + " v" + std::to_string(version) +
                " " + direction);
}

Result<void> FieldReader::finish(const std::string& what) {
  if (in_.ok() && in_.at_end()) return {};
  std::string message = what + ": ";
  if (!in_.ok()) {
    message += field_ != nullptr ? field_ : "?";
    message += ": ";
    message += in_.failure() != nullptr ? in_.failure() : "malformed";
  } else {
    message += std::to_string(in_.remaining()) + " trailing bytes";
  }
  return Error(Errc::invalid_argument, std::move(message));
}

Result<void> check_version(ApiKey key, int16_t version, const char* direction) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(key));
  SLUICE_ASSERT(api.has_value());
  if (version >= api->min_version && version <= api->max_version) return {};
  return Error(Errc::invalid_argument, std::string(api->name) + " " + direction + ": version " +
                                           std::to_string(version) + " is not supported");
}

void assert_version(ApiKey key, int16_t version) {
  std::optional<ApiRange> api = find_api(static_cast<int16_t>(key));
  SLUICE_ASSERT(api.has_value());
  SLUICE_ASSERT_MSG(version >= api->min_version && version <= api->max_version,
                    "encoding a group API at a version sluiced does not advertise");
}

void write_array_length(Writer& out, size_t count) {
  SLUICE_ASSERT_MSG(count <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                    "array above int32 elements");
  out.array_length(static_cast<int32_t>(count));
}

void write_int32_array(Writer& out, std::span<const int32_t> values) {
  write_array_length(out, values.size());
  for (int32_t v : values)
    out.int32(v);
}

}  // namespace sluice::server::kafka::group_codec
