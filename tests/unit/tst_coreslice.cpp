// The store thread's work comes in slices (issue #16, the tail at one connection): a thread that
// enabled slicing yields the core every CoreSlice::SliceNs in check(), also inside SQLite's own
// COMMIT and WAL checkpoint through the sliced VFS; no other thread ever yields.
#include "models/store/coreslice.h"
#include "models/store/store.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sqlite3.h>

#include <atomic>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

// Calls check() for `ms` of busy time; returns the yields taken meanwhile.
quint64 spin(int ms)
{
    const quint64 before = CoreSlice::yields();
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < ms)
        CoreSlice::check();
    return CoreSlice::yields() - before;
}

bool always(const void *)
{
    return true;
}

bool never(const void *)
{
    return false;
}

// A QSQLITE connection named `name` on `path`, opened (check isOpen()).
QSqlDatabase openAt(const QString &name, const QString &path)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
    db.setDatabaseName(path);
    db.open();
    return db;
}

bool fromFlag(const void *flag)
{
    return static_cast<const std::atomic<bool> *>(flag)->load();
}

} // namespace

class TestCoreSlice : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void threadWithoutSlicingNeverYields();
    void enabledThreadYieldsEverySlice();
    void noYieldWhileWorkPilesUp();
    void commitAndCheckpointAreSliced();
    void slicedVfsKeepsTheDataIntact();
};

void TestCoreSlice::initTestCase()
{
    // Opening a store installs the sliced VFS as the process's default (nothing else here did).
    QVERIFY(!sqlite3_vfs_find("tollgate-sliced"));
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"store.db"_s)).ok());
    sqlite3_vfs *vfs = sqlite3_vfs_find(nullptr);
    QVERIFY(vfs);
    QCOMPARE(QByteArray(vfs->zName), QByteArray("tollgate-sliced"));
    store.close();
    QVERIFY(CoreSlice::installSqliteVfs());  // idempotent
    QCOMPARE(sqlite3_vfs_find(nullptr), vfs);
}

void TestCoreSlice::cleanup()
{
    CoreSlice::disable();
}

