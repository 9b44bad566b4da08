// Several real gateway processes on one SQLite file with general_settings.shared_database: a
// management change made on one instance is applied by the others within a second, and a key's
// rpm_limit holds over the union of the instances (each enforces its share).
// With TOLLGATE_TEST_PG_URL set (tst_shared_instances_pg, the `postgres` fixture's server) the
// instances share a fresh PostgreSQL database instead (general_settings.database_url).
#include "tests/support/asynccall.h"
#include "tests/support/fakeprovider.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"
#include "tests/support/pgtestdb.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QUrl>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

constexpr auto MasterKey = "sk-shared-master";

// Starts the headless binary and waits for its "listening on" line; 0 on failure. `database`
// empty: the config names it.
quint16 startGateway(QProcess &process, const QString &config, const QString &database)
{
    return startHeadlessGateway(process, config,
                                      database.isEmpty() ? QStringList() : QStringList{u"--db"_s, database});
}

QByteArray chatBody(const QString &model = u"m"_s)
{
    return QJsonDocument(QJsonObject{
                             {u"model"_s, model},
                             {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}})
        .toJson(QJsonDocument::Compact);
}

// A new database on the server of TOLLGATE_TEST_PG_URL (`serverUrl`), as a URL; empty (and a
// warning) on failure.
QString freshPostgresUrl(const QString &serverUrl)
{
    const auto fresh = Tollgate::Test::freshPostgresDatabase();
    if (!fresh) {
        qWarning().noquote() << fresh.error().message;
        return {};
    }
    QUrl url(serverUrl);
    url.setPath(u"/"_s + fresh->database);
    return url.toString();
}

struct Instance
{
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
    quint16 port = 0;
};

} // namespace

class TestSharedInstances : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void changesPropagateWithinASecond();
    void rpmLimitHoldsOverTheUnion_data();
    void rpmLimitHoldsOverTheUnion();
    void parallelLimitHoldsOverTheUnion();
    void spendShowsOnEveryInstance();
    void aKeyRegeneratedOnOneInstanceKeepsItsCallsOnAnother();

private:
    // Starts `count` instances on one database and waits until each counts them all.
    // `upstream`: a fake provider's base URL, served as the model "slow" besides the mock "m".
    bool startInstances(int count, bool shared = true, const QByteArray &upstream = {});
    HttpClient::Response call(const Instance &instance, const QByteArray &key);
    HttpClient::Response admin(const Instance &instance, const QByteArray &path, const QJsonObject &body);
    // Calls `instance` with `key` every 10 ms until it answers `status`; the milliseconds that
    // took, or -1 after `timeoutMs`.
    qint64 msUntilStatus(const Instance &instance, const QByteArray &key, int status, int timeoutMs = 3000);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::vector<Instance> m_instances;
};

void TestSharedInstances::init()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSharedInstances::cleanup()
{
    for (Instance &instance : m_instances) {
        instance.process->terminate();
        if (!instance.process->waitForFinished(10000))
            instance.process->kill();
    }
    m_instances.clear();
    m_dir.reset();
}

bool TestSharedInstances::startInstances(int count, bool shared, const QByteArray &upstream)
{
    const QString config = m_dir->filePath(u"config.yaml"_s);
    QFile file(config);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write("model_list:\n"
               "  - model_name: m\n"
               "    litellm_params:\n"
               "      model: mock/m\n"
               "      input_cost_per_token: 0.000001\n"
               "      output_cost_per_token: 0.000002\n");
    if (!upstream.isEmpty()) {
        file.write("  - model_name: slow\n"
                   "    litellm_params:\n"
                   "      model: openai/slow\n"
                   "      api_key: sk-fake-upstream\n"
                   "      input_cost_per_token: 0.000001\n"
                   "      output_cost_per_token: 0.000002\n"
                   "      api_base: " + upstream + "/v1\n");
    }
    file.write("general_settings:\n"
               "  master_key: sk-shared-master\n");
    if (shared)
        file.write("  shared_database: true\n");
    QString database = m_dir->filePath(u"shared.db"_s);
    if (const QString server = qEnvironmentVariable("TOLLGATE_TEST_PG_URL"); !server.isEmpty()) {
        const QString url = freshPostgresUrl(server);
        if (url.isEmpty())
            return false;
        file.write("  database_url: \"" + url.toUtf8() + "\"\n");
        database.clear();
    }
    file.close();
    for (int i = 0; i < count; ++i) {
        Instance instance;
        instance.port = startGateway(*instance.process, config, database);
        if (instance.port == 0)
            return false;
        m_instances.push_back(std::move(instance));
    }
    // Every instance has counted the others once a heartbeat (1 s) passed after the last start.
    QThread::msleep(1500);
    return true;
}

