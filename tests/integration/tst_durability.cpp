// "Spend that was recorded survives a kill of the process": the real binary, SIGKILLed
// right after the last response, loses no completed call — rows and counters are there
// when the database is opened again (the store replays the spend journal) and when the
// gateway starts again on it.
#include "models/store/spendjournal.h"
#include "models/store/spendlog.h"
#include "models/store/store.h"
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"
#include "tests/support/storereads.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <sys/stat.h>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto MasterKey = "sk-durability-master";

// Starts the headless binary and waits for its "listening on" line; 0 on failure.
quint16 startGateway(QProcess &process, const QString &config, const QString &database)
{
    return Test::startHeadlessGateway(process, config, {u"--db"_s, database});
}

QByteArray chatBody(int i, bool stream)
{
    return QJsonDocument(QJsonObject{
                             {u"model"_s, u"priced"_s},
                             {u"stream"_s, stream},
                             {u"messages"_s,
                              QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"call %1"_s.arg(i)}}}}})
        .toJson(QJsonDocument::Compact);
}

bool writeConfig(const QString &path, const QByteArray &text = Test::pricedMockConfig(MasterKey))
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(text);
    return true;
}

// A gateway started on `database` (config beside it) and a virtual key with a budget.
struct KeyedGateway
{
    quint16 port = 0;
    QByteArray key;
    QString token;
};

std::optional<KeyedGateway> startWithKey(QProcess &process, const QString &database,
                                         const QByteArray &configText = Test::pricedMockConfig(MasterKey))
{
    const QString config = QFileInfo(database).dir().filePath(u"config.yaml"_s);
    if (!writeConfig(config, configText))
        return std::nullopt;
    KeyedGateway started;
    started.port = startGateway(process, config, database);
    if (started.port == 0)
        return std::nullopt;
    HttpClient admin(started.port);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    if (generated.status != 200)
        return std::nullopt;
    started.key = generated.json().value(u"key"_s).toString().toLatin1();
    started.token = generated.json().value(u"token"_s).toString();
    return started;
}



} // namespace

class TestDurability : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void completedCallsSurviveKill9();
    void concurrentCallsSurviveKill9();
    void callsInFlightAtAKillAreChargedWhatWasHeld();
    void twoGatewaysOnOneDatabaseAddTheirSpend();
    void everyFileTheGatewayWritesIsPrivate();
};

void TestDurability::completedCallsSurviveKill9()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const QString database = dir.filePath(u"durable.db"_s);
    QProcess gateway;
    const auto started = startWithKey(gateway, database);
    QVERIFY(started);
    quint16 port = started->port;
    const QByteArray key = started->key;
    const QString token = started->token;

    HttpClient client(port);
    client.setDefaultHeaders({{"Authorization", "Bearer " + key}});
    constexpr int Calls = 40;
    QStringList callIds;
    NanoUsd charged = 0;
    for (int i = 0; i < Calls; ++i) {
        const bool stream = i % 2 == 1;
        const QByteArray body = QJsonDocument(QJsonObject{
            {u"model"_s, u"priced"_s},
            {u"stream"_s, stream},
            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"call %1"_s.arg(i)}}}}})
                                    .toJson(QJsonDocument::Compact);
        const auto response = client.post("/v1/chat/completions", body);
        QCOMPARE(response.status, 200);
        callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
        if (!stream)
            charged += usdToNanos(response.header("x-litellm-response-cost").toDouble());
    }
    // The last answer is in: kill at once, no chance to flush anything.
    ::kill(pid_t(gateway.processId()), SIGKILL);
    QVERIFY(gateway.waitForFinished(5000));
    QCOMPARE(gateway.exitStatus(), QProcess::CrashExit);
    // The killed process journaled its settled calls (the journal is what makes an answered
    // call durable before its lazy commit); opening the store replays what is missing.
    QVERIFY(!SpendJournal::segments(database).isEmpty());

    // Every completed call is in the database, and the key's counter matches the rows.
    {
        Store store;
        QVERIFY(store.open(database).ok());
        const QList<SpendLogRow> logged = rowsIn(store);
        QStringList loggedIds;
        NanoUsd loggedSpend = 0;
        NanoUsd loggedNonStream = 0;
        for (const SpendLogRow &row : logged) {
            loggedIds.append(row.requestId);
            loggedSpend += row.spend;
        }
        int lost = 0;
        for (int i = 0; i < Calls; ++i) {
            if (!loggedIds.contains(callIds.at(i)))
                ++lost;
            else if (i % 2 == 0) {
                for (const SpendLogRow &row : logged) {
                    if (row.requestId == callIds.at(i))
                        loggedNonStream += row.spend;
                }
            }
        }
        qInfo("rows lost after kill -9: %d of %d", lost, Calls);
        QCOMPARE(lost, 0);
        QCOMPARE(loggedNonStream, charged);
        QCOMPARE(keySpend(store, token), loggedSpend);
        store.close();
    }

    // And a restarted gateway reports the same spend.
    QProcess restarted;
    port = startGateway(restarted, config, database);
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

