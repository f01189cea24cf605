#include "server/http/uri.h"

namespace sluice::server::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view text, bool plus_is_space, std::string& out) {
  const size_t start = out.size();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) {
        out.resize(start);
        return false;
      }
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) {
        out.resize(start);
        return false;
      }
      out.push_back(static_cast<char>(high << 4 | low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::string_view decoded(std::string_view text, bool plus_is_space, std::string& scratch,
                         bool* ok) {
  *ok = true;
  if (text.find_first_of(plus_is_space ? "%+" : "%") == std::string_view::npos) {
    return text;
  }
  scratch.clear();
  if (!percent_decode(text, plus_is_space, scratch)) {
    *ok = false;
    return {};
  }
  return scratch;
}

bool find_query_param(std::string_view query, std::string_view name, std::string_view* value) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace sluice::server::http
