// Tests of DirectoryLock: one holder at a time, released when the holder goes.
#include "io/directory_lock.h"

#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

namespace sluice::io {
namespace {

TEST(DirectoryLock, SecondHolderIsBusyUntilTheFirstGoes) {
  testing::TempDir dir;
  {
    Result<DirectoryLock> first = DirectoryLock::acquire(dir.path());
    ASSERT_TRUE(first.ok()) << first.error().to_string();
    Result<DirectoryLock> second = DirectoryLock::acquire(dir.path());
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.code(), Errc::busy);
    EXPECT_NE(second.error().message().find("another sluice engine"), std::string::npos);
  }
  EXPECT_TRUE(DirectoryLock::acquire(dir.path()).ok());
}

TEST(DirectoryLock, MissingDirectoryIsNotFound) {
  Result<DirectoryLock> lock = DirectoryLock::acquire("/nonexistent/sluice/dir");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.code(), Errc::not_found);
}

}  // namespace
}  // namespace sluice::io
