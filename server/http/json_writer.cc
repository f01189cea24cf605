#include "server/http/json_writer.h"

#include "server/http/base64.h"

#include "io/assert.h"

#include <charconv>
#include <cstring>

namespace sluice::server::http {
namespace {

// The length of the well-formed UTF-8 sequence at the front of `p[0, n)`, or 0 when there is
// none (Unicode 15, table 3-7).
size_t utf8_sequence(const unsigned char* p, size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xc2 || c > 0xf4) return 0;
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (c < 0xe0) return cont(1) ? 2 : 0;
  if (c < 0xf0) {
    const unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
    const unsigned char hi = c == 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  const unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
  const unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;
  return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
}

}  // namespace

bool is_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    // Eight ASCII bytes at a time.
    if (n >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        p += 8;
        n -= 8;
        continue;
      }
    }
    const size_t length = utf8_sequence(p, n);
    if (length == 0) return false;
    p += length;
    n -= length;
  }
  return true;
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (has_element_ & bit) out_.push_back(',');
  has_element_ |= bit;
}

void JsonWriter::open(char bracket) {
  before_value();
  SLUICE_ASSERT(depth_ < kMaxDepth);
  out_.push_back(bracket);
  ++depth_;
  has_element_ &= ~(uint64_t{1} << (depth_ - 1));
}

void JsonWriter::close(char bracket) {
  SLUICE_ASSERT(depth_ > 0 && !after_key_);
  --depth_;
  out_.push_back(bracket);
}

void JsonWriter::key(std::string_view name) {
  before_value();
  out_.push_back('"');
  escaped(name);
  out_.append("\":", 2);
  after_key_ = true;
}

void JsonWriter::key_lossy(std::string_view name) {
  string_lossy(name);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::string(std::string_view text) {
  before_value();
  out_.push_back('"');
  escaped(text);
  out_.push_back('"');
}

void JsonWriter::string_lossy(std::string_view bytes) {
  if (is_utf8(bytes)) {
    string(bytes);
    return;
  }
  before_value();
  out_.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    size_t length = utf8_sequence(p, n);
    if (length == 0) {
      out_.append("\xef\xbf\xbd");  // U+FFFD
      length = 1;
    } else {
      escaped(std::string_view(reinterpret_cast<const char*>(p), length));
    }
    p += length;
    n -= length;
  }
  out_.push_back('"');
}

void JsonWriter::string_base64(std::string_view bytes) {
  before_value();
  out_.push_back('"');
  base64_encode(bytes, out_);
  out_.push_back('"');
}

void JsonWriter::escaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out_.append("\\\"", 2);
        break;
      case '\\':
        out_.append("\\\\", 2);
        break;
      case '\n':
        out_.append("\\n", 2);
        break;
      case '\r':
        out_.append("\\r", 2);
        break;
      case '\t':
        out_.append("\\t", 2);
        break;
      default: {
        const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(escape, 6);
      }
    }
  }
  out_.append(text.data() + plain, text.size() - plain);
}

void JsonWriter::number(int64_t value) {
  before_value();
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  SLUICE_ASSERT(ec == std::errc());
  out_.append(digits, static_cast<size_t>(end - digits));
}

void JsonWriter::number(uint64_t value) {
  before_value();
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  SLUICE_ASSERT(ec == std::errc());
  out_.append(digits, static_cast<size_t>(end - digits));
}

void JsonWriter::boolean(bool value) {
  before_value();
  out_.append(value ? "true" : "false");
}

void JsonWriter::null() {
  before_value();
  out_.append("null", 4);
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  out_.append(json);
}

}  // namespace sluice::server::http
