// `sluice-bench storage`: a short run of the partition log alone reports its figures and the
// options it ran with (O_DIRECT, the small-write threshold); bad flags are usage errors.
#include "tests/bench/bench_json.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

using testing::number;

TEST(StorageBenchTest, WrittenAppendsWithEveryWriteDirect) {
  testing::TempDir dir;
  const std::string json_path = dir.file("storage.json");
  testing::CliRun run =
      testing::run_program("sluice-bench",
                           "storage --record-bytes 100 --durability written --seconds 0.5 "
                           "--segment-bytes 64M --small-write-bytes 0 --data-dir " +
                               dir.file("data") + " --json " + json_path);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string json = testing::read_text(json_path);
  EXPECT_GT(number(json, "", "events_per_sec"), 1000.0) << json;
  EXPECT_EQ(number(json, "", "small_write_bytes"), 0.0) << json;
  EXPECT_EQ(number(json, "", "errors"), 0.0) << json;
  testing::expect_sane_latency(json, "latency_us");
}

TEST(StorageBenchTest, BadFlagsAreUsageErrors) {
  const std::string base = "storage --record-bytes 100 --durability written --seconds 1 --json x";
  for (const std::string& extra : std::vector<std::string>{
           " --small-write-bytes 65M", " --direct maybe", " --colour blue", " stray"}) {
    testing::CliRun run = testing::run_program("sluice-bench", base + extra);
    EXPECT_EQ(run.exit_code, 2) << extra << "\n" << run.output;
  }
}

}  // namespace
}  // namespace sluice
