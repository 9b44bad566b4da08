// Issue #17: budgets hold across instances. 2 and 3 real `tollgate --headless` processes on one
// SQLite file with general_settings.shared_database on, a key whose max_budget is worth 5 mock
// calls, and 200 parallel calls split across the instances: reserve mode serves at most N + 5,
// strict mode never lets the key's recorded spend pass max_budget; the key's spend in the
// database equals the sum of its spend-log rows, and every lease went back at shutdown.
// With TOLLGATE_TEST_PG_URL set (tst_shared_budgets_pg, the `postgres` fixture's server) the
// instances share a fresh PostgreSQL database instead (general_settings.database_url).
#include "models/money.h"
#include "models/store/identityrepository.h"
#include "models/store/leaserepository.h"
#include "models/store/store.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"
#include "tests/support/pgtestdb.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <thread>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto MasterKey = "sk-shared-budgets-master";

// The database the instances of one test share: a SQLite file (--db), or on PostgreSQL a fresh
// database named in the config (database_url, and the spend journals in the test's directory).
struct SharedDatabase
{
    QString sqlitePath;
    std::optional<DatabaseTarget> postgres;
    QString journalDir;

    [[nodiscard]] Result<void> openStore(Store &store) const
    {
        return postgres ? store.open(*postgres) : store.open(sqlitePath);
    }
    // A connection of the test's own, named `name` (removeDatabase after use).
    [[nodiscard]] QSqlDatabase connection(const QString &name) const
    {
        const auto db = (postgres ? *postgres : DatabaseTarget::sqlite(sqlitePath)).addConnection(name, u"tollgate-test"_s);
        return db ? *db : QSqlDatabase();
    }
};

// The database for a test in `dir`: nullopt (and a warning) when PostgreSQL is asked for and
// cannot give one — the test then fails, it never falls back to SQLite.
std::optional<SharedDatabase> sharedDatabase(const QTemporaryDir &dir)
{
    SharedDatabase database;
    if (postgresUrl().isEmpty()) {
        database.sqlitePath = dir.filePath(u"shared.db"_s);
        return database;
    }
    auto target = freshPostgresDatabase();
    if (!target) {
        qWarning().noquote() << target.error().message;
        return std::nullopt;
    }
    database.postgres = *target;
    database.journalDir = dir.filePath(u"journal"_s);
    return database;
}

// Starts the headless binary (its log into `logFile`) and waits for its "listening on" line.
quint16 startGateway(QProcess &process, const QString &config, const SharedDatabase &database, const QString &logFile)
{
    process.setStandardErrorFile(logFile);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QT_LOGGING_RULES"_s, u"tollgate.leases.info=true"_s);
    process.setProcessEnvironment(environment);
    return Test::startHeadlessGateway(process, config,
                                      database.postgres ? QStringList() : QStringList{u"--db"_s, database.sqlitePath});
}

bool writeConfig(const QString &path, const SharedDatabase &database, bool strict, const QString &globalBudget = {},
                 const QString &leaseSeconds = {})
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QByteArray yaml = Test::pricedMockConfig("sk-shared-budgets-master")
                      + "  shared_database: true\n"
                      "  budget_enforcement: "
                      + QByteArray(strict ? "strict" : "reserve") + "\n";
    if (database.postgres) {
        // The URL without a password: the test server trusts its loopback connections.
        yaml += "  database_url: \"" + database.postgres->describe().toUtf8() + "\"\n"
                "  journal_dir: \"" + database.journalDir.toUtf8() + "\"\n";
    }
    if (!leaseSeconds.isEmpty())
        yaml += "  shared_lease_seconds: " + leaseSeconds.toLatin1() + "\n";
    if (!globalBudget.isEmpty())
        yaml += "litellm_settings:\n  max_budget: " + globalBudget.toLatin1() + "\n";
    file.write(yaml);
    return true;
}

