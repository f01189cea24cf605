// `sluice-bench kafka`: short runs of produce, consume and e2e against a sluiced the test starts
// ($SLUICE_BIN_DIR/sluiced on free ports), checking the JSON report's fields and counts; bad
// flags are usage errors (exit 2).
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

class KafkaBenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::string output;
    server_ = ServerProcess::start_sluiced(dir_->file("data"), &output).release();
    ASSERT_NE(server_, nullptr) << output;
    bootstrap_ = "127.0.0.1:" + std::to_string(server_->port_after("Kafka on 127.0.0.1:"));
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
    return testing::run_program("sluice-bench", "kafka " + args);
  }

  // Runs with `args`, the server and the JSON path; returns the report, checked for the
  // fields every workload has.
  std::string run_ok(const std::string& args) {
    testing::CliRun done = run("--bootstrap " + bootstrap_ + " " + args + " --json " + json_path());
    EXPECT_EQ(done.exit_code, 0) << done.output;
    EXPECT_NE(done.output.find("kafka "), std::string::npos) << done.output;
    EXPECT_EQ(done.output.find('\r'), std::string::npos) << done.output;
    std::string json = read_text(json_path());
    EXPECT_NE(json.find("\"benchmark\": \"kafka\""), std::string::npos) << json;
    EXPECT_GT(number(json, "", "events"), 0.0) << json;
    EXPECT_GT(number(json, "", "events_per_sec"), 0.0) << json;
    EXPECT_GT(number(json, "", "bytes_per_sec"), 0.0) << json;
    EXPECT_EQ(number(json, "", "errors"), 0.0) << json;
    EXPECT_EQ(number(json, "", "missing"), 0.0) << json;
    expect_sane_latency(json, "latency_us");
    return json;
  }

  static testing::TempDir* dir_;
  static ServerProcess* server_;
  static std::string bootstrap_;
};

testing::TempDir* KafkaBenchTest::dir_ = nullptr;
ServerProcess* KafkaBenchTest::server_ = nullptr;
std::string KafkaBenchTest::bootstrap_;

TEST_F(KafkaBenchTest, ProduceClosedLoopDeliversEverythingItSent) {
  const std::string json = run_ok("--workload produce --seconds 1 --linger-us 1000");
  EXPECT_NE(json.find("\"workload\": \"produce\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"acks\": \"all\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"mode\": \"closed\""), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_GT(number(json, "latency_us", "p50"), 0.0) << json;
  EXPECT_GE(number(json, "latency_us", "p90"), number(json, "latency_us", "p50")) << json;
}

TEST_F(KafkaBenchTest, ProduceOpenLoopKeepsTheRate) {
  const std::string json = run_ok(
      "--workload produce --seconds 1 --rate 5000 --acks 1 --partitions 2 --key-bytes 16 "
      "--event-bytes 200 --producers 2");
  EXPECT_NE(json.find("\"mode\": \"open\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"acks\": \"1\""), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "partitions"), 2.0) << json;
  EXPECT_EQ(number(json, "", "producers"), 2.0) << json;
  EXPECT_NEAR(number(json, "", "events"), 5000.0, 500.0) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  expect_sane_latency(json, "send_delay_us");
}

TEST_F(KafkaBenchTest, ConsumeReadsTheWholeFill) {
  const std::string json =
      run_ok("--workload consume --seconds 5 --fill-events 20000 --partitions 2 --event-bytes 50");
  EXPECT_EQ(number(json, "", "fill_events"), 20000.0) << json;
  EXPECT_EQ(number(json, "", "events"), 20000.0) << json;
  // Every event's value, no key: 50 bytes each.
  EXPECT_NEAR(number(json, "", "bytes_per_sec") / number(json, "", "events_per_sec"), 50.0, 0.1)
      << json;
}

TEST_F(KafkaBenchTest, EndToEndReceivesEveryEventWithItsLatency) {
  const std::string json =
      run_ok("--workload e2e --seconds 1 --rate 2000 --partitions 2 --producers 1");
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_NEAR(number(json, "", "events"), 2000.0, 200.0) << json;
  EXPECT_EQ(number(json, "", "linger_us"), 0.0) << json;  // e2e's default
  expect_sane_latency(json, "ack_latency_us");
  expect_sane_latency(json, "latency_intended_us");
  EXPECT_GE(number(json, "latency_intended_us", "max"), number(json, "latency_us", "max"));
}

TEST_F(KafkaBenchTest, AnExistingTopicIsReadAsItIs) {
  // Fill a named topic, then read it again without a fill.
  run_ok("--workload consume --topic kept --fill-events 3000 --seconds 5");
  const std::string json = run_ok("--workload consume --topic kept --fill-events 0 --seconds 5");
  EXPECT_EQ(number(json, "", "events"), 3000.0) << json;
}

TEST_F(KafkaBenchTest, BadFlagsAreUsageErrors) {
  const std::string base = " --seconds 1 --json " + json_path();
  const std::string server = " --bootstrap " + bootstrap_;
  const std::vector<std::string> bad_args = {
      "--workload produce" + base,                    // no --bootstrap
      "--workload query" + server + base,             // an HTTP workload
      "--workload produce --acks 2" + server + base,  // not a Kafka acks
      "--workload produce --producers 0" + server + base,
      "--workload consume --rate 100" + server + base,  // consume reads as fast as it can
      "--workload produce --readers 2" + server + base,
      "--workload e2e --event-bytes 8" + server + base,  // no room for the send times
      "--workload produce" + server + " --seconds 1",    // no --json
      "--workload produce --colour blue" + server + base,
  };
  for (const std::string& args : bad_args) {
    testing::CliRun done = run(args);
    EXPECT_EQ(done.exit_code, 2) << args << "\n" << done.output;
    EXPECT_NE(done.output.find("sluice-bench kafka: "), std::string::npos) << done.output;
  }
  EXPECT_FALSE(std::filesystem::exists(json_path()));
}

TEST_F(KafkaBenchTest, AServerThatIsNotThereIsARunError) {
  const uint16_t port = ServerProcess::free_port();
  testing::CliRun done = run("--bootstrap 127.0.0.1:" + std::to_string(port) +
                             " --workload produce --seconds 1 --json " + json_path());
  EXPECT_EQ(done.exit_code, 1) << done.output;
}

}  // namespace
}  // namespace sluice
