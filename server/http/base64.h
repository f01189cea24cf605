// Standard base64 (RFC 4648 section 4: A-Z a-z 0-9 + /, '=' padding), for event values, keys and
// header values that are not UTF-8 in the HTTP API's JSON ("value_b64").
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::server::http {

// The encoded length of `bytes` input bytes (padded).
constexpr size_t base64_encoded_size(size_t bytes) {
  return (bytes + 2) / 3 * 4;
}

// Appends the padded encoding of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);

// Appends the decoding of `text` to `out`. Strict: only the standard alphabet, no whitespace,
// padding only at the end and only as much as the length calls for (unpadded input is accepted
// too), and the unused bits of the last character must be zero, so that each byte string has
// exactly one accepted encoding. Returns false (and leaves `out` as it was) when `text` is not
// such an encoding.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace sluice::server::http
