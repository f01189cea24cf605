// tools::HttpClient against a server in the test: a thread that accepts on a loopback port,
// reads each request and answers with canned bytes. Bodies framed by Content-Length, chunked
// and by the close; keep-alive and reconnecting; and what a broken or hostile server gets: a
// malformed status line or header, bad chunk framing, oversized heads and bodies, a body cut
// short, silence past the timeout, and no server at all.
#include "tools/common/http_client.h"

#include "io/socket.h"
#include "tests/support/canned_http_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::tools {
namespace {

using namespace std::chrono_literals;
using testing::Answer;
using testing::CannedServer;

HttpClient connect_to(const CannedServer& server, HttpClientOptions options = {}) {
  options.server_name = "sluiced";
  Result<HttpClient> client = HttpClient::connect(server.address(), options);
  EXPECT_TRUE(client.ok()) << client.error().to_string();
  return std::move(*client);
}

std::string ok_with(const std::string& body, const std::string& extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpClientTest, ContentLengthBodiesOnOneKeepAliveConnection) {
  CannedServer server(
      {{ok_with(R"({"a":1})")},
       {"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nX-Extra:  spaced  \r\n\r\nnot here!"}});
  HttpClient client = connect_to(server);
  Result<HttpResponse> first = client.post("/v1/topics/t/dlq/replay", R"({"group":"g"})");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->reason, "OK");
  EXPECT_EQ(first->body, R"({"a":1})");
  ASSERT_NE(first->header("content-type"), nullptr);
  EXPECT_EQ(*first->header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(first->header("location"), nullptr);

  Result<HttpResponse> second = client.get("/v1/topics/t%2Fx");
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->status, 404);
  EXPECT_EQ(second->body, "not here!");
  ASSERT_NE(second->header("x-extra"), nullptr);
  EXPECT_EQ(*second->header("x-extra"), "spaced");

  EXPECT_EQ(server.connections(), 1);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(
      requests[0],
      "POST /v1/topics/t/dlq/replay HTTP/1.1\r\nHost: " + server.address() +
          "\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"group\":\"g\"}");
  EXPECT_EQ(requests[1], "GET /v1/topics/t%2Fx HTTP/1.1\r\nHost: " + server.address() +
                             "\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpClientTest, ChunkedBodyWithExtensionsAndTrailers) {
  CannedServer server({{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: 1\r\n\r\n"},
                       {ok_with("again")}});
  HttpClient client = connect_to(server);
  Result<HttpResponse> response = client.get("/chunked");
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_EQ(response->body, "hello, chunked!");
  // The trailers were consumed: the next response on the connection reads cleanly.
  Result<HttpResponse> next = client.get("/next");
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->body, "again");
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClientTest, CloseDelimitedBodyThenANewConnection) {
  CannedServer server({{"HTTP/1.1 200 OK\r\n\r\nall of this until the close", true},
                       {ok_with("second", "Connection: close\r\n"), true},
                       {ok_with("third")}});
  HttpClient client = connect_to(server);
  Result<HttpResponse> first = client.get("/a");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->body, "all of this until the close");
  Result<HttpResponse> second = client.get("/b");
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->body, "second");
  Result<HttpResponse> third = client.get("/c");
  ASSERT_TRUE(third.ok()) << third.error().to_string();
  EXPECT_EQ(third->body, "third");
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpClientTest, InterimResponsesAndBodylessStatuses) {
  CannedServer server({{"HTTP/1.1 100 Continue\r\n\r\n" + ok_with("after continue")},
                       {"HTTP/1.1 204 No Content\r\n\r\n"},
                       {ok_with("still the same connection")}});
  HttpClient client = connect_to(server);
  Result<HttpResponse> first = client.get("/a");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "after continue");
  Result<HttpResponse> second = client.get("/b");
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->status, 204);
  EXPECT_TRUE(second->body.empty());
  Result<HttpResponse> third = client.get("/c");
  ASSERT_TRUE(third.ok()) << third.error().to_string();
  EXPECT_EQ(third->body, "still the same connection");
  EXPECT_EQ(server.connections(), 1);
}

// A malformed response is an invalid_argument error that quotes what was wrong; the
// connection is dropped and the next request opens a fresh one.
TEST(HttpClientTest, MalformedResponsesAreErrors) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "status line 'HTTP/1.1 2x0 OK'"},
      {"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", "status line"},
      {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "status line 'SSH-2.0-OpenSSH_9.2'"},
      {"HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n", "status line"},
      {"HTTP/1.1 700 Odd\r\nContent-Length: 0\r\n\r\n", "status line"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line 'no colon here'"},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "header line"},
      {"HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n", "folded header line"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length '-1'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "Content-Length"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size line 'zz'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
       "not followed by CRLF"},
  };
  for (const Case& c : cases) {
    CannedServer server({{c.bytes}, {ok_with("fresh")}});
    HttpClient client = connect_to(server);
    Result<HttpResponse> response = client.get("/x");
    ASSERT_FALSE(response.ok()) << c.bytes;
    EXPECT_EQ(response.code(), Errc::invalid_argument) << response.error().to_string();
    EXPECT_NE(response.error().message().find("malformed HTTP response from sluiced at " +
                                              server.address()),
              std::string::npos)
        << response.error().to_string();
    EXPECT_NE(response.error().message().find(c.expected), std::string::npos)
        << c.bytes << " -> " << response.error().to_string();
  }
}

