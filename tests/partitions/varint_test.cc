#include "partitions/varint.h"

#include <gtest/gtest.h>

namespace sluice::partitions {
namespace {

TEST(VarintTest, Placeholder) {
  std::vector<std::byte> out;
  put_varint(out, -1);
  size_t pos = 0;
  int32_t v = 0;
  ASSERT_TRUE(get_varint(out, &pos, &v));
  EXPECT_EQ(v, -1);
}

}  // namespace
}  // namespace sluice::partitions
