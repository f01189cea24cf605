// `sluice-bench http`: short runs of the query and queue workloads against a sluiced the test
// starts, checking the JSON report's fields and counts; bad flags are usage errors (exit 2).
#include "tests/bench/bench_json.h"
#include "tests/bench/server_process.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sluice {
namespace {

using testing::expect_sane_latency;
using testing::number;
using testing::read_text;
using testing::ServerProcess;

class HttpBenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::string output;
    server_ = ServerProcess::start_sluiced(dir_->file("data"), &output).release();
    ASSERT_NE(server_, nullptr) << output;
    url_ = "http://127.0.0.1:" + std::to_string(server_->port_after("HTTP on 127.0.0.1:"));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  std::string json_path() const { return dir_->file("report.json"); }

  testing::CliRun run(const std::string& args) {
    std::filesystem::remove(json_path());
    return testing::run_program("sluice-bench", "http " + args);
  }

  std::string run_ok(const std::string& args, const std::string& workload = "query") {
    testing::CliRun done =
        run("--url " + url_ + " --workload " + workload + " " + args + " --json " + json_path());
    EXPECT_EQ(done.exit_code, 0) << done.output;
    EXPECT_NE(done.output.find("http " + workload + " "), std::string::npos) << done.output;
    std::string json = read_text(json_path());
    EXPECT_NE(json.find("\"benchmark\": \"http\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"workload\": \"" + workload + "\""), std::string::npos) << json;
    EXPECT_GT(number(json, "", "events_per_sec"), 0.0) << json;
    EXPECT_EQ(number(json, "", "errors"), 0.0) << json;
    expect_sane_latency(json, "latency_us");
    EXPECT_GT(number(json, "latency_us", "p50"), 0.0) << json;
    return json;
  }

  static testing::TempDir* dir_;
  static ServerProcess* server_;
  static std::string url_;
};

testing::TempDir* HttpBenchTest::dir_ = nullptr;
ServerProcess* HttpBenchTest::server_ = nullptr;
std::string HttpBenchTest::url_;

TEST_F(HttpBenchTest, OpenLoopReadsAtTheRate) {
  const std::string json =
      run_ok("--seconds 1 --rate 2000 --readers 2 --fill-events 3000 --partitions 3");
  EXPECT_EQ(number(json, "", "fill_events"), 3000.0) << json;
  EXPECT_EQ(number(json, "", "readers"), 2.0) << json;
  EXPECT_NEAR(number(json, "", "events"), 2000.0, 200.0) << json;
  EXPECT_NE(json.find("\"mode\": \"open\""), std::string::npos) << json;
  expect_sane_latency(json, "send_delay_us");
}

TEST_F(HttpBenchTest, ClosedLoopReadsAsFastAsItCan) {
  const std::string json =
      run_ok("--seconds 0.5 --readers 1 --fill-events 1500 --event-bytes 300 --topic named");
  EXPECT_NE(json.find("\"topic\": \"named\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"mode\": \"closed\""), std::string::npos) << json;
  EXPECT_NEAR(number(json, "", "bytes_per_sec") / number(json, "", "events_per_sec"), 300.0, 0.1);
}

// The queue workload acks every event of a small fill, then finds the queue empty and stops
// before its time is up.
TEST_F(HttpBenchTest, QueueReceivesAndAcksTheWholeFill) {
  const std::string json =
      run_ok("--seconds 20 --consumers 3 --batch 50 --fill-events 2000 --partitions 2 --topic work",
             "queue");
  EXPECT_EQ(number(json, "", "fill_events"), 2000.0) << json;
  EXPECT_EQ(number(json, "", "events"), 2000.0) << json;
  EXPECT_EQ(number(json, "", "sent"), 2000.0) << json;
  EXPECT_EQ(number(json, "", "consumers"), 3.0) << json;
  EXPECT_EQ(number(json, "", "batch_events"), 50.0) << json;
  EXPECT_GE(number(json, "", "round_trips"), 40.0) << json;
  EXPECT_NE(json.find("\"drained\": true"), std::string::npos) << json;
  EXPECT_LT(number(json, "", "seconds"), 20.0) << json;
}

TEST_F(HttpBenchTest, QueueAtARate) {
  const std::string json =
      run_ok("--seconds 1 --rate 5000 --consumers 2 --batch 10 --fill-events 20000", "queue");
  EXPECT_NEAR(number(json, "", "events"), 5000.0, 600.0) << json;
  EXPECT_NE(json.find("\"mode\": \"open\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"drained\": false"), std::string::npos) << json;
  expect_sane_latency(json, "send_delay_us");
}

TEST_F(HttpBenchTest, BadFlagsAreUsageErrors) {
  const std::string base = " --seconds 1 --json " + json_path();
  const std::string server = " --url " + url_;
  const std::vector<std::string> bad_args = {
      "--workload query" + base,                               // no --url
      "--workload query --url 127.0.0.1:80" + base,            // no scheme
      "--workload query --url http://127.0.0.1:80/v1" + base,  // a path
      "--workload produce" + server + base,
      "--workload query --readers 0" + server + base,
      "--workload query --fill-events 0" + server + base,
      "--workload query --acks all" + server + base,
      "--workload query --consumers 2" + server + base,
      "--workload queue --readers 2" + server + base,
      "--workload queue --batch 0" + server + base,
      "--workload queue --batch 10001" + server + base,
      "--workload queue --consumers 0" + server + base,
      "--workload queue --lock-ms 0" + server + base,
  };
  for (const std::string& args : bad_args) {
    testing::CliRun done = run(args);
    EXPECT_EQ(done.exit_code, 2) << args << "\n" << done.output;
    EXPECT_NE(done.output.find("sluice-bench http: "), std::string::npos) << done.output;
  }
  EXPECT_FALSE(std::filesystem::exists(json_path()));
}

TEST_F(HttpBenchTest, AServerThatIsNotThereIsARunError) {
  const uint16_t port = ServerProcess::free_port();
  testing::CliRun done = run("--url http://127.0.0.1:" + std::to_string(port) +
                             " --workload query --seconds 1 --json " + json_path());
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

}  // namespace
}  // namespace sluice
