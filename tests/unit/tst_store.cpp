#include "models/store/identityrepository.h"
#include "models/store/migrations.h"
#include "models/store/responserepository.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSemaphore>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>
#include <stdexcept>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

// QVERIFY2 evaluates its message even when the check passes: never touch error() of a
// good result.
template<typename R>
const char *why(const R &result)
{
    static QByteArray text;
    text = result.ok() ? QByteArray() : result.error().message.toUtf8();
    return text.constData();
}

Result<void> insertRow(QSqlDatabase &db, const QString &requestId)
{
    QSqlQuery query(db);
    query.prepare(u"INSERT INTO spend_logs (request_id, call_type, start_time, end_time) "
                  "VALUES (?, 'acompletion', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z')"_s);
    query.addBindValue(requestId);
    if (!query.exec())
        return makeError(query.lastError().text());
    return {};
}

Store::WriteJob insertJob(const QString &requestId)
{
    return [requestId](QSqlDatabase &db) { return insertRow(db, requestId); };
}

// Every value of every row `sql` selects, row after row (the first `columns` of each).
QVariantList selectAll(Store &store, const QString &sql, int columns)
{
    const auto rows = store.readNow([sql, columns](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.exec(sql);
        QVariantList out;
        while (query.next()) {
            for (int i = 0; i < columns; ++i)
                out.append(query.value(i));
        }
        return QVariant(out);
    });
    return rows ? rows->toList() : QVariantList();
}

QVariant countRows(QSqlDatabase &db, const QString &where = {})
{
    QSqlQuery query(db);
    QString sql = u"SELECT count(*) FROM spend_logs"_s;
    if (!where.isEmpty())
        sql += u" WHERE "_s + where;
    if (!query.exec(sql) || !query.next())
        return QVariant::fromValue(makeError(query.lastError().text()));
    return query.value(0);
}

Store::ReadJob countJob(const QString &where = {})
{
    return [where](QSqlDatabase &db) { return countRows(db, where); };
}

// The test's own connection, opened on the test thread beside the store's: WAL lets it
// read what the store committed.
class Reader
{
public:
    explicit Reader(const QString &path)
        : m_name(u"tst_store-reader-"_s + QString::number(++s_count))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        m_ok = db.open();
    }
    ~Reader()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    Q_DISABLE_COPY_MOVE(Reader)

    [[nodiscard]] bool ok() const { return m_ok; }
    int count(const QString &where = {}) const
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        return countRows(db, where).toInt();
    }

private:
    static inline int s_count = 0;
    QString m_name;
    bool m_ok = false;
};

// Holds the store thread inside a write job until the test lets it go, so jobs submitted
// meanwhile are known to be queued together.
struct Gate
{
    QSemaphore entered;
    QSemaphore open;

    Store::WriteJob job()
    {
        return [this](QSqlDatabase &) -> Result<void> {
            entered.release();
            open.acquire();
            return {};
        };
    }
};

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void relayedResponsesNewestWinAndOldOnesArePruned();

    void openConfiguresConnection_data();
    void openConfiguresConnection();
    void openCreatesParentDirectory();
    void openRefusesNewerDatabase();
    void submissionsBeforeOpenAreRefused();
    void jobsRunOnStoreThreadAndAnswerOnContextThread();
    void answerArrivesOnAnotherContextThread();
    void writeCallbackComesAfterCommit();
    void groupCommitBatchesManyWrites();
    void writesQueuedDuringABatchFormTheNextBatch();
    void failingJobDoesNotLoseOthers_data();
    void failingJobDoesNotLoseOthers();
    void readSeesEarlierWrite();
    void readFailuresAreReported_data();
    void readFailuresAreReported();
    void deadContextGetsNoCallback_data();
    void deadContextGetsNoCallback();
    void closeFlushesQueuedWrites();
    void submissionsAfterCloseAreRefused();
    void dataSurvivesReopen();
    void cachedStatementsAreReusedAcrossJobsAndReopen();
    void aFailingJobAloneInItsBatchLeavesNothingBehind();
    void cachedStatementsBindLikeQt();
    void isoUtcFormatsAsQtDoes_data();
    void isoUtcFormatsAsQtDoes();
    void spendRowColumnsAreWhatWasBound();
    void blockingHelpers();
    void blockingHelpersRefuseTheStoreThread();
    void defaultPathIsInAppData();
    void spendIsAddedWithinItsWindow();
    void managementWritesKeepTheSpendTheyDidNotChange();
    void aBatchAnswersItsContextInOneQueuedCall();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void TestStore::initTestCase()
{
    // Opened/closed/migrated lines repeat for every test; warnings still show.
    QLoggingCategory::setFilterRules(u"tollgate.store.info=false"_s);
}

void TestStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(u"tollgate.db"_s);
}

void TestStore::cleanup()
{
    m_dir.reset();
}

void TestStore::openConfiguresConnection_data()
{
    QTest::addColumn<QString>("pragma");
    QTest::addColumn<QString>("expected");

    QTest::newRow("journal mode is WAL") << u"journal_mode"_s << u"wal"_s;
    QTest::newRow("synchronous is NORMAL") << u"synchronous"_s << u"1"_s;
    QTest::newRow("foreign keys are enforced") << u"foreign_keys"_s << u"1"_s;
    QTest::newRow("busy timeout is five seconds") << u"busy_timeout"_s << u"5000"_s;
    QTest::newRow("schema is at the latest version")
        << u"user_version"_s << QString::number(latestSchemaVersion());
}

