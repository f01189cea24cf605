// Small metadata files of the engine (topic.conf, producer_ids): read whole with a size bound,
// and replaced crash-safely (write a temporary, sync it, rename it over the file, sync the
// directory: the rename is the commit point). Through the io::FileSystem seam, so the
// in-memory twin's power loss tests them.
//
// Thread-safety: the FileSystem's synchronous calls; any thread.
#pragma once

#include "io/file_system.h"

#include <sluice/result.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::engine {

// The whole file. Errors: the file system's, corruption when it is larger than `max_bytes`
// (`what` names the kind of file in the message) or shorter than its size.
Result<std::string> read_small_file(io::FileSystem& fs, const std::string& path, uint64_t max_bytes,
                                    std::string_view what);

// Writes `text` to `temp` (in `dir`), makes it durable, renames it over `path` and syncs `dir`.
Result<void> write_file_atomically(io::FileSystem& fs, const std::string& dir,
                                   const std::string& temp, const std::string& path,
                                   std::string_view text);

}  // namespace sluice::engine
