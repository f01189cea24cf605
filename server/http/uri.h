// Percent-decoding of request paths and query strings (RFC 3986 section 2.1).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sluice::server::http {

// Appends `text` with each %XX escape decoded to `out` (and, in query strings, each '+' as a
// space). Returns false when an escape is malformed ('%' not followed by two hex digits).
bool percent_decode(std::string_view text, bool plus_is_space, std::string& out);

// Decodes `text` only when it holds an escape: returns `text` itself, or `scratch` holding the
// decoding. Sets *ok to false (and returns an empty view) when an escape is malformed.
std::string_view decoded(std::string_view text, bool plus_is_space, std::string& scratch, bool* ok);

// Finds the parameter `name` in a query string ("a=1&b=2"; names compared after decoding is not
// needed for the API's plain names, so they are compared as sent). Returns true with its raw
// (still encoded) value in *value; a parameter without '=' has an empty value.
bool find_query_param(std::string_view query, std::string_view name, std::string_view* value);

}  // namespace sluice::server::http
