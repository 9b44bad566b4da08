// The store on PostgreSQL (issue #17): open, migrations, writes and reads through the
// repositories, the batch failure path, the journal replay and a lost connection, against the
// real server tests/support/pgcluster.sh starts (CTest fixture `postgres`). Without
// TOLLGATE_TEST_PG_URL the test fails: it exists to run on PostgreSQL.

#include "models/store/databasetarget.h"
#include "models/store/identityrepository.h"
#include "models/store/migrations.h"
#include "models/store/spendjournal.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"
#include "tests/support/pgtestdb.h"

#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace Qt::StringLiterals;
using namespace Tollgate;

namespace {

SpendLogRow row(const QString &id, NanoUsd spend, const QString &key = u"tok-a"_s)
{
    SpendLogRow r;
    r.requestId = id;
    r.callType = u"acompletion"_s;
    r.apiKey = key;
    r.spend = spend;
    r.promptTokens = 10;
    r.completionTokens = 5;
    r.totalTokens = 15;
    r.startTime = QDateTime::fromString(u"2026-12-03T10:15:00.000Z"_s, Qt::ISODateWithMs);
    r.endTime = r.startTime.addMSecs(120);
    r.model = u"gpt-a"_s;
    r.modelGroup = u"gpt_a%"_s;
    r.status = u"success"_s;
    r.costEstimated = true;
    r.dialect = u"chat"_s;
    return r;
}

QVariant scalar(Store &store, const QString &sql)
{
    auto value = store.readNow([sql](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        if (!query.exec(sql) || !query.next())
            return QVariant::fromValue(makeError(query.lastError().text()));
        return query.value(0);
    });
    return value ? *value : QVariant(value.error().message);
}

} // namespace

class TestStorePg : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void urlsAreParsedWithoutLeakingThePassword();
    void openMigratesToTheLatestVersionWithWideColumns();
    void unreachableServerIsAClearError();
    void spendRowsAndBudgetsRoundTrip();
    void aFailingJobInABatchLeavesTheOthers();
    void journalLeftByAKilledInstanceIsReplayed();
    void twoInstancesKeepTheirOwnJournals();
    void aLostConnectionIsReopenedAndHeldSpendCommits();

private:
    DatabaseTarget m_target;
    QTemporaryDir m_dir;
};

void TestStorePg::init()
{
    QVERIFY2(!Test::postgresUrl().isEmpty(), "TOLLGATE_TEST_PG_URL is not set (run through ctest: tst_store_pg)");
    auto fresh = Test::freshPostgresDatabase();
    QVERIFY2(fresh.ok(), qPrintable(fresh ? QString() : fresh.error().message));
    m_target = *fresh;
    m_target.journalPath = m_dir.filePath(u"journal-%1/pg"_s.arg(m_target.database));
}

void TestStorePg::urlsAreParsedWithoutLeakingThePassword()
{
    auto target = DatabaseTarget::fromUrl(u"postgresql://alice:s%40cret@db.example:6543/spend"_s);
    QVERIFY(target.ok());
    QCOMPARE(target->user, u"alice"_s);
    QCOMPARE(target->password, u"s@cret"_s);
    QCOMPARE(target->host, u"db.example"_s);
    QCOMPARE(target->port, 6543);
    QCOMPARE(target->database, u"spend"_s);
    QVERIFY(!target->describe().contains(u"cret"_s));
    auto socket = DatabaseTarget::fromUrl(u"postgres://bob@/db?host=/run/pg"_s);
    QVERIFY(socket.ok());
    QCOMPARE(socket->host, u"/run/pg"_s);
    QCOMPARE(socket->port, 5432);
    QVERIFY(!DatabaseTarget::fromUrl(u"mysql://x@y/z"_s).ok());
    QVERIFY(!DatabaseTarget::fromUrl(u"postgresql://x:pw@y:5432/"_s).ok());
    QVERIFY(!DatabaseTarget::fromUrl(u"postgresql://x:pw@y:5432/"_s).error().message.contains(u"pw"_s));
}