void TestDurability::concurrentCallsSurviveKill9()
{
    // Calls settled in one event-loop pass share one journal write: many at once, then kill -9 —
    // every answered call is replayed, each once, and the key's counter matches the rows.
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString database = dir.filePath(u"durable.db"_s);
    QProcess gateway;
    const auto started = startWithKey(gateway, database);
    QVERIFY(started);
    const quint16 port = started->port;
    const QByteArray key = started->key;

    constexpr int Threads = 24;
    constexpr int CallsEach = 4;
    std::mutex lock;
    QStringList callIds;
    QStringList failures;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back([&, t] {
            HttpClient client(port);
            client.setTimeout(std::chrono::seconds(30));
            while (!go.load())
                std::this_thread::yield();
            for (int i = 0; i < CallsEach; ++i) {
                const auto response = client.post("/v1/chat/completions", chatBody(t * CallsEach + i, false),
                                                  {{"Authorization", "Bearer " + key}});
                const std::lock_guard<std::mutex> guard(lock);
                if (response.status == 200)
                    callIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
                else
                    failures.append(QString::number(response.status) + u' ' + response.error);
            }
        });
    }
    go.store(true);
    for (std::thread &thread : threads)
        thread.join();
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u"; "_s)));
    QCOMPARE(callIds.size(), Threads * CallsEach);
    ::kill(pid_t(gateway.processId()), SIGKILL);
    QVERIFY(gateway.waitForFinished(5000));

    Store store;
    QVERIFY(store.open(database).ok());
    QStringList logged;
    NanoUsd loggedSpend = 0;
    for (const SpendLogRow &row : rowsIn(store)) {
        logged.append(row.requestId);
        loggedSpend += row.spend;
    }
    int lost = 0;
    for (const QString &id : std::as_const(callIds))
        lost += logged.count(id) == 1 ? 0 : 1;
    QCOMPARE(lost, 0);
    QCOMPARE(logged.size(), callIds.size());
    QVERIFY(loggedSpend > 0);
    QCOMPARE(keySpend(store, started->token), loggedSpend);
    store.close();
}