void TestStore::openConfiguresConnection()
{
    QFETCH(QString, pragma);
    QFETCH(QString, expected);

    Store store;
    const Result<void> opened = store.open(m_path);
    QVERIFY2(opened.ok(), why(opened));
    QVERIFY(store.isOpen());
    QCOMPARE(store.path(), m_path);
    QCOMPARE(store.schemaVersion(), latestSchemaVersion());

    const Result<QVariant> value = store.readNow([pragma](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        if (!query.exec(u"PRAGMA "_s + pragma) || !query.next())
            return QVariant::fromValue(makeError(query.lastError().text()));
        return query.value(0);
    });
    QVERIFY2(value.ok(), why(value));
    QCOMPARE(value->toString(), expected);
}

void TestStore::openCreatesParentDirectory()
{
    const QString path = m_dir->filePath(u"not/yet/there/tollgate.db"_s);
    Store store;
    const Result<void> opened = store.open(path);
    QVERIFY2(opened.ok(), why(opened));
    QVERIFY(QFileInfo::exists(path));
}

void TestStore::openRefusesNewerDatabase()
{
    {
        // A database written by a newer Tollgate.
        Store store;
        QVERIFY(store.open(m_path).ok());
        QVERIFY(store.writeNow([](QSqlDatabase &db) -> Result<void> {
                         QSqlQuery query(db);
                         if (!query.exec(u"PRAGMA user_version = 99"_s))
                             return makeError(query.lastError().text());
                         return {};
                     })
                    .ok());
    }
    Store store;
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"schema version 99 is newer"_s));
    const Result<void> opened = store.open(m_path);
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().message.contains(u"schema version 99 is newer"_s), why(opened));
    QVERIFY(!store.isOpen());
    // A refused store answers like a closed one.
    QVERIFY(!store.readNow(countJob()).ok());
}

void TestStore::submissionsBeforeOpenAreRefused()
{
    Store store;
    QObject context;
    std::optional<Result<void>> answer;
    store.write(insertJob(u"r1"_s), &context, [&answer](const Result<void> &r) { answer = r; });
    QVERIFY(!answer);  // answered later, never inside write()
    QTRY_VERIFY(answer.has_value());
    QVERIFY(!answer->ok());
    QCOMPARE(answer->error().message, u"store is closed"_s);
}

void TestStore::jobsRunOnStoreThreadAndAnswerOnContextThread()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    QObject context;

    QThread *writeThread = nullptr;
    QThread *writeDoneThread = nullptr;
    store.write(
        [&writeThread](QSqlDatabase &db) {
            writeThread = QThread::currentThread();
            return insertRow(db, u"r1"_s);
        },
        &context, [&writeDoneThread](const Result<void> &r) {
            QVERIFY(r.ok());
            writeDoneThread = QThread::currentThread();
        });

    QThread *readThread = nullptr;
    QThread *readDoneThread = nullptr;
    store.read(
        [&readThread](QSqlDatabase &db) {
            readThread = QThread::currentThread();
            return countRows(db);
        },
        &context, [&readDoneThread](const Result<QVariant> &r) {
            QVERIFY(r.ok());
            readDoneThread = QThread::currentThread();
        });

    QTRY_VERIFY(readDoneThread != nullptr);
    QVERIFY(writeDoneThread != nullptr);
    QVERIFY(writeThread != nullptr);
    QVERIFY(writeThread != QThread::currentThread());
    QCOMPARE(readThread, writeThread);
    QCOMPARE(writeDoneThread, QThread::currentThread());
    QCOMPARE(readDoneThread, QThread::currentThread());
}

void TestStore::answerArrivesOnAnotherContextThread()
{
    Store store;
    QVERIFY(store.open(m_path).ok());

    QThread other;
    other.start();
    auto stopOther = qScopeGuard([&other] {
        other.quit();
        other.wait();
    });
    QObject context;
    context.moveToThread(&other);

    QSemaphore answered;
    QThread *doneThread = nullptr;
    store.read(countJob(), &context, [&](const Result<QVariant> &) {
        doneThread = QThread::currentThread();
        answered.release();
    });
    QVERIFY(answered.tryAcquire(1, 10000));
    QCOMPARE(doneThread, &other);
}

void TestStore::writeCallbackComesAfterCommit()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    Reader reader(m_path);
    QVERIFY(reader.ok());
    QObject context;

    int seenInCallback = -1;
    store.write(insertJob(u"committed"_s), &context, [&](const Result<void> &r) {
        QVERIFY(r.ok());
        // Another connection sees the row: the callback came after COMMIT.
        seenInCallback = reader.count(u"request_id = 'committed'"_s);
    });
    QTRY_VERIFY(seenInCallback != -1);
    QCOMPARE(seenInCallback, 1);
}

