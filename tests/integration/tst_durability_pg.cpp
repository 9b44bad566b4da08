// Issue #17 on PostgreSQL, with the real headless binary: `general_settings.database_url`
// (and DATABASE_URL) put the store on the server; each instance keeps its own local spend
// journal, so a kill -9 loses no answered call; two instances on one database add their spend;
// a database outage blocks only what needs the database (calls keep being answered, management
// writes answer 503) and the answered calls are written once the server is back.
// Runs as tst_durability_pg (CTest fixture `postgres`); the outage case starts a private
// server of its own (Unix socket only) so that stopping it disturbs no other test.
#include "models/money.h"
#include "models/store/databasetarget.h"
#include "models/store/spendjournal.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"
#include "tests/support/storereads.h"
#include "tests/support/pgtestdb.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto MasterKey = "sk-durability-master";

quint16 startGateway(QProcess &process, const QString &config, const QProcessEnvironment &environment = {})
{
    if (!environment.isEmpty())
        process.setProcessEnvironment(environment);
    return Test::startHeadlessGateway(process, config);
}

bool writeConfig(const QString &path, const QString &databaseUrl, const QString &journalDir)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(Test::pricedMockConfig("sk-durability-master"));
    if (!databaseUrl.isEmpty())
        file.write("  database_url: \"" + databaseUrl.toUtf8() + "\"\n");
    if (!journalDir.isEmpty())
        file.write("  journal_dir: \"" + journalDir.toUtf8() + "\"\n");
    return true;
}

QString urlOf(const DatabaseTarget &target)
{
    if (target.host.startsWith(u'/'))
        return u"postgresql://%1@/%2?host=%3&port=%4"_s.arg(target.user, target.database, target.host).arg(target.port);
    return u"postgresql://%1@%2:%3/%4"_s.arg(target.user, target.host).arg(target.port).arg(target.database);
}

QByteArray chatBody(int i)
{
    return QJsonDocument(QJsonObject{
                             {u"model"_s, u"priced"_s},
                             {u"messages"_s,
                              QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"call %1"_s.arg(i)}}}}})
        .toJson(QJsonDocument::Compact);
}



QString pgcluster()
{
    return qEnvironmentVariable("TOLLGATE_SOURCE_DIR") + u"/tests/support/pgcluster.sh"_s;
}

} // namespace

class TestDurabilityPg : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void completedCallsSurviveKill9();
    void twoInstancesOnOneDatabaseAddTheirSpend();
    void databaseUrlFromTheEnvironment();
    void anOutageBlocksOnlyWhatNeedsTheDatabase();
};

