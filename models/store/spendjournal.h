#pragma once

#include "../ledger.h"
#include "../result.h"
#include "spendlog.h"

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <optional>
#include <set>
#include <span>

class QSqlDatabase;

namespace Tollgate {

// What a settled call did to one budget: `added` to its spend within the budget window ending
// `resetAt` — the increment IdentityRepository::addSpend writes, so replaying the record applies
// exactly what the live commit would have (once: the call's spend-log row commits with it).
struct JournalBudgetState
{
    JournalBudgetState() = default;
    JournalBudgetState(LedgerScope scope_, NanoUsd added_, QDateTime resetAt_, QString duration_ = {})
        : scope(std::move(scope_)), added(added_), resetAt(std::move(resetAt_)), duration(std::move(duration_))
    {
    }

    LedgerScope scope;
    NanoUsd added = 0;
    QDateTime resetAt;  // invalid = no window
    QString duration;   // the budget's period (the global budget keeps it with a window it writes); may be empty
    // Read from a journal of format 2 (written before spend became increments): `added` is the
    // budget's new total, replayed as such.
    bool absolute = false;
};

// The spend-log status of a call in flight when the gateway stopped (Store::noteInFlight).
inline const QString InterruptedStatus = QStringLiteral("interrupted");

// One settled call: its spend-log row and what it added to each budget.
struct JournalRecord
{
    qint64 seq = 0;
    SpendLogRow row;
    QList<JournalBudgetState> states;
};

[[nodiscard]] inline bool isInFlightRecord(const JournalRecord &record)
{
    return record.row.status == InterruptedStatus;
}

// A settled call as Store::recordSpend takes it: its record, the jobs that persist its budget
// states, and who hears of its commit (Store::recordSpends takes several).
struct SettledCall
{
    JournalRecord record;
    // The record Store::noteInFlight kept for the call while it ran (0: none): retired with it.
    qint64 inFlightSeq = 0;
    QList<Store::WriteJob> jobs;
    QObject *context = nullptr;
    Store::WriteDone done;
    Store::Delivery delivery = Store::Delivery::Always;
};

// The spend journal: a redo log of settled calls beside the database
// (`<db>-spend-<first seq>[-n].journal`). A call's record is appended before its answer goes
// out (the calls settled in one event-loop pass with one write(2): Store::recordSpendSoon) — in
// the page cache it survives a kill of the process — and the
// store folds the records into SQLite in large, lazy batches. Each batch writes to the
// settings row `spend_journal_seq` the committed prefix: the highest number N such that every
// record up to N is in the database (a record whose batch failed holds it back until a retry
// commits it, however many later records committed meanwhile). Store::open replays what a killed
// process left: every record above that number whose spend-log row is missing (row and budget
// increments commit together, so a present row means its increments are in too), then removes
// the files.
//
// One process at a time owns a database's journal: it holds an exclusive lock on
// `<db>-spend.lock` (released by the kernel when the process dies). Another process on the
// same database gets none, and its calls wait for their commit.
//
// Segments rotate at `segmentBytes`, and a write error starts a fresh file (never appending
// behind a torn record); a segment is deleted once every record in it is committed and it is
// not the file being appended to. Thread-safe: appends come from the gateway thread, commits
// from the store's.
class SpendJournal
{
    Q_DISABLE_COPY_MOVE(SpendJournal)

public:
    static constexpr qint64 DefaultSegmentBytes = 8 * 1024 * 1024;

    // Appends go to new segments starting at `nextSeq`. `lockFd` (from lock(), or -1) is
    // held until the journal is destroyed.
    SpendJournal(QString databasePath, qint64 nextSeq, qint64 segmentBytes = DefaultSegmentBytes, int lockFd = -1);
    // Removes the segments whose records are all committed.
    ~SpendJournal();

