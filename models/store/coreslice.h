#pragma once

#include <QtGlobal>

namespace Tollgate::CoreSlice {

// The store thread shares a core with the requests (on a small machine, or pinned with them):
// its work is cut into slices of SliceNs, and between two slices it lets whatever else is ready
// on the core run first — a request that arrived meanwhile waits for the rest of one slice, not
// for a whole batch. The kernel cannot do this for us: without kernel preemption a thread that
// runs its COMMIT keeps the core for a whole time slice (1-3 ms), and a request that woke up
// just before it waits that long.
//
// Slicing is per thread and off by default: only a thread that called enable() ever yields
// (tests, tools and other threads using SQLite are never slowed).
inline constexpr qint64 SliceNs = 50'000;

// This thread yields in check() from now on, while mayYield(context) says so (false when
// work piles up behind it: a core saturated by requests would otherwise starve it).
void enable(bool (*mayYield)(const void *context), const void *context);
void disable();
// A new slice starts now (the thread just woke up).
void restart();
// Yields the core when this thread's slice is used up, and starts a new one; a no-op on a
// thread that did not enable slicing. About 19 ns when the slice is not over, under 1 ns on a
// thread without slicing (bench/store_bench).
void check();
// Yields taken on this thread so far (tests).
[[nodiscard]] quint64 yields();

// Makes the process's default SQLite VFS one whose reads, writes and syncs call check(): a
// COMMIT's WAL writes and a WAL checkpoint inside it are sliced like the store's own loops.
// Idempotent; everything else goes to the VFS that was the default. True when installed.
bool installSqliteVfs();

} // namespace Tollgate::CoreSlice