TEST(HttpClientTest, OversizedResponsesAreTooLarge) {
  HttpClientOptions options;
  options.max_head_bytes = 256;
  options.max_body_bytes = 100;
  const std::string big_header = "X-Big: " + std::string(300, 'h') + "\r\n";
  const std::vector<std::string> answers = {
      "HTTP/1.1 200 OK\r\n" + big_header + "Content-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'),
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'c') +
          "\r\n40\r\n" + std::string(64, 'c') + "\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + big_header + "\r\n",
      "HTTP/1.1 200 OK\r\n" + std::string(300, 'x'),  // no line end at all
  };
  for (const std::string& bytes : answers) {
    CannedServer server({{bytes}});
    HttpClient client = connect_to(server, options);
    Result<HttpResponse> response = client.get("/big");
    ASSERT_FALSE(response.ok()) << bytes;
    EXPECT_EQ(response.code(), Errc::too_large) << response.error().to_string();
  }
  // A close-delimited body past the limit.
  CannedServer server({{"HTTP/1.1 200 OK\r\n\r\n" + std::string(5000, 'd'), true}});
  HttpClient client = connect_to(server, options);
  Result<HttpResponse> response = client.get("/big");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Errc::too_large) << response.error().to_string();
}

TEST(HttpClientTest, ACloseBeforeTheEndIsClosed) {
  {
    CannedServer server({{"", true}});
    HttpClient client = connect_to(server);
    Result<HttpResponse> response = client.get("/x");
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.code(), Errc::closed);
    EXPECT_NE(response.error().message().find("closed the connection before answering"),
              std::string::npos)
        << response.error().to_string();
  }
  {
    CannedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true}});
    HttpClient client = connect_to(server);
    Result<HttpResponse> response = client.get("/x");
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.code(), Errc::closed);
    EXPECT_NE(response.error().message().find("after 3 of 10 body bytes"), std::string::npos)
        << response.error().to_string();
  }
  {
    CannedServer server({{"HTTP/1.1 200 OK\r\nContent-Le", true}});
    HttpClient client = connect_to(server);
    Result<HttpResponse> response = client.get("/x");
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.code(), Errc::closed);
    EXPECT_NE(response.error().message().find("inside the response's head"), std::string::npos)
        << response.error().to_string();
  }
}

TEST(HttpClientTest, ASilentServerTimesOut) {
  CannedServer server({{"", false, true}});
  HttpClientOptions options;
  options.timeout = 100ms;
  HttpClient client = connect_to(server, options);
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> response = client.get("/slow");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.code(), Errc::timed_out) << response.error().to_string();
  EXPECT_NE(response.error().message().find("sent nothing for 100 ms"), std::string::npos)
      << response.error().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
}

TEST(HttpClientTest, NoServerIsCannotReach) {
  // A port that was free a moment ago: nothing listens there.
  Result<int> listener = io::listen_tcp(io::HostPort{"127.0.0.1", 0});
  ASSERT_TRUE(listener.ok());
  const uint16_t port = *io::local_port(*listener);
  io::close_socket(*listener);
  HttpClientOptions options;
  options.server_name = "sluiced";
  const std::string address = "127.0.0.1:" + std::to_string(port);
  Result<HttpClient> client = HttpClient::connect(address, options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.code(), Errc::closed);
  EXPECT_EQ(client.error().message(),
            "cannot reach sluiced at " + address + ": Connection refused");

  Result<HttpClient> bad = HttpClient::connect("no-port-here", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Errc::invalid_argument);
}

TEST(HttpClientTest, RequestLinesAreChecked) {
  CannedServer server({{ok_with("unused")}});
  HttpClient client = connect_to(server);
  EXPECT_EQ(client.get("no/leading/slash").code(), Errc::invalid_argument);
  EXPECT_EQ(client.get("/a b").code(), Errc::invalid_argument);
  EXPECT_EQ(client.request("GE T", "/a").code(), Errc::invalid_argument);
  EXPECT_EQ(client.get("/a\r\nX: y").code(), Errc::invalid_argument);
}

TEST(HttpClientTest, PercentEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(percent_encode("orders-2024_v1.dlq~"), "orders-2024_v1.dlq~");
  EXPECT_EQ(percent_encode("a b/c?d&e=f%"), "a%20b%2Fc%3Fd%26e%3Df%25");
  EXPECT_EQ(percent_encode(std::string("\xC3\xA9\x00", 3)), "%C3%A9%00");
  EXPECT_EQ(percent_encode(""), "");
}

}  // namespace
}  // namespace sluice::tools
