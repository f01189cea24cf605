// ByteWriter and ByteReader: the small binary records sluice keeps in its internal topics
// (__consumer_offsets, __queue_state, __requests, __idempotency): big-endian integers
// (partitions/endian.h) and strings with a 16-bit length, written to and read from a
// std::string. A reader fails at the first field that does not fit, naming the field, so a
// damaged record is corruption with a message that says where.
//
// Thread-safety: plain values.
#pragma once

#include "io/assert.h"
#include "partitions/endian.h"

#include <sluice/result.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::partitions {

// Appends `value` big-endian to `out`.
template <typename T>
void append_be(std::string& out, T value) {
  std::byte raw[sizeof(T)];
  store_be(raw, value);
  out.append(reinterpret_cast<const char*>(raw), sizeof(T));
}

// The big-endian T at `at` of `bytes` (the caller checked that it fits).
template <typename T>
T read_be(std::string_view bytes, size_t at) {
  return load_be<T>(reinterpret_cast<const std::byte*>(bytes.data() + at));
}

class ByteWriter {
 public:
  explicit ByteWriter(size_t bytes) { out_.reserve(bytes); }
  template <typename T>
  void integer(T value) {
    append_be(out_, value);
  }
  void string16(std::string_view text) {
    SLUICE_ASSERT(text.size() <= INT16_MAX);
    integer(static_cast<int16_t>(text.size()));
    out_ += text;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what ByteWriter writes; the first failure makes the whole record corrupt. `what`
// names the record in messages.
class ByteReader {
 public:
  ByteReader(std::string_view bytes, const char* what) : bytes_(bytes), what_(what) {}

  template <typename T>
  bool integer(T& value, const char* field) {
    if (!need(sizeof(T), field)) return false;
    value = read_be<T>(bytes_, position_);
    position_ += sizeof(T);
    return true;
  }
  bool string16(std::string& text, size_t bytes_max, const char* field) {
    int16_t length = 0;
    if (!integer(length, field)) return false;
    if (length < 0 || static_cast<size_t>(length) > bytes_max) {
      return fail(std::string(field) + " " + std::to_string(length) + " outside [0, " +
                  std::to_string(bytes_max) + "]");
    }
    if (!need(static_cast<size_t>(length), field)) return false;
    text.assign(bytes_.substr(position_, static_cast<size_t>(length)));
    position_ += static_cast<size_t>(length);
    return true;
  }
  // An entry count within [low, high], checked against the bytes left so that a corrupt count
  // allocates nothing.
  bool count(uint32_t& n, size_t entry_bytes, uint32_t low, uint32_t high, const char* field) {
    if (!integer(n, field)) return false;
    if (n < low || n > high) {
      return fail(std::string(field) + " " + std::to_string(n) + " outside [" +
                  std::to_string(low) + ", " + std::to_string(high) + "]");
    }
    return need(static_cast<size_t>(n) * entry_bytes, field);
  }
  // True when every byte was read.
  bool finish() {
    if (position_ == bytes_.size()) return true;
    return fail(std::to_string(bytes_.size() - position_) + " bytes after the last field");
  }
  bool fail(std::string problem) {
    if (problem_.empty()) problem_ = std::string(what_) + ": " + problem;
    return false;
  }
  Error error() const { return Error(Errc::corruption, problem_); }

 private:
  bool need(size_t bytes, const char* field) {
    if (bytes_.size() - position_ >= bytes) return true;
    return fail("truncated: " + std::string(field) + " at byte " + std::to_string(position_) +
                " needs " + std::to_string(bytes) + " bytes, " +
                std::to_string(bytes_.size() - position_) + " left");
  }

  std::string_view bytes_;
  const char* what_;
  size_t position_ = 0;
  std::string problem_;
};

}  // namespace sluice::partitions
