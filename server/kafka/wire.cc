#include "server/kafka/wire.h"

#include "partitions/endian.h"
#include "partitions/varint.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sluice::server::kafka {

using partitions::load_be;
using partitions::store_be;

// ---- Reader ----

void Reader::fail(const char* reason) {
  if (ok_) failure_ = reason;
  ok_ = false;
}

bool Reader::need(size_t n) {
  if (!ok_) return false;
  if (data_.size() - pos_ < n) {
    fail("truncated");
    return false;
  }
  return true;
}

int8_t Reader::int8() {
  if (!need(1)) return 0;
  return static_cast<int8_t>(data_[pos_++]);
}

int16_t Reader::int16() {
  if (!need(2)) return 0;
  int16_t v = load_be<int16_t>(data_.data() + pos_);
  pos_ += 2;
  return v;
}

int32_t Reader::int32() {
  if (!need(4)) return 0;
  int32_t v = load_be<int32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

int64_t Reader::int64() {
  if (!need(8)) return 0;
  int64_t v = load_be<int64_t>(data_.data() + pos_);
  pos_ += 8;
  return v;
}

uint32_t Reader::uint32() {
  if (!need(4)) return 0;
  uint32_t v = load_be<uint32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

int32_t Reader::varint() {
  if (!ok_) return 0;
  int32_t v = 0;
  if (!partitions::get_varint(data_, &pos_, &v)) fail("bad varint");
  return ok_ ? v : 0;
}

int64_t Reader::varlong() {
  if (!ok_) return 0;
  int64_t v = 0;
  if (!partitions::get_varlong(data_, &pos_, &v)) fail("bad varlong");
  return ok_ ? v : 0;
}

uint32_t Reader::unsigned_varint() {
  uint32_t v = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (!need(1)) return 0;
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    if (shift == 28 && (b & 0xF0) != 0) break;  // more than 32 bits
    v |= static_cast<uint32_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  fail("bad unsigned varint");
  return 0;
}

std::array<std::byte, 16> Reader::uuid() {
  std::array<std::byte, 16> v{};
  if (!need(16)) return v;
  std::memcpy(v.data(), data_.data() + pos_, 16);
  pos_ += 16;
  return v;
}

std::span<const std::byte> Reader::raw(size_t n) {
  if (!need(n)) return {};
  std::span<const std::byte> v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

static std::string_view as_chars(std::span<const std::byte> v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

std::string_view Reader::string() {
  int16_t n = int16();
  if (n < 0) {
    fail("null string");
    return {};
  }
  return as_chars(raw(static_cast<size_t>(n)));
}

std::optional<std::string_view> Reader::nullable_string() {
  int16_t n = int16();
  if (!ok_) return std::nullopt;
  if (n == -1) return std::nullopt;
  if (n < -1) {
    fail("bad string length");
    return std::nullopt;
  }
  return as_chars(raw(static_cast<size_t>(n)));
}

std::string_view Reader::compact_string() {
  uint32_t n = unsigned_varint();
  if (!ok_) return {};
  if (n == 0) {
    fail("null compact string");
    return {};
  }
  return as_chars(raw(n - 1));
}

std::optional<std::string_view> Reader::compact_nullable_string() {
  uint32_t n = unsigned_varint();
  if (!ok_ || n == 0) return std::nullopt;
  return as_chars(raw(n - 1));
}

std::span<const std::byte> Reader::bytes(bool* is_null) {
  int32_t n = int32();
  if (is_null != nullptr) *is_null = false;
  if (!ok_) return {};
  if (n == -1) {
    if (is_null != nullptr) *is_null = true;
    return {};
  }
  if (n < -1) {
    fail("bad bytes length");
    return {};
  }
  return raw(static_cast<size_t>(n));
}

std::span<const std::byte> Reader::compact_bytes(bool* is_null) {
  uint32_t n = unsigned_varint();
  if (is_null != nullptr) *is_null = false;
  if (!ok_) return {};
  if (n == 0) {
    if (is_null != nullptr) *is_null = true;
    return {};
  }
  return raw(n - 1);
}

int32_t Reader::array_length(size_t min_element_bytes, bool* is_null) {
  int32_t n = int32();
  if (is_null != nullptr) *is_null = false;
  if (!ok_) return 0;
  if (n == -1) {
    if (is_null != nullptr) *is_null = true;
    return 0;
  }
  if (n < -1 ||
      static_cast<size_t>(n) * std::max<size_t>(min_element_bytes, 1) > data_.size() - pos_) {
    fail("bad array length");
    return 0;
  }
  return n;
}

int32_t Reader::compact_array_length(size_t min_element_bytes, bool* is_null) {
  uint32_t n = unsigned_varint();
  if (is_null != nullptr) *is_null = false;
  if (!ok_) return 0;
  if (n == 0) {
    if (is_null != nullptr) *is_null = true;
    return 0;
  }
  size_t count = n - 1;
  if (count > static_cast<size_t>(std::numeric_limits<int32_t>::max()) ||
      count * std::max<size_t>(min_element_bytes, 1) > data_.size() - pos_) {
    fail("bad array length");
    return 0;
  }
  return static_cast<int32_t>(count);
}

void Reader::skip_tagged_fields() {
  uint32_t count = unsigned_varint();
  if (count > remaining()) {
    fail("bad tagged fields");
    return;
  }
  for (uint32_t i = 0; i < count && ok_; ++i) {
    unsigned_varint();  // tag
    uint32_t size = unsigned_varint();
    raw(size);
  }
}

// ---- Writer ----

template <typename T>
static void append_be(std::vector<std::byte>& out, T v) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  store_be<T>(out.data() + at, v);
}

void Writer::int8(int8_t v) {
  out_->push_back(static_cast<std::byte>(v));
}
void Writer::int16(int16_t v) {
  append_be(*out_, v);
}
void Writer::int32(int32_t v) {
  append_be(*out_, v);
}
void Writer::int64(int64_t v) {
  append_be(*out_, v);
}
void Writer::uint32(uint32_t v) {
  append_be(*out_, v);
}
void Writer::varint(int32_t v) {
  partitions::put_varint(*out_, v);
}
void Writer::varlong(int64_t v) {
  partitions::put_varlong(*out_, v);
}

void Writer::unsigned_varint(uint32_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<std::byte>(v));
}

void Writer::uuid(const std::array<std::byte, 16>& v) {
  raw(v);
}

void Writer::raw(std::span<const std::byte> v) {
  out_->insert(out_->end(), v.begin(), v.end());
}

static std::span<const std::byte> as_bytes(std::string_view v) {
  return {reinterpret_cast<const std::byte*>(v.data()), v.size()};
}

void Writer::string(std::string_view v) {
  int16(static_cast<int16_t>(v.size()));
  raw(as_bytes(v));
}

void Writer::nullable_string(const std::optional<std::string_view>& v) {
  if (!v) {
    int16(-1);
    return;
  }
  string(*v);
}

void Writer::compact_string(std::string_view v) {
  unsigned_varint(static_cast<uint32_t>(v.size() + 1));
  raw(as_bytes(v));
}

void Writer::compact_nullable_string(const std::optional<std::string_view>& v) {
  if (!v) {
    unsigned_varint(0);
    return;
  }
  compact_string(*v);
}

void Writer::bytes(std::span<const std::byte> v) {
  int32(static_cast<int32_t>(v.size()));
  raw(v);
}

void Writer::compact_bytes(std::span<const std::byte> v) {
  unsigned_varint(static_cast<uint32_t>(v.size() + 1));
  raw(v);
}

size_t Writer::reserve_int32() {
  size_t at = out_->size();
  out_->resize(at + 4);
  return at;
}

void Writer::patch_int32(size_t position, int32_t v) {
  store_be<int32_t>(out_->data() + position, v);
}

}  // namespace sluice::server::kafka
