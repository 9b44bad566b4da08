#pragma once

#include "../result.h"

#include <QByteArrayView>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringView>
#include <QVariantList>

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <vector>

class QSqlDatabase;
class QSqlQuery;
class QThread;

namespace Tollgate {

class SpendJournal;
struct DatabaseTarget;
class StoreInbox;
class StoreWorker;
struct JournalRecord;
struct SettledCall;

// The store: a SQLite file (the default) or a PostgreSQL database (open(DatabaseTarget)). Owns one thread; the QSqlDatabase connection is opened, used and
// closed only on that thread. Callers on any thread submit jobs and get their answer
// back, queued, on the thread of a context object they name — the gateway thread never
// waits on SQL.
//
// Writes are grouped: every write job queued while the previous batch ran is executed
// in one transaction (group commit), and each job's callback learns whether its batch
// committed. A write's callback runs only after COMMIT returned, so a caller that
// completes its HTTP response from the callback never loses a row to a process kill.
class Store final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Store)

public:
    using ReadJob = std::function<QVariant(QSqlDatabase &db)>;
    using ReadDone = std::function<void(const Result<QVariant> &result)>;
    using WriteJob = std::function<Result<void>(QSqlDatabase &db)>;
    using WriteDone = std::function<void(const Result<void> &result)>;

    explicit Store(QObject *parent = nullptr);
    ~Store() override;

    // Opens (creating if needed) the database at `path` on the store thread, sets WAL,
    // synchronous=NORMAL, foreign_keys=ON and a busy timeout, and migrates it to the
    // current schema version. Blocks the caller until done: call it at start-up only.
    Result<void> open(const QString &path);
    // Opens `target`: a SQLite file as above, or a PostgreSQL database (QPSQL): connects
    // (5 s timeout), migrates it (the same steps, see migrations.h) and replays this instance's
    // spend journal (target.journalPath, a local directory; none when empty) into it.
    Result<void> open(const DatabaseTarget &target);

    // Finishes queued writes, closes the connection and stops the thread. Blocking.
    void close();

    [[nodiscard]] bool isOpen() const;
    // The SQLite file, or for PostgreSQL postgresql://user@host:port/db (no password).
    [[nodiscard]] QString path() const;
    [[nodiscard]] bool isPostgres() const;
    // Schema version the database is at after open().
    [[nodiscard]] int schemaVersion() const;

    // Runs `job` on the store thread; `done` runs on `context`'s thread (dropped if the
    // context is gone or null). A job that throws or fails reports an error instead; a read job
    // fails by returning QVariant::fromValue(Error{...}). A read sees every write submitted
    // before it, except while writes are held for a retry (see recordSpend): then it is answered
    // at once from what is committed.
    void read(ReadJob job, QObject *context, ReadDone done);

    // Queues a write for the next group-commit batch; it starts at once. A batch whose settled
    // calls fail runs again job by job (see recordSpend), so a write job may run more than once,
    // its earlier runs rolled back: it must only touch the database.
    void write(WriteJob job, QObject *context, WriteDone done = {});

    // recordSpend's journaled writes are lazy: they may wait up to LazyDelayMs for others to
    // join their batch (fewer, larger commits). Any other job runs everything queued before it.
    static constexpr int LazyDelayMs = 20;

    // Records a settled call: `record` (its spend-log row and the budget states it left) and
    // `jobs` (what persists those states) commit together. With the spend journal open the
    // record is journaled before this returns and the write is lazy: the call is durable
    // against a process kill now, and true is returned. Otherwise (no journal, or it failed)
    // false: durability comes with `done`, after COMMIT.
    // A settled call's write is never given up while the store is open: when it cannot commit
    // (disk full, I/O error, SQLITE_BUSY past the timeout, a failing statement) it is retried
    // with backoff, and every write submitted after it waits behind it, so commits keep their
    // order; `done` runs once it committed (or, when the store closes first, with the error —
    // the call then stays in the journal for the next open). Reads are answered meanwhile.
    // In a batch, settled calls run without a savepoint each and their budget increments
    // (IdentityRepository::addSpend jobs among `jobs`) are summed per budget and window and written
    // once (IdentityRepository::SpendAccumulator); when one of them fails, the batch is rolled back
    // and runs again job by job, each in a savepoint, as described above.
    // Delivery::FailuresWhenAnsweredNow: when true is returned (the caller answers now), `done`
    // runs only if the write fails — a success needs nothing, and skipping it saves the
    // caller's thread a wake-up per call. Otherwise `done` runs either way, as described.
    enum class Delivery { Always, FailuresWhenAnsweredNow };
    bool recordSpend(JournalRecord record, QList<WriteJob> jobs, QObject *context, WriteDone done,
                     Delivery delivery = Delivery::Always);
    // Several settled calls at once (SettledCall, spendjournal.h), each as recordSpend would
    // record it, their journal records written with one write(2) (a gateway gathers the calls of
    // one event-loop pass). Returns, in order, what recordSpend would have returned for each; a
    // journal write error makes them all wait for their commit.
    std::vector<bool> recordSpends(std::vector<SettledCall> calls);
    // A settled call recorded as recordSpend does, but answered once its journal record is
    // written: the records of the calls settled in one pass of the event loop of `call.context`
    // go to the journal with one write(2) when the loop comes back to it, and `answer` runs then
    // (there, on that thread). The store write is queued at once, in order with the caller's
    // other store jobs. Without a journal, after a write error or past the backlog limit the call
    // waits for its commit instead (`call.done`, as when recordSpend returns false).
    void recordSpendSoon(SettledCall call, std::function<void()> answer);
    // A call in flight (`record`: the row and increments to replay if it never settles, status
    // "interrupted"): staged in the spend journal, written with the next write (writeJournal, or
    // the next settled calls'). Returns its number, to hand to the call's SettledCall
    // (`inFlightSeq`): its commit retires the record. 0 without a journal.
    // SpendJournal::recover replays a record whose call has no row and no settled record.
    qint64 noteInFlight(JournalRecord &record);
    // Writes what is staged in the spend journal now.
    void writeJournal();
    // With more queued jobs than this, recordSpend answers after COMMIT again (backpressure).
    static constexpr qsizetype DefaultLazyBacklogLimit = 20000;
    void setLazyBacklogLimit(qsizetype jobs);

    // Blocking helpers for start-up and tests (never call from the gateway thread
    // while serving).
    Result<QVariant> readNow(ReadJob job);
    Result<void> writeNow(WriteJob job);

    // The default database file: <AppDataLocation>/tollgate.db.
    static QString defaultPath();

    // The spend journal beside the database file (none for an in-memory database, or when
    // another process owns this database's journal).
    [[nodiscard]] SpendJournal *spendJournal() const;

    // Write batches committed since construction (test hook: proves group commit).
    [[nodiscard]] int batchesCommitted() const;

    // Runs `sql` with `values` bound by position through a statement prepared once per
    // connection and kept (jobs run on the store thread only): SQLite parses the SQL of the
    // hot path — the spend row, the spend counters, BEGIN/COMMIT — once, not on every call.
    // On PostgreSQL through a QSqlQuery prepared once per connection (a statement without
    // values runs unprepared); a bool binds as 0/1 as on SQLite. `sql` must run on the
    // connection's engine (isPostgres(db) picks per-engine SQL where they differ).
    // `what` names the statement in the error message; `changes`, when given, learns how many
    // rows the statement changed.
    // Prepares `sql` on `query`, binds `values` by position (plain `?`, which QSqlQuery emulates for
    // every driver) and runs it; the rows (RETURNING ones too) are left in `query` to read. For the
    // statements off the hot path; `what` names it in the error ("cannot <what>: …").
    static Result<void> execPrepared(QSqlQuery &query, const QString &sql, const QVariantList &values,
                                     const QString &what);
    static Result<void> execCached(QSqlDatabase &db, const QString &sql, const QVariantList &values,
                                   const QString &what, qint64 *changes = nullptr);

    // One value for execCachedArgs: NULL, an integer, text (UTF-16, bound as UTF-8, a null
    // string as NULL) or UTF-8 bytes. It only points at text: the text must outlive the call.
    struct SqlArg
    {
        enum class Kind : quint8 { Null, Integer, Text, Utf8 };
        Kind kind = Kind::Null;
        qint64 integer = 0;
        QStringView text;
        QByteArrayView utf8;

        SqlArg() = default;
        SqlArg(qint64 value) : kind(Kind::Integer), integer(value) {}
        SqlArg(int value) : kind(Kind::Integer), integer(value) {}
        SqlArg(const QString &value) : kind(value.isNull() ? Kind::Null : Kind::Text), text(value) {}
        static SqlArg utf8Bytes(QByteArrayView value)
        {
            SqlArg arg;
            arg.kind = Kind::Utf8;
            arg.utf8 = value;
            return arg;
        }
    };
    // execCached for a statement run for every call (the spend row): the values are bound from
    // where they are, without a QVariant each (on PostgreSQL they become QVariants as above).
    static Result<void> execCachedArgs(QSqlDatabase &db, const QString &sql, std::span<const SqlArg> values,
                                       const QString &what, qint64 *changes = nullptr);

