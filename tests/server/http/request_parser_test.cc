#include "server/http/request_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sluice::server::http {
namespace {

struct Outcome {
  ParseStatus status = ParseStatus::incomplete;
  int error = 0;
  size_t consumed = 0;
  Request request;
  std::string body;  // copied: the request's views die with the parser's input
};

// Parses the request at the front of `input`, offering it whole.
Outcome parse(std::string_view input, const HttpLimits& limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  out.status = parser.parse(input, out.request);
  if (out.status == ParseStatus::error) out.error = parser.error_status();
  if (out.status == ParseStatus::complete) {
    out.consumed = parser.consumed();
    out.body = std::string(out.request.body);
  }
  return out;
}

// Offers growing prefixes of `input` (`step` bytes more each time), as a connection receiving it
// in pieces would; the same outcome as parse() is expected.
Outcome parse_in_pieces(std::string_view input, size_t step, const HttpLimits& limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  for (size_t n = std::min(step, input.size());; n = std::min(n + step, input.size())) {
    out.status = parser.parse(input.substr(0, n), out.request);
    if (out.status != ParseStatus::incomplete || n == input.size()) break;
  }
  if (out.status == ParseStatus::error) out.error = parser.error_status();
  if (out.status == ParseStatus::complete) {
    out.consumed = parser.consumed();
    out.body = std::string(out.request.body);
  }
  return out;
}

int error_of(std::string_view input, const HttpLimits& limits = {}) {
  const Outcome whole = parse(input, limits);
  const Outcome pieces = parse_in_pieces(input, 1, limits);
  EXPECT_EQ(whole.status, pieces.status) << input;
  EXPECT_EQ(whole.error, pieces.error) << input;
  return whole.status == ParseStatus::error ? whole.error : 0;
}

TEST(RequestParser, ParsesAGet) {
  const std::string text =
      "GET /v1/topics/a%20b/keys/k?x=1&y=2 HTTP/1.1\r\nHost: localhost\r\n"
      "User-Agent: test  \r\nX-Empty:\r\n\r\n";
  for (size_t step : {text.size(), size_t{1}, size_t{3}, size_t{7}}) {
    const Outcome out = parse_in_pieces(text, step);
    ASSERT_EQ(out.status, ParseStatus::complete) << step;
    EXPECT_EQ(out.consumed, text.size());
    EXPECT_EQ(out.request.method, Method::get);
    EXPECT_EQ(out.request.target, "/v1/topics/a%20b/keys/k?x=1&y=2");
    EXPECT_EQ(out.request.path, "/v1/topics/a%20b/keys/k");
    EXPECT_EQ(out.request.query, "x=1&y=2");
    EXPECT_EQ(out.request.version_minor, 1);
    EXPECT_TRUE(out.request.keep_alive);
    ASSERT_EQ(out.request.headers.size(), 3u);
    EXPECT_EQ(out.request.headers[1].name, "User-Agent");
    EXPECT_EQ(out.request.headers[1].value, "test");
    EXPECT_EQ(out.request.headers[2].value, "");
    ASSERT_NE(out.request.find("user-agent"), nullptr);
    EXPECT_EQ(out.request.find("HOST")->value, "localhost");
    EXPECT_EQ(out.request.find("missing"), nullptr);
    EXPECT_TRUE(out.body.empty());
  }
}

TEST(RequestParser, IncompleteUntilTheHeadEnds) {
  const std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_EQ(parse(text.substr(0, n)).status, ParseStatus::incomplete) << n;
}

TEST(RequestParser, ContentLengthBody) {
  const std::string text = "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET";
  for (size_t step : {size_t{1}, size_t{2}, text.size()}) {
    const Outcome out = parse_in_pieces(text, step);
    ASSERT_EQ(out.status, ParseStatus::complete);
    EXPECT_EQ(out.body, "hello");
    EXPECT_EQ(out.consumed, text.size() - 3);
  }
  // The same length twice is one length.
  const Outcome twice =
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(twice.status, ParseStatus::complete);
  EXPECT_EQ(twice.body, "ok");
}

TEST(RequestParser, ChunkedBody) {
  const std::string text =
      "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (size_t step : {size_t{1}, size_t{2}, size_t{5}, text.size()}) {
    const Outcome out = parse_in_pieces(text, step);
    ASSERT_EQ(out.status, ParseStatus::complete) << step;
    EXPECT_EQ(out.body, "hello world0123456789");
    EXPECT_EQ(out.consumed, text.size() - 4);
  }
  const Outcome empty =
      parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n");
  ASSERT_EQ(empty.status, ParseStatus::complete);
  EXPECT_TRUE(empty.body.empty());
}

