#pragma once

#include <QString>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace Tollgate {

// Keeps SQLite's write-ahead log short without putting checkpoints on the store thread.
//
// SQLite checkpoints a WAL of 1,000 pages inside the COMMIT that reaches it: milliseconds of
// copying on the store thread, which shares a core with the gateway when cores are few, and a
// request that arrives meanwhile waits for it (the c=1 latency tail). Attached to the store's
// connection, this replaces that automatic checkpoint: past `SoftFrames` a commit only wakes a
// thread of the lowest priority (nice 19) with a connection of its own that runs a PASSIVE
// checkpoint (it never blocks the writer or readers), so the copying runs when the core has
// nothing better to do. The first commit after it finishes backfills the few frames appended
// meanwhile (microseconds), so the next transaction restarts the log from its beginning. If that
// thread cannot keep up (a core saturated for a long time), the
// store thread checkpoints itself past `HardFrames`: the log stays bounded either way.
class WalCheckpointer final
{
public:
    static constexpr int SoftFrames = 1000;    // SQLite's own automatic checkpoint threshold
    static constexpr int HardFrames = 16000;   // ~64 MiB of log at 4 KiB pages

    WalCheckpointer() = default;
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    // Attaches to `writer` (the store's connection, on the calling thread) and starts the
    // checkpoint thread on the database file `path`. False (and SQLite's automatic checkpoints
    // left as they are) when the database is not a file or a second connection cannot open.
    bool attach(sqlite3 *writer, const QString &path);
    // Stops the thread and gives the writer back its automatic checkpoints. Idempotent.
    void detach();

    // Checkpoints run by the thread / by the writer itself (tests, diagnostics).
    [[nodiscard]] int backgroundCheckpoints() const { return m_background.load(std::memory_order_relaxed); }
    [[nodiscard]] int inlineCheckpoints() const { return m_inline.load(std::memory_order_relaxed); }

private:
    static int onCommit(void *self, sqlite3 *db, const char *schema, int frames);
    void run();

    sqlite3 *m_writer = nullptr;
    sqlite3 *m_reader = nullptr;   // the checkpoint thread's own connection
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_wanted = false;
    bool m_stop = false;
    std::atomic<bool> m_caughtUp{false};  // a background checkpoint ended: the next commit finishes it
    std::atomic<int> m_background{0};
    std::atomic<int> m_inline{0};
};

} // namespace Tollgate