HttpClient::Response TestSharedInstances::call(const Instance &instance, const QByteArray &key)
{
    HttpClient client(instance.port);
    return client.post("/v1/chat/completions", chatBody(), {{"Authorization", "Bearer " + key}});
}

HttpClient::Response TestSharedInstances::admin(const Instance &instance, const QByteArray &path,
                                                const QJsonObject &body)
{
    HttpClient client(instance.port);
    return client.postJson(path, body, {{"Authorization", "Bearer " + QByteArray(MasterKey)}});
}

qint64 TestSharedInstances::msUntilStatus(const Instance &instance, const QByteArray &key, int status, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (call(instance, key).status == status)
            return timer.elapsed();
        QThread::msleep(10);
    }
    return -1;
}

void TestSharedInstances::changesPropagateWithinASecond()
{
    QVERIFY(startInstances(2));
    const Instance &a = m_instances.at(0);
    const Instance &b = m_instances.at(1);

    // Created on A: B serves it.
    const auto generated = admin(a, "/key/generate", {});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    const qint64 known = msUntilStatus(b, key, 200);
    qInfo("key created on A served by B after %lld ms", known);
    QVERIFY(known >= 0 && known < 1000);

    // Blocked on A: B refuses it within 1 s (measured from A's answer).
    QCOMPARE(admin(a, "/key/block", {{u"key"_s, QString::fromLatin1(key)}}).status, 200);
    const qint64 blocked = msUntilStatus(b, key, 401);
    qInfo("key blocked on A refused by B after %lld ms", blocked);
    QVERIFY(blocked >= 0 && blocked < 1000);
    QCOMPARE(admin(a, "/key/unblock", {{u"key"_s, QString::fromLatin1(key)}}).status, 200);
    QVERIFY(msUntilStatus(b, key, 200) >= 0);

    // Re-limited on A: B applies its share (2 instances: rpm 2 → 1 each). B has admitted calls
    // in this minute already, so it refuses at once.
    QCOMPARE(admin(a, "/key/update", {{u"key"_s, QString::fromLatin1(key)}, {u"rpm_limit"_s, 2}}).status, 200);
    const qint64 limited = msUntilStatus(b, key, 429);
    qInfo("rpm_limit set on A applied by B after %lld ms", limited);
    QVERIFY(limited >= 0 && limited < 1000);

    // Deleted on A: B refuses it.
    QCOMPARE(admin(a, "/key/delete", {{u"keys"_s, QJsonArray{QString::fromLatin1(key)}}}).status, 200);
    const qint64 deleted = msUntilStatus(b, key, 401);
    qInfo("key deleted on A refused by B after %lld ms", deleted);
    QVERIFY(deleted >= 0 && deleted < 1000);

    // A user and the key made with it, created on B; deleting the user on A removes the key on B.
    const auto user = admin(b, "/user/new", {{u"user_id"_s, u"ulla"_s}});
    QCOMPARE(user.status, 200);
    const QByteArray userKey = user.json().value(u"key"_s).toString().toLatin1();
    QVERIFY(msUntilStatus(a, userKey, 200) >= 0);
    QCOMPARE(admin(a, "/user/delete", {{u"user_ids"_s, QJsonArray{u"ulla"_s}}}).status, 200);
    const qint64 userGone = msUntilStatus(b, userKey, 401);
    QVERIFY(userGone >= 0 && userGone < 1000);
}

void TestSharedInstances::rpmLimitHoldsOverTheUnion_data()
{
    QTest::addColumn<int>("instances");
    QTest::newRow("2 instances") << 2;
    QTest::newRow("3 instances") << 3;
}

void TestSharedInstances::rpmLimitHoldsOverTheUnion()
{
    QFETCH(int, instances);
    QVERIFY(startInstances(instances));
    const auto generated = admin(m_instances.at(0), "/key/generate", {{u"rpm_limit"_s, 10}});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    for (const Instance &instance : std::as_const(m_instances))
        QVERIFY(msUntilStatus(instance, key, 200) >= 0);   // known everywhere (one call each)

    int admitted = instances;
    int refused = 0;
    QList<int> admittedBy(instances, 1);
    for (int i = 0; i < 30; ++i) {
        const auto answer = call(m_instances.at(std::size_t(i % instances)), key);
        if (answer.status == 200) {
            ++admitted;
            ++admittedBy[i % instances];
        } else if (answer.status == 429) {
            ++refused;
        }
    }
    qInfo("%d instances, rpm_limit 10: %d admitted, %d refused", instances, admitted, refused);
    // The shares sum to the limit: with an even load every share is used up, never more.
    QCOMPARE(admitted, 10);
    QCOMPARE(admitted + refused, 30 + instances);

    // One instance stops: the others take its share at their next heartbeat. The first has used
    // its share; with the stopped one's share added, it admits more again, still within the new share.
    Instance &last = m_instances.back();
    last.process->terminate();
    QVERIFY(last.process->waitForFinished(10000));
    m_instances.pop_back();
    QThread::msleep(1500);
    int more = 0;
    for (int i = 0; i < 10; ++i)
        more += call(m_instances.at(0), key).status == 200 ? 1 : 0;
    // 2 → 1 instance: the first's share goes 5 → 10; 3 → 2: 4 or 3 → 5.
    QCOMPARE(more, 10 / (instances - 1) - admittedBy.at(0));
}