void TestStore::groupCommitBatchesManyWrites()
{
    constexpr int Writes = 2000;
    Store store;
    QVERIFY(store.open(m_path).ok());
    const int batchesBefore = store.batchesCommitted();
    QObject context;

    int ok = 0;
    int failed = 0;
    for (int i = 0; i < Writes; ++i) {
        store.write(insertJob(u"r%1"_s.arg(i)), &context, [&](const Result<void> &r) {
            ++(r.ok() ? ok : failed);
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(ok + failed, Writes, 30000);
    QCOMPARE(failed, 0);

    Reader reader(m_path);
    QVERIFY(reader.ok());
    QCOMPARE(reader.count(), Writes);
    const int batches = store.batchesCommitted() - batchesBefore;
    qInfo() << Writes << "writes committed in" << batches << "batches";
    QVERIFY(batches >= 1);
    QVERIFY(batches < Writes);
}

void TestStore::writesQueuedDuringABatchFormTheNextBatch()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    QObject context;
    Gate gate;
    auto release = qScopeGuard([&gate] { gate.open.release(); });

    const int batchesBefore = store.batchesCommitted();
    store.write(gate.job(), &context);
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    int done = 0;
    for (int i = 0; i < 10; ++i)
        store.write(insertJob(u"r%1"_s.arg(i)), &context, [&done](const Result<void> &r) {
            QVERIFY(r.ok());
            ++done;
        });
    release.dismiss();
    gate.open.release();

    QTRY_COMPARE(done, 10);
    QCOMPARE(store.batchesCommitted() - batchesBefore, 2);
}

void TestStore::failingJobDoesNotLoseOthers_data()
{
    QTest::addColumn<int>("failure");
    QTest::addColumn<QString>("message");

    QTest::newRow("job returns an error") << 0 << u"refused by the job"_s;
    QTest::newRow("job throws") << 1 << u"thrown by the job"_s;
    QTest::newRow("job's SQL violates a constraint") << 2 << u"UNIQUE"_s;
}

void TestStore::failingJobDoesNotLoseOthers()
{
    QFETCH(int, failure);
    QFETCH(QString, message);

    Store store;
    QVERIFY(store.open(m_path).ok());
    QObject context;
    Gate gate;
    auto release = qScopeGuard([&gate] { gate.open.release(); });

    // The bad job writes a row first: rolling back to its savepoint must remove it.
    const Store::WriteJob bad = [failure](QSqlDatabase &db) -> Result<void> {
        if (const auto inserted = insertRow(db, u"bad"_s); !inserted)
            return inserted;
        if (failure == 0)
            return makeError(u"refused by the job"_s);
        if (failure == 1)
            throw std::runtime_error("thrown by the job");
        return insertRow(db, u"bad"_s);
    };

    const int batchesBefore = store.batchesCommitted();
    store.write(gate.job(), &context);
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    std::optional<Result<void>> first, middle, last;
    store.write(insertJob(u"first"_s), &context, [&first](const Result<void> &r) { first = r; });
    store.write(bad, &context, [&middle](const Result<void> &r) { middle = r; });
    store.write(insertJob(u"last"_s), &context, [&last](const Result<void> &r) { last = r; });
    release.dismiss();
    gate.open.release();

    QTRY_VERIFY(last.has_value());
    QVERIFY(first && middle);
    QVERIFY2(first->ok(), why(*first));
    QVERIFY2(last->ok(), why(*last));
    QVERIFY(!middle->ok());
    QVERIFY2(middle->error().message.contains(message), qPrintable(middle->error().message));
    // All three shared one batch, and it committed.
    QCOMPARE(store.batchesCommitted() - batchesBefore, 2);

    Reader reader(m_path);
    QVERIFY(reader.ok());
    QCOMPARE(reader.count(u"request_id IN ('first', 'last')"_s), 2);
    QCOMPARE(reader.count(u"request_id = 'bad'"_s), 0);
}

void TestStore::readSeesEarlierWrite()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    QObject context;

    QList<int> counts;
    // Interleaved without waiting: each read sees exactly the writes submitted before it.
    for (int i = 0; i < 5; ++i) {
        store.write(insertJob(u"r%1"_s.arg(i)), &context);
        store.read(countJob(), &context, [&counts](const Result<QVariant> &r) {
            counts.append(r.ok() ? r->toInt() : -1);
        });
    }
    QTRY_COMPARE(counts.size(), 5);
    QCOMPARE(counts, (QList<int>{1, 2, 3, 4, 5}));
}

void TestStore::readFailuresAreReported_data()
{
    QTest::addColumn<int>("failure");
    QTest::addColumn<QString>("message");

    QTest::newRow("job returns an Error") << 0 << u"no such table"_s;
    QTest::newRow("job throws") << 1 << u"thrown by the read"_s;
}

void TestStore::readFailuresAreReported()
{
    QFETCH(int, failure);
    QFETCH(QString, message);

    Store store;
    QVERIFY(store.open(m_path).ok());
    QObject context;
    std::optional<Result<QVariant>> answer;
    store.read(
        [failure](QSqlDatabase &db) -> QVariant {
            if (failure == 1)
                throw std::runtime_error("thrown by the read");
            QSqlQuery query(db);
            if (!query.exec(u"SELECT * FROM nowhere"_s))
                return QVariant::fromValue(makeError(query.lastError().text()));
            return {};
        },
        &context, [&answer](const Result<QVariant> &r) { answer = r; });
    QTRY_VERIFY(answer.has_value());
    QVERIFY(!answer->ok());
    QVERIFY2(answer->error().message.contains(message), qPrintable(answer->error().message));
    // The thread survived: later jobs still run.
    const Result<QVariant> after = store.readNow(countJob());
    QVERIFY2(after.ok(), why(after));
}

void TestStore::deadContextGetsNoCallback_data()
{
    QTest::addColumn<bool>("answerQueuedFirst");

    QTest::newRow("deleted before the job ran") << false;
    QTest::newRow("deleted after the answer was queued") << true;
}

void TestStore::deadContextGetsNoCallback()
{
    QFETCH(bool, answerQueuedFirst);

    Store store;
    QVERIFY(store.open(m_path).ok());
    Gate gate;
    auto release = qScopeGuard([&gate] { gate.open.release(); });
    auto context = std::make_unique<QObject>();
    bool called = false;

    if (!answerQueuedFirst) {
        store.write(gate.job(), context.get());
        QVERIFY(gate.entered.tryAcquire(1, 10000));
    }
    store.write(insertJob(u"r1"_s), context.get(), [&called](const Result<void> &) { called = true; });
    store.read(countJob(), context.get(), [&called](const Result<QVariant> &) { called = true; });
    if (answerQueuedFirst) {
        // readNow returns after the jobs before it, so their answers are already posted.
        QVERIFY(store.readNow(countJob()).ok());
    }
    context.reset();
    release.dismiss();
    gate.open.release();

    // Everything submitted so far has finished once this returns.
    const Result<QVariant> rows = store.readNow(countJob());
    QVERIFY2(rows.ok(), why(rows));
    QCOMPARE(rows->toInt(), 1);  // the write itself still happened
    QTest::qWait(50);
    QVERIFY(!called);
}

void TestStore::closeFlushesQueuedWrites()
{
    constexpr int Writes = 200;
    {
        Store store;
        QVERIFY(store.open(m_path).ok());
        QObject context;
        Gate gate;
        store.write(gate.job(), &context);
        QVERIFY(gate.entered.tryAcquire(1, 10000));

        int ok = 0;
        for (int i = 0; i < Writes; ++i)
            store.write(insertJob(u"r%1"_s.arg(i)), &context, [&ok](const Result<void> &r) {
                if (r.ok())
                    ++ok;
            });
        // close() blocks this thread, so the gate is opened from another one.
        std::unique_ptr<QThread> opener(QThread::create([&gate] {
            QThread::msleep(100);
            gate.open.release();
        }));
        opener->start();
        store.close();
        opener->wait();
        QVERIFY(!store.isOpen());
        QTRY_COMPARE(ok, Writes);
    }
    Store reopened;
    QVERIFY(reopened.open(m_path).ok());
    const Result<QVariant> rows = reopened.readNow(countJob());
    QVERIFY2(rows.ok(), why(rows));
    QCOMPARE(rows->toInt(), Writes);
}

void TestStore::submissionsAfterCloseAreRefused()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    store.close();
    store.close();  // twice is harmless

    QObject context;
    std::optional<Result<void>> written;
    std::optional<Result<QVariant>> read;
    store.write(insertJob(u"late"_s), &context, [&written](const Result<void> &r) { written = r; });
    store.read(countJob(), &context, [&read](const Result<QVariant> &r) { read = r; });
    QTRY_VERIFY(written.has_value() && read.has_value());
    QVERIFY(!written->ok());
    QCOMPARE(written->error().message, u"store is closed"_s);
    QVERIFY(!read->ok());
    QCOMPARE(read->error().message, u"store is closed"_s);

    const Result<void> writtenNow = store.writeNow(insertJob(u"late"_s));
    QVERIFY(!writtenNow.ok());
    QCOMPARE(writtenNow.error().message, u"store is closed"_s);
    const Result<QVariant> readNow = store.readNow(countJob());
    QVERIFY(!readNow.ok());
    QCOMPARE(readNow.error().message, u"store is closed"_s);
}