void TestCoreSlice::threadWithoutSlicingNeverYields()
{
    QCOMPARE(spin(5), 0u);
    // Enabled on another thread does not make this one yield.
    QThread *other = QThread::create([] {
        CoreSlice::enable(always, nullptr);
        QVERIFY(spin(5) > 0);
    });
    other->start();
    QVERIFY(other->wait(10'000));
    delete other;
    QCOMPARE(spin(5), 0u);
}

void TestCoreSlice::enabledThreadYieldsEverySlice()
{
    CoreSlice::enable(always, nullptr);
    // 20 ms of work in 50 µs slices: about 400 yields; a loaded machine stretches slices, so
    // only a clear majority is required.
    const quint64 yields = spin(20);
    QVERIFY2(yields >= 20, qPrintable(u"%1 yields in 20 ms"_s.arg(yields)));
    QVERIFY2(yields <= 20'000'000 / CoreSlice::SliceNs + 1, qPrintable(u"%1 yields in 20 ms"_s.arg(yields)));
    CoreSlice::disable();
    QCOMPARE(spin(5), 0u);
}

void TestCoreSlice::noYieldWhileWorkPilesUp()
{
    CoreSlice::enable(never, nullptr);
    QCOMPARE(spin(10), 0u);
    std::atomic<bool> mayYield{false};
    CoreSlice::enable(fromFlag, &mayYield);
    QCOMPARE(spin(5), 0u);
    mayYield = true;
    QVERIFY(spin(5) > 0);
}

void TestCoreSlice::commitAndCheckpointAreSliced()
{
    // One transaction of ~8 MB: its COMMIT writes ~2,000 WAL frames, the checkpoint copies them.
    // Each takes milliseconds, and only the VFS can cut them: nothing of ours runs inside.
    QTemporaryDir dir;
    {
        QSqlDatabase db = openAt(u"sliced"_s, dir.filePath(u"sliced.db"_s));
        QVERIFY(db.isOpen());
        QSqlQuery query(db);
        QVERIFY(query.exec(u"PRAGMA journal_mode=WAL"_s));
        QVERIFY(query.exec(u"PRAGMA wal_autocheckpoint=0"_s));
        QVERIFY(query.exec(u"CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB)"_s));
        QVERIFY(query.exec(u"BEGIN"_s));
        QVERIFY(query.prepare(u"INSERT INTO rows (body) VALUES (?)"_s));
        const QByteArray body(400, 'x');
        for (int i = 0; i < 20'000; ++i) {
            query.addBindValue(body);
            QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
        }

        CoreSlice::enable(always, nullptr);
        quint64 before = CoreSlice::yields();
        QVERIFY(query.exec(u"COMMIT"_s));
        const quint64 commitYields = CoreSlice::yields() - before;
        before = CoreSlice::yields();
        QVERIFY(query.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toInt(), 0);  // not busy: every frame was copied
        const quint64 checkpointYields = CoreSlice::yields() - before;
        CoreSlice::disable();
        // Here ~30 and ~150 (a sync at the end alone would give 1 each).
        QVERIFY2(commitYields >= 5, qPrintable(u"the COMMIT yielded %1 time(s)"_s.arg(commitYields)));
        QVERIFY2(checkpointYields >= 5, qPrintable(u"the checkpoint yielded %1 time(s)"_s.arg(checkpointYields)));
        query.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(u"sliced"_s);
}

void TestCoreSlice::slicedVfsKeepsTheDataIntact()
{
    // Everything goes through to the real VFS: WAL (shared memory), a second connection reading
    // beside the writer, an integrity check after a checkpoint, and a reopen.
    QTemporaryDir dir;
    const QString path = dir.filePath(u"intact.db"_s);
    CoreSlice::enable(always, nullptr);
    {
        QSqlDatabase writer = openAt(u"writer"_s, path);
        QVERIFY(writer.isOpen());
        QSqlQuery w(writer);
        QVERIFY(w.exec(u"PRAGMA journal_mode=WAL"_s) && w.next());
        QCOMPARE(w.value(0).toString(), u"wal"_s);
        QVERIFY(w.exec(u"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"_s));
        QVERIFY(w.exec(u"BEGIN"_s));
        for (int i = 0; i < 5'000; ++i)
            QVERIFY(w.exec(u"INSERT INTO t (v) VALUES ('value %1')"_s.arg(i)));
        QVERIFY(w.exec(u"COMMIT"_s));

        QSqlDatabase reader = openAt(u"reader"_s, path);
        QVERIFY(reader.isOpen());
        QSqlQuery r(reader);
        QVERIFY(r.exec(u"SELECT count(*), sum(length(v)) FROM t"_s) && r.next());
        QCOMPARE(r.value(0).toInt(), 5'000);
        const qint64 length = r.value(1).toLongLong();
        r.finish();

        QVERIFY(w.exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s));
        w.finish();
        QVERIFY(r.exec(u"PRAGMA integrity_check"_s) && r.next());
        QCOMPARE(r.value(0).toString(), u"ok"_s);
        QVERIFY(r.exec(u"SELECT sum(length(v)) FROM t"_s) && r.next());
        QCOMPARE(r.value(0).toLongLong(), length);
        r.finish();
        reader.close();
        writer.close();
    }
    QSqlDatabase::removeDatabase(u"reader"_s);
    QSqlDatabase::removeDatabase(u"writer"_s);
    {
        QSqlDatabase again = openAt(u"again"_s, path);
        QVERIFY(again.isOpen());
        QSqlQuery q(again);
        QVERIFY(q.exec(u"SELECT count(*) FROM t WHERE v LIKE 'value %'"_s) && q.next());
        QCOMPARE(q.value(0).toInt(), 5'000);
        q.finish();
        again.close();
    }
    QSqlDatabase::removeDatabase(u"again"_s);
}

QTEST_GUILESS_MAIN(TestCoreSlice)
#include "tst_coreslice.moc"