QByteArray chatBody(qint64 maxTokens)
{
    QJsonObject body{{u"model"_s, u"priced"_s},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hello"_s}}}}};
    if (maxTokens > 0)
        body.insert(u"max_tokens"_s, maxTokens);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

struct Outcome
{
    int served = 0;
    int refused = 0;        // 429 budget_exceeded
    int other = 0;          // anything else (a failure)
    NanoUsd charged = 0;    // x-litellm-response-cost of the served calls
    QStringList otherStatuses;
};

// `calls` calls at once, one thread each, call i on port i % ports.size().
Outcome fireInParallel(const QList<quint16> &ports, const QByteArray &key, const QByteArray &body, int calls)
{
    Outcome outcome;
    std::mutex lock;
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    threads.reserve(size_t(calls));
    for (int i = 0; i < calls; ++i) {
        threads.emplace_back([&, i] {
            HttpClient client(ports.at(i % ports.size()));
            client.setTimeout(std::chrono::seconds(30));
            while (!go.load())
                std::this_thread::yield();
            const auto response = client.post("/v1/chat/completions", body, {{"Authorization", "Bearer " + key}});
            const std::lock_guard<std::mutex> guard(lock);
            if (response.status == 200) {
                ++outcome.served;
                outcome.charged += usdToNanos(response.header("x-litellm-response-cost").toDouble());
            } else if (response.status == 429) {
                ++outcome.refused;
            } else {
                ++outcome.other;
                outcome.otherStatuses.append(QString::number(response.status) + u' '
                                             + QString::fromUtf8(response.body.left(200)) + response.error);
            }
        });
    }
    go.store(true);
    for (std::thread &thread : threads)
        thread.join();
    return outcome;
}

// The lease round trips a gateway reported at shutdown.
qint64 leaseRequestsIn(const QString &logFile)
{
    QFile file(logFile);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QString log = QString::fromUtf8(file.readAll());
    const auto match = QRegularExpression(u"shared budgets: (\\d+) lease request"_s).match(log);
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

} // namespace

class TestSharedBudgets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void budgetsHoldAcrossInstances_data();
    void budgetsHoldAcrossInstances();
    void aKilledInstancesLeaseCountsAsSpentUntilItsJournalIsReplayed();
    void aNewBudgetWindowStartsTheSharedRowAfresh();
    void anEndUserMadeOnFirstUseIsOneForEveryInstance();
    void adminEditsReachEveryInstance();
};

void TestSharedBudgets::budgetsHoldAcrossInstances_data()
{
    QTest::addColumn<int>("instances");
    QTest::addColumn<bool>("strict");
    QTest::addColumn<QString>("budgetOn");   // key, user or global
    QTest::addColumn<int>("worth");          // the budget, in calls
    QTest::newRow("2 instances, reserve, key") << 2 << false << u"key"_s << 5;
    QTest::newRow("2 instances, strict, key") << 2 << true << u"key"_s << 5;
    QTest::newRow("3 instances, reserve, key") << 3 << false << u"key"_s << 5;
    QTest::newRow("3 instances, strict, key") << 3 << true << u"key"_s << 5;
    QTest::newRow("3 instances, reserve, user") << 3 << false << u"user"_s << 5;
    QTest::newRow("3 instances, strict, global") << 3 << true << u"global"_s << 5;
    // The cost per call when the budget is not the limit: every call is served, and the lease
    // round trips are a few per instance (a lease is a twentieth of the max), not one per call.
    QTest::newRow("3 instances, reserve, key worth 1000") << 3 << false << u"key"_s << 1000;
    QTest::newRow("3 instances, strict, key worth 1000") << 3 << true << u"key"_s << 1000;
}

void TestSharedBudgets::budgetsHoldAcrossInstances()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QFETCH(int, instances);
    QFETCH(bool, strict);
    QFETCH(QString, budgetOn);
    QFETCH(int, worth);
    constexpr int Calls = 200;

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const std::optional<SharedDatabase> shared = sharedDatabase(dir);
    QVERIFY(shared);
    const SharedDatabase &database = *shared;
    QVERIFY(writeConfig(config, database, strict));

    // The price of one call: measured on a first gateway, with the master key (no budget).
    auto first = std::make_unique<QProcess>();
    const quint16 firstPort = startGateway(*first, config, database, dir.filePath(u"measure.log"_s));
    QVERIFY(firstPort != 0);
    HttpClient admin(firstPort);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto probe = admin.post("/v1/chat/completions", chatBody(0));
    QCOMPARE(probe.status, 200);
    const qint64 outputTokens = probe.json().value(u"usage"_s).toObject().value(u"completion_tokens"_s).toInteger();
    QVERIFY(outputTokens > 0);
    // max_tokens = what the mock answers: the estimate (and strict's bound) is then the cost,
    // up to the prompt's byte bound.
    const QByteArray body = chatBody(outputTokens);
    const auto priced = admin.post("/v1/chat/completions", body);
    QCOMPARE(priced.status, 200);
    const NanoUsd cost = usdToNanos(priced.header("x-litellm-response-cost").toDouble());
    QVERIFY(cost > 0);
    const NanoUsd max = worth * cost;
    const QByteArray maxText = QByteArray::number(nanosToUsd(max), 'g', 17);

    // The budget: on the key, on its user, or the global proxy budget (config, so restart).
    QByteArray generate = "{}";
    if (budgetOn == u"key") {
        generate = R"({"max_budget": )" + maxText + "}";
    } else if (budgetOn == u"user") {
        QCOMPARE(admin.post("/user/new", R"({"user_id": "shared-user", "max_budget": )" + maxText + "}").status, 200);
        generate = R"({"user_id": "shared-user"})";
    }
    const auto generated = admin.post("/key/generate", generate);
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    first->terminate();
    QVERIFY(first->waitForFinished(10000));
    if (budgetOn == u"global")
        QVERIFY(writeConfig(config, database, strict, QString::fromLatin1(maxText)));
    // The global scope counts every call: the two probes above are its spend already.
    const NanoUsd spentBefore = budgetOn == u"global" ? 2 * cost : 0;

    std::vector<std::unique_ptr<QProcess>> gateways;
    QList<quint16> ports;
    QStringList logs;
    for (int i = 0; i < instances; ++i) {
        gateways.push_back(std::make_unique<QProcess>());
        logs.append(dir.filePath(u"gateway-%1.log"_s.arg(i)));
        const quint16 port = startGateway(*gateways.back(), config, database, logs.last());
        QVERIFY(port != 0);
        ports.append(port);
    }

    const Outcome outcome = fireInParallel(ports, key, body, Calls);
    qInfo().noquote() << u"%1 instance(s), %2: %3 served, %4 refused, %5 other"_s.arg(instances)
                             .arg(strict ? u"strict"_s : u"reserve"_s)
                             .arg(outcome.served)
                             .arg(outcome.refused)
                             .arg(outcome.other);
    QVERIFY2(outcome.other == 0, qPrintable(outcome.otherStatuses.join(u"\n"_s)));
    QCOMPARE(outcome.served + outcome.refused, Calls);
    const int budgetCalls = int((max - spentBefore) / cost);
    QVERIFY2(outcome.served <= budgetCalls + (strict ? 0 : instances),
             qPrintable(u"served %1 of a budget worth %2"_s.arg(outcome.served).arg(budgetCalls)));
    QVERIFY(outcome.served >= 1);
    if (budgetCalls >= Calls)
        QCOMPARE(outcome.served, Calls);

    for (const auto &gateway : gateways) {
        gateway->terminate();
        QVERIFY(gateway->waitForFinished(15000));
        QCOMPARE(gateway->exitCode(), 0);
    }
    qint64 leaseRequests = 0;
    for (const QString &log : std::as_const(logs)) {
        const qint64 requests = leaseRequestsIn(log);
        QVERIFY2(requests >= 0, qPrintable(log));
        leaseRequests += requests;
    }
    qInfo().noquote() << u"lease round trips for %1 calls: %2"_s.arg(Calls).arg(leaseRequests);
    // One round trip serves every call parked behind it: far fewer than one per call.
    QVERIFY(leaseRequests >= 1);
    QVERIFY2(leaseRequests < (budgetCalls >= Calls ? 5 * instances : Calls / 2), qPrintable(QString::number(leaseRequests)));

    Store store;
    QVERIFY(database.openStore(store).ok());
    const LedgerScope scope = budgetOn == u"key"    ? LedgerScope::key(token)
                              : budgetOn == u"user" ? LedgerScope::user(u"shared-user"_s)
                                                    : LedgerScope::global();
    const auto sums = store.readNow([token, scope](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.prepare(u"SELECT (SELECT spend_nanousd FROM keys WHERE token = ?), "
                      "(SELECT CAST(coalesce(sum(spend_nanousd), 0) AS BIGINT) FROM spend_logs WHERE api_key = ?), "
                      "(SELECT count(*) FROM spend_logs WHERE api_key = ? AND status = 'success')"_s);
        query.addBindValue(token);
        query.addBindValue(token);
        query.addBindValue(token);
        QVariantList values;
        if (query.exec() && query.next())
            values = {query.value(0), query.value(1), query.value(2)};
        const auto share = LeaseRepository::share(db, scope);
        values.append(share && *share ? QVariant((*share)->spend) : QVariant());
        values.append(share && *share ? QVariant((*share)->leased) : QVariant());
        return QVariant(values);
    });
    QVERIFY(sums.ok());
    const QVariantList values = sums->toList();
    QCOMPARE(values.size(), 5);
    QCOMPARE(values.value(2).toInt(), outcome.served);
    QCOMPARE(values.value(1).toLongLong(), outcome.charged);
    QCOMPARE(values.value(0).toLongLong(), outcome.charged);   // the key's recorded spend = its logs
    QVERIFY(!values.value(3).isNull());
    QCOMPARE(values.value(3).toLongLong(), spentBefore + outcome.charged);   // the shared row agrees
    QCOMPARE(values.value(4).toLongLong(), 0);   // every lease went back at shutdown
    if (strict)
        QVERIFY2(spentBefore + outcome.charged <= max,
                 qPrintable(u"spent %1 > max %2"_s.arg(spentBefore + outcome.charged).arg(max)));
    store.close();
}