TEST(RequestParser, ChunkedErrors) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(error_of(head + "x\r\n"), 400);                                // not hex
  EXPECT_EQ(error_of(head + "5\r\nhelloXX"), 400);                         // data without CRLF
  EXPECT_EQ(error_of(head + "5\nhello\r\n"), 400);                         // bare LF
  EXPECT_EQ(error_of(head + "11111111111111111\r\n"), 400);                // 17 hex digits
  EXPECT_EQ(error_of(head + "5 junk\r\n"), 400);                           // not an extension
  EXPECT_EQ(error_of(head + "5;a=\x01\r\n"), 400);                         // control character
  EXPECT_EQ(error_of(head + "1" + std::string(2000, ';') + "\r\n"), 400);  // size line too long
  EXPECT_EQ(error_of(head + "0\r\nbad trailer\r\n\r\n"), 400);
  // Transfer codings other than chunked are not implemented; chunked twice is malformed.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  // Both framings: refused (request smuggling).
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 3\r\n\r\n0\r\n\r\n"),
            400);
  // Chunked in HTTP/1.0.
  EXPECT_EQ(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

TEST(RequestParser, BodyLimit) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  // Refused as soon as the Content-Length is read, before any body byte.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits), 413);
  EXPECT_EQ(
      error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
               limits),
      413);
  EXPECT_EQ(
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits).status,
      ParseStatus::complete);
  // A chunked body counts as sent: chunk sizes, CRLFs and trailers included.
  limits.max_body_bytes = 30;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string exact = head + "6\r\n012345\r\n9\r\n012345678\r\n0\r\n\r\n";  // 30 bytes
  const Outcome fits = parse(exact, limits);
  ASSERT_EQ(fits.status, ParseStatus::complete);
  EXPECT_EQ(fits.body, "012345012345678");
  EXPECT_EQ(error_of(head + "6\r\n012345\r\n9\r\n012345678\r\n0\r\nT: x\r\n\r\n", limits), 413);
  EXPECT_EQ(error_of(head + "6\r\n012345\r\nF\r\n", limits), 413);
  EXPECT_EQ(error_of(head + "FFFFFFFFFFFFFFFF\r\n", limits), 413);
  EXPECT_EQ(error_of(head + "1f\r\n", limits), 413);
}

TEST(RequestParser, HeaderLimit) {
  HttpLimits limits;
  limits.max_header_bytes = 100;
  const std::string line = "GET / HTTP/1.1\r\n";
  const std::string host = "Host: a\r\n";
  // Exactly at the limit: accepted; one byte more: 431, even before the head ends.
  const std::string filler = "X: " + std::string(100 - line.size() - host.size() - 2 - 5, 'v');
  const std::string exact = line + host + filler + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 100u);
  EXPECT_EQ(parse(exact, limits).status, ParseStatus::complete);
  EXPECT_EQ(error_of(line + host + filler + "v\r\n\r\n", limits), 431);
  EXPECT_EQ(error_of(line + host + std::string(200, 'a'), limits), 431);
  // A long request line counts too.
  EXPECT_EQ(error_of("GET /" + std::string(200, 'a'), limits), 431);
  // Trailers have their own allowance of the same size.
  const std::string chunked =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  EXPECT_EQ(error_of(chunked + "T: " + std::string(200, 't') + "\r\n\r\n", limits), 431);
  // And so does the number of fields.
  std::string many = line + host;
  for (size_t i = 0; i < RequestParser::kMaxFields; ++i)
    many += "A: b\r\n";
  EXPECT_EQ(error_of(many + "\r\n"), 431);
}