void TestStorePg::openMigratesToTheLatestVersionWithWideColumns()
{
    {
        Store store;
        const auto opened = store.open(m_target);
        QVERIFY2(opened.ok(), qPrintable(opened ? QString() : opened.error().message));
        QVERIFY(store.isPostgres());
        QCOMPARE(store.schemaVersion(), latestSchemaVersion());
        QCOMPARE(scalar(store, u"SELECT version FROM tollgate_schema"_s).toInt(), latestSchemaVersion());
        // Nano-dollars overflow 32 bits after $2.14: every INTEGER of the steps is BIGINT here.
        QCOMPARE(scalar(store, u"SELECT data_type FROM information_schema.columns WHERE table_name = 'spend_logs' "
                                "AND column_name = 'spend_nanousd'"_s)
                     .toString(),
                 u"bigint"_s);
        QCOMPARE(scalar(store, u"SELECT count(*) FROM information_schema.columns WHERE data_type = 'integer' "
                                "AND table_schema = 'public'"_s)
                     .toInt(),
                 0);
        QVERIFY(!store.path().contains(u"password"_s));
    }
    // Opening again migrates nothing and keeps the version.
    Store again;
    QVERIFY(again.open(m_target).ok());
    QCOMPARE(again.schemaVersion(), latestSchemaVersion());
}

void TestStorePg::unreachableServerIsAClearError()
{
    DatabaseTarget nowhere = m_target;
    nowhere.port = 1;  // nothing listens there
    nowhere.password = u"hunter2"_s;
    Store store;
    const auto opened = store.open(nowhere);
    QVERIFY(!opened.ok());
    QVERIFY2(opened.error().message.contains(u"127.0.0.1:1/"_s + m_target.database), qPrintable(opened.error().message));
    QVERIFY(!opened.error().message.contains(u"hunter2"_s));
    QVERIFY(!store.isOpen());
}