// An instance killed while it held a lease: once the lease expires it counts as spent (the
// provider may still bill the calls it backed, so no instance may lease it again), and it comes
// off the spend when a gateway replays the killed one's spend journal: its restart.
void TestSharedBudgets::aKilledInstancesLeaseCountsAsSpentUntilItsJournalIsReplayed()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const std::optional<SharedDatabase> shared = sharedDatabase(dir);
    QVERIFY(shared);
    const SharedDatabase &database = *shared;
    QVERIFY(writeConfig(config, database, true, {}, u"2"_s));

    // The first instance owns the spend journal (SQLite) or the first journal slot (PostgreSQL).
    QProcess first;
    quint16 firstPort = startGateway(first, config, database, dir.filePath(u"first.log"_s));
    QVERIFY(firstPort != 0);
    QProcess second;
    const quint16 secondPort = startGateway(second, config, database, dir.filePath(u"second.log"_s));
    QVERIFY(secondPort != 0);
    HttpClient admin(firstPort);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 1})");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    const QString scope = LeaseRepository::scopeKey(LedgerScope::key(token));

    // {shared spend, the key's logged spend, leases held, written off}, read by the test's own
    // connection (a Store here would take the killed instance's journal).
    const auto read = [&] {
        QList<qint64> values;
        const QString connection = u"killed-instance"_s;
        {
            QSqlDatabase db = database.connection(connection);
            if (!db.open())
                return values;
            QSqlQuery query(db);
            query.prepare(u"SELECT (SELECT spend_nanousd FROM budget_shares WHERE scope = ?), "
                          "(SELECT CAST(coalesce(sum(spend_nanousd), 0) AS BIGINT) FROM spend_logs WHERE api_key = ?), "
                          "(SELECT CAST(coalesce(sum(amount_nanousd), 0) AS BIGINT) FROM budget_leases WHERE scope = ?), "
                          "(SELECT CAST(coalesce(sum(amount_nanousd), 0) AS BIGINT) FROM budget_writeoffs WHERE scope = ?)"_s);
            query.addBindValue(scope);
            query.addBindValue(token);
            query.addBindValue(scope);
            query.addBindValue(scope);
            if (query.exec() && query.next())
                values = {query.value(0).toLongLong(), query.value(1).toLongLong(), query.value(2).toLongLong(),
                          query.value(3).toLongLong()};
        }
        QSqlDatabase::removeDatabase(connection);
        return values;
    };
    const auto waitFor = [&](const std::function<bool(const QList<qint64> &)> &holds) {
        QList<qint64> values;
        for (int i = 0; i < 100; ++i) {
            values = read();
            if (values.size() == 4 && holds(values))
                break;
            QTest::qWait(50);
        }
        return values;
    };

    HttpClient client(firstPort);
    client.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    QCOMPARE(client.post("/v1/chat/completions", chatBody(0)).status, 200);
    // The call committed: the first instance holds what is left of its lease.
    QList<qint64> values = waitFor([](const QList<qint64> &v) { return v[1] > 0 && v[0] == v[1] && v[2] > 0; });
    QCOMPARE(values.size(), 4);
    QVERIFY2(values[1] > 0 && values[0] == values[1] && values[2] > 0, qPrintable(QDebug::toString(values)));
    const qint64 lease = values[2];
    first.kill();
    QVERIFY(first.waitForFinished(10000));

    // Past its life the lease is counted as spent when the second instance asks for one.
    QTest::qWait(2600);
    HttpClient other(secondPort);
    other.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    QCOMPARE(other.post("/v1/chat/completions", chatBody(0)).status, 200);
    values = waitFor([lease](const QList<qint64> &v) { return v[3] == lease && v[0] == v[1] + lease; });
    QVERIFY2(values.size() == 4 && values[3] == lease && values[0] == values[1] + lease,
             qPrintable(u"lease %1, {shared spend, logged, leased, written off} %2"_s.arg(lease).arg(QDebug::toString(values))));

    // The killed instance starts again on its journal: the lease comes off the spend.
    firstPort = startGateway(first, config, database, dir.filePath(u"first-again.log"_s));
    QVERIFY(firstPort != 0);
    values = waitFor([](const QList<qint64> &v) { return v[3] == 0 && v[0] == v[1]; });
    QVERIFY2(values.size() == 4 && values[3] == 0 && values[0] == values[1], qPrintable(QDebug::toString(values)));
    first.terminate();
    second.terminate();
    QVERIFY(first.waitForFinished(10000));
    QVERIFY(second.waitForFinished(10000));
}

