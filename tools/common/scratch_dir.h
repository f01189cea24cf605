// ScratchDir: a fresh directory under $TMPDIR (or /tmp), removed with its contents when the
// object goes away, for commands that need somewhere to write when the user named nothing.
#pragma once

#include <sluice/result.h>

#include <optional>
#include <string>

namespace sluice::tools {

class ScratchDir {
 public:
  // `prefix` names the directory: "<tmp>/<prefix>-XXXXXX".
  static Result<ScratchDir> create(const std::string& prefix);
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();

  const std::string& path() const { return path_; }

  // `given` when the user named a directory; else a new ScratchDir kept in `holder` (which
  // removes it when it goes) and its path.
  static Result<std::string> given_or_scratch(const std::string& given, const std::string& prefix,
                                              std::optional<ScratchDir>& holder);

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace sluice::tools
