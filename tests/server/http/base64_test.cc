#include "server/http/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace sluice::server::http {
namespace {

std::string encode(std::string_view bytes) {
  std::string out;
  base64_encode(bytes, out);
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out = "prefix";
  if (!base64_decode(text, out)) {
    EXPECT_EQ(out, "prefix");  // untouched on failure
    return std::nullopt;
  }
  return out.substr(6);
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode(plain), encoded);
    EXPECT_EQ(decode(encoded), std::string(plain));
    EXPECT_EQ(base64_encoded_size(std::string_view(plain).size()),
              std::string_view(encoded).size());
  }
  EXPECT_EQ(encode(std::string("\xff\xfe\x00\x01", 4)), "//4AAQ==");
  EXPECT_EQ(encode("\xfb\xff"), "+/8=");
}

TEST(Base64, AcceptsUnpaddedInput) {
  EXPECT_EQ(decode("Zg"), "f");
  EXPECT_EQ(decode("Zm8"), "fo");
  EXPECT_EQ(decode("Zm9vYg"), "foob");
}

TEST(Base64, RefusesWhatIsNotACanonicalEncoding) {
  for (const char* bad :
       {"Z", "Zg=", "Zg===", "Zm9v=", "=", "====", "Zm8==", "Z===", "Zm 9v", "Zm9v\n", "Zm-v",
        "Zm_v", "Zh==", "Zm9=", "Zg==Zg==", "Zm=v", "\xc3\xa9\xc3\xa9"}) {
    EXPECT_EQ(decode(bad), std::nullopt) << bad;
  }
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 random(11);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes)
      c = static_cast<char>(random());
    const std::string text = encode(bytes);
    ASSERT_EQ(text.size(), base64_encoded_size(bytes.size()));
    ASSERT_EQ(decode(text), bytes);
  }
}

}  // namespace
}  // namespace sluice::server::http
