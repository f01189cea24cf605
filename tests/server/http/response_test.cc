#include "server/http/response.h"

#include "server/http/json_writer.h"
#include "tests/server/http/http_response_reader.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sluice::server::http {
namespace {

using testing::take_response;

TEST(Response, StatusLineFieldsAndBody) {
  std::string out = "before";
  ResponseHead head;
  head.status = 201;
  head.extra_fields = "Location: /v1/topics/a\r\n";
  write_response(out, head, "{\"a\":1}");
  ASSERT_EQ(out.substr(0, 6), "before");
  out.erase(0, 6);
  const std::string raw = out;
  EXPECT_EQ(raw.substr(0, 22), "HTTP/1.1 201 Created\r\n");
  std::optional<testing::Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "{\"a\":1}");
  EXPECT_EQ(response->field("content-type"), "application/json");
  EXPECT_EQ(response->field("content-length"), "7");
  EXPECT_EQ(response->field("connection"), "keep-alive");
  EXPECT_EQ(response->field("location"), "/v1/topics/a");
  EXPECT_EQ(response->field("date").size(), 29u);  // "Sun, 06 Nov 1994 08:49:37 GMT"
  EXPECT_EQ(response->field("date").substr(26), "GMT");
}

TEST(Response, WriterPatchesTheLengthAndHeadDropsTheBody) {
  std::string out;
  ResponseHead head;
  head.close = true;
  head.content_type = kPrometheusType;
  {
    ResponseWriter writer(out, head);
    writer.body().append(12345, 'x');
    writer.finish();
  }
  std::optional<testing::Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.size(), 12345u);
  EXPECT_EQ(response->field("connection"), "close");
  EXPECT_EQ(response->field("content-type"), kPrometheusType);

  head.head_only = true;
  ResponseWriter writer(out, head);
  writer.body().append("abc");
  writer.finish();
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");  // no body
  std::optional<testing::Response> head_response = take_response(out, true);
  ASSERT_TRUE(head_response);
  EXPECT_EQ(head_response->field("content-length"), "3");
  EXPECT_TRUE(out.empty());
}

TEST(Response, ErrorBodies) {
  std::string out;
  ResponseHead head;
  head.status = 404;
  write_error(out, head, "not_found", "topic \"a\" \xff not found\n");
  std::optional<testing::Response> response = take_response(out);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  const nlohmann::json body = response->json();
  EXPECT_EQ(body["error"], "not_found");
  EXPECT_EQ(body["message"], "topic \"a\" \xef\xbf\xbd not found\n");
  for (int status : {400, 404, 405, 413, 431, 500, 501, 503, 505})
    EXPECT_NE(reason_phrase(status), "Unknown") << status;
  EXPECT_EQ(error_code_for_status(431), "headers_too_large");
  EXPECT_EQ(error_code_for_status(413), "body_too_large");
}

TEST(JsonWriter, NestingCommasAndEscapes) {
  std::string out;
  JsonWriter json(out);
  json.begin_object();
  json.field("s", std::string_view("q\" b\\ \n\t\r \x01 \x1f caf\xc3\xa9"));
  json.field("n", int64_t{-42});
  json.key("u");
  json.number(uint64_t{18446744073709551615ull});
  json.key("a");
  json.begin_array();
  json.null();
  json.boolean(true);
  json.begin_object();
  json.end_object();
  json.begin_array();
  json.end_array();
  json.raw("{\"r\":1}");
  json.end_array();
  json.key("b64");
  json.string_base64("\xff\x00");
  json.key_lossy("k\xfe");
  json.string_lossy("v\xc3");
  json.end_object();
  const nlohmann::json doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc["s"], "q\" b\\ \n\t\r \x01 \x1f caf\xc3\xa9");
  EXPECT_EQ(doc["n"], -42);
  EXPECT_EQ(doc["u"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(doc["a"].dump(), "[null,true,{},[],{\"r\":1}]");
  EXPECT_EQ(doc["b64"], "/w==");
  EXPECT_EQ(doc["k\xef\xbf\xbd"], "v\xef\xbf\xbd");
}

TEST(JsonWriter, Utf8Validation) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain ascii text, longer than eight bytes"));
  EXPECT_TRUE(is_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_utf8("\xef\xbf\xbf\xf4\x8f\xbf\xbf"));  // U+FFFF, U+10FFFF
  EXPECT_FALSE(is_utf8("\xc0\xaf"));                     // overlong '/'
  EXPECT_FALSE(is_utf8("\xe0\x80\xaf"));                 // overlong
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));                 // a surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));             // above U+10FFFF
  EXPECT_FALSE(is_utf8("\xc3"));                         // cut short
  EXPECT_FALSE(is_utf8("abcdefgh\x80"));                 // a lone continuation
  EXPECT_FALSE(is_utf8("\xff"));
}

}  // namespace
}  // namespace sluice::server::http
