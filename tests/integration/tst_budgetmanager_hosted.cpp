// Integration tests of the BudgetManager hosted protocol (api.md §6): the gateway's
// POST /get_budget and /set_budget, and Tollgate::BudgetManager in hosted mode talking to a
// real gateway (its own thread, a real SQLite file, real HTTP on loopback). The example
// program examples/budgetmanager_hosted runs against it too.
#include "models/budgetmanager.h"
#include "tests/support/gatewayfixture.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

using Response = HttpClient::Response;
const QByteArray Master = GatewayFixture::MasterKey;

QJsonObject project(const QString &name)
{
    return QJsonObject{{u"project_name"_s, name}};
}

QJsonObject userDict(double totalBudget, double currentCost)
{
    return QJsonObject{{u"alice"_s, QJsonObject{{u"total_budget"_s, totalBudget},
                                                 {u"current_cost"_s, currentCost},
                                                 {u"model_cost"_s, QJsonObject{{u"gpt-4o-mini"_s, currentCost}}}}}};
}

} // namespace

class TestBudgetManagerHosted : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void newProjectIsEmpty();
    void protocolRoundTrip();
    void projectsAreIsolated();
    void badBodies_data();
    void badBodies();
    void adminOnly();
    void managerRoundTrip();
    void managerWithoutAdminKeyFails();
    void managerUnreachableGatewayFails();
    void restartKeepsData();
    void exampleProgramRuns();

private:
    [[nodiscard]] QString apiBase() const { return u"http://127.0.0.1:%1"_s.arg(m_fixture->port()); }
    std::unique_ptr<BudgetManager> manager(const QString &projectName, const QByteArray &key = Master) const;

    std::unique_ptr<GatewayFixture> m_fixture;
    QByteArray m_userKey;    // an internal_user's key: not an admin
    QByteArray m_adminKey;   // a proxy_admin user's key
};

void TestBudgetManagerHosted::initTestCase()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->lastError()));
    const Response user = m_fixture->post(
        "/user/new", QJsonObject{{u"user_id"_s, u"bob"_s}, {u"user_role"_s, u"internal_user"_s}});
    const Response admin = m_fixture->post(
        "/user/new", QJsonObject{{u"user_id"_s, u"root"_s}, {u"user_role"_s, u"proxy_admin"_s}});
    QCOMPARE(user.status, 200);
    QCOMPARE(admin.status, 200);
    m_userKey = user.json().value(u"key"_s).toString().toUtf8();
    m_adminKey = admin.json().value(u"key"_s).toString().toUtf8();
    QVERIFY(!m_userKey.isEmpty() && !m_adminKey.isEmpty());
}

void TestBudgetManagerHosted::cleanupTestCase()
{
    m_fixture.reset();
}

std::unique_ptr<BudgetManager> TestBudgetManagerHosted::manager(const QString &projectName, const QByteArray &key) const
{
    BudgetManager::Options options;
    options.timeoutMs = 15'000;
    return std::make_unique<BudgetManager>(projectName, BudgetManager::ClientType::Hosted, apiBase(),
                                           BudgetManager::Headers{{QByteArrayLiteral("Authorization"),
                                                                   QByteArrayLiteral("Bearer ") + key}},
                                           std::move(options));
}

void TestBudgetManagerHosted::newProjectIsEmpty()
{
    const Response response = m_fixture->post("/get_budget", project(u"never-saved"_s));
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json(), (QJsonObject{{u"status"_s, u"success"_s}, {u"data"_s, QJsonObject{}}}));
}

void TestBudgetManagerHosted::protocolRoundTrip()
{
    QJsonObject body = project(u"round-trip"_s);
    body.insert(u"user_dict"_s, userDict(10, 0.5));
    const Response saved = m_fixture->post("/set_budget", body);
    QCOMPARE(saved.status, 200);
    QCOMPARE(saved.json(), (QJsonObject{{u"status"_s, u"success"_s}}));

    const Response read = m_fixture->post("/v1/get_budget", project(u"round-trip"_s));
    QCOMPARE(read.status, 200);
    QCOMPARE(read.json().value(u"data"_s).toObject(), userDict(10, 0.5));

    // set_budget replaces the whole dict.
    body.insert(u"user_dict"_s, QJsonObject{});
    QCOMPARE(m_fixture->post("/set_budget", body).status, 200);
    QCOMPARE(m_fixture->post("/get_budget", project(u"round-trip"_s)).json().value(u"data"_s).toObject(), QJsonObject{});
}