    // Writes the record and gives it the next sequence number (set in `record.seq`).
    // An error means the record is not journaled: the caller must wait for the commit.
    Result<void> append(JournalRecord &record);
    // Writes the records with one write(2), in order, and numbers them (`seq`). An error means
    // none of them is journaled. Records staged before go out with them.
    Result<void> append(std::span<JournalRecord *const> records);
    // Numbers the record (`seq`) and keeps its bytes for the next write: the batch returned is
    // written by flushStaged (or an append, whichever comes first). Until then it is not durable.
    quint64 stage(JournalRecord &record);
    // Writes the staged records if `batch` is still the one staged, and says whether `batch`
    // reached the file. A batch whose write failed is not journaled; its records' numbers stay
    // used (each one's commit moves the committed prefix over it).
    bool flushStaged(quint64 batch);
    // Writes whatever is staged (its outcome stays for flushStaged to tell).
    void writeStaged();
    // How many writes the appends took (each batch is one).
    [[nodiscard]] quint64 writes() const;
    // Record `seq` is in the database.
    void committed(qint64 seq);
    // The committed prefix (every record up to it is in the database) once the records
    // `seqs` are committed too: what a batch holding them notes with markCommitted.
    [[nodiscard]] qint64 committedPrefixWith(const QList<qint64> &seqs) const;

    [[nodiscard]] QStringList segmentFiles() const;

    // The segment files of a database, oldest first.
    static QStringList segments(const QString &databasePath);
    static QByteArray encode(const JournalRecord &record);
    // Appends the record's bytes (as encode() gives them) to `out`.
    static void encodeInto(QByteArray *out, const JournalRecord &record);
    // The records of one segment file in order; reading stops at a torn or corrupt record.
    static QList<JournalRecord> read(const QString &segmentPath);
    // The database's journal lock, or -1 when another process holds it.
    static int lock(const QString &databasePath);
    // The settings row that holds the highest committed journal number.
    static const QString CommittedSetting;
    // Runs in Store::open on the store thread, with the lock held: replays into `db` the
    // records above the committed number, removes the segment files, and returns the next
    // sequence number to use.
    // `committedKey` names the settings row of this journal's committed number: on PostgreSQL
    // several gateways share one database, each with its own journal and numbering.
    static Result<qint64> recover(QSqlDatabase &db, const QString &databasePath,
                                  const QString &committedKey = CommittedSetting);
    // Notes in `db` (inside a batch's transaction) that every record up to `seq` is committed.
    // Never lowers the number already noted.
    static Result<void> markCommitted(QSqlDatabase &db, qint64 seq, const QString &committedKey = CommittedSetting);
    // The settings row this journal notes its committed number in (CommittedSetting unless set).
    void setCommittedKey(const QString &key) { m_committedKey = key; }
    [[nodiscard]] QString committedKey() const { return m_committedKey; }

private:
    struct Segment
    {
        QString path;
        qint64 lastSeq = 0;  // firstSeq - 1 while it holds no record
    };

    Result<void> openSegment(qint64 firstSeq);
    void stageLocked(JournalRecord &record);
    Result<void> writeStagedLocked();
    void closeFile();
    void removeCommittedLocked();

    mutable QMutex m_mutex;
    QString m_committedKey = CommittedSetting;
    QString m_databasePath;
    qint64 m_nextSeq;
    qint64 m_segmentBytes;
    qint64 m_committed = 0;        // the committed prefix
    std::set<qint64> m_committedAbove;  // committed records above it (their batch overtook one)
    int m_fd = -1;
    int m_lockFd = -1;
    qint64 m_written = 0;  // bytes in the current segment
    quint64 m_writes = 0;  // successful append writes
    QByteArray m_staged;   // records numbered and encoded, not written yet
    qint64 m_stagedFirst = 0;
    qint64 m_stagedLast = 0;
    quint64 m_batch = 1;   // the batch being staged; earlier ones were written or failed
    std::set<quint64> m_failedBatches;
    QList<Segment> m_segments;  // oldest first; the last is the one being written
};

} // namespace Tollgate
