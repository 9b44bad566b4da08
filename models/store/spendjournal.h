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

class QSqlDatabase;

namespace Tollgate {

// A budget's state right after a settled call: what the store must hold for it.
struct JournalBudgetState
{
    LedgerScope scope;
    NanoUsd spend = 0;
    QDateTime resetAt;  // invalid = no window
};

// One settled call: its spend-log row and the budget states the call left behind.
struct JournalRecord
{
    qint64 seq = 0;
    SpendLogRow row;
    QList<JournalBudgetState> states;
};

// The spend journal: a redo log of settled calls beside the database
// (`<db>-spend-<first seq>.journal`). A call's record is appended with one write(2) before
// its answer goes out — in the page cache it survives a kill of the process — and the
// store folds the records into SQLite in large, lazy batches, each writing the highest
// number it holds to the settings row `spend_journal_seq`. Store::open replays what a killed
// process left (records above that number) and removes the files.
//
// One process at a time owns a database's journal: it holds an exclusive lock on
// `<db>-spend.lock` (released by the kernel when the process dies). Another process on the
// same database gets none, and its calls wait for their commit.
//
// Segments rotate at `segmentBytes`; a segment is deleted once every record in it is
// committed. Thread-safe: appends come from the gateway thread, commits from the store's.
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
    // Every record up to `seq` is in the database.
    void committed(qint64 seq);

    [[nodiscard]] QStringList segmentFiles() const;

    // The segment files of a database, oldest first.
    static QStringList segments(const QString &databasePath);
    static QByteArray encode(const JournalRecord &record);
    // The records of one segment file in order; reading stops at a torn or corrupt record.
    static QList<JournalRecord> read(const QString &segmentPath);
    // The database's journal lock, or -1 when another process holds it.
    static int lock(const QString &databasePath);
    // The settings row that holds the highest committed journal number.
    static const QString CommittedSetting;
    // Runs in Store::open on the store thread, with the lock held: replays into `db` the
    // records above the committed number, removes the segment files, and returns the next
    // sequence number to use.
    static Result<qint64> recover(QSqlDatabase &db, const QString &databasePath);
    // Notes in `db` (inside a batch's transaction) that every record up to `seq` is committed.
    static Result<void> markCommitted(QSqlDatabase &db, qint64 seq);

private:
    struct Segment
    {
        QString path;
        qint64 lastSeq = 0;
    };

    Result<void> openSegment(qint64 firstSeq);
    void closeFile();
    void removeCommittedLocked();

    mutable QMutex m_mutex;
    QString m_databasePath;
    qint64 m_nextSeq;
    qint64 m_segmentBytes;
    qint64 m_committed = 0;
    int m_fd = -1;
    int m_lockFd = -1;
    qint64 m_written = 0;  // bytes in the current segment
    QList<Segment> m_segments;  // oldest first; the last is the one being written
};

} // namespace Tollgate
