// errno_to_errc and errno_error (declared in io/ring.h): the one place where an errno from any
// operation, on the ring or through a plain system call, becomes an Errc. Every errno that a
// file or directory call documents is listed on purpose; anything else is io_error.
//
// Retrying EINTR and EAGAIN and continuing short transfers is the caller's job (Ring and
// UringFileSystem do it before they get here); the mapping for those two exists only so that a
// caller that chooses not to retry still gets a sensible code.
#include "io/ring.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace sluice::io {

Errc errno_to_errc(int err) {
  switch (err) {
    // The disk cannot take more. EFBIG (past the filesystem's or RLIMIT_FSIZE's largest file)
    // is the same situation for the caller: the write cannot be done until space is made.
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return Errc::no_space;
    // The device or filesystem failed. EROFS is here too: on a log disk it almost always means
    // the filesystem remounted itself read-only after errors, not a configuration choice.
    case EIO:
    case EROFS:
    case ENXIO:
    case ENODEV:
    case ENOMEM:
    case ENOBUFS:
    // A bad descriptor (closed, or opened without the needed access) is a caller's mistake,
    // reported as a value so that a stale handle fails one call, not the process. A bad buffer
    // address (EFAULT) is a memory bug: the Ring asserts before it gets here.
    case EBADF:
    case EFAULT:
      return Errc::io_error;
    // The path names nothing: missing, or a parent on the path is a file.
    case ENOENT:
    case ENOTDIR:
      return Errc::not_found;
    case EEXIST:
    case ENOTEMPTY:
      return Errc::already_exists;
    case EACCES:
    case EPERM:
      return Errc::permission_denied;
    // Malformed requests: unaligned O_DIRECT I/O, an offset past what the file supports, a
    // directory opened for writing, a path too long or looping through symbolic links.
    case EINVAL:
    case EOVERFLOW:
    case EISDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case ESPIPE:
      return Errc::invalid_argument;
    // The kernel or filesystem cannot do it (fallocate on some filesystems, rename across
    // filesystems, an io_uring opcode the kernel lacks). ENOTSUP equals EOPNOTSUPP on Linux.
    case EOPNOTSUPP:
    case ENOSYS:
    case EXDEV:
      return Errc::unsupported;
    // Someone else holds the resource: a busy file or mount, or every file descriptor of the
    // process or system.
    case EBUSY:
    case ETXTBSY:
    case EMFILE:
    case ENFILE:
      return Errc::busy;
    // Try again later. (EWOULDBLOCK equals EAGAIN on Linux.)
    case EAGAIN:
    case EINTR:
      return Errc::would_block;
    // An operation is cancelled only when its ring or file is going away (a linked datasync
    // cancelled by a short write is resubmitted by the Ring, never reported).
    case ECANCELED:
    case EPIPE:
    case ECONNRESET:
    // Sockets: the peer went away, or the connection was shut down under the operation.
    case ECONNABORTED:
    case ENOTCONN:
    case ESHUTDOWN:
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return Errc::closed;
    case EADDRINUSE:
      return Errc::busy;
    case EADDRNOTAVAIL:
    case ENOTSOCK:
      return Errc::invalid_argument;
    case ETIME:
    case ETIMEDOUT:
      return Errc::timed_out;
    default:
      return Errc::io_error;
  }
}

Error errno_error(int err, const std::string& what) {
  // strerrordesc_np is thread-safe (strerror is not) and never allocates.
  const char* text = strerrordesc_np(err);
  std::string message = what;
  message += ": ";
  message += text != nullptr ? text : ("errno " + std::to_string(err));
  return Error(errno_to_errc(err), std::move(message));
}

}  // namespace sluice::io