void TestStore::dataSurvivesReopen()
{
    {
        Store store;
        QVERIFY(store.open(m_path).ok());
        QVERIFY(store.writeNow(insertJob(u"kept"_s)).ok());
    }  // the destructor closes
    Store store;
    QVERIFY(store.open(m_path).ok());
    QCOMPARE(store.readNow(countJob(u"request_id = 'kept'"_s))->toInt(), 1);

    // The same object closes and opens again.
    store.close();
    QVERIFY(!store.isOpen());
    const Result<void> again = store.open(m_path);
    QVERIFY2(again.ok(), why(again));
    QVERIFY(store.writeNow(insertJob(u"second"_s)).ok());
    QCOMPARE(store.readNow(countJob())->toInt(), 2);
}

void TestStore::cachedStatementsAreReusedAcrossJobsAndReopen()
{
    const QString sql = u"INSERT INTO settings (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s;
    const auto put = [&sql](const QString &key, const QString &value) {
        return [sql, key, value](QSqlDatabase &db) { return Store::execCached(db, sql, {key, value}, u"put"_s); };
    };
    const auto valueOf = [](const QString &key) {
        return [key](QSqlDatabase &db) {
            QSqlQuery query(db);
            query.prepare(u"SELECT value FROM settings WHERE key = ?"_s);
            query.addBindValue(key);
            return query.exec() && query.next() ? query.value(0) : QVariant();
        };
    };
    Store store;
    QVERIFY(store.open(m_path).ok());
    // The same statement, bound afresh each time: every value lands, none leaks into the next.
    for (int i = 0; i < 50; ++i)
        QVERIFY(store.writeNow(put(u"k%1"_s.arg(i % 5), QString::number(i))).ok());
    for (int k = 0; k < 5; ++k)
        QCOMPARE(store.readNow(valueOf(u"k%1"_s.arg(k)))->toString(), QString::number(45 + k));
    // A statement that cannot be prepared says what it was for.
    const Result<void> bad = store.writeNow(
        [](QSqlDatabase &db) { return Store::execCached(db, u"INSERT INTO nowhere VALUES (?)"_s, {1}, u"fill nowhere"_s); });
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.startsWith(u"cannot fill nowhere: "_s), qPrintable(bad.error().message));
    // The connection's statements go with it; a reopened store prepares anew.
    store.close();
    QVERIFY(store.open(m_path).ok());
    QVERIFY(store.writeNow(put(u"k0"_s, u"after reopen"_s)).ok());
    QCOMPARE(store.readNow(valueOf(u"k0"_s))->toString(), u"after reopen"_s);
}

