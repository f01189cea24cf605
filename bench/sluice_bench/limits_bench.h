// sluice-bench limits: the machine's own limits that the server benchmarks are compared with,
// measured in the same run as they are (DESIGN.md, "Peers and limits"):
// - memcpy: bytes/s copying a 64 MiB buffer (beyond the caches) into another, on one thread;
// - loopback TCP: bytes/s one thread sends another over a 127.0.0.1 connection in 256 KiB
//   writes (a client and a server process on this machine can move no more than that);
// - loopback round trip: the latency of a one-byte ping-pong between two threads over
//   127.0.0.1, the floor of any request-response latency here;
// - paced hand-off: how long after a push, made at 100,000/s by a thread paced like the
//   embedded benchmark's senders, a busy-polling thread sees it through a boost spsc_queue:
//   the floor of the engine's end-to-end latency here;
// - write submission: how long the thread that starts a 4 KiB write through io_uring is kept
//   in that call, with O_DIRECT and buffered (write_submit.h): what each tail write costs a
//   shard's thread besides its own work.
// The disk's sequential write bandwidth comes from fio (bench/run, bench/compare).
#pragma once

#include <span>
#include <string>

namespace sluice::bench {

// The command: `sluice-bench limits [--seconds S] [--data-dir D] --json FILE`; an exit code.
int limits_command(std::span<const std::string> words);

}  // namespace sluice::bench