// max_parallel_requests holds over the union: 12 calls at once on a slow provider, split over two
// instances, with a limit of 4 — each instance holds a share of 2, so 4 run and the rest are
// refused at once (one instance alone would run 4 of its 6, the two 8).
void TestSharedInstances::parallelLimitHoldsOverTheUnion()
{
    FakeProvider provider;
    provider.setLatency(std::chrono::milliseconds(1500));
    QVERIFY(provider.start() != 0);
    QVERIFY(startInstances(2, true, provider.baseUrl()));
    const auto generated = admin(m_instances.at(0), "/key/generate", {{u"max_parallel_requests"_s, 4}});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toLatin1();
    for (const Instance &instance : std::as_const(m_instances))
        QVERIFY(msUntilStatus(instance, key, 200) >= 0);   // known everywhere (a quick mock call each)

    std::atomic<int> admitted{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < 12; ++i) {
        const quint16 port = m_instances.at(std::size_t(i % 2)).port;
        callers.emplace_back([port, key, &admitted, &refused] {
            HttpClient client(port);
            const auto answer = client.post("/v1/chat/completions", chatBody(u"slow"_s),
                                            {{"Authorization", "Bearer " + key}});
            if (answer.status == 200)
                ++admitted;
            else if (answer.status == 429)
                ++refused;
        });
    }
    for (std::thread &caller : callers)
        caller.join();
    qInfo("2 instances, max_parallel_requests 4, 12 calls at once: %d admitted, %d refused", admitted.load(),
          refused.load());
    QCOMPARE(admitted.load(), 4);
    QCOMPARE(refused.load(), 8);
}

// What calls on one instance spent shows on the others within about a second: a key's spend (with a
// budget and without), and the global spend — what the window shows, whichever instance it asks.
void TestSharedInstances::spendShowsOnEveryInstance()
{
    QVERIFY(startInstances(2));
    const Instance &a = m_instances.at(0);
    const Instance &b = m_instances.at(1);
    QList<QByteArray> keys;
    for (const QJsonObject &body : {QJsonObject{}, QJsonObject{{u"max_budget"_s, 10}}}) {
        const auto generated = admin(a, "/key/generate", body);
        QCOMPARE(generated.status, 200);
        keys.append(generated.json().value(u"key"_s).toString().toLatin1());
    }
    const auto get = [](const Instance &instance, const QByteArray &path) {
        HttpClient client(instance.port);
        return client.get(path, {{"Authorization", "Bearer " + QByteArray(MasterKey)}}).json();
    };
    const auto keySpend = [&](const Instance &instance, const QByteArray &key) {
        return get(instance, "/key/info?key=" + key).value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    };
    const auto globalSpend = [&](const Instance &instance) {
        return get(instance, "/user/info?user_id=litellm-proxy-budget")
            .value(u"user_info"_s).toObject().value(u"spend"_s).toDouble();
    };
    for (const QByteArray &key : std::as_const(keys)) {
        QVERIFY(msUntilStatus(b, key, 200) >= 0);   // known on B; one call
        QCOMPARE(call(b, key).status, 200);
        QCOMPARE(call(b, key).status, 200);
    }
    for (const QByteArray &key : std::as_const(keys)) {
        QVERIFY(keySpend(b, key) > 0);
        QElapsedTimer timer;
        timer.start();
        while (keySpend(a, key) != keySpend(b, key) && timer.elapsed() < 3000)
            QThread::msleep(50);
        QVERIFY2(keySpend(a, key) == keySpend(b, key),
                 qPrintable(u"A %1, B %2"_s.arg(keySpend(a, key)).arg(keySpend(b, key))));
        qInfo("a key's spend on B showed on A after %lld ms", timer.elapsed());
    }
    QElapsedTimer timer;
    timer.start();
    while (globalSpend(a) != globalSpend(b) && timer.elapsed() < 3000)
        QThread::msleep(50);
    QVERIFY(globalSpend(b) > 0);
    QCOMPARE(globalSpend(a), globalSpend(b));
}

