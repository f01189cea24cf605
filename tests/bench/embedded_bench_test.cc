// `sluice-bench embedded`: runs the built binary ($SLUICE_BIN_DIR/sluice-bench) for a second of
// each workload and checks the JSON report's fields and that its figures are sane; bad flags
// are usage errors (exit 2).
#include "tests/bench/bench_json.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace sluice {
namespace {

testing::CliRun run_bench(const std::string& args) {
  return testing::run_program("sluice-bench", "embedded " + args);
}

using testing::expect_sane_latency;
using testing::number;
using testing::read_text;

class EmbeddedBenchTest : public ::testing::Test {
 protected:
  std::string json_path() const { return dir_.file("report.json"); }
  // Runs with `args` and the JSON path; returns the report, checked for the common fields.
  std::string run_ok(const std::string& args) {
    testing::CliRun run = run_bench(args + " --seconds 1 --json " + json_path());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("embedded "), std::string::npos) << run.output;
    // The progress line is for terminals only.
    EXPECT_EQ(run.output.find('\r'), std::string::npos) << run.output;
    std::string json = read_text(json_path());
    EXPECT_GT(number(json, "", "events_per_sec"), 0.0) << json;
    EXPECT_GT(number(json, "", "bytes_per_sec"), 0.0) << json;
    EXPECT_EQ(number(json, "", "errors"), 0.0) << json;
    EXPECT_GT(number(json, "", "seconds"), 0.5) << json;
    expect_sane_latency(json, "latency_us");
    return json;
  }

  testing::TempDir dir_;
};

TEST_F(EmbeddedBenchTest, ProduceClosedLoop) {
  const std::string json =
      run_ok("--workload produce --event-bytes 100 --producers 2 --partitions 2 --acks written");
  EXPECT_NE(json.find("\"workload\": \"produce\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"acks\": \"written\""), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_GT(number(json, "latency_us", "p50"), 0.0) << json;
}

TEST_F(EmbeddedBenchTest, ProduceOpenLoopKeepsTheRate) {
  const std::string json = run_ok(
      "--workload produce --event-bytes 100 --producers 1 --partitions 1 --acks none "
      "--rate 20000 --key-bytes 16 --segment-bytes 8M");
  const double rate = number(json, "", "events_per_sec");
  EXPECT_GT(rate, 10000.0) << json;
  EXPECT_LT(rate, 30000.0) << json;
  EXPECT_NE(json.find("\"mode\": \"open\""), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "segment_bytes"), 8.0 * 1024 * 1024) << json;
}

TEST_F(EmbeddedBenchTest, EndToEndOpenLoopReportsIntendedLatencyAndSendDelay) {
  const std::string json = run_ok(
      "--workload e2e --event-bytes 100 --producers 2 --partitions 2 --acks written "
      "--rate 20000 --wait park --shards 1");
  EXPECT_EQ(number(json, "", "shards"), 1.0) << json;
  EXPECT_EQ(number(json, "", "missing"), 0.0) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_NEAR(number(json, "", "events"), 20000.0, 2000.0) << json;
  expect_sane_latency(json, "ack_latency_us");
  expect_sane_latency(json, "latency_intended_us");
  expect_sane_latency(json, "send_delay_us");
  // Every event's latency from its intended send time is at least that from its actual one.
  EXPECT_GE(number(json, "latency_intended_us", "p50"), number(json, "latency_us", "p50"));
  EXPECT_GE(number(json, "latency_intended_us", "max"), number(json, "latency_us", "max"));
}

TEST_F(EmbeddedBenchTest, EndToEndClosedLoopWithSpinningShards) {
  const std::string json = run_ok(
      "--workload e2e --event-bytes 64 --producers 1 --partitions 1 --acks none --wait spin "
      "--shards 1");
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_EQ(json.find("latency_intended_us"), std::string::npos) << json;  // open loop only
}

// The engine's write options reach the engine: every event arrives and every write is
// acknowledged with buffered segment writes held for a write interval.
TEST_F(EmbeddedBenchTest, EndToEndWithBufferedWritesAndAWriteInterval) {
  const std::string json = run_ok(
      "--workload e2e --event-bytes 100 --producers 1 --partitions 1 --acks written "
      "--rate 20000 --shards 1 --buffered-io --write-interval-us 2000");
  EXPECT_NE(json.find("\"direct_io\": false"), std::string::npos) << json;
  EXPECT_EQ(number(json, "", "write_interval_us"), 2000.0) << json;
  EXPECT_EQ(number(json, "", "missing"), 0.0) << json;
  EXPECT_EQ(number(json, "", "events"), number(json, "", "sent")) << json;
  EXPECT_EQ(number(json, "ack_latency_us", "count"), number(json, "", "sent")) << json;
}

TEST_F(EmbeddedBenchTest, QueryReadsWhatItFilled) {
  const std::string json = run_ok(
      "--workload query --event-bytes 100 --partitions 2 --acks written --readers 2 "
      "--fill-events 20000 --data-dir " +
      dir_.file("data"));
  EXPECT_EQ(number(json, "", "fill_events"), 20000.0) << json;
  EXPECT_EQ(number(json, "", "readers"), 2.0) << json;
  EXPECT_GT(number(json, "latency_us", "p50"), 0.0) << json;
  // --data-dir keeps the engine's data.
  EXPECT_TRUE(std::filesystem::exists(dir_.file("data/engine"))) << json;
}

TEST_F(EmbeddedBenchTest, BadFlagsAreUsageErrors) {
  const std::string base =
      " --event-bytes 100 --partitions 1 --acks written --seconds 1 --json " + json_path();
  const std::vector<std::string> bad_args = {
      "--workload produce --producers 1 --event-bytes 100 --partitions 1",
      "--workload fetch --producers 1" + base,
      "--workload produce" + base,  // no --producers
      "--workload produce --producers 0" + base,
      "--workload produce --producers 1 --acks all --event-bytes 1 --partitions 1 "
      "--seconds 1 --json x",
      "--workload produce --producers 1 --wait sleep" + base,
      "--workload produce --producers 1 --colour blue" + base,
      "--workload produce --producers 1 --batch-bytes 2M" + base,
      "--workload e2e --producers 1 --event-bytes 8 --partitions 1 --acks none "
      "--seconds 1 --json x",
      "--workload query --producers 1" + base,
      "--workload produce --producers 1 --readers 2" + base,
      "--workload produce --producers 1 stray" + base,
      "--workload produce --producers 1 --write-interval-us 2000000" + base,
      "--workload produce --producers 1 --buffered-io=maybe" + base,
  };
  for (const std::string& args : bad_args) {
    testing::CliRun run = run_bench(args);
    EXPECT_EQ(run.exit_code, 2) << args << "\n" << run.output;
    EXPECT_NE(run.output.find("sluice-bench embedded: "), std::string::npos) << run.output;
  }
  EXPECT_FALSE(std::filesystem::exists(json_path()));
}

}  // namespace
}  // namespace sluice