void TestStore::cachedStatementsBindLikeQt()
{
    // execCached binds on SQLite's C API: each value must land as Qt's driver would store it.
    Store store;
    QVERIFY(store.open(m_path).ok());
    const QVariantList values{QString(),                                  // null string: NULL
                              QVariant(QMetaType::fromType<QString>()),   // null variant: NULL
                              u""_s,                                      // empty string: ''
                              u"größe \u20ac \U0001F600"_s,                // UTF-8 text
                              qint64(9007199254740993),                   // above 2^53: exact
                              42,
                              true,
                              2.5,
                              QByteArray("\0bin", 4),
                              QVariant(),                                 // invalid variant: NULL
                              QVariant::fromValue(nullptr)};              // null pointer: NULL
    QVERIFY(store.writeNow([values](QSqlDatabase &db) {
                     if (auto made = Store::execCached(db, u"CREATE TABLE bound (a, b, c, d, e, f, g, h, i, j, k)"_s, {},
                                                       u"create"_s);
                         !made)
                         return made;
                     return Store::execCached(db, u"INSERT INTO bound VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s, values,
                                              u"bind"_s);
                 })
                .ok());
    const QVariantList got
        = selectAll(store, u"SELECT typeof(a), typeof(b), c, d, e, typeof(e), f, g, h, typeof(i), hex(i), typeof(j), typeof(k) FROM bound"_s, 13);
    QCOMPARE(got.size(), 13);
    QCOMPARE(got.at(0).toString(), u"null"_s);
    QCOMPARE(got.at(1).toString(), u"null"_s);
    QCOMPARE(got.at(2).toString(), u""_s);
    QVERIFY(!got.at(2).isNull());
    QCOMPARE(got.at(3).toString(), u"größe \u20ac \U0001F600"_s);
    QCOMPARE(got.at(4).toLongLong(), qint64(9007199254740993));
    QCOMPARE(got.at(5).toString(), u"integer"_s);
    QCOMPARE(got.at(6).toInt(), 42);
    QCOMPARE(got.at(7).toInt(), 1);
    QCOMPARE(got.at(8).toDouble(), 2.5);
    QCOMPARE(got.at(9).toString(), u"blob"_s);
    QCOMPARE(got.at(10).toString(), u"0062696E"_s);
    QCOMPARE(got.at(11).toString(), u"null"_s);
    QCOMPARE(got.at(12).toString(), u"null"_s);
    // Several texts in one statement, one far longer than the first buffer: each lands whole and apart.
    const QString longText(3000, QChar(0xe9));   // 6,000 bytes of UTF-8
    QVERIFY(store.writeNow([&longText](QSqlDatabase &db) -> Result<void> {
                     static const QString sql = u"INSERT INTO bound (a, b, c) VALUES (?, ?, ?)"_s;
                     if (auto first = Store::execCached(db, sql, {u"first"_s, longText, u"last €"_s}, u"bind"_s); !first)
                         return first;
                     return Store::execCached(db, sql, {u"x"_s, QString(), u""_s}, u"bind again"_s);
                 })
                .ok());
    QStringList texts;
    for (const QVariant &value :
         selectAll(store, u"SELECT a, b, c, typeof(b), typeof(c) FROM bound WHERE rowid > 1 ORDER BY rowid"_s, 5))
        texts.append(value.toString());
    QCOMPARE(texts, QStringList({u"first"_s, longText, u"last €"_s, u"text"_s, u"text"_s,
                                                 u"x"_s, QString(), QString(), u"null"_s, u"text"_s}));
    // A count that does not match the statement is refused, not half bound.
    const Result<void> short_ = store.writeNow([](QSqlDatabase &db) {
        return Store::execCached(db, u"INSERT INTO bound (a, b) VALUES (?, ?)"_s, {1}, u"bind short"_s);
    });
    QVERIFY(!short_.ok());
    QVERIFY2(short_.error().message.contains(u"1 values for 2 parameters"_s), qPrintable(short_.error().message));
    // A constraint failure names it.
    const Result<void> twice = store.writeNow([](QSqlDatabase &db) -> Result<void> {
        static const QString sql = u"INSERT INTO settings (key, value) VALUES (?, ?)"_s;
        if (auto first = Store::execCached(db, sql, {u"k"_s, u"v"_s}, u"put"_s); !first)
            return first;
        return Store::execCached(db, sql, {u"k"_s, u"v"_s}, u"put again"_s);
    });
    QVERIFY(!twice.ok());
    QVERIFY2(twice.error().message.contains(u"UNIQUE"_s), qPrintable(twice.error().message));
}

void TestStore::aFailingJobAloneInItsBatchLeavesNothingBehind()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    // Alone in its batch (no savepoint): what it wrote before failing is rolled back too.
    const Result<void> failed = store.writeNow([](QSqlDatabase &db) -> Result<void> {
        if (auto written = insertJob(u"half"_s)(db); !written)
            return written;
        return makeError(u"second half failed"_s);
    });
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().message, u"second half failed"_s);
    QCOMPARE(store.readNow(countJob(u"request_id = 'half'"_s))->toInt(), 0);
    // The connection is usable afterwards, and the next write commits.
    QVERIFY(store.writeNow(insertJob(u"whole"_s)).ok());
    QCOMPARE(store.readNow(countJob())->toInt(), 1);
}

