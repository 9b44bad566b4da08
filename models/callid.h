#pragma once

#include <QString>

#include <array>
#include <cstdint>

namespace Tollgate {

// A new call id: a UUIDv7 (RFC 9562) in the usual 8-4-4-4-12 lower-case text. Its first 48 bits
// are the Unix time in milliseconds, so ids made later sort later (as text too): a spend row's
// id lands at the right edge of spend_logs' request_id index instead of on a random leaf, which
// a random UUIDv4 dirtied (one WAL page per row). Within a process ids strictly increase, even
// within one millisecond and if the clock steps back (a 42-bit counter, seeded at random each
// millisecond, then the time is taken one millisecond on). The remaining 32 bits are random,
// from a generator seeded once (no system call per id). Thread-safe.
QString newCallId();

namespace CallId {

// The 16 bytes of a UUIDv7 made at `unixMs` from the counter `counter` (42 bits) and the random
// bits `random` (32): what newCallId formats. Exposed for tests.
std::array<std::uint8_t, 16> uuidV7Bytes(std::uint64_t unixMs, std::uint64_t counter, std::uint32_t random);
// The 8-4-4-4-12 lower-case text of `bytes`.
QString format(const std::array<std::uint8_t, 16> &bytes);

} // namespace CallId

} // namespace Tollgate