// budget_duration on a shared key: 2 instances, strict, a budget worth 3 calls a 6-second
// window. Each window serves at most 3 calls; the reset moves the shared row to the new window
// (spend from 0), so the second window serves again, and the row then holds its spend only.
void TestSharedBudgets::aNewBudgetWindowStartsTheSharedRowAfresh()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const std::optional<SharedDatabase> shared = sharedDatabase(dir);
    QVERIFY(shared);
    const SharedDatabase &database = *shared;
    QVERIFY(writeConfig(config, database, true));

    QProcess first;
    const quint16 firstPort = startGateway(first, config, database, dir.filePath(u"first.log"_s));
    QVERIFY(firstPort != 0);
    HttpClient admin(firstPort);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto probe = admin.post("/v1/chat/completions", chatBody(0));
    QCOMPARE(probe.status, 200);
    const QByteArray body
        = chatBody(probe.json().value(u"usage"_s).toObject().value(u"completion_tokens"_s).toInteger());
    const auto priced = admin.post("/v1/chat/completions", body);
    const NanoUsd cost = usdToNanos(priced.header("x-litellm-response-cost").toDouble());
    QVERIFY(cost > 0);
    const NanoUsd max = 3 * cost;
    const auto generated = admin.post("/key/generate", R"({"budget_duration": "6s", "max_budget": )"
                                                           + QByteArray::number(nanosToUsd(max), 'g', 17) + "}");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    const QDateTime resetAt = QDateTime::fromString(generated.json().value(u"budget_reset_at"_s).toString(), Qt::ISODate);
    QVERIFY(resetAt.isValid());

    QProcess second;
    const quint16 secondPort = startGateway(second, config, database, dir.filePath(u"second.log"_s));
    QVERIFY(secondPort != 0);
    const Outcome before = fireInParallel({firstPort, secondPort}, key, body, 40);
    QVERIFY(QDateTime::currentDateTimeUtc() < resetAt);   // the first burst was all in the first window
    QCOMPARE(before.other, 0);
    QVERIFY2(before.served >= 1 && before.served <= 3, qPrintable(QString::number(before.served)));

    QTest::qWait(int(std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(resetAt))) + 700);
    const Outcome after = fireInParallel({firstPort, secondPort}, key, body, 40);
    QCOMPARE(after.other, 0);
    QVERIFY2(after.served >= 1 && after.served <= 3, qPrintable(QString::number(after.served)));

    for (QProcess *gateway : {&first, &second}) {
        gateway->terminate();
        QVERIFY(gateway->waitForFinished(15000));
    }
    Store store;
    QVERIFY(database.openStore(store).ok());
    const auto row = store.readNow([token](QSqlDatabase &db) {
        const auto share = LeaseRepository::share(db, LedgerScope::key(token));
        QSqlQuery query(db);
        query.prepare(u"SELECT spend_nanousd FROM keys WHERE token = ?"_s);
        query.addBindValue(token);
        const qint64 keySpend = query.exec() && query.next() ? query.value(0).toLongLong() : -1;
        return share && *share ? QVariant(QVariantList{(*share)->spend, (*share)->leased, keySpend}) : QVariant();
    });
    QVERIFY(row.ok() && !row->isNull());
    const QVariantList values = row->toList();
    QCOMPARE(values.value(0).toLongLong(), after.charged);   // the second window's spend only
    QCOMPARE(values.value(1).toLongLong(), 0);
    QCOMPARE(values.value(2).toLongLong(), after.charged);   // the key's row agrees
    QVERIFY(after.charged <= max);
    store.close();
}

