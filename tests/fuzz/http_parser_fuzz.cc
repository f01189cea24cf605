// libFuzzer target for the HTTP request parser (server/http/request_parser.h), with the URI and
// base64 decoders it feeds. Build with -DSLUICE_BUILD_FUZZ=ON and clang
// (tests/fuzz/CMakeLists.txt):
//   build-fuzz/bin/http_parser_fuzz -max_total_time=60 -max_len=4096 corpus/http
//
// Checks, beyond "no crash, no sanitizer report":
// - the input parsed whole and the same input offered in two pieces (split where the first
//   byte says) give the same outcome: status, error, length and body;
// - pipelined requests are consumed without going past the input, and every error is one of
//   400, 413, 431, 501 and 505;
// - a complete request's views lie inside the input (or the parser's body buffer).
#include "server/http/base64.h"
#include "server/http/json_writer.h"
#include "server/http/request_parser.h"
#include "server/http/uri.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using sluice::server::HttpLimits;
using namespace sluice::server::http;

struct Outcome {
  ParseStatus status;
  int error = 0;
  size_t consumed = 0;
  std::string body;
};

void require(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

Outcome finish(RequestParser& parser, ParseStatus status, const Request& request,
               std::string_view input) {
  Outcome out{status};
  if (status == ParseStatus::error) {
    out.error = parser.error_status();
    require(out.error == 400 || out.error == 413 || out.error == 431 || out.error == 501 ||
            out.error == 505);
  }
  if (status == ParseStatus::complete) {
    out.consumed = parser.consumed();
    require(out.consumed > 0 && out.consumed <= input.size());
    require(inside(request.target, input) && inside(request.query, input));
    for (const HeaderField& field : request.headers)
      require(inside(field.name, input) && inside(field.value, input));
    out.body = std::string(request.body);
    // What the handlers do with a request's parts must not crash either.
    std::string scratch;
    bool ok = false;
    (void)decoded(request.path, false, scratch, &ok);
    std::string_view value;
    if (find_query_param(request.query, "from", &value)) (void)decoded(value, true, scratch, &ok);
    std::string bytes;
    if (base64_decode(request.body, bytes)) {
      std::string again;
      base64_encode(bytes, again);
    }
    std::string json;
    JsonWriter writer(json);
    writer.string_lossy(request.body);
    require(is_utf8(std::string_view(json).substr(1, json.size() - 2)));
  }
  return out;
}

Outcome parse_whole(std::string_view input, const HttpLimits& limits) {
  RequestParser parser(limits);
  Request request;
  const ParseStatus status = parser.parse(input, request);
  return finish(parser, status, request, input);
}

Outcome parse_split(std::string_view input, size_t split, const HttpLimits& limits) {
  RequestParser parser(limits);
  Request request;
  ParseStatus status = parser.parse(input.substr(0, split), request);
  if (status == ParseStatus::incomplete) status = parser.parse(input, request);
  return finish(parser, status, request, input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  HttpLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  // The first byte picks where the second parse splits the rest.
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);

  const Outcome whole = parse_whole(input, limits);
  const Outcome pieces = parse_split(input, split, limits);
  require(whole.status == pieces.status);
  require(whole.error == pieces.error);
  require(whole.consumed == pieces.consumed);
  require(whole.body == pieces.body);

  // Pipelining: request after request until the input runs out or one fails.
  RequestParser parser(limits);
  Request request;
  size_t offset = 0;
  while (offset < input.size()) {
    const ParseStatus status = parser.parse(input.substr(offset), request);
    if (status != ParseStatus::complete) break;
    require(parser.consumed() <= input.size() - offset);
    offset += parser.consumed();
    parser.reset();
  }
  return 0;
}
