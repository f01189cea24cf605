// `sluice-bench limits`: a short run reports the memcpy and loopback TCP bandwidth, the
// loopback round trip, the paced hand-off and the write submissions, all positive; bad flags
// are usage errors.
#include "tests/bench/bench_json.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

using testing::number;

bool takes_direct_io(const std::string& dir) {
  const std::string path = dir + "/direct-probe";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(path.c_str());
  return true;
}

TEST(LimitsBenchTest, ReportsTheMachinesLimits) {
  testing::TempDir dir;
  const std::string json_path = dir.file("limits.json");
  testing::CliRun run = testing::run_program(
      "sluice-bench", "limits --seconds 0.2 --data-dir " + dir.path() + " --json " + json_path);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("limits: memcpy "), std::string::npos) << run.output;
  const std::string json = testing::read_text(json_path);
  EXPECT_GT(number(json, "", "memcpy_bytes_per_sec"), 1e8) << json;
  EXPECT_GT(number(json, "", "loopback_tcp_bytes_per_sec"), 1e7) << json;
  testing::expect_sane_latency(json, "loopback_round_trip_us");
  EXPECT_GT(number(json, "loopback_round_trip_us", "count"), 10.0) << json;
  testing::expect_sane_latency(json, "paced_handoff_us");
  // 0.2 s at 100,000/s.
  EXPECT_EQ(number(json, "paced_handoff_us", "count"), 20000.0) << json;
  // Paced at 1,000/s: about 200 writes each; O_DIRECT only where the filesystem takes it.
  if (takes_direct_io(dir.path())) {
    testing::expect_sane_latency(json, "direct_write_submit_us");
    EXPECT_GT(number(json, "direct_write_submit_us", "count"), 50.0) << json;
  } else {
    EXPECT_NE(run.output.find("O_DIRECT refused"), std::string::npos) << run.output;
  }
  testing::expect_sane_latency(json, "buffered_write_submit_us");
  EXPECT_GT(number(json, "buffered_write_submit_us", "count"), 50.0) << json;
}

TEST(LimitsBenchTest, BadFlagsAreUsageErrors) {
  for (const std::string args : {"limits", "limits --json x --seconds 0", "limits --json x stray",
                                 "limits --json x --colour blue"}) {
    testing::CliRun run = testing::run_program("sluice-bench", args);
    EXPECT_EQ(run.exit_code, 2) << args << "\n" << run.output;
  }
}

}  // namespace
}  // namespace sluice
