#include "walcheckpointer.h"

#include <QFile>
#include <QLoggingCategory>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcCheckpoint, "tollgate.store.checkpoint")

namespace Tollgate {

WalCheckpointer::~WalCheckpointer()
{
    detach();
}

bool WalCheckpointer::attach(sqlite3 *writer, const QString &path)
{
    detach();
    if (!writer || path.isEmpty() || path == u":memory:" || path.startsWith(u"file:"))
        return false;
    sqlite3 *reader = nullptr;
    const int opened = sqlite3_open_v2(QFile::encodeName(path).constData(), &reader,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (opened != SQLITE_OK) {
        qCDebug(lcCheckpoint) << "no checkpoint connection:" << sqlite3_errstr(opened);
        sqlite3_close_v2(reader);
        return false;
    }
    m_writer = writer;
    m_reader = reader;
    m_stop = false;
    m_wanted = false;
    m_caughtUp.store(false);
    // Replaces SQLite's automatic checkpoint (itself a WAL hook) on the writer.
    sqlite3_wal_hook(m_writer, &WalCheckpointer::onCommit, this);
    m_thread = std::thread([this] { run(); });
    return true;
}

void WalCheckpointer::detach()
{
    if (m_thread.joinable()) {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_one();
        m_thread.join();
    }
    if (m_reader) {
        sqlite3_close_v2(m_reader);
        m_reader = nullptr;
    }
    if (m_writer) {
        sqlite3_wal_autocheckpoint(m_writer, SoftFrames);
        m_writer = nullptr;
    }
}

// Runs on the writer's thread right after each COMMIT, with the log's length in frames.
int WalCheckpointer::onCommit(void *self, sqlite3 *db, const char *schema, int frames)
{
    auto *that = static_cast<WalCheckpointer *>(self);
    if (frames >= HardFrames) {
        // The background thread fell far behind: bound the log here, as SQLite would.
        int log = 0;
        int done = 0;
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        that->m_inline.fetch_add(1, std::memory_order_relaxed);
        return SQLITE_OK;
    }
    if (that->m_caughtUp.exchange(false, std::memory_order_acq_rel)) {
        // The background checkpoint copied what the log held when it began; what was
        // appended since is a commit or two: copy it here, and the log restarts next time.
        int log = 0;
        int done = 0;
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        return SQLITE_OK;
    }
    if (frames >= SoftFrames) {
        {
            std::lock_guard lock(that->m_mutex);
            if (that->m_wanted)
                return SQLITE_OK;
            that->m_wanted = true;
        }
        that->m_wake.notify_one();
    }
    return SQLITE_OK;
}

void WalCheckpointer::run()
{
    // The lowest priority a thread may take by itself: any request waiting for the core runs
    // first. (Raising one's own nice value needs no privilege.)
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_wanted || m_stop; });
        if (m_stop)
            return;
        lock.unlock();
        int log = 0;
        int done = 0;
        const int result = sqlite3_wal_checkpoint_v2(m_reader, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (result != SQLITE_OK && result != SQLITE_BUSY)
            qCDebug(lcCheckpoint) << "checkpoint failed:" << sqlite3_errstr(result);
        m_background.fetch_add(1, std::memory_order_relaxed);
        m_caughtUp.store(true, std::memory_order_release);
        lock.lock();
        m_wanted = false;
    }
}

} // namespace Tollgate
