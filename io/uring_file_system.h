// UringFileSystem: the real FileSystem. Asynchronous calls go through an io_uring Ring owned
// by the file system (and so by the polling thread); synchronous calls use plain system calls,
// so that any thread may make them without touching the ring.
#pragma once

#include "io/file_system.h"
#include "io/ring.h"

#include <memory>

namespace sluice::io {

// Creates the real file system with its own Ring. Fails with Errc::unsupported when io_uring
// or a feature it needs is missing.
Result<std::unique_ptr<FileSystem>> make_uring_file_system(const Ring::Options& options = {});

}  // namespace sluice::io
