// The Kafka protocol's primitive types, read from and written to a frame.
//
// Reader walks a request frame. A read past the end, a negative length where none is allowed
// or an array longer than the bytes left could hold marks the reader failed: from then on every
// read returns a zero value and ok() is false, so a decoder reads a whole message and checks
// once at the end (a garbage frame can never make it allocate more than the frame's size).
// Strings and bytes are views into the frame: the frame must outlive them.
//
// Writer appends to a growing buffer: big-endian integers, (compact) strings, bytes, arrays,
// and size fields patched in afterwards (patch_int32).
//
// Flexible versions (KIP-482) use compact strings/arrays (unsigned varint length + 1, 0 = null)
// and tagged fields; the classic encodings use int16/int32 lengths (-1 = null).
//
// Thread-safety: plain values; one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::server::kafka {

class Reader {
 public:
  explicit Reader(std::span<const std::byte> data) : data_(data) {}

  bool ok() const { return ok_; }
  // Marks the reader failed with a reason (the first reason is kept).
  void fail(const char* reason);
  const char* failure() const { return failure_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const { return ok_ && pos_ == data_.size(); }

  int8_t int8();
  bool boolean() { return int8() != 0; }
  int16_t int16();
  int32_t int32();
  int64_t int64();
  uint32_t uint32();
  // Zigzag varint / varlong (record fields) and unsigned varint (compact lengths, tags).
  int32_t varint();
  int64_t varlong();
  uint32_t unsigned_varint();
  std::array<std::byte, 16> uuid();

  // int16 length; null (-1) fails the reader.
  std::string_view string();
  // int16 length; -1 is null (nullopt).
  std::optional<std::string_view> nullable_string();
  // unsigned varint length + 1; 0 (null) fails the reader.
  std::string_view compact_string();
  std::optional<std::string_view> compact_nullable_string();
  // int32 length; -1 is null (an empty view, is_null set when given).
  std::span<const std::byte> bytes(bool* is_null = nullptr);
  std::span<const std::byte> compact_bytes(bool* is_null = nullptr);
  // The count of an array whose elements take at least `min_element_bytes` each; -1 (null)
  // reads as 0 with *is_null set when given. A count the remaining bytes cannot hold fails.
  int32_t array_length(size_t min_element_bytes = 1, bool* is_null = nullptr);
  int32_t compact_array_length(size_t min_element_bytes = 1, bool* is_null = nullptr);
  // Skips a tagged-field section (flexible versions).
  void skip_tagged_fields();
  // The next n bytes as a view.
  std::span<const std::byte> raw(size_t n);

  // flex_*: compact in flexible versions, classic otherwise.
  std::string_view flex_string(bool flexible) { return flexible ? compact_string() : string(); }
  std::optional<std::string_view> flex_nullable_string(bool flexible) {
    return flexible ? compact_nullable_string() : nullable_string();
  }
  int32_t flex_array_length(bool flexible, size_t min_element_bytes = 1) {
    return flexible ? compact_array_length(min_element_bytes) : array_length(min_element_bytes);
  }
  std::span<const std::byte> flex_bytes(bool flexible, bool* is_null = nullptr) {
    return flexible ? compact_bytes(is_null) : bytes(is_null);
  }

 private:
  bool need(size_t n);

  std::span<const std::byte> data_;
  size_t pos_ = 0;
  bool ok_ = true;
  const char* failure_ = nullptr;
};

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::vector<std::byte>* out) : out_(out) {}

  std::vector<std::byte>& buffer() { return *out_; }
  size_t size() const { return out_->size(); }

  void int8(int8_t v);
  void boolean(bool v) { int8(v ? 1 : 0); }
  void int16(int16_t v);
  void int32(int32_t v);
  void int64(int64_t v);
  void uint32(uint32_t v);
  void varint(int32_t v);
  void varlong(int64_t v);
  void unsigned_varint(uint32_t v);
  void uuid(const std::array<std::byte, 16>& v);

  void string(std::string_view v);
  void nullable_string(const std::optional<std::string_view>& v);
  void compact_string(std::string_view v);
  void compact_nullable_string(const std::optional<std::string_view>& v);
  void bytes(std::span<const std::byte> v);
  void null_bytes() { int32(-1); }
  void compact_bytes(std::span<const std::byte> v);
  void array_length(int32_t n) { int32(n); }
  void compact_array_length(int32_t n) { unsigned_varint(static_cast<uint32_t>(n + 1)); }
  // An empty tagged-field section.
  void empty_tagged_fields() { unsigned_varint(0); }
  void raw(std::span<const std::byte> v);

  void flex_string(std::string_view v, bool flexible) { flexible ? compact_string(v) : string(v); }
  void flex_nullable_string(const std::optional<std::string_view>& v, bool flexible) {
    flexible ? compact_nullable_string(v) : nullable_string(v);
  }
  void flex_array_length(int32_t n, bool flexible) {
    flexible ? compact_array_length(n) : array_length(n);
  }
  void flex_bytes(std::span<const std::byte> v, bool flexible) {
    flexible ? compact_bytes(v) : bytes(v);
  }

  // Reserves an int32 to fill in later (a size), returning its position.
  size_t reserve_int32();
  void patch_int32(size_t position, int32_t v);

 private:
  std::vector<std::byte> own_;
  std::vector<std::byte>* out_ = &own_;
};

}  // namespace sluice::server::kafka