// A key regenerated on one instance while its calls run on another: the other moves the key too
// (the feed's key_replaced change), so those calls settle on it — its spend on every instance and
// in the store, its spend log — instead of on a token no instance knows any more. Else a key's
// owner could regenerate it in a loop past its budget on a second instance.
void TestSharedInstances::aKeyRegeneratedOnOneInstanceKeepsItsCallsOnAnother()
{
    FakeProvider provider;
    QVERIFY(provider.start() != 0);
    QVERIFY(startInstances(2, true, provider.baseUrl()));
    const Instance &a = m_instances.at(0);
    const Instance &b = m_instances.at(1);
    const auto generated = admin(a, "/key/generate", {{u"max_budget"_s, 10}});
    QCOMPARE(generated.status, 200);
    const QByteArray oldKey = generated.json().value(u"key"_s).toString().toLatin1();
    const auto get = [](const Instance &instance, const QByteArray &path) {
        HttpClient client(instance.port);
        return client.get(path, {{"Authorization", "Bearer " + QByteArray(MasterKey)}});
    };
    const auto keySpend = [&](const Instance &instance, const QByteArray &key) {
        return get(instance, "/key/info?key=" + key).json().value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    };
    QElapsedTimer known;
    known.start();
    while (get(b, "/key/info?key=" + oldKey).status != 200 && known.elapsed() < 3000)
        QThread::msleep(20);
    HttpClient client(b.port);
    const auto probe = client.post("/v1/chat/completions", chatBody(u"slow"_s), {{"Authorization", "Bearer " + oldKey}});
    QCOMPARE(probe.status, 200);
    const double cost = probe.header("x-litellm-response-cost").toDouble();
    QVERIFY(cost > 0);

    // A regenerates from the spend it knows: wait until it shows the probe (it reads the stored
    // spend once a second; a regeneration before that drops it, docs/shared-instances.md).
    QElapsedTimer shown;
    shown.start();
    while (keySpend(a, oldKey) < cost && shown.elapsed() < 3000)
        QThread::msleep(20);
    QVERIFY(keySpend(a, oldKey) >= cost);

    // Three calls on B, held by the upstream; the key is regenerated on A meanwhile.
    provider.setLatency(std::chrono::milliseconds(2500));
    const int before = provider.requestCount();
    QElapsedTimer running;
    running.start();
    std::vector<std::unique_ptr<AsyncCall>> calls;
    for (int i = 0; i < 3; ++i)
        calls.push_back(std::make_unique<AsyncCall>(b.port, chatBody(u"slow"_s),
                                                    QList<QPair<QByteArray, QByteArray>>{{"Authorization", "Bearer " + oldKey}}));
    QTRY_COMPARE_WITH_TIMEOUT(provider.requestCount(), before + 3, 2000);
    const auto regenerated = admin(a, "/key/regenerate", {{u"key"_s, QString::fromLatin1(oldKey)}});
    QCOMPARE(regenerated.status, 200);
    const QByteArray newKey = regenerated.json().value(u"key"_s).toString().toLatin1();
    const QString newToken = regenerated.json().value(u"token"_s).toString();
    QElapsedTimer learned;   // B follows the change (asked without a call, which would spend)
    learned.start();
    while (get(b, "/key/info?key=" + oldKey).status == 200 && learned.elapsed() < 1500)
        QThread::msleep(10);
    QVERIFY(get(b, "/key/info?key=" + oldKey).status != 200);
    QCOMPARE(call(b, oldKey).status, 401);
    QVERIFY2(running.elapsed() < 2500, "B learned of the regeneration after its calls ended: the test proves nothing");
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(calls.begin(), calls.end(), [](const auto &c) { return c->done(); }), 8000);
    for (const auto &c : calls)
        QCOMPARE(c->status(), 200);
    provider.setLatency(std::chrono::milliseconds(0));

    // The four calls are the key's, on both instances (each shows the stored spend plus its own
    // calls not yet stored, within about a second).
    const auto near = [](double x, double y) { return std::abs(x - y) < 1e-9; };
    for (const Instance *instance : {&b, &a}) {
        QElapsedTimer timer;
        timer.start();
        while (!near(keySpend(*instance, newKey), 4 * cost) && timer.elapsed() < 4000)
            QThread::msleep(50);
        QVERIFY2(near(keySpend(*instance, newKey), 4 * cost),
                 qPrintable(QString::number(keySpend(*instance, newKey)) + u" vs "_s + QString::number(4 * cost)));
    }
    // Their spend log rows are the key's too.
    const QJsonArray logs = QJsonDocument::fromJson(get(a, "/spend/logs?api_key=" + newToken.toLatin1()).body).array();
    int slow = 0;
    for (const QJsonValue &row : logs)
        slow += row.toObject().value(u"model_group"_s).toString() == u"slow"_s ? 1 : 0;
    QCOMPARE(slow, 4);
}

QTEST_GUILESS_MAIN(TestSharedInstances)
#include "tst_shared_instances.moc"
