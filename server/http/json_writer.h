// JsonWriter: appends JSON straight to a response buffer (no document tree, no allocation beyond
// the buffer's own growth), for the answers of the HTTP API. Request bodies are parsed with
// nlohmann-json; answers, on the hot path, are written with this.
//
// The writer places the commas: begin_*/end_*, key() and the value calls nest as in JSON, to a
// depth of kMaxDepth. Strings are escaped; a string that must be valid UTF-8 in JSON but may not
// be (a key, a value) is checked with is_utf8() first by the caller, who then writes it base64
// encoded under another name, or writes it with string_lossy().
//
// Thread-safety: a JsonWriter and its buffer belong to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::server::http {

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool is_utf8(std::string_view bytes);

class JsonWriter {
 public:
  static constexpr int kMaxDepth = 32;

  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // An object member's name; the value call that follows is its value. `name` must be UTF-8.
  void key(std::string_view name);
  // A name that may not be UTF-8 (invalid sequences become U+FFFD).
  void key_lossy(std::string_view name);

  // A string that is valid UTF-8 (see is_utf8).
  void string(std::string_view text);
  // Any bytes: invalid UTF-8 sequences become U+FFFD. For names and messages.
  void string_lossy(std::string_view bytes);
  // Any bytes, as a string of their standard base64 encoding.
  void string_base64(std::string_view bytes);
  void number(int64_t value);
  void number(uint64_t value);
  void number(int32_t value) { number(static_cast<int64_t>(value)); }
  void number(uint32_t value) { number(static_cast<uint64_t>(value)); }
  void boolean(bool value);
  void null();
  // Already-encoded JSON, written as one value.
  void raw(std::string_view json);

  // Conveniences: key then value.
  void field(std::string_view name, std::string_view text) {
    key(name);
    string(text);
  }
  void field(std::string_view name, int64_t value) {
    key(name);
    number(value);
  }

 private:
  void open(char bracket);
  void close(char bracket);
  void before_value();
  void escaped(std::string_view text);

  std::string& out_;
  int depth_ = 0;
  // Bit d: the container at depth d already holds an element (a comma goes before the next).
  uint64_t has_element_ = 0;
  bool after_key_ = false;
};

}  // namespace sluice::server::http