// An end user made on first use (the request's `user`) on one instance and then met on another:
// one row, one window and one spend for both. Each made its own before: two windows, each
// instance resetting the shared row in turn (a strict budget spent once per instance and
// window), and the second's row overwriting the first's spend.
void TestSharedBudgets::anEndUserMadeOnFirstUseIsOneForEveryInstance()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const std::optional<SharedDatabase> shared = sharedDatabase(dir);
    QVERIFY(shared);
    const SharedDatabase &database = *shared;
    QVERIFY(writeConfig(config, database, true));
    {
        QFile file(config);
        QVERIFY(file.open(QIODevice::Append));
        file.write("litellm_settings:\n  max_end_user_budget: 1.0\n  end_user_budget_duration: 1h\n");
    }
    QProcess first;
    const quint16 firstPort = startGateway(first, config, database, dir.filePath(u"first.log"_s));
    QVERIFY(firstPort != 0);
    QProcess second;
    const quint16 secondPort = startGateway(second, config, database, dir.filePath(u"second.log"_s));
    QVERIFY(secondPort != 0);
    QJsonObject request = QJsonDocument::fromJson(chatBody(0)).object();
    request.insert(u"user"_s, u"eve"_s);
    const QByteArray body = QJsonDocument(request).toJson(QJsonDocument::Compact);
    const auto callOn = [&](quint16 port) {
        HttpClient client(port);
        client.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
        const auto response = client.post("/v1/chat/completions", body);
        return response.status == 200 ? usdToNanos(response.header("x-litellm-response-cost").toDouble()) : -1;
    };
    const auto info = [](quint16 port) {
        HttpClient client(port);
        client.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
        return client.get("/customer/info?end_user_id=eve").json();
    };

    NanoUsd charged = callOn(firstPort);
    QVERIFY(charged > 0);
    QTest::qWait(1100);  // a window made on the second instance now would end a second later
    for (int i = 0; i < 2; ++i) {
        for (const quint16 port : {secondPort, firstPort}) {
            const NanoUsd cost = callOn(port);
            QVERIFY(cost > 0);
            charged += cost;
        }
    }
    const QJsonObject onFirst = info(firstPort);
    const QJsonObject onSecond = info(secondPort);
    const auto resetAt = [](const QJsonObject &endUser) {
        return endUser.value(u"budget_reset_at"_s).toString().isEmpty()
                   ? endUser.value(u"litellm_budget_table"_s).toObject().value(u"budget_reset_at"_s).toString()
                   : endUser.value(u"budget_reset_at"_s).toString();
    };
    QVERIFY2(!resetAt(onFirst).isEmpty(), QJsonDocument(onFirst).toJson().constData());
    QCOMPARE(resetAt(onSecond), resetAt(onFirst));

    for (QProcess *gateway : {&first, &second}) {
        gateway->terminate();
        QVERIFY(gateway->waitForFinished(15000));
    }
    Store store;
    QVERIFY(database.openStore(store).ok());
    const auto row = store.readNow([](QSqlDatabase &db) {
        const auto share = LeaseRepository::share(db, LedgerScope::endUser(u"eve"_s));
        QSqlQuery query(db);
        const qint64 spend = query.exec(u"SELECT spend_nanousd FROM end_users WHERE user_id = 'eve'"_s) && query.next()
                                 ? query.value(0).toLongLong()
                                 : -1;
        return QVariant(QVariantList{spend, share && *share ? (*share)->spend : -1});
    });
    QVERIFY(row.ok());
    const QVariantList values = row->toList();
    QCOMPARE(values.value(0).toLongLong(), charged);  // every call of both instances, none overwritten
    QCOMPARE(values.value(1).toLongLong(), charged);  // the shared row: one window, never restarted
    store.close();
}

