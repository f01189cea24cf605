#include "partitions/segment_files.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice::partitions {
namespace {

TEST(SegmentFilesTest, NamesAreTwentyDigitsAndTheExtension) {
  EXPECT_EQ(segment_file_name(0, kLogExtension), "00000000000000000000.log");
  EXPECT_EQ(segment_file_name(42, kIndexExtension), "00000000000000000042.index");
  EXPECT_EQ(segment_file_name(1234567890123, kTimeIndexExtension),
            "00000001234567890123.timeindex");
  EXPECT_EQ(segment_file_name(std::numeric_limits<int64_t>::max(), kLogExtension),
            "09223372036854775807.log");
}

TEST(SegmentFilesTest, RoundTrips) {
  for (int64_t offset : {int64_t{0}, int64_t{1}, int64_t{42}, int64_t{999999999999},
                         std::numeric_limits<int64_t>::max()}) {
    for (std::string_view ext : {kLogExtension, kIndexExtension, kTimeIndexExtension}) {
      EXPECT_EQ(parse_segment_file_name(segment_file_name(offset, ext), ext), offset);
    }
  }
}

TEST(SegmentFilesTest, SortsInOffsetOrder) {
  EXPECT_LT(segment_file_name(9, kLogExtension), segment_file_name(10, kLogExtension));
}

TEST(SegmentFilesTest, RejectsAnythingElse) {
  const char* bad[] = {
      "0000000000000000042.log",     // 19 digits
      "000000000000000000042.log",   // 21 digits
      "+0000000000000000042.log",    // sign
      "-0000000000000000042.log",    // sign
      " 0000000000000000042.log",    // space
      "0000000000000000004x.log",    // other character
      "00000000000000000042.index",  // other extension
      "00000000000000000042.LOG",    // case matters
      "00000000000000000042.log.tmp", "00000000000000000042", ".log", "",
      "99999999999999999999.log",  // past int64
      "09223372036854775808.log",  // int64 max + 1
  };
  for (const char* name : bad) {
    EXPECT_EQ(parse_segment_file_name(name, kLogExtension), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace sluice::partitions
