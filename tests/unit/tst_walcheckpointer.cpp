// WalCheckpointer: the write-ahead log's checkpoints run on their own thread, not in the COMMIT
// that reaches 1,000 pages, and the log stays bounded.
#include "../../models/store/walcheckpointer.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace Tollgate;

namespace {

struct Db
{
    sqlite3 *handle = nullptr;
    explicit Db(const QString &path)
    {
        QVERIFY(sqlite3_open(QFile::encodeName(path).constData(), &handle) == SQLITE_OK);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload BLOB)");
    }
    ~Db() { sqlite3_close_v2(handle); }
    void exec(const char *sql) { QCOMPARE(sqlite3_exec(handle, sql, nullptr, nullptr, nullptr), SQLITE_OK); }
    // One transaction of `pages` 4 KiB pages of new rows.
    void writePages(int pages)
    {
        exec("BEGIN");
        sqlite3_stmt *insert = nullptr;
        QCOMPARE(sqlite3_prepare_v2(handle, "INSERT INTO t (payload) VALUES (zeroblob(3900))", -1, &insert, nullptr),
                 SQLITE_OK);
        for (int i = 0; i < pages; ++i) {
            QCOMPARE(sqlite3_step(insert), SQLITE_DONE);
            sqlite3_reset(insert);
        }
        sqlite3_finalize(insert);
        exec("COMMIT");
    }
};

qint64 walBytes(const QString &path)
{
    return QFileInfo(path + u"-wal").size();
}

} // namespace

class TestWalCheckpointer : public QObject
{
    Q_OBJECT

private slots:
    void checkpointsRunOnTheirOwnThreadAndTheLogRestarts();
    void withoutItTheWriterCheckpointsInline();
    void detachGivesBackSqlitesAutomaticCheckpoints();
    void notAttachedToMemoryDatabases();
};

void TestWalCheckpointer::checkpointsRunOnTheirOwnThreadAndTheLogRestarts()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"wal.db"_qs);
    Db db(path);
    WalCheckpointer checkpointer;
    QVERIFY(checkpointer.attach(db.handle, path));
    // 40 commits of 100 pages: 4,000 pages of log without checkpoints (16 MiB).
    for (int i = 0; i < 40; ++i) {
        db.writePages(100);
        QTest::qWait(5);  // the background checkpoint gets its turn between commits
    }
    QTRY_VERIFY(checkpointer.backgroundCheckpoints() > 0);
    QCOMPARE(checkpointer.inlineCheckpoints(), 0);
    // Checkpointed in the background, the log restarts from its beginning: it never grew to
    // the 16 MiB written (the automatic checkpoint is off: without the thread it would have).
    QVERIFY2(walBytes(path) < 8 * 1024 * 1024, qPrintable(QString::number(walBytes(path))));
    // The rows are all there, for a second reader too.
    Db reader(path);
    sqlite3_stmt *count = nullptr;
    QCOMPARE(sqlite3_prepare_v2(reader.handle, "SELECT count(*) FROM t", -1, &count, nullptr), SQLITE_OK);
    QCOMPARE(sqlite3_step(count), SQLITE_ROW);
    QCOMPARE(sqlite3_column_int(count, 0), 4000);
    sqlite3_finalize(count);
}

void TestWalCheckpointer::withoutItTheWriterCheckpointsInline()
{
    // A log past HardFrames is checkpointed by the committing writer itself: bounded even when
    // the background thread cannot run.
    QTemporaryDir dir;
    const QString path = dir.filePath(u"wal.db"_qs);
    Db db(path);
    WalCheckpointer checkpointer;
    QVERIFY(checkpointer.attach(db.handle, path));
    db.writePages(WalCheckpointer::HardFrames + 10);
    QCOMPARE(checkpointer.inlineCheckpoints(), 1);
}

void TestWalCheckpointer::detachGivesBackSqlitesAutomaticCheckpoints()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"wal.db"_qs);
    Db db(path);
    {
        WalCheckpointer checkpointer;
        QVERIFY(checkpointer.attach(db.handle, path));
        checkpointer.detach();
        QCOMPARE(checkpointer.backgroundCheckpoints(), 0);
    }
    // SQLite's own checkpoint (1,000 pages) is back: the log restarts after it.
    for (int i = 0; i < 30; ++i)
        db.writePages(100);
    QVERIFY2(walBytes(path) < 8 * 1024 * 1024, qPrintable(QString::number(walBytes(path))));
}

void TestWalCheckpointer::notAttachedToMemoryDatabases()
{
    sqlite3 *memory = nullptr;
    QCOMPARE(sqlite3_open(":memory:", &memory), SQLITE_OK);
    WalCheckpointer checkpointer;
    QVERIFY(!checkpointer.attach(memory, u":memory:"_qs));
    sqlite3_close_v2(memory);
}

QTEST_GUILESS_MAIN(TestWalCheckpointer)
#include "tst_walcheckpointer.moc"