void TestStore::isoUtcFormatsAsQtDoes_data()
{
    QTest::addColumn<QDateTime>("time");
    QTest::newRow("the epoch") << QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    QTest::newRow("a leap day") << QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59, 999), Qt::UTC);
    QTest::newRow("the last millisecond of a year") << QDateTime(QDate(2026, 12, 31), QTime(23, 59, 59, 999), Qt::UTC);
    QTest::newRow("the year 2000") << QDateTime(QDate(2000, 3, 1), QTime(0, 0), Qt::UTC);
    QTest::newRow("before 1970") << QDateTime(QDate(1969, 12, 31), QTime(23, 0, 0, 5), Qt::UTC);
    QTest::newRow("a local time") << QDateTime(QDate(2026, 7, 1), QTime(12, 30, 15, 250), Qt::OffsetFromUTC, 7200);
    QTest::newRow("far future") << QDateTime(QDate(9999, 12, 31), QTime(12, 0), Qt::UTC);
    QTest::newRow("now") << QDateTime::currentDateTimeUtc();
    for (int i = 0; i < 20; ++i) {
        const qint64 ms = qint64(QRandomGenerator::global()->bounded(4'000'000'000.0)) * 1000
                          + QRandomGenerator::global()->bounded(1000);
        QTest::addRow("random %d", i) << QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    }
}

void TestStore::isoUtcFormatsAsQtDoes()
{
    QFETCH(QDateTime, time);
    QCOMPARE(isoUtc(time), time.toUTC().toString(Qt::ISODateWithMs));
    QCOMPARE(isoUtc(QDateTime()), QString());
    // The spend row's ASCII form is the same text.
    char ascii[IsoUtcLength];
    QCOMPARE(isoUtcAscii(time, ascii), IsoUtcLength);
    QCOMPARE(QString::fromLatin1(ascii, IsoUtcLength), isoUtc(time));
    QCOMPARE(isoUtcAscii(QDateTime(), ascii), 0);
    QCOMPARE(isoUtcAscii(QDateTime(QDate(10000, 1, 1), QTime(0, 0), Qt::UTC), ascii), 0);
}

void TestStore::spendRowColumnsAreWhatWasBound()
{
    // The spend row binds its values from the row itself (Store::SqlArg, the times written in
    // ASCII): every column must hold what the row says, a null string '' (the columns are NOT
    // NULL); a time without an ISO text (invalid, or after the year 9999) is refused.
    Store store;
    QVERIFY(store.open(m_path).ok());
    SpendLogRow row;
    row.requestId = u"call-\u00e9\u4e2d-1"_s;
    row.callType = u"acompletion"_s;
    row.apiKey = u"abc123"_s;
    row.spend = 123'456'789'012;
    row.promptTokens = 42;
    row.completionTokens = 17;
    row.totalTokens = 59;
    row.cachedTokens = 3;
    row.cacheWriteTokens = 4;
    row.cacheWrite1hTokens = 2;
    row.startTime = QDateTime(QDate(2026, 12, 5), QTime(1, 2, 3, 456), Qt::UTC);
    row.endTime = QDateTime(QDate(9999, 2, 3), QTime(4, 5, 6, 7), Qt::UTC);
    row.model = u"gpt-4o-mini"_s;
    row.modelGroup = u"m\u00fcnchen"_s;  // modelId, userId, dialect and sessionId stay null
    row.endUser = u"end \U0001F600 user"_s;
    row.status = u"failure"_s;
    row.costEstimated = true;
    row.priceUnknown = false;
    row.httpStatus = 502;
    row.reason = u"upstream said no"_s;
    const Result<void> written = store.writeNow([row](QSqlDatabase &db) -> Result<void> {
        bool inserted = false;
        const Result<void> done = SpendLogRepository::insertOnce(db, row, &inserted);
        if (done.ok() && !inserted)
            return makeError(u"not inserted"_s);
        return done;
    });
    QVERIFY2(written.ok(), why(written));

    const Result<QVariant> columns = store.readNow([](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        if (!query.exec(u"SELECT request_id, call_type, api_key, spend_nanousd, prompt_tokens, completion_tokens, "
                        "total_tokens, start_time, end_time, model, model_group, model_id, user_id, end_user, "
                        "status, cost_estimated, price_unknown, cached_tokens, cache_write_tokens, "
                        "cache_write_1h_tokens, dialect, session_id, http_status, reason, typeof(model_id), "
                        "typeof(start_time) FROM spend_logs"_s)
            || !query.next())
            return QVariant();
        QVariantList values;
        for (int i = 0; i < 26; ++i)
            values.append(query.value(i));
        return values;
    });
    QVERIFY2(columns.ok(), why(columns));
    const QVariantList values = columns->toList();
    QCOMPARE(values.size(), 26);
    const QVariantList expected{row.requestId, row.callType, row.apiKey, row.spend, 42, 17, 59,
                                u"2026-12-05T01:02:03.456Z"_s, u"9999-02-03T04:05:06.007Z"_s, row.model, row.modelGroup,
                                u""_s, u""_s, row.endUser, row.status, 1, 0, 3, 4, 2, u""_s, u""_s, 502,
                                row.reason, u"text"_s, u"text"_s};
    for (int i = 0; i < 26; ++i)
        QCOMPARE(values.at(i).toString(), expected.at(i).toString());

    // A time isoUtc has no text for binds NULL, which the NOT NULL column refuses.
    for (const QDateTime &time : {QDateTime(), QDateTime(QDate(10001, 2, 3), QTime(4, 5), Qt::UTC)}) {
        SpendLogRow timeless = row;
        timeless.requestId = u"call-timeless"_s;
        timeless.startTime = time;
        const Result<void> refused = store.writeNow([timeless](QSqlDatabase &db) -> Result<void> {
            bool inserted = false;
            return SpendLogRepository::insertOnce(db, timeless, &inserted);
        });
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.contains(u"NOT NULL"_s), qPrintable(refused.error().message));
    }
}

void TestStore::blockingHelpers()
{
    Store store;
    QVERIFY(store.open(m_path).ok());

    const Result<void> written = store.writeNow(insertJob(u"r1"_s));
    QVERIFY2(written.ok(), why(written));
    const Result<void> duplicate = store.writeNow(insertJob(u"r1"_s));
    QVERIFY(!duplicate.ok());
    QVERIFY2(duplicate.error().message.contains(u"UNIQUE"_s), qPrintable(duplicate.error().message));

    const Result<QVariant> rows = store.readNow(countJob());
    QVERIFY2(rows.ok(), why(rows));
    QCOMPARE(rows->toInt(), 1);

    // Opening twice is refused; the first connection keeps working.
    QVERIFY(!store.open(m_path).ok());
    QVERIFY(store.readNow(countJob()).ok());
}