// An admin's budget edits made on one instance, with another serving the same key: a spend
// reset reaches the other's ledger (its /key/info, its next lease) and the shared row; a raised
// max reaches the other; a new, shorter period moves the shared row to the new window with the
// spend started afresh; a reset of the global spend reaches the other's ledger too.
void TestSharedBudgets::adminEditsReachEveryInstance()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const std::optional<SharedDatabase> shared = sharedDatabase(dir);
    QVERIFY(shared);
    const SharedDatabase &database = *shared;
    QVERIFY(writeConfig(config, database, false));

    QProcess first;
    QProcess second;
    const quint16 a = startGateway(first, config, database, dir.filePath(u"a.log"_s));
    QVERIFY(a != 0);
    const quint16 b = startGateway(second, config, database, dir.filePath(u"b.log"_s));
    QVERIFY(b != 0);
    HttpClient adminA(a);
    HttpClient adminB(b);
    for (HttpClient *client : {&adminA, &adminB})
        client->setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    // max_tokens = what the mock answers: a call's estimate is its cost (up to the prompt's
    // byte bound), so a lease is about one call and both instances serve from the budget.
    const auto probe = adminA.post("/v1/chat/completions", chatBody(0));
    QCOMPARE(probe.status, 200);
    const QByteArray body
        = chatBody(probe.json().value(u"usage"_s).toObject().value(u"completion_tokens"_s).toInteger());
    const auto priced = adminA.post("/v1/chat/completions", body);
    QCOMPARE(priced.status, 200);
    const NanoUsd cost = usdToNanos(priced.header("x-litellm-response-cost").toDouble());
    QVERIFY(cost > 0);
    const auto usd = [](NanoUsd nanos) { return nanosToUsd(nanos); };

    const auto generated
        = adminA.postJson("/key/generate", {{u"max_budget"_s, usd(2 * cost)}, {u"budget_duration"_s, u"30d"_s}});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    const auto call = [&](quint16 port) {
        HttpClient client(port);
        return client.post("/v1/chat/completions", body, {{"Authorization", "Bearer " + key}}).status;
    };
    const auto info = [&](HttpClient &admin) {
        return admin.get("/key/info?key=" + key).json().value(u"info"_s).toObject();
    };
    // True once `condition` holds, polled every 20 ms for at most a second (the feed's poll is 250 ms).
    const auto within = [](const std::function<bool()> &condition, qint64 ms = 1000) {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < ms) {
            if (condition())
                return true;
            QThread::msleep(20);
        }
        return condition();
    };
    QVERIFY(within([&] { return !info(adminB).isEmpty(); }));   // B knows the key

    // The budget (2 calls) is used up by A and B; both refuse then.
    QCOMPARE(call(a), 200);
    QCOMPARE(call(b), 200);
    QVERIFY(within([&] { return call(a) == 429 && call(b) == 429; }));
    QVERIFY(info(adminB).value(u"spend"_s).toDouble() > 0);

    // Reset on A: B shows the reset spend within a second (before any call of its own), and the
    // budget serves its 2 calls again, on either instance.
    QCOMPARE(adminA.postJson("/key/update", {{u"key"_s, token}, {u"spend"_s, 0}}).status, 200);
    QVERIFY2(within([&] { return info(adminB).value(u"spend"_s).toDouble() == 0.0; }),
             qPrintable(QString::number(info(adminB).value(u"spend"_s).toDouble())));
    QCOMPARE(call(b), 200);
    QCOMPARE(call(a), 200);
    QVERIFY(within([&] { return call(a) == 429; }));

    // A raised max on A: B serves from it within a second.
    QCOMPARE(adminA.postJson("/key/update", {{u"key"_s, token}, {u"max_budget"_s, usd(4 * cost)}}).status, 200);
    QVERIFY(within([&] { return usdToNanos(info(adminB).value(u"max_budget"_s).toDouble()) == 4 * cost; }));
    QVERIFY(within([&] { return call(b) == 200; }));

    // A shorter period on A: a fresh window that ends before the old one. The shared row moves to
    // it with spend 0 (no lease or call of the new window would move it back), on both instances.
    const auto changed = adminA.postJson("/key/update", {{u"key"_s, token}, {u"budget_duration"_s, u"1d"_s}});
    QCOMPARE(changed.status, 200);
    const QString resetAt = info(adminA).value(u"budget_reset_at"_s).toString();
    QVERIFY(!resetAt.isEmpty());
    QVERIFY2(within([&] { return info(adminB).value(u"budget_reset_at"_s).toString() == resetAt; }),
             qPrintable(info(adminB).value(u"budget_reset_at"_s).toString() + u" ≠ "_s + resetAt));
    {
        Store store;
        QVERIFY(database.openStore(store).ok());
        const auto row = store.readNow([token](QSqlDatabase &db) {
            const auto share = LeaseRepository::share(db, LedgerScope::key(token));
            return share && *share ? QVariant(QVariantList{(*share)->spend, (*share)->window}) : QVariant();
        });
        store.close();
        QVERIFY(row.ok() && !row->isNull());
        QCOMPARE(row->toList().value(0).toLongLong(), 0);
        QCOMPARE(QDateTime::fromString(row->toList().value(1).toString(), Qt::ISODateWithMs),
                 QDateTime::fromString(resetAt, Qt::ISODateWithMs));
    }
    // The new window's budget (4 calls) is there in full, not what the old window spent.
    for (int i = 0; i < 4; ++i)
        QCOMPARE(call(i % 2 == 0 ? a : b), 200);

    // The global budget's spend (every call counts in it; the pseudo user's info shows the
    // ledger's) reset on A: B shows it within a second.
    const auto globalSpend = [](HttpClient &admin) {
        return admin.get("/user/info?user_id=litellm-proxy-budget").json().value(u"user_info"_s).toObject().value(u"spend"_s).toDouble();
    };
    QVERIFY(within([&] { return globalSpend(adminB) > 0; }));
    // Every answered call is in the database first: one whose batch commits after the reset (each
    // instance folds its calls in lazy batches, row and increments together) counts after it, and
    // the instances would rightly show that. In: the spend-log rows stop growing and the global
    // spend is their sum.
    {
        Store store;
        QVERIFY(database.openStore(store).ok());
        const auto state = [&store] {
            const auto read = store.readNow([](QSqlDatabase &db) {
                const QJsonObject global = IdentityRepository::loadGlobalSpend(db);
                QSqlQuery query(db);
                query.exec(u"SELECT count(*), coalesce(sum(spend_nanousd), 0) FROM spend_logs"_s);
                if (!query.next())
                    return QVariant();
                return QVariant(QVariantList{query.value(0).toLongLong(), query.value(1).toLongLong(),
                                             global.value(u"spend_nanousd"_s).toInteger()});
            });
            return read.ok() ? read->toList() : QVariantList();
        };
        QElapsedTimer quiet;
        quiet.start();
        QVariantList last = state();
        QElapsedTimer deadline;
        deadline.start();
        while (deadline.elapsed() < 5000) {
            QThread::msleep(25);
            const QVariantList now = state();
            if (now.isEmpty() || now != last) {
                last = now;
                quiet.restart();
                continue;
            }
            if (quiet.elapsed() >= 200 && now.value(1) == now.value(2))
                break;
        }
        const QString seen = last.value(0).toString() + u" rows, "_s + last.value(1).toString() + u" vs "_s
                             + last.value(2).toString();
        QVERIFY2(!last.isEmpty() && last.value(1) == last.value(2) && quiet.elapsed() >= 200, qPrintable(seen));
        store.close();
    }
    QCOMPARE(adminA.postJson("/user/update", {{u"user_id"_s, u"litellm-proxy-budget"_s}, {u"spend"_s, 0}}).status, 200);
    QCOMPARE(globalSpend(adminA), 0.0);
    QVERIFY2(within([&] { return globalSpend(adminB) == 0.0; }), qPrintable(QString::number(globalSpend(adminB))));

    for (QProcess *gateway : {&first, &second}) {
        gateway->terminate();
        QVERIFY(gateway->waitForFinished(15000));
    }
}

QTEST_GUILESS_MAIN(TestSharedBudgets)
#include "tst_shared_budgets.moc"