void TestDurabilityPg::initTestCase()
{
    QVERIFY2(!postgresUrl().isEmpty(), "TOLLGATE_TEST_PG_URL is not set (run through ctest: tst_durability_pg)");
    QVERIFY2(!qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"), "TOLLGATE_BINARY is not set");
}

void TestDurabilityPg::completedCallsSurviveKill9()
{
    QTemporaryDir dir;
    auto fresh = freshPostgresDatabase();
    QVERIFY(fresh.ok());
    const QString journalDir = dir.filePath(u"journal"_s);
    const QString config = dir.filePath(u"config.yaml"_s);
    QVERIFY(writeConfig(config, urlOf(*fresh), journalDir));

    QProcess gateway;
    quint16 port = startGateway(gateway, config);
    QVERIFY(port != 0);
    HttpClient admin(port);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    HttpClient client(port);
    client.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    constexpr int Calls = 40;
    QStringList callIds;
    for (int i = 0; i < Calls; ++i) {
        const auto response = client.post("/v1/chat/completions", chatBody(i));
        QCOMPARE(response.status, 200);
        callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    ::kill(pid_t(gateway.processId()), SIGKILL);
    QVERIFY(gateway.waitForFinished(5000));
    // The instance's journal is local, in journal_dir.
    QVERIFY(!SpendJournal::segments(journalDir + u"/tollgate"_s).isEmpty());

    {
        DatabaseTarget target = *fresh;
        target.journalPath = journalDir + u"/tollgate"_s;
        Store store;
        QVERIFY(store.open(target).ok());
        const auto logged = rowsIn(store);
        NanoUsd loggedSpend = 0;
        QStringList ids;
        for (const SpendLogRow &row : logged) {
            ids.append(row.requestId);
            loggedSpend += row.spend;
        }
        int lost = 0;
        for (const QString &id : std::as_const(callIds))
            lost += ids.contains(id) ? 0 : 1;
        QCOMPARE(lost, 0);
        QVERIFY(loggedSpend > 0);
        QCOMPARE(keySpend(store, token), loggedSpend);
    }
    QProcess restarted;
    port = startGateway(restarted, config);
    QVERIFY(port != 0);
    HttpClient again(port);
    again.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    const auto info = again.get("/key/info");
    QCOMPARE(info.status, 200);
    QVERIFY(info.json().value(u"info"_s).toObject().value(u"spend"_s).toDouble() > 0);
    restarted.terminate();
    QVERIFY(restarted.waitForFinished(10000));
    QCOMPARE(restarted.exitCode(), 0);
}

void TestDurabilityPg::twoInstancesOnOneDatabaseAddTheirSpend()
{
    // Both with the same config (the same journal_dir): the second takes the next journal slot.
    // Both are killed; every answered call of either is in afterwards, and the key's counter is
    // the sum of both.
    QTemporaryDir dir;
    auto fresh = freshPostgresDatabase();
    QVERIFY(fresh.ok());
    const QString journalDir = dir.filePath(u"journal"_s);
    const QString config = dir.filePath(u"config.yaml"_s);
    QVERIFY(writeConfig(config, urlOf(*fresh), journalDir));
    QProcess first;
    const quint16 firstPort = startGateway(first, config);
    QVERIFY(firstPort != 0);
    HttpClient admin(firstPort);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();
    QProcess second;
    const quint16 secondPort = startGateway(second, config);
    QVERIFY(secondPort != 0);
    HttpClient viaFirst(firstPort);
    HttpClient viaSecond(secondPort);
    for (HttpClient *client : {&viaFirst, &viaSecond})
        client->setDefaultHeaders({{"Authorization", "Bearer " + key}});
    constexpr int Calls = 20;
    QStringList callIds;
    for (int i = 0; i < Calls; ++i) {
        const auto response = (i % 2 ? viaSecond : viaFirst).post("/v1/chat/completions", chatBody(i));
        QCOMPARE(response.status, 200);
        callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    for (QProcess *process : {&first, &second}) {
        ::kill(pid_t(process->processId()), SIGKILL);
        QVERIFY(process->waitForFinished(5000));
    }
    // A restart of both replays both journals (each slot with its own committed number).
    QProcess a;
    QProcess b;
    QVERIFY(startGateway(a, config) != 0);
    QVERIFY(startGateway(b, config) != 0);
    for (QProcess *process : {&a, &b}) {
        process->terminate();
        QVERIFY(process->waitForFinished(10000));
    }
    Store store;
    DatabaseTarget target = *fresh;
    QVERIFY(store.open(target).ok());
    const auto logged = rowsIn(store);
    NanoUsd loggedSpend = 0;
    QStringList ids;
    for (const SpendLogRow &row : logged) {
        ids.append(row.requestId);
        loggedSpend += row.spend;
    }
    for (const QString &id : std::as_const(callIds))
        QVERIFY2(ids.contains(id), qPrintable(id));
    QCOMPARE(keySpend(store, token), loggedSpend);
}

void TestDurabilityPg::databaseUrlFromTheEnvironment()
{
    QTemporaryDir dir;
    auto fresh = freshPostgresDatabase();
    QVERIFY(fresh.ok());
    const QString config = dir.filePath(u"config.yaml"_s);
    QVERIFY(writeConfig(config, {}, dir.filePath(u"journal"_s)));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"DATABASE_URL"_s, urlOf(*fresh));
    environment.insert(u"HOME"_s, dir.path());
    QProcess gateway;
    const quint16 port = startGateway(gateway, config, environment);
    QVERIFY(port != 0);
    HttpClient admin(port);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    QCOMPARE(admin.post("/key/generate", R"({"key_alias": "from-env"})").status, 200);
    gateway.terminate();
    QVERIFY(gateway.waitForFinished(10000));
    Store store;
    QVERIFY(store.open(*fresh).ok());
    const auto count = store.readNow([](QSqlDatabase &db) {
        QSqlQuery query(db);
        return query.exec(u"SELECT count(*) FROM keys WHERE key_alias = 'from-env'"_s) && query.next() ? query.value(0)
                                                                                                       : QVariant();
    });
    QCOMPARE(count->toInt(), 1);

    // config.yaml's database_url wins over DATABASE_URL (here a server that is not there).
    environment.insert(u"DATABASE_URL"_s, u"postgresql://nobody:pw@127.0.0.1:1/none"_s);
    const QString configured = dir.filePath(u"configured.yaml"_s);
    QVERIFY(writeConfig(configured, urlOf(*fresh), dir.filePath(u"journal2"_s)));
    QProcess preferred;
    QVERIFY(startGateway(preferred, configured, environment) != 0);
    preferred.terminate();
    QVERIFY(preferred.waitForFinished(10000));

    // An unreachable database stops the start with a message naming it, without its password.
    const QString unreachable = dir.filePath(u"unreachable.yaml"_s);
    QVERIFY(writeConfig(unreachable, u"postgresql://tollgate:hunter2@127.0.0.1:1/spenddb"_s, {}));
    QProcess failed;
    failed.setProcessEnvironment(environment);
    failed.start(qEnvironmentVariable("TOLLGATE_BINARY"), {u"--headless"_s, u"--config"_s, unreachable, u"--port"_s, u"0"_s});
    QVERIFY(failed.waitForFinished(20000));
    QCOMPARE(failed.exitCode(), 1);
    const QByteArray why = failed.readAllStandardError() + failed.readAllStandardOutput();
    QVERIFY2(why.contains("127.0.0.1:1/spenddb"), why.constData());
    QVERIFY2(!why.contains("hunter2"), why.constData());

    // A URL of another database is a clear start-up error.
    environment.insert(u"DATABASE_URL"_s, u"mysql://root:secret@localhost/x"_s);
    QProcess refused;
    refused.setProcessEnvironment(environment);
    refused.start(qEnvironmentVariable("TOLLGATE_BINARY"), {u"--headless"_s, u"--config"_s, config, u"--port"_s, u"0"_s});
    QVERIFY(refused.waitForFinished(10000));
    QCOMPARE(refused.exitCode(), 2);
    const QByteArray error = refused.readAllStandardError();
    QVERIFY2(error.contains("DATABASE_URL"), error.constData());
    QVERIFY(!error.contains("secret"));
}

void TestDurabilityPg::anOutageBlocksOnlyWhatNeedsTheDatabase()
{
    // A private server (Unix socket only: no port taken), stopped mid-run.
    const QString clusterDir = u"/tmp/tollgate-pgoutage-%1"_s.arg(QCoreApplication::applicationPid());
    QProcess cluster;
    QProcessEnvironment socketOnly = QProcessEnvironment::systemEnvironment();
    socketOnly.insert(u"PGCLUSTER_SOCKET_ONLY"_s, u"1"_s);
    cluster.setProcessEnvironment(socketOnly);
    cluster.start(pgcluster(), {u"start"_s, clusterDir, u"5999"_s});
    QVERIFY(cluster.waitForFinished(60000));
    QCOMPARE(cluster.exitCode(), 0);
    const QString url = QString::fromUtf8(cluster.readAllStandardOutput()).trimmed();
    const auto stopCluster = qScopeGuard([&] { QProcess::execute(pgcluster(), {u"stop"_s, clusterDir}); });

    QTemporaryDir dir;
    const QString config = dir.filePath(u"config.yaml"_s);
    QVERIFY(writeConfig(config, url, dir.filePath(u"journal"_s)));
    QProcess gateway;
    const quint16 port = startGateway(gateway, config);
    QVERIFY(port != 0);
    HttpClient admin(port);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    HttpClient client(port);
    client.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    QStringList callIds;
    for (int i = 0; i < 5; ++i) {
        const auto response = client.post("/v1/chat/completions", chatBody(i));
        QCOMPARE(response.status, 200);
        callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }

    QCOMPARE(QProcess::execute(pgcluster(), {u"pause"_s, clusterDir}), 0);
    // Calls are still answered (journaled locally) ...
    for (int i = 5; i < 15; ++i) {
        const auto response = client.post("/v1/chat/completions", chatBody(i));
        QCOMPARE(response.status, 200);
        callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    // ... while a management write fails fast with the OpenAI error shape.
    QTest::qWait(300);  // the calls' lazy batch has met the outage by now
    QElapsedTimer timer;
    timer.start();
    const auto refused = admin.post("/key/generate", R"({"key_alias": "during-outage"})");
    QCOMPARE(refused.status, 503);
    QVERIFY(refused.json().value(u"error"_s).isObject());
    QVERIFY(timer.elapsed() < 5000);

    QCOMPARE(QProcess::execute(pgcluster(), {u"resume"_s, clusterDir}), 0);
    // Once the server is back, the held calls commit: the spend log (read from the database)
    // lists every answered call.
    bool allIn = false;
    for (int attempt = 0; attempt < 100 && !allIn; ++attempt) {
        QTest::qWait(100);
        const auto logs = admin.get("/spend/logs");
        if (logs.status != 200)
            continue;
        QStringList ids;
        for (const QJsonValue &row : QJsonDocument::fromJson(logs.body).array())
            ids.append(row.toObject().value(u"request_id"_s).toString());
        allIn = std::all_of(callIds.cbegin(), callIds.cend(), [&ids](const QString &id) { return ids.contains(id); });
    }
    QVERIFY(allIn);
    QCOMPARE(admin.post("/key/generate", R"({"key_alias": "after-outage"})").status, 200);
    gateway.terminate();
    QVERIFY(gateway.waitForFinished(10000));
    QCOMPARE(gateway.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestDurabilityPg)
#include "tst_durability_pg.moc"