private:
    // A call recordSpendSoon staged: its journal batch, whether that batch is written yet
    // (StagedPending, StagedWritten, StagedFailed; the store thread reads it), its answer.
    enum : int { StagedPending, StagedWritten, StagedFailed };
    struct Staged
    {
        quint64 batch;
        std::shared_ptr<std::atomic<int>> state;
        std::function<void()> answer;
        QObject *context;              // the caller's; answered in the pass's posted event
        QPointer<QObject> elsewhere;   // set when not the context the event was posted to
    };

    [[nodiscard]] bool onStoreThread() const;
    void stopThread();
    void submitSettled(SettledCall call, qint64 journalSeq, bool lazy, std::shared_ptr<std::atomic<int>> staged);
    void answerStaged();

    std::unique_ptr<StoreInbox> m_inbox;  // submission queue, shared with the worker
    std::unique_ptr<SpendJournal> m_journal;
    std::atomic<qsizetype> m_lazyBacklogLimit{DefaultLazyBacklogLimit};
    QMutex m_soonMutex;
    std::vector<Staged> m_soon;  // staged calls, answered when the loop comes back
    QObject *m_soonContext = nullptr;  // where the pending answerStaged was posted
    QPointer<QObject> m_soonGuard;     // the same, null once that object is gone
    bool m_soonPosted = false;
    std::unique_ptr<QThread> m_thread;
    StoreWorker *m_worker = nullptr;  // lives on m_thread
    QString m_path;
    std::unique_ptr<DatabaseTarget> m_target;
    int m_schemaVersion = 0;
};

} // namespace Tollgate
