// `sluice dlq list|show|replay` end to end: the test starts the real sluiced on free ports with
// a data directory of its own, dead-letters an event over HTTP (a topic whose queue policy
// allows one delivery; receive as a group, nack with a reason), then runs the built `sluice`
// against it: list shows the event and why, show prints it with its headers, replay puts it
// back once and only once, and the group receives it again.
#include "tests/bench/server_process.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"
#include "tools/common/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace sluice {
namespace {

using Json = nlohmann::json;
using testing::CliRun;
using testing::ServerProcess;

class DlqCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::string output;
    server_ = ServerProcess::start_sluiced(dir_->file("data"), &output).release();
    ASSERT_NE(server_, nullptr) << output;
    address_ = "127.0.0.1:" + std::to_string(server_->port_after("HTTP on 127.0.0.1:"));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    Result<tools::HttpClient> http = tools::HttpClient::connect(address_);
    ASSERT_TRUE(http.ok()) << http.error().to_string();
    http_.emplace(std::move(*http));
  }

  // A request whose answer must have `status`; its body as JSON.
  Json call(std::string_view method, const std::string& path, const std::string& body, int status) {
    Result<tools::HttpResponse> response = http_->request(method, path, body);
    EXPECT_TRUE(response.ok()) << path << ": " << response.error().to_string();
    if (!response.ok()) return Json();
    EXPECT_EQ(response->status, status)
        << method << " " << path << " " << body << " -> " << response->body;
    return Json::parse(response->body, nullptr, false);
  }

  CliRun sluice(const std::string& args) {
    return testing::run_sluice("dlq " + args + " --server " + address_);
  }

  // Makes `topic` (one partition, one delivery allowed), appends one event with `key` and
  // `value`, receives it as `group` and nacks it with `reason`: it is dead-lettered. Waits
  // until the DLQ shows it.
  void dead_letter(const std::string& topic, const std::string& group, const std::string& key,
                   const std::string& value, const std::string& reason) {
    const Json created = call("PUT", "/v1/topics/" + topic,
                              R"({"partitions": 1, "queue": {"max_deliveries": 1}})", 201);
    ASSERT_FALSE(HasFailure()) << "the topic's queue policy is part of the HTTP API";
    const Json produced = call("POST", "/v1/topics/" + topic + "/events?acks=synced",
                               Json::array({{{"key", key}, {"value", value}}}).dump(), 200);
    ASSERT_EQ(produced.value("offsets", Json::array()).size(), 1u) << produced;

    const std::string queue = "/v1/groups/" + group + "/topics/" + topic;
    const Json received =
        call("POST", queue + "/receive", R"({"max_events": 1, "wait_ms": 5000})", 200);
    ASSERT_TRUE(received.contains("events") && received["events"].size() == 1) << received;
    const Json& event = received["events"][0];
    EXPECT_EQ(event.value("value", ""), value) << event;
    EXPECT_EQ(event.value("delivery_count", 0), 1) << event;
    const Json ref = {{"partition", event.value("partition", -1)},
                      {"offset", event.value("offset", int64_t{-1})},
                      {"lock_token", event.value("lock_token", "")}};
    const Json nacked = call("POST", queue + "/nack",
                             Json{{"events", Json::array({ref})}, {"reason", reason}}.dump(), 200);
    EXPECT_EQ(nacked.value("nacked", 0), 1) << nacked;

    // Dead-lettering is an append to <topic>.dlq: wait until it is readable.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      Result<tools::HttpResponse> page = http_->get("/v1/topics/" + topic + "/dlq?partition=0");
      ASSERT_TRUE(page.ok()) << page.error().to_string();
      const Json body = Json::parse(page->body, nullptr, false);
      if (page->status == 200 && body.is_object() && !body.value("events", Json::array()).empty())
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the event never reached " << topic << ".dlq";
  }

  static testing::TempDir* dir_;
  static ServerProcess* server_;
  static std::string address_;
  std::optional<tools::HttpClient> http_;
};

testing::TempDir* DlqCommandTest::dir_ = nullptr;
ServerProcess* DlqCommandTest::server_ = nullptr;
std::string DlqCommandTest::address_;