void TestBudgetManagerHosted::projectsAreIsolated()
{
    QJsonObject a = project(u"team-a"_s);
    a.insert(u"user_dict"_s, userDict(1, 0.1));
    QJsonObject b = project(u"team-b"_s);
    b.insert(u"user_dict"_s, userDict(2, 0.2));
    QCOMPARE(m_fixture->post("/set_budget", a).status, 200);
    QCOMPARE(m_fixture->post("/set_budget", b).status, 200);
    QCOMPARE(m_fixture->post("/get_budget", project(u"team-a"_s)).json().value(u"data"_s).toObject(), userDict(1, 0.1));
    QCOMPARE(m_fixture->post("/get_budget", project(u"team-b"_s)).json().value(u"data"_s).toObject(), userDict(2, 0.2));
    // Names that differ only in case are different projects.
    QCOMPARE(m_fixture->post("/get_budget", project(u"TEAM-A"_s)).json().value(u"data"_s).toObject(), QJsonObject{});
}

void TestBudgetManagerHosted::badBodies_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("param");   // "" = none expected

    QTest::newRow("get: invalid JSON") << QByteArray("/get_budget") << QByteArray("{\"project_name\": ") << QString();
    QTest::newRow("get: not an object") << QByteArray("/get_budget") << QByteArray("[1]") << QString();
    QTest::newRow("get: no project_name") << QByteArray("/get_budget") << QByteArray("{}") << u"project_name"_s;
    QTest::newRow("get: empty project_name") << QByteArray("/get_budget") << QByteArray("{\"project_name\": \" \"}")
                                             << u"project_name"_s;
    QTest::newRow("get: numeric project_name") << QByteArray("/get_budget") << QByteArray("{\"project_name\": 7}")
                                               << u"project_name"_s;
    QTest::newRow("set: no project_name") << QByteArray("/set_budget") << QByteArray("{\"user_dict\": {}}")
                                          << u"project_name"_s;
    QTest::newRow("set: no user_dict") << QByteArray("/set_budget") << QByteArray("{\"project_name\": \"p\"}")
                                       << u"user_dict"_s;
    QTest::newRow("set: user_dict is a list") << QByteArray("/set_budget")
                                              << QByteArray("{\"project_name\": \"p\", \"user_dict\": []}")
                                              << u"user_dict"_s;
}

void TestBudgetManagerHosted::badBodies()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(QString, param);

    auto client = m_fixture->client();
    const Response response = client->post(path, body);
    QCOMPARE(response.status, 400);
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    QVERIFY2(!error.value(u"message"_s).toString().isEmpty(), response.body.constData());
    if (!param.isEmpty())
        QCOMPARE(error.value(u"param"_s).toString(), param);
    // Nothing was stored for "p".
    QCOMPARE(m_fixture->post("/get_budget", project(u"p"_s)).json().value(u"data"_s).toObject(), QJsonObject{});
}

void TestBudgetManagerHosted::adminOnly()
{
    QJsonObject body = project(u"guarded"_s);
    body.insert(u"user_dict"_s, userDict(5, 1));
    QCOMPARE(m_fixture->post("/set_budget", body, m_userKey).status, 403);
    QCOMPARE(m_fixture->post("/get_budget", project(u"guarded"_s), m_userKey).status, 403);
    QCOMPARE(m_fixture->post("/get_budget", project(u"guarded"_s), QByteArray()).status, 401);
    QCOMPARE(m_fixture->post("/get_budget", project(u"guarded"_s), "sk-wrong").status, 401);
    QCOMPARE(m_fixture->post("/get_budget", project(u"guarded"_s)).json().value(u"data"_s).toObject(), QJsonObject{});
    // A proxy_admin user's key may use the routes.
    QCOMPARE(m_fixture->post("/set_budget", body, m_adminKey).status, 200);
    QCOMPARE(m_fixture->post("/get_budget", project(u"guarded"_s), m_adminKey).json().value(u"data"_s).toObject(),
             userDict(5, 1));
}

