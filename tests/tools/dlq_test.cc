// `sluice dlq` against a canned sluiced (tests/support/canned_http_server.h): the requests it
// makes (every DLQ partition, page after page, percent-encoded names, the replay filter) and
// how it prints what comes back (times in UTC, long and binary values shortened, control
// bytes escaped), and its exit codes for error answers and unreadable ones. The end-to-end
// test against the real sluiced is dlq_command_test.cc.
#include "tests/support/canned_http_server.h"
#include "tests/support/run_cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

using testing::CannedServer;
using testing::CliRun;
using testing::json_answer;

// The request line of a recorded request.
std::string request_line(const std::string& request) {
  return request.substr(0, request.find("\r\n"));
}

std::string body_of(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}

CliRun dlq(const CannedServer& server, const std::string& args) {
  return testing::run_sluice("dlq " + args + " --server " + server.address());
}

constexpr const char* kTwoPartitions =
    R"({"name": "a b.dlq", "partitions": [{"partition": 1}, {"partition": 0}]})";

TEST(DlqTest, ListPagesThroughEveryPartition) {
  const std::string long_value(100, 'v');
  CannedServer server({
      {json_answer(200, kTwoPartitions)},
      {json_answer(200, R"({"events": [
         {"partition": 0, "offset": 0, "timestamp": 1, "key": "k0", "value": ")" +
                            long_value + R"(", "headers": {},
          "source": {"topic": "a b", "partition": 3, "offset": 41, "group": "g1",
                     "delivery_count": 10, "reason": "line one\nline \"two\"",
                     "time": 1700000000123}},
         {"partition": 0, "offset": 1, "timestamp": 2, "key": null, "value_b64": "AAEC",
          "headers": {}, "source": {"topic": "a b", "partition": 3, "offset": 42,
          "group": "g2", "delivery_count": 2, "reason": "", "time": 0}}],
         "next": 2})")},
      {json_answer(200, R"({"events": [], "next": 2})")},
      {json_answer(200, R"({"events": [
         {"partition": 1, "offset": 7, "timestamp": 3, "key": "é", "value": "short",
          "headers": {"sluice-dlq-topic": "a b", "sluice-dlq-partition": "1",
                      "sluice-dlq-offset": "9", "sluice-dlq-group": "g3",
                      "sluice-dlq-delivery-count": "4", "sluice-dlq-reason": "from headers",
                      "sluice-dlq-time": "86400000"}}],
         "next": 8})")},
      {json_answer(200, R"({"events": [], "next": 8})")},
  });
  CliRun run = dlq(server, "list 'a b'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            "dlq=0:0 source=a b/3:41 group=g1 deliveries=10 time=2023-11-14T22:13:20.123Z "
            "reason=\"line one\\nline \\\"two\\\"\" key=\"k0\" value=\"" +
                std::string(40, 'v') +
                "\"...\n"
                "dlq=0:1 source=a b/3:42 group=g2 deliveries=2 time=1970-01-01T00:00:00.000Z "
                "reason=\"\" key=null value=base64:\"AAEC\"\n"
                "dlq=1:7 source=a b/1:9 group=g3 deliveries=4 time=1970-01-02T00:00:00.000Z "
                "reason=\"from headers\" key=\"é\" value=\"short\"\n");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(request_line(requests[0]), "GET /v1/topics/a%20b.dlq HTTP/1.1");
  EXPECT_EQ(request_line(requests[1]), "GET /v1/topics/a%20b/dlq?partition=0&limit=1000 HTTP/1.1");
  EXPECT_EQ(request_line(requests[2]),
            "GET /v1/topics/a%20b/dlq?partition=0&from=2&limit=1000 HTTP/1.1");
  EXPECT_EQ(request_line(requests[3]), "GET /v1/topics/a%20b/dlq?partition=1&limit=1000 HTTP/1.1");
  EXPECT_EQ(request_line(requests[4]),
            "GET /v1/topics/a%20b/dlq?partition=1&from=8&limit=1000 HTTP/1.1");
  EXPECT_EQ(server.connections(), 1);  // one keep-alive connection for all of it
}

TEST(DlqTest, ListOnePartitionFromAnOffsetWithALimit) {
  CannedServer server({{json_answer(200, R"({"events": [
      {"partition": 2, "offset": 5, "key": "k", "value": "v", "headers": {},
       "source": {"topic": "t", "partition": 2, "offset": 0, "group": "g", "delivery_count": 1,
                  "reason": "r", "time": 1}},
      {"partition": 2, "offset": 6, "key": "k", "value": "v", "headers": {}}], "next": 7})")}});
  // The server gave two events where one was asked for: only one is printed, as JSON.
  CliRun run = dlq(server, "list t --partition 2 --from 5 --limit 1 --json");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            R"({"partition":2,"offset":5,"key":"k","value":"v","headers":{},)"
            R"("source":{"topic":"t","partition":2,"offset":0,"group":"g","delivery_count":1,)"
            R"("reason":"r","time":1}})"
            "\n");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(request_line(requests[0]), "GET /v1/topics/t/dlq?partition=2&from=5&limit=1 HTTP/1.1");
}

TEST(DlqTest, ReplaySendsTheFilter) {
  CannedServer server({{json_answer(200, R"({"replayed": 3, "already_replayed": 2})")}});
  CliRun run = dlq(server, "replay t --group g --from 1 --to 9 --key k");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, "replayed 3, already replayed 2\n");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(request_line(requests[0]), "POST /v1/topics/t/dlq/replay HTTP/1.1");
  EXPECT_EQ(body_of(requests[0]), R"({"group":"g","key":"k","from":1,"to":9})");
}

TEST(DlqTest, ShowPrintsTheEventIndented) {
  CannedServer server({{json_answer(
      200, R"({"partition":0,"offset":3,"key":"k","value":"v","headers":{"h":"x"}})")}});
  CliRun run = dlq(server, "show t 0 3");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output,
            "{\n  \"partition\": 0,\n  \"offset\": 3,\n  \"key\": \"k\",\n  \"value\": \"v\",\n"
            "  \"headers\": {\n    \"h\": \"x\"\n  }\n}\n");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(request_line(server.requests()[0]),
            "GET /v1/topics/t.dlq/partitions/0/events/3 HTTP/1.1");
}

TEST(DlqTest, ErrorAnswersAndUnreadableOnes) {
  struct Case {
    std::string args;
    std::string answer;
    int exit_code;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"show t 0 9", json_answer(404, R"({"error":"offset_out_of_range","message":"no event"})"), 1,
       "sluice dlq show: t.dlq partition 0 offset 9: HTTP 404 offset_out_of_range: no event"},
      {"replay t", json_answer(500, R"({"error":"io_error","message":"disk on fire"})"), 1,
       "HTTP 500 io_error: disk on fire"},
      {"replay t", json_answer(400, R"({"error":"bad_request","message":"from after to"})"), 2,
       "HTTP 400 bad_request: from after to"},
      {"replay t", json_answer(503, "plain text"), 1, "HTTP 503: plain text"},
      {"replay t", json_answer(200, "[1, 2"), 2, "without a JSON object"},
      {"replay t", json_answer(200, R"({"done": true})"), 2, "no \"replayed\" count"},
      {"list t --partition 0", "HTTP/1.1 OK\r\n\r\n", 2, "malformed HTTP response"},
  };
  for (const Case& c : cases) {
    CannedServer server({{c.answer}});
    CliRun run = dlq(server, c.args);
    EXPECT_EQ(run.exit_code, c.exit_code) << c.args << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expected), std::string::npos) << c.args << "\n" << run.output;
  }
}

}  // namespace
}  // namespace sluice