// A call the provider is working on when the gateway is killed is billed by the provider, yet it
// never settled: its cost was lost. The spend journal keeps what admission held for each call in
// flight until it settles; the replay charges a call that never did (status "interrupted"), and
// only such a call.
void TestDurability::callsInFlightAtAKillAreChargedWhatWasHeld()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    FakeProvider fake;
    QVERIFY(fake.start() != 0);
    fake.setUsage(10, 20);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString database = dir.filePath(u"inflight.db"_s);
    QProcess gateway;
    const auto started = startWithKey(gateway, database,
                                      "model_list:\n"
                                      "  - model_name: remote\n"
                                      "    litellm_params:\n"
                                      "      model: openai/gpt-remote\n"
                                      "      api_base: " + fake.baseUrl() + "/v1\n"
                                      "      api_key: sk-provider\n"
                                      "      input_cost_per_token: 0.000001\n"
                                      "      output_cost_per_token: 0.000002\n"
                                      "general_settings:\n"
                                      "  master_key: " + QByteArray(MasterKey) + "\n");
    QVERIFY(started);
    const quint16 port = started->port;
    const QByteArray key = started->key;
    const QString token = started->token;
    const auto body = [](int i) {
        return QJsonDocument(QJsonObject{{u"model"_s, u"remote"_s},
                                         {u"max_tokens"_s, 100},
                                         {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                                                {u"content"_s, u"call %1"_s.arg(i)}}}}})
            .toJson(QJsonDocument::Compact);
    };
    // One call answered (it settles: one row, its own), three held by the provider at the kill.
    HttpClient client(port);
    const auto answered = client.post("/v1/chat/completions", body(0), {{"Authorization", "Bearer " + key}});
    QCOMPARE(answered.status, 200);
    fake.setHang(true);
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 1; i <= 3; ++i)
        calls.push_back(std::make_unique<AsyncCall>(port, body(i), QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + key}}));
    QTRY_COMPARE_WITH_TIMEOUT(fake.requestCount(), 4, 5000);
    QTest::qWait(200);   // past the in-flight records' write (Store::InFlightFlushDelay)
    ::kill(pid_t(gateway.processId()), SIGKILL);
    QVERIFY(gateway.waitForFinished(5000));

    Store store;
    QVERIFY(store.open(database).ok());
    const QList<SpendLogRow> rows = rowsIn(store);
    int interrupted = 0;
    NanoUsd total = 0;
    for (const SpendLogRow &row : rows) {
        total += row.spend;
        if (row.requestId == QString::fromLatin1(answered.header("x-litellm-call-id"))) {
            QCOMPARE(row.status, u"success"_s);
            QCOMPARE(row.spend, usdToNanos(10 * 0.000001) + usdToNanos(20 * 0.000002));
            continue;
        }
        ++interrupted;
        QCOMPARE(row.status, u"interrupted"_s);
        QCOMPARE(row.completionTokens, 100);
        QVERIFY(row.promptTokens > 0);
        QVERIFY(row.costEstimated);
        QVERIFY(row.spend >= usdToNanos(100 * 0.000002));
        QCOMPARE(row.apiKey, token);
    }
    QCOMPARE(rows.size(), 4);
    QCOMPARE(interrupted, 3);
    QCOMPARE(keySpend(store, token), total);
    store.close();

    // Started again: the key counts them, and nothing is charged twice.
    QProcess again;
    const quint16 portAgain = startGateway(again, QFileInfo(database).dir().filePath(u"config.yaml"_s), database);
    QVERIFY(portAgain != 0);
    HttpClient adminAgain(portAgain);
    adminAgain.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto info = adminAgain.get("/key/info?key=" + key);
    QCOMPARE(usdToNanos(info.json().value(u"info"_s).toObject().value(u"spend"_s).toDouble()), total);
    again.terminate();
    QVERIFY(again.waitForFinished(10000));
    Store reopened;
    QVERIFY(reopened.open(database).ok());
    QCOMPARE(rowsIn(reopened).size(), 4);
    reopened.close();
}

void TestDurability::twoGatewaysOnOneDatabaseAddTheirSpend()
{
    // A second gateway on the same database (allowed: it answers after COMMIT, without the
    // journal) settles calls on the same key as the first: the key's counter ends as the sum of
    // both, as its spend-log rows say — neither process overwrites the other's spend, not even
    // with a management write.
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    const QString database = dir.filePath(u"shared.db"_s);
    QVERIFY(writeConfig(config));

    QProcess first;
    const quint16 firstPort = startGateway(first, config, database);
    QVERIFY(firstPort != 0);
    HttpClient admin(firstPort);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const QString token = generated.json().value(u"token"_s).toString();

    QProcess second;  // started after the key exists, so it loads it
    const quint16 secondPort = startGateway(second, config, database);
    QVERIFY(secondPort != 0);
    HttpClient viaFirst(firstPort);
    HttpClient viaSecond(secondPort);
    for (HttpClient *client : {&viaFirst, &viaSecond})
        client->setDefaultHeaders({{"Authorization", "Bearer " + key}});
    constexpr int Calls = 10;
    NanoUsd charged = 0;
    for (int i = 0; i < Calls; ++i) {
        HttpClient &client = i % 2 ? viaSecond : viaFirst;
        const auto response = client.post("/v1/chat/completions", chatBody(i, false));
        QCOMPARE(response.status, 200);
        charged += usdToNanos(response.header("x-litellm-response-cost").toDouble());
    }
    QVERIFY(charged > 0);
    // The second gateway, whose memory holds only its own calls' spend, blocks and unblocks
    // the key and renames it: management writes that leave the spend alone never overwrite it.
    QTest::qWait(300);  // the first gateway's lazy batch has committed its calls by now
    HttpClient secondAdmin(secondPort);
    secondAdmin.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    const QByteArray target = R"({"key": ")" + token.toLatin1() + R"("})";
    QCOMPARE(secondAdmin.post("/key/block", target).status, 200);
    QCOMPARE(secondAdmin.post("/key/unblock", target).status, 200);
    QCOMPARE(secondAdmin.post("/key/update", R"({"key": ")" + token.toLatin1() + R"(", "key_alias": "renamed"})")
                 .status,
             200);
    for (QProcess *gateway : {&first, &second}) {
        gateway->terminate();
        QVERIFY(gateway->waitForFinished(10000));
        QCOMPARE(gateway->exitCode(), 0);
    }

    Store store;
    QVERIFY(store.open(database).ok());
    const auto sums = store.readNow([token](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.prepare(u"SELECT (SELECT spend_nanousd FROM keys WHERE token = ?), "
                      "(SELECT sum(spend_nanousd) FROM spend_logs WHERE api_key = ?), "
                      "(SELECT count(*) FROM spend_logs WHERE api_key = ?)"_s);
        query.addBindValue(token);
        query.addBindValue(token);
        query.addBindValue(token);
        return query.exec() && query.next() ? QVariant(QVariantList{query.value(0), query.value(1), query.value(2)})
                                            : QVariant();
    });
    QVERIFY(sums.ok());
    const QVariantList values = sums->toList();
    QCOMPARE(values.value(2).toInt(), Calls);
    QCOMPARE(values.value(1).toLongLong(), charged);
    QCOMPARE(values.value(0).toLongLong(), charged);
}

