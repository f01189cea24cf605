#include "server/kafka/field_reader.h"

#include "io/assert.h"

#include <limits>
#include <string>

namespace sluice::server::kafka {

std::optional<std::span<const std::byte>> FieldReader::nullable_bytes(const char* field) {
  bool is_null = false;
  std::span<const std::byte> value = note(field, in_.flex_bytes(flexible_, &is_null));
  if (!in_.ok() || is_null) return std::nullopt;
  return value;
}

std::span<const std::byte> FieldReader::bytes(const char* field) {
  bool is_null = false;
  std::span<const std::byte> value = note(field, in_.flex_bytes(flexible_, &is_null));
  if (is_null) fail(field, "null bytes");
  return value;
}

int32_t FieldReader::array(const char* field, size_t min_element_bytes) {
  bool is_null = false;
  int32_t n = note(field, flexible_ ? in_.compact_array_length(min_element_bytes, &is_null)
                                    : in_.array_length(min_element_bytes, &is_null));
  if (is_null) fail(field, "null array");
  return n;
}

std::optional<int32_t> FieldReader::nullable_array(const char* field, size_t min_element_bytes) {
  bool is_null = false;
  int32_t n = note(field, flexible_ ? in_.compact_array_length(min_element_bytes, &is_null)
                                    : in_.array_length(min_element_bytes, &is_null));
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

std::vector<int64_t> FieldReader::int64_array(const char* field) {
  int32_t n = array(field, 8);
  std::vector<int64_t> values;
  values.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i)
    values.push_back(int64(field));
  return values;
}

void FieldReader::tagged_fields(const char* field) {
  if (!flexible_) return;
  in_.skip_tagged_fields();
  note(field, 0);
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
                    "encoding an API at a version sluiced does not advertise");
}

void write_array_length(Writer& out, size_t count, bool flexible) {
  SLUICE_ASSERT_MSG(count < static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                    "array above int32 elements");
  out.flex_array_length(static_cast<int32_t>(count), flexible);
}

void write_int32_array(Writer& out, std::span<const int32_t> values, bool flexible) {
  write_array_length(out, values.size(), flexible);
  for (int32_t v : values)
    out.int32(v);
}

void write_int64_array(Writer& out, std::span<const int64_t> values, bool flexible) {
  write_array_length(out, values.size(), flexible);
  for (int64_t v : values)
    out.int64(v);
}

}  // namespace sluice::server::kafka
