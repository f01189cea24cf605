// `sluice-bench redis`: short runs of xadd and xrange against a redis-server the test starts on
// a free port (skipped where redis-server is not installed), checking the JSON report's fields
// and counts; bad flags are usage errors (exit 2).
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

constexpr const char* kRedisServer = "/usr/bin/redis-server";

class RedisBenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kRedisServer)) return;
    dir_ = new testing::TempDir();
    const uint16_t port = ServerProcess::free_port();
    address_ = "127.0.0.1:" + std::to_string(port);
    std::string output;
    server_ = ServerProcess::start(std::string(kRedisServer) + " --port " + std::to_string(port) +
                                       " --bind 127.0.0.1 --dir " + dir_->path() +
                                       " --save '' --appendonly yes --appendfsync always",
                                   "Ready to accept connections", &output)
                  .release();
    ASSERT_NE(server_, nullptr) << output;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << kRedisServer << " is not installed";
  }

  std::string json_path() const { return dir_->file("report.json"); }

  testing::CliRun run(const std::string& args) {
    std::filesystem::remove(json_path());
    return testing::run_program("sluice-bench", "redis " + args);
  }

  std::string run_ok(const std::string& args) {
    testing::CliRun done = run("--address " + address_ + " " + args + " --json " + json_path());
    EXPECT_EQ(done.exit_code, 0) << done.output;
    EXPECT_NE(done.output.find("redis "), std::string::npos) << done.output;
    std::string json = read_text(json_path());
    EXPECT_NE(json.find("\"benchmark\": \"redis\""), std::string::npos) << json;
    EXPECT_GT(number(json, "", "events"), 0.0) << json;
    EXPECT_GT(number(json, "", "events_per_sec"), 0.0) << json;
    EXPECT_EQ(number(json, "", "errors"), 0.0) << json;
    expect_sane_latency(json, "latency_us");
    return json;
  }

  static testing::TempDir* dir_;
  static ServerProcess* server_;
  static std::string address_;
};

testing::TempDir* RedisBenchTest::dir_ = nullptr;
ServerProcess* RedisBenchTest::server_ = nullptr;
std::string RedisBenchTest::address_;

TEST_F(RedisBenchTest, XaddClosedLoopPipelines) {
  const std::string json =
      run_ok("--workload xadd --seconds 0.5 --pipeline 16 --producers 2 --event-bytes 100");
  EXPECT_NE(json.find("\"workload\": \"xadd\""), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "pipeline"), 16.0) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  // Whole pipelines only.
  EXPECT_EQ(static_cast<uint64_t>(number(json, "", "events")) % 16, 0u) << json;
}

TEST_F(RedisBenchTest, XaddOpenLoopKeepsTheRate) {
  const std::string json = run_ok("--workload xadd --seconds 1 --rate 3000 --pipeline 8");
  EXPECT_NEAR(number(json, "", "events"), 3000.0, 300.0) << json;
  EXPECT_NE(json.find("\"mode\": \"open\""), std::string::npos) << json;
  expect_sane_latency(json, "send_delay_us");
}

TEST_F(RedisBenchTest, XrangeReadsOneEntryById) {
  const std::string json =
      run_ok("--workload xrange --seconds 1 --rate 2000 --readers 2 --fill-events 2000");
  EXPECT_EQ(number(json, "", "fill_events"), 2000.0) << json;
  EXPECT_NEAR(number(json, "", "events"), 2000.0, 200.0) << json;
}

TEST_F(RedisBenchTest, BadFlagsAreUsageErrors) {
  const std::string base = " --seconds 1 --json " + json_path();
  const std::string server = " --address " + address_;
  const std::vector<std::string> bad_args = {
      "--workload xadd" + base,  // no --address
      "--workload query" + server + base,
      "--workload xadd --pipeline 0" + server + base,
      "--workload xadd --readers 2" + server + base,
      "--workload xrange --pipeline 2" + server + base,
      "--workload xrange --partitions 2" + server + base,
  };
  for (const std::string& args : bad_args) {
    testing::CliRun done = run(args);
    EXPECT_EQ(done.exit_code, 2) << args << "\n" << done.output;
    EXPECT_NE(done.output.find("sluice-bench redis: "), std::string::npos) << done.output;
  }
  EXPECT_FALSE(std::filesystem::exists(json_path()));
}

}  // namespace
}  // namespace sluice
