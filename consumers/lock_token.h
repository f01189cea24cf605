// Lock tokens: the 64-bit number that names one delivery of a queued event, as the text that
// callers hold (QueuedEvent::lock_token) and give back with ack and nack. 13 characters of
// Crockford base32 (0-9, a-z without i, l, o, u), most significant first: short enough for
// std::string's inline buffer, so handing a token out allocates nothing.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::consumers {

inline constexpr size_t kLockTokenChars = 13;

std::string lock_token_text(uint64_t token);
// nullopt unless `text` is exactly what lock_token_text made (13 characters of the alphabet,
// within 64 bits).
std::optional<uint64_t> parse_lock_token(std::string_view text);

}  // namespace sluice::consumers
