// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it when the
// object goes away. Set SLUICE_KEEP_TEST_DIRS=1 to keep it for a look after a failure.
#pragma once

#include <string>

namespace sluice::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace sluice::testing
