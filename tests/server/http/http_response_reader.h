// Reads HTTP/1.1 responses out of a session's output, for the HTTP tests.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <optional>
#include <string>

namespace sluice::server::http::testing {

struct Response {
  int status = 0;
  std::map<std::string, std::string> fields;  // names in lower case
  std::string body;

  nlohmann::json json() const {
    nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << body;
    return doc;
  }
  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// Takes one whole response off the front of `text`; nullopt when it is not all there.
// `head_only`: the answer to a HEAD (no body whatever Content-Length says).
inline std::optional<Response> take_response(std::string& text, bool head_only = false) {
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  Response response;
  std::string head = text.substr(0, end + 2);
  EXPECT_EQ(head.substr(0, 9), "HTTP/1.1 ") << head;
  response.status = std::stoi(head.substr(9, 3));
  size_t line = head.find("\r\n") + 2;
  while (line < head.size()) {
    const size_t eol = head.find("\r\n", line);
    const std::string field = head.substr(line, eol - line);
    const size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.fields[name] = value;
    line = eol + 2;
  }
  size_t length = 0;
  if (response.fields.count("content-length") != 0 && !head_only) {
    length = std::stoul(response.fields["content-length"]);
  }
  if (text.size() < end + 4 + length) return std::nullopt;
  response.body = text.substr(end + 4, length);
  text.erase(0, end + 4 + length);
  return response;
}

}  // namespace sluice::server::http::testing
