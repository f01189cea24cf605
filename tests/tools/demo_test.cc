// `sluice demo`: runs the built binary and checks that it appended with each durability, read
// the events back and recovered them on reopening.
#include "tests/support/run_cli.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace sluice {
namespace {

using testing::CliRun;
using testing::run_sluice;

TEST(DemoTest, AppendsReadsBackAndRecovers) {
  testing::TempDir dir;
  CliRun run = run_sluice("demo --data-dir " + dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* expected : {"durability none: offsets 0..2", "written reached for offsets 3..5",
                               "synced  reached for offsets 6..8", "offset 8  key=sensor-2",
                               "partition after recovery: start offset 0, next offset 9"}) {
    EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << run.output;
  }
  CliRun verify = run_sluice("log verify --data-dir " + dir.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(DemoTest, RejectsUnknownOptions) {
  EXPECT_EQ(run_sluice("demo --speed 3").exit_code, 2);
  EXPECT_EQ(run_sluice("demo extra").exit_code, 2);
}

}  // namespace
}  // namespace sluice