TEST_F(DlqCommandTest, ListShowAndReplayADeadLetteredEvent) {
  dead_letter("t", "g", "k1", "hello dlq", "boom: no handler");

  CliRun list = sluice("list t");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  for (const char* expected : {"dlq=0:0 source=t/0:0 group=g deliveries=1 time=20",
                               "Z reason=\"boom: no handler\"", "key=\"k1\" value=\"hello dlq\""}) {
    EXPECT_NE(list.output.find(expected), std::string::npos) << expected << "\n" << list.output;
  }
  EXPECT_EQ(std::count(list.output.begin(), list.output.end(), '\n'), 1) << list.output;

  // --json: the server's JSON for each event, one per line.
  CliRun json = sluice("list t --json --partition 0");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const Json listed = Json::parse(json.output, nullptr, false);
  ASSERT_TRUE(listed.is_object()) << json.output;
  EXPECT_EQ(listed.value("value", ""), "hello dlq") << listed;
  ASSERT_TRUE(listed.contains("source")) << listed;
  EXPECT_EQ(listed["source"].value("reason", ""), "boom: no handler") << listed;
  EXPECT_EQ(listed["source"].value("group", ""), "g") << listed;

  CliRun show = sluice("show t 0 0");
  ASSERT_EQ(show.exit_code, 0) << show.output;
  const Json shown = Json::parse(show.output, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << show.output;
  EXPECT_EQ(shown.value("key", ""), "k1") << shown;
  EXPECT_EQ(shown.value("value", ""), "hello dlq") << shown;
  ASSERT_TRUE(shown.contains("headers")) << shown;
  EXPECT_EQ(shown["headers"].value("sluice-dlq-topic", ""), "t") << shown;
  EXPECT_EQ(shown["headers"].value("sluice-dlq-group", ""), "g") << shown;
  EXPECT_EQ(shown["headers"].value("sluice-dlq-reason", ""), "boom: no handler") << shown;
  EXPECT_NE(show.output.find("\n  \"headers\": {"), std::string::npos) << "indented\n"
                                                                       << show.output;

  CliRun replay = sluice("replay t");
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_EQ(replay.output, "replayed 1, already replayed 0\n");
  CliRun again = sluice("replay t --group g");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, "replayed 0, already replayed 1\n");

  // The replayed event is delivered to the group again.
  const Json received =
      call("POST", "/v1/groups/g/topics/t/receive", R"({"max_events": 10, "wait_ms": 5000})", 200);
  ASSERT_TRUE(received.contains("events") && received["events"].size() == 1) << received;
  EXPECT_EQ(received["events"][0].value("value", ""), "hello dlq") << received;
}

TEST_F(DlqCommandTest, ReplayFiltersByKeyAndRange) {
  dead_letter("keyed", "g", "a", "first", "bad a");
  // A non-matching key or range replays nothing and is no error.
  CliRun other_key = sluice("replay keyed --key b");
  ASSERT_EQ(other_key.exit_code, 0) << other_key.output;
  EXPECT_EQ(other_key.output, "replayed 0, already replayed 0\n");
  CliRun past = sluice("replay keyed --from 5 --to 9");
  ASSERT_EQ(past.exit_code, 0) << past.output;
  EXPECT_EQ(past.output, "replayed 0, already replayed 0\n");
  CliRun matching = sluice("replay keyed --key a --from 0 --to 0");
  ASSERT_EQ(matching.exit_code, 0) << matching.output;
  EXPECT_EQ(matching.output, "replayed 1, already replayed 0\n");
}

TEST_F(DlqCommandTest, NothingThereAndMissingThings) {
  call("PUT", "/v1/topics/clean", R"({"partitions": 2})", 201);
  // A topic that dead-lettered nothing has no DLQ yet: an empty list, no error.
  CliRun empty = sluice("list clean");
  EXPECT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_NE(empty.output.find("no dead-lettered events in clean.dlq"), std::string::npos)
      << empty.output;
  // A topic that does not exist is a problem found (exit 1), as is an event that is not there.
  CliRun missing = sluice("list no-such-topic");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("HTTP 404"), std::string::npos) << missing.output;
  CliRun no_event = sluice("show no-such-topic 0 0");
  EXPECT_EQ(no_event.exit_code, 1) << no_event.output;
  EXPECT_NE(no_event.output.find("HTTP 404"), std::string::npos) << no_event.output;
}

TEST_F(DlqCommandTest, UsageErrorsAndNoServer) {
  for (const std::string& args :
       {std::string(""), std::string("frobnicate t"), std::string("list"), std::string("list a b"),
        std::string("list t --limit 0"), std::string("list t --from x"),
        std::string("list t --bogus 1"), std::string("show t 0"), std::string("show t p 0"),
        std::string("show t 0 -1"), std::string("replay"), std::string("replay t --from 3 --to 2"),
        std::string("replay t --to x")}) {
    CliRun run = testing::run_sluice("dlq " + args);
    EXPECT_EQ(run.exit_code, 2) << args << "\n" << run.output;
    EXPECT_NE(run.output.find("usage: sluice dlq list"), std::string::npos) << args << "\n"
                                                                            << run.output;
  }
  const std::string nobody = "127.0.0.1:" + std::to_string(ServerProcess::free_port());
  CliRun unreachable = testing::run_sluice("dlq list t --server " + nobody);
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
  EXPECT_NE(unreachable.output.find("cannot reach sluiced at " + nobody), std::string::npos)
      << unreachable.output;
  CliRun help = testing::run_sluice("dlq --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("--server HOST:PORT"), std::string::npos) << help.output;
}

}  // namespace
}  // namespace sluice