void TestStorePg::spendRowsAndBudgetsRoundTrip()
{
    Store store;
    QVERIFY(store.open(m_target).ok());
    VirtualKey key;
    key.token = u"tok-a"_s;
    key.keyName = u"sk-...abcd"_s;
    key.keyAlias = u"alias-a"_s;
    QVERIFY(store.writeNow(IdentityRepository::saveKey(key, IdentityRepository::SpendWrite::Set)).ok());

    // More than 2^31 nano-dollars, several calls in one window, then one in the next window.
    const QDateTime window = QDateTime::fromString(u"2026-12-04T00:00:00.000Z"_s, Qt::ISODateWithMs);
    const NanoUsd big = 3'000'000'000LL;
    QObject context;
    int answered = 0;
    for (int i = 0; i < 5; ++i) {
        JournalRecord record;
        record.row = row(u"req-%1"_s.arg(i), big);
        record.states = {JournalBudgetState(LedgerScope::key(key.token), big, window),
                         JournalBudgetState(LedgerScope::global(), big, window, u"1d"_s)};
        QList<Store::WriteJob> jobs{IdentityRepository::addSpend(LedgerScope::key(key.token), big, window),
                                    IdentityRepository::addSpend(LedgerScope::global(), big, window, u"1d"_s)};
        store.recordSpend(record, jobs, &context, [&answered](const Result<void> &r) { answered += r ? 1 : 0; });
    }
    QTRY_COMPARE(answered, 5);
    // The row's values as SQLite gets them (Store::SqlArg): times as isoUtc writes them, a null string as ''.
    QCOMPARE(scalar(store, u"SELECT end_time FROM spend_logs WHERE request_id = 'req-0'"_s).toString(),
             isoUtc(row(u"x"_s, 0).endTime));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE model_id = '' AND user_id = '' AND session_id = '' "
                           "AND reason = '' AND dialect = 'chat'"_s)
                 .toInt(),
             5);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys WHERE token = 'tok-a'"_s).toLongLong(), 5 * big);
    const QDateTime next = window.addDays(1);
    QVERIFY(store.writeNow(IdentityRepository::addSpend(LedgerScope::key(key.token), 7, next)).ok());
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM keys WHERE token = 'tok-a'"_s).toLongLong(), 7LL);
    QCOMPARE(scalar(store, u"SELECT data::jsonb ->> 'budget_reset_at' FROM keys WHERE token = 'tok-a'"_s).toString(),
             isoUtc(next));
    const QJsonObject global = store.readNow([](QSqlDatabase &db) {
                                        return QVariant::fromValue(IdentityRepository::loadGlobalSpend(db));
                                    })
                                   ->value<QJsonObject>();
    QCOMPARE(global.value(u"spend_nanousd"_s).toInteger(), 5 * big);

    // The reads of the API: rows with the key's alias, the LIKE filter, the total, the report.
    auto rows = store.readNow([](QSqlDatabase &db) {
        SpendLogFilter filter;
        filter.modelGroupContains = u"a%"_s;
        auto found = SpendLogRepository::find(db, filter, 10, 0);
        return found ? QVariant::fromValue(*found) : QVariant::fromValue(found.error());
    });
    QVERIFY2(rows.ok(), qPrintable(rows ? QString() : rows.error().message));
    const auto list = rows->value<QList<SpendLogRow>>();
    QCOMPARE(list.size(), 5);
    QCOMPARE(list.first().keyAlias, u"alias-a"_s);
    QCOMPARE(list.first().spend, big);
    QVERIFY(list.first().costEstimated);
    QCOMPARE(list.first().startTime, row(u"x"_s, 0).startTime);
    auto total = store.readNow([](QSqlDatabase &db) {
        auto sum = SpendLogRepository::totalSpend(db);
        return sum ? QVariant::fromValue(*sum) : QVariant::fromValue(sum.error());
    });
    QVERIFY(total.ok());
    QCOMPARE(total->value<NanoUsd>(), 5 * big);
    auto report = store.readNow([](QSqlDatabase &db) {
        auto cells = SpendLogRepository::report(db, {}, SpendGroup::ApiKey, SpendBucket::Hour);
        return cells ? QVariant::fromValue(*cells) : QVariant::fromValue(cells.error());
    });
    QVERIFY2(report.ok(), qPrintable(report ? QString() : report.error().message));
    const auto cells = report->value<QList<SpendReportCell>>();
    QCOMPARE(cells.size(), 1);
    QCOMPARE(cells.first().period, u"2026-12-03T10"_s);
    QCOMPARE(cells.first().requests, 5);
    QCOMPARE(cells.first().spend, 5 * big);
}

void TestStorePg::aFailingJobInABatchLeavesTheOthers()
{
    Store store;
    QVERIFY(store.open(m_target).ok());
    QObject context;
    QList<bool> results(6);
    int answered = 0;
    // Queued together: one batch, one job failing in the middle (PostgreSQL aborts the whole
    // transaction on a failed statement: the batch runs again job by job, in savepoints).
    for (int i = 0; i < 6; ++i) {
        const bool bad = i == 3;
        store.write(
            [i, bad](QSqlDatabase &db) -> Result<void> {
                if (bad)
                    return Store::execCached(db, u"INSERT INTO no_such_table VALUES (?)"_s, {i}, u"fail"_s);
                return Store::execCached(db, u"INSERT INTO settings (key, value) VALUES (?, ?)"_s,
                                         {u"k%1"_s.arg(i), QString::number(i)}, u"insert"_s);
            },
            &context,
            [&results, &answered, i](const Result<void> &r) {
                results[i] = r.ok();
                ++answered;
            });
    }
    QTRY_COMPARE(answered, 6);
    QCOMPARE(results, (QList<bool>{true, true, true, false, true, true}));
    QCOMPARE(scalar(store, u"SELECT count(*) FROM settings WHERE key LIKE 'k%'"_s).toInt(), 5);
}