void TestStore::blockingHelpersRefuseTheStoreThread()
{
    Store store;
    QVERIFY(store.open(m_path).ok());

    // A job that waits for the store from inside the store would wait forever.
    const Result<QVariant> inner = store.readNow([&store](QSqlDatabase &) -> QVariant {
        const Result<QVariant> read = store.readNow(countJob());
        const Result<void> written = store.writeNow(insertJob(u"r1"_s));
        return QStringList{read.ok() ? QString() : read.error().message,
                           written.ok() ? QString() : written.error().message};
    });
    QVERIFY2(inner.ok(), why(inner));
    const QStringList errors = inner->toStringList();
    QCOMPARE(errors.size(), 2);
    QVERIFY2(errors.at(0).contains(u"store thread"_s), qPrintable(errors.at(0)));
    QVERIFY2(errors.at(1).contains(u"store thread"_s), qPrintable(errors.at(1)));
}

void TestStore::defaultPathIsInAppData()
{
    const QString path = Store::defaultPath();
    QVERIFY(path.endsWith(u"/tollgate.db"_s));
    QVERIFY(QFileInfo(path).isAbsolute());
}

void TestStore::spendIsAddedWithinItsWindow()
{
    // IdentityRepository::addSpend: increments within the call's budget window; a newer window
    // moves the stored one first (spend from 0), a reset (0 added) never zeroes a window that
    // is already current (another process reset first and has added since), and a call from an
    // older window that lands late counts in the newer one.
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"t.db"_s)).ok());
    const QDateTime windowA = QDateTime(QDate(2026, 3, 2), QTime(0, 0), Qt::UTC);
    const QDateTime windowB = QDateTime(QDate(2026, 3, 3), QTime(0, 0), Qt::UTC);
    VirtualKey key;
    key.token = u"t0k"_s;
    key.keyName = u"sk-...t0k"_s;
    key.budget.spend = 1000;
    key.budget.resetAt = windowA;
    key.modelMaxBudget = QJsonObject{{u"chat"_s, QJsonObject{{u"budget_limit"_s, 1.0}, {u"time_period"_s, u"1d"_s}}}};
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::saveKey(key),
                                                    IdentityRepository::saveGlobalSpend(4000, windowA, u"1d"_s)}))
                .ok());
    const auto state = [&store]() {
        const auto value = store.readNow([](QSqlDatabase &db) -> QVariant {
            QSqlQuery query(db);
            if (!query.exec(u"SELECT spend_nanousd, data FROM keys"_s) || !query.next())
                return {};
            const QJsonObject data = QJsonDocument::fromJson(query.value(1).toString().toUtf8()).object();
            const QJsonObject chat = data.value(u"model_max_budget"_s).toObject().value(u"chat"_s).toObject();
            const QJsonObject global = IdentityRepository::loadGlobalSpend(db);
            return QVariantList{query.value(0).toLongLong(), IdentityJson::parseTime(data.value(u"budget_reset_at"_s)),
                                usdToNanos(chat.value(u"spend"_s).toDouble()),
                                IdentityJson::parseTime(chat.value(u"budget_reset_at"_s)),
                                global.value(u"spend_nanousd"_s).toInteger(),
                                IdentityJson::parseTime(global.value(u"budget_reset_at"_s)),
                                global.value(u"budget_duration"_s).toString()};
        });
        return value ? value->toList() : QVariantList();
    };
    const auto add = [&store](NanoUsd added, const QDateTime &window) {
        return store
            .writeNow(IdentityRepository::all({IdentityRepository::addSpend(LedgerScope::key(u"t0k"_s), added, window),
                                               IdentityRepository::addSpend(LedgerScope::keyModel(u"t0k"_s, u"chat"_s),
                                                                            added, window),
                                               IdentityRepository::addSpend(LedgerScope::global(), added, window,
                                                                            u"1d"_s)}))
            .ok();
    };
    QVERIFY(add(10, windowA));
    QCOMPARE(state(), (QVariantList{1010, windowA, 10, windowA, 4010, windowA, u"1d"_s}));
    QVERIFY(add(0, windowB));  // this process's reset
    QCOMPARE(state(), (QVariantList{0, windowB, 0, windowB, 0, windowB, u"1d"_s}));
    QVERIFY(add(5, windowB));
    QVERIFY(add(0, windowB));  // another process's reset of the same window: nothing lost
    QCOMPARE(state(), (QVariantList{5, windowB, 5, windowB, 5, windowB, u"1d"_s}));
    QVERIFY(add(3, windowA));  // a late call of the older window
    QCOMPARE(state(), (QVariantList{8, windowB, 8, windowB, 8, windowB, u"1d"_s}));
    // No window (a budget without a period): a plain increment.
    QVERIFY(add(2, QDateTime()));
    QCOMPARE(state(), (QVariantList{10, windowB, 10, windowB, 10, windowB, u"1d"_s}));
    // A key that is gone takes nothing, and fails nothing.
    QVERIFY(store.writeNow(IdentityRepository::addSpend(LedgerScope::key(u"gone"_s), 7, windowB)).ok());
}