TEST(RequestParser, RequestLineErrors) {
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTX/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET relative HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("BREW / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
  EXPECT_EQ(error_of("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);  // methods are case-sensitive
  EXPECT_EQ(error_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);    // bare LF
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\rHost: a\r\n\r\n"), 400);  // bare CR
  // OPTIONS * and absolute-form are fine.
  EXPECT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").status, ParseStatus::complete);
  const Outcome absolute = parse("GET http://example:80/v1/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(absolute.status, ParseStatus::complete);
  EXPECT_EQ(absolute.request.path, "/v1/x");
  EXPECT_EQ(absolute.request.query, "y=1");
  EXPECT_EQ(parse("GET http://example HTTP/1.1\r\nHost: a\r\n\r\n").request.path, "/");
}

TEST(RequestParser, GarbageIsRefusedAtOnce) {
  // A TLS ClientHello's first bytes: refused without waiting for max_header_bytes.
  EXPECT_EQ(parse(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)).status,
            ParseStatus::error);
  EXPECT_EQ(parse(std::string("\0\0\0\x10", 4)).status, ParseStatus::error);
  EXPECT_EQ(parse("GET /\x01").status, ParseStatus::error);
  EXPECT_EQ(parse("GET").status, ParseStatus::incomplete);
  EXPECT_EQ(parse("GET /abc HTTP/1.1\r").status, ParseStatus::incomplete);
}

TEST(RequestParser, FieldErrors) {
  const std::string line = "GET / HTTP/1.1\r\n";
  EXPECT_EQ(error_of(line + "Host: a\r\n folded\r\n\r\n"), 400);   // obs-fold
  EXPECT_EQ(error_of(line + "Host: a\r\nName : v\r\n\r\n"), 400);  // space before colon
  EXPECT_EQ(error_of(line + "Host: a\r\n: v\r\n\r\n"), 400);       // empty name
  EXPECT_EQ(error_of(line + "Host: a\r\nNa(me: v\r\n\r\n"), 400);  // not a token
  EXPECT_EQ(error_of(line + "Host: a\r\nNo colon\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + std::string("Host: a\r\nX: a\0b\r\n\r\n", 19)), 400);  // NUL
  EXPECT_EQ(error_of(line + "Host: a\r\nX: a\x7f\r\n\r\n"), 400);                  // DEL
  EXPECT_EQ(error_of(line + "Host: a\r\nX: a\rb\r\n\r\n"), 400);  // bare CR in a value
  EXPECT_EQ(error_of(line + "Host: a\r\nX: v\n\r\n"), 400);       // bare LF
  EXPECT_EQ(error_of(line + "\r\n"), 400);                        // HTTP/1.1 without Host
  EXPECT_EQ(error_of(line + "Host: a\r\nHost: b\r\n\r\n"), 400);  // two Hosts
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length: 1,1\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length: +1\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length:\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(error_of(line + "Host: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
  // Values may hold obs-text (bytes above 0x7f) and tabs.
  EXPECT_EQ(parse(line + "Host: a\r\nX: caf\xc3\xa9\tb\r\n\r\n").status, ParseStatus::complete);
}

TEST(RequestParser, KeepAliveRules) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n").request.keep_alive);
  const Outcome old = parse("GET / HTTP/1.0\r\n\r\n");  // no Host needed in 1.0
  ASSERT_EQ(old.status, ParseStatus::complete);
  EXPECT_EQ(old.request.version_minor, 0);
  EXPECT_FALSE(old.request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").request.keep_alive);
}

TEST(RequestParser, ExpectContinue) {
  RequestParser parser(HttpLimits{});
  Request request;
  const std::string text =
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  EXPECT_EQ(parser.parse(text, request), ParseStatus::incomplete);
  EXPECT_TRUE(parser.awaiting_body_after_continue());
  EXPECT_EQ(parser.parse(text + "abc", request), ParseStatus::complete);
  EXPECT_TRUE(request.expect_continue);
  EXPECT_FALSE(parser.awaiting_body_after_continue());
}

TEST(RequestParser, PipelinedRequests) {
  const std::string one = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string two = "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
  const std::string three =
      "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nyo\r\n0\r\n\r\n";
  // Empty lines between requests are skipped.
  const std::string all = one + two + "\r\n" + three + one;
  RequestParser parser(HttpLimits{});
  Request request;
  std::vector<std::string> seen;
  size_t offset = 0;
  while (offset < all.size()) {
    ASSERT_EQ(parser.parse(std::string_view(all).substr(offset), request), ParseStatus::complete);
    seen.push_back(std::string(method_name(request.method)) + " " + std::string(request.path) +
                   " " + std::string(request.body));
    offset += parser.consumed();
    parser.reset();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /a ", "POST /b hi", "PUT /c yo", "GET /a "}));
}

TEST(RequestParser, EveryMethod) {
  for (const char* name : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
    const Outcome out = parse(std::string(name) + " / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(out.status, ParseStatus::complete) << name;
    EXPECT_EQ(method_name(out.request.method), name);
  }
}

// Random bytes and random mutations of valid requests: the parser answers (complete, error or
// incomplete) without crashing, and the same way whole or in pieces.
TEST(RequestParser, RandomInputAgreesInPieces) {
  std::mt19937 random(7);
  const std::string seeds[] = {
      "GET /v1/topics/a HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody",
      "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
  };
  HttpLimits limits;
  limits.max_header_bytes = 256;
  limits.max_body_bytes = 64;
  for (int round = 0; round < 3000; ++round) {
    std::string text = seeds[round % 3];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = static_cast<char>(random());
          break;
        case 1:
          text.erase(at, 1);
          break;
        default:
          text.insert(at, 1, static_cast<char>(random()));
      }
      if (text.empty()) text = "x";
    }
    const Outcome whole = parse(text, limits);
    const Outcome pieces = parse_in_pieces(text, 1 + random() % 5, limits);
    ASSERT_EQ(whole.status, pieces.status) << text;
    ASSERT_EQ(whole.error, pieces.error) << text;
    if (whole.status == ParseStatus::complete) {
      ASSERT_EQ(whole.consumed, pieces.consumed);
      ASSERT_EQ(whole.body, pieces.body);
      ASSERT_LE(whole.consumed, text.size());
    }
    if (whole.status == ParseStatus::error) {
      ASSERT_TRUE(whole.error == 400 || whole.error == 413 || whole.error == 431 ||
                  whole.error == 501 || whole.error == 505)
          << whole.error;
    }
  }
}

}  // namespace
}  // namespace sluice::server::http