void TestStorePg::journalLeftByAKilledInstanceIsReplayed()
{
    // A first instance journals two calls and "dies" before committing them (its journal is
    // written, nothing reached the database): the next start on the same journal folds them in.
    {
        Store store;
        QVERIFY(store.open(m_target).ok());
    }
    QVERIFY(QDir().mkpath(QFileInfo(m_target.journalPath).absolutePath()));
    {
        SpendJournal journal(m_target.journalPath, 1);
        for (int i = 0; i < 2; ++i) {
            JournalRecord record;
            record.row = row(u"lost-%1"_s.arg(i), 1000);
            QVERIFY(journal.append(record).ok());
        }
    }
    QCOMPARE(SpendJournal::segments(m_target.journalPath).size(), 1);
    Store store;
    QVERIFY(store.open(m_target).ok());
    QCOMPARE(scalar(store, u"SELECT count(*) FROM spend_logs WHERE request_id LIKE 'lost-%'"_s).toInt(), 2);
    QVERIFY(SpendJournal::segments(m_target.journalPath).isEmpty());
    QVERIFY(store.spendJournal());
}

void TestStorePg::twoInstancesKeepTheirOwnJournals()
{
    // Two gateways with the same journal directory: the second takes the next slot, and each
    // notes its committed number in a row of its own (one's progress never skips the other's).
    Store first;
    QVERIFY(first.open(m_target).ok());
    Store second;
    QVERIFY(second.open(m_target).ok());
    QVERIFY(first.spendJournal() && second.spendJournal());
    QVERIFY(first.spendJournal()->committedKey() != second.spendJournal()->committedKey());
    QObject context;
    int answered = 0;
    for (Store *store : {&first, &second}) {
        JournalRecord record;
        record.row = row(QUuid::createUuid().toString(QUuid::WithoutBraces), 5);
        store->recordSpend(record, {}, &context, [&answered](const Result<void> &) { ++answered; });
    }
    QTRY_COMPARE(answered, 2);
    QCOMPARE(scalar(first, u"SELECT count(*) FROM settings WHERE key LIKE 'spend_journal_seq:%'"_s).toInt(), 2);
    QCOMPARE(scalar(first, u"SELECT count(*) FROM spend_logs"_s).toInt(), 2);
}

void TestStorePg::aLostConnectionIsReopenedAndHeldSpendCommits()
{
    Store store;
    QVERIFY(store.open(m_target).ok());
    QVERIFY(store.writeNow([](QSqlDatabase &) -> Result<void> { return {}; }).ok());
    // The server drops the store's connection (as a restart would).
    {
        const QString name = u"killer"_s;
        {
            // Not named "tollgate": it ends the store's connections, not its own.
            const auto added = m_target.addConnection(name, u"tollgate-test"_s);
            QVERIFY(added.ok());
            QSqlDatabase admin = *added;
            QVERIFY(admin.open());
            QSqlQuery query(admin);
            QVERIFY(query.exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%1' "
                               "AND application_name = 'tollgate'"_s.arg(m_target.database)));
            QVERIFY(query.next());
            admin.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
    QObject context;
    int committed = 0;
    JournalRecord record;
    record.row = row(u"after-the-cut"_s, 42);
    const bool answerNow = store.recordSpend(record, {}, &context, [&committed](const Result<void> &r) {
        if (r)
            ++committed;
    });
    QVERIFY(answerNow);  // journaled: the caller answers at once
    QTRY_COMPARE_WITH_TIMEOUT(committed, 1, 10000);
    QCOMPARE(scalar(store, u"SELECT spend_nanousd FROM spend_logs WHERE request_id = 'after-the-cut'"_s).toLongLong(),
             42LL);
}

QTEST_GUILESS_MAIN(TestStorePg)
#include "tst_store_pg.moc"