void TestStore::managementWritesKeepTheSpendTheyDidNotChange()
{
    // A management change that leaves the spend alone (block, alias, limits) writes its row with
    // SpendWrite::Keep: calls another process (or this one's lazy batch) added to the stored
    // column in the meantime stay. An explicit spend edit (SpendWrite::Set) writes its value.
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"t.db"_s)).ok());
    VirtualKey key;
    key.token = u"k33p"_s;
    key.keyName = u"sk-...k33p"_s;
    key.budget.spend = 1000;
    User user;
    user.userId = u"alice"_s;
    user.budget.spend = 1000;
    EndUser endUser;
    endUser.userId = u"customer-1"_s;
    endUser.budget.spend = 1000;
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::saveKey(key), IdentityRepository::saveUser(user),
                                                    IdentityRepository::saveEndUser(endUser)}))
                .ok());
    // Another process settles a call of 500 on all three.
    QVERIFY(store.writeNow(IdentityRepository::all({IdentityRepository::addSpend(LedgerScope::key(key.token), 500, {}),
                                                    IdentityRepository::addSpend(LedgerScope::user(user.userId), 500, {}),
                                                    IdentityRepository::addSpend(LedgerScope::endUser(endUser.userId),
                                                                                 500, {})}))
                .ok());
    const auto spends = [&store]() {
        const auto value = store.readNow([](QSqlDatabase &db) -> QVariant {
            QVariantList out;
            for (const QString &table : {u"keys"_s, u"users"_s, u"end_users"_s}) {
                QSqlQuery query(db);
                if (!query.exec(u"SELECT spend_nanousd FROM %1"_s.arg(table)) || !query.next())
                    return {};
                out.append(query.value(0).toLongLong());
            }
            return out;
        });
        return value ? value->toList() : QVariantList();
    };
    QCOMPARE(spends(), (QVariantList{1500LL, 1500LL, 1500LL}));

    // This process, whose memory still says 1000, blocks the key and renames the others.
    VirtualKey blocked = key;
    blocked.blocked = true;
    User renamed = user;
    renamed.userAlias = u"Alice"_s;
    EndUser edited = endUser;
    edited.alias = u"Customer One"_s;
    QCOMPARE(IdentityRepository::spendWriteFor(key, blocked), IdentityRepository::SpendWrite::Keep);
    QVERIFY(store.writeNow(IdentityRepository::all(
                               {IdentityRepository::saveKey(blocked, IdentityRepository::spendWriteFor(key, blocked)),
                                IdentityRepository::saveUser(renamed, IdentityRepository::spendWriteFor(user, renamed)),
                                IdentityRepository::saveEndUser(edited,
                                                                IdentityRepository::spendWriteFor(endUser, edited))}))
                .ok());
    QCOMPARE(spends(), (QVariantList{1500LL, 1500LL, 1500LL}));
    const auto snapshot = store.readNow([](QSqlDatabase &db) -> QVariant {
        auto all = IdentityRepository::loadAll(db);
        return all && !all->keys.isEmpty() ? QVariant(all->keys.first().blocked) : QVariant();
    });
    QVERIFY(snapshot && snapshot->toBool());  // the change itself was written

    // An admin sets the key's spend to 0 explicitly: that value is written.
    VirtualKey zeroed = blocked;
    zeroed.budget.spend = 0;
    QCOMPARE(IdentityRepository::spendWriteFor(blocked, zeroed), IdentityRepository::SpendWrite::Set);
    QVERIFY(store.writeNow(IdentityRepository::saveKey(zeroed, IdentityRepository::spendWriteFor(blocked, zeroed))).ok());
    QCOMPARE(spends().value(0), QVariant(0LL));
}

void TestStore::relayedResponsesNewestWinAndOldOnesArePruned()
{
    Store store;
    QVERIFY(store.open(m_path).ok());
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000LL, Qt::UTC);
    const auto response = [&at](int i, const QString &deployment) {
        return StoredResponse{u"resp_%1"_s.arg(i), deployment, u"group"_s, u"token"_s, i * 10, at.addSecs(i)};
    };
    for (int i = 0; i < 6; ++i)
        QVERIFY(store.writeNow(ResponseRepository::save(response(i, u"d-first"_s))).ok());
    // resp_1 saved again (a later row): the newest row wins.
    QVERIFY(store.writeNow(ResponseRepository::save(response(1, u"d-again"_s))).ok());
    QVERIFY(store.writeNow(ResponseRepository::remove(u"resp_5"_s)).ok());

    const auto loaded = store.readNow([](QSqlDatabase &db) {
        auto rows = ResponseRepository::loadRecent(db, 3);
        return rows ? QVariant::fromValue(*rows) : QVariant();
    });
    QVERIFY(loaded.ok());
    const auto rows = loaded->value<QList<StoredResponse>>();
    // The three newest distinct ids (resp_5 deleted), oldest first.
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows.at(0).responseId, u"resp_3"_s);
    QCOMPARE(rows.at(1).responseId, u"resp_4"_s);
    QCOMPARE(rows.at(2).responseId, u"resp_1"_s);
    QCOMPARE(rows.at(2).deploymentId, u"d-again"_s);
    QCOMPARE(rows.at(1).contextTokens, 40);
    QCOMPARE(rows.at(1).createdAt, at.addSecs(4));
    // What is older than the kept rows is gone.
    const auto count = store.readNow([](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.exec(u"SELECT count(*) FROM responses"_s);
        return query.next() ? query.value(0) : QVariant();
    });
    QCOMPARE(count->toInt(), 3);
}

namespace {
// Counts the queued calls (QMetaCallEvent) its target receives.
class MetaCallCounter : public QObject
{
public:
    int calls = 0;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::MetaCall)
            ++calls;
        return QObject::eventFilter(watched, event);
    }
};
} // namespace

void TestStore::aBatchAnswersItsContextInOneQueuedCall()
{
    // The answers of one batch go to their context together: its thread wakes once per batch,
    // not once per job (issue #16: every settled call's answer was a queued call of its own).
    QTemporaryDir dir;
    Store store;
    QVERIFY(store.open(dir.filePath(u"t.db"_s)).ok());
    QObject context;
    MetaCallCounter counter;
    context.installEventFilter(&counter);
    Gate gate;
    auto release = qScopeGuard([&gate] { gate.open.release(); });
    store.write(gate.job(), nullptr);
    QVERIFY(gate.entered.tryAcquire(1, 10000));
    constexpr int Writes = 10;
    QList<int> answered;
    for (int i = 0; i < Writes; ++i)
        store.write(insertJob(u"w%1"_s.arg(i)), &context, [&answered, i](const Result<void> &r) {
            if (r.ok())
                answered.append(i);
        });
    release.dismiss();
    gate.open.release();
    QTRY_COMPARE(answered.size(), Writes);
    QCOMPARE(answered, (QList<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // in order
    QCOMPARE(counter.calls, 1);
}

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
