// The group APIs' opaque bytes (protocol metadata, assignments) travel in responses as
// std::string, so that what the group coordinator holds moves into a response without a
// copy; these convert between such a string and the wire's byte spans.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace sluice::server::kafka {

inline std::span<const std::byte> as_byte_span(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string to_byte_string(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace sluice::server::kafka