void TestDurability::everyFileTheGatewayWritesIsPrivate()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    // Whatever umask the caller has (022 is usual), the database, its -wal/-shm, the spend
    // journal and its lock file are the user's alone.
    const mode_t previous = ::umask(022);
    QTemporaryDir configDir;
    QTemporaryDir dir;
    QVERIFY(configDir.isValid() && dir.isValid());
    const QString config = configDir.filePath(u"config.yaml"_s);
    QVERIFY(writeConfig(config));
    const QString folder = dir.filePath(u"data"_s);   // made by the gateway
    const QString database = folder + u"/tollgate.db"_s;

    QProcess gateway;
    const quint16 port = startGateway(gateway, config, database);
    ::umask(previous);
    QVERIFY(port != 0);
    HttpClient client(port);
    client.setDefaultHeaders({{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    QCOMPARE(client.post("/key/generate", R"({"max_budget": 10})").status, 200);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(client.post("/v1/chat/completions", chatBody(i, i == 1)).status, 200);

    QStringList found;
    const auto check = [&](const char *when) {
        found.clear();
        for (const QFileInfo &file : QDir(folder).entryInfoList(QDir::Files | QDir::Hidden | QDir::System)) {
            struct stat info {};
            if (::stat(QFile::encodeName(file.filePath()).constData(), &info) != 0)
                continue;   // removed meanwhile (a journal segment)
            found.append(file.fileName());
            QVERIFY2((info.st_mode & 077) == 0, qPrintable(u"%1 %2 is %3"_s.arg(QString::fromLatin1(when), file.fileName(),
                                                                               QString::number(info.st_mode & 0777, 8))));
        }
        QVERIFY2(found.contains(u"tollgate.db"_s), qPrintable(found.join(u' ')));
    };
    check("running:");
    if (QTest::currentTestFailed())
        return;
    const QStringList running = found;
    // WAL mode and the journal: more than the database alone was checked.
    QVERIFY2(running.contains(u"tollgate.db-wal"_s) && running.contains(u"tollgate.db-spend.lock"_s),
             qPrintable(running.join(u' ')));
    struct stat folderInfo {};
    QCOMPARE(::stat(QFile::encodeName(folder).constData(), &folderInfo), 0);
    QCOMPARE(folderInfo.st_mode & 077, mode_t(0));

    gateway.terminate();
    QVERIFY(gateway.waitForFinished(10000));
    check("after exit:");
    if (QTest::currentTestFailed())
        return;

    // A database an older Tollgate left readable by others is closed to them on the next start.
    QVERIFY(QFile::setPermissions(database, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                                                | QFileDevice::ReadOther));
    QProcess restarted;
    QVERIFY(startGateway(restarted, config, database) != 0);
    check("after a restart:");
    restarted.terminate();
    QVERIFY(restarted.waitForFinished(10000));
}

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
