#include "server/http/request.h"

namespace sluice::server::http {

std::string_view method_name(Method method) {
  switch (method) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::delete_:
      return "DELETE";
    case Method::patch:
      return "PATCH";
    case Method::options:
      return "OPTIONS";
    case Method::trace:
      return "TRACE";
    case Method::connect:
      return "CONNECT";
  }
  return "?";
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

const HeaderField* Request::find(std::string_view name) const {
  for (const HeaderField& field : headers) {
    if (equals_ignore_case(field.name, name)) return &field;
  }
  return nullptr;
}

}  // namespace sluice::server::http