void TestBudgetManagerHosted::managerRoundTrip()
{
    auto first = manager(u"hosted-manager"_s);
    QVERIFY2(first->loadResult().ok(), qPrintable(first->loadResult().error().toString()));
    QVERIFY(first->users().isEmpty());
    QVERIFY(first->createBudget(10.0, u"alice"_s, u"weekly"_s).ok());
    QVERIFY(first->createBudget(3.0, u"bob"_s).ok());
    const auto updated = first->updateCost(u"alice"_s, u"gpt-4o-mini"_s, u"How are you today?"_s, u"Fine, thanks."_s);
    QVERIFY2(updated.ok(), qPrintable(updated.ok() ? QString() : updated.error().message));
    QVERIFY(first->currentCost(u"alice"_s).value() > 0.0);
    const auto saved = first->saveData();
    QVERIFY2(saved.ok(), qPrintable(saved.ok() ? QString() : saved.error().message));

    auto second = manager(u"hosted-manager"_s, m_adminKey);
    QVERIFY(second->loadResult().ok());
    QCOMPARE(second->userDict(), first->userDict());
    QCOMPARE(second->currentCost(u"alice"_s).value(), first->currentCost(u"alice"_s).value());
    QCOMPARE(second->users(), (QStringList{u"alice"_s, u"bob"_s}));

    // What the server holds is exactly the manager's user_dict.
    QCOMPARE(m_fixture->post("/get_budget", project(u"hosted-manager"_s)).json().value(u"data"_s).toObject(),
             first->userDict());
}

void TestBudgetManagerHosted::managerWithoutAdminKeyFails()
{
    auto denied = manager(u"hosted-manager"_s, m_userKey);
    QVERIFY(!denied->loadResult().ok());
    QVERIFY2(denied->loadResult().error().message.contains(u"403"), qPrintable(denied->loadResult().error().message));
    QVERIFY(denied->createBudget(1.0, u"mallory"_s).ok());
    QVERIFY(!denied->saveData().ok());
    QVERIFY(!manager(u"hosted-manager"_s)->isValidUser(u"mallory"_s));
}

void TestBudgetManagerHosted::managerUnreachableGatewayFails()
{
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    BudgetManager unreachable(u"x"_s, BudgetManager::ClientType::Hosted, u"http://127.0.0.1:1"_s);
    QVERIFY(!unreachable.loadResult().ok());
}

void TestBudgetManagerHosted::restartKeepsData()
{
    auto before = manager(u"durable"_s);
    QVERIFY(before->loadResult().ok());
    QVERIFY(before->createBudget(7.0, u"carol"_s, u"monthly"_s).ok());
    QVERIFY(before->updateCost(u"carol"_s, u"gpt-4o-mini"_s, u"hello there"_s, u"hi"_s).ok());
    QVERIFY(before->saveData().ok());

    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));

    auto after = manager(u"durable"_s);
    QVERIFY2(after->loadResult().ok(), qPrintable(after->loadResult().error().toString()));
    QCOMPARE(after->userDict(), before->userDict());
    // The other projects survived too.
    QCOMPARE(m_fixture->post("/get_budget", project(u"team-b"_s)).json().value(u"data"_s).toObject(), userDict(2, 0.2));
}

void TestBudgetManagerHosted::exampleProgramRuns()
{
    const QString example = qEnvironmentVariable("TOLLGATE_EXAMPLE");
    if (example.isEmpty())
        QSKIP("TOLLGATE_EXAMPLE is not set (CTest sets it to the built budgetmanager_hosted)");
    QProcess process;
    process.start(example, {apiBase(), QString::fromLatin1(Master), u"example-project"_s});
    QVERIFY2(process.waitForFinished(60'000), "the example did not finish");
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    const QString errors = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QVERIFY2(process.exitCode() == 0, qPrintable(errors + output));
    QVERIFY2(output.contains(u"current cost"), qPrintable(output));
    // It saved through the gateway: the project is there.
    const QJsonObject data = m_fixture->post("/get_budget", project(u"example-project"_s)).json().value(u"data"_s).toObject();
    QVERIFY(data.value(u"krrish@berri.ai"_s).toObject().value(u"current_cost"_s).toDouble() > 0.0);
}

QTEST_GUILESS_MAIN(TestBudgetManagerHosted)
#include "tst_budgetmanager_hosted.moc"
