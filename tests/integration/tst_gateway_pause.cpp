// Integration tests of pausing the gateway (POST /gateway/pause, /gateway/resume, GET
// /gateway/status): while paused every LLM route answers 503 in the OpenAI error shape and
// the management routes keep working. A real gateway on its own thread, real HTTP.
#include "tests/support/apierrors.h"
#include "tests/support/gatewayfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

using Response = HttpClient::Response;

const QString PausedMessage = u"The gateway is paused; resume it in Tollgate or POST /gateway/resume"_s;

QJsonObject chatBody(const QString &model = u"gpt-a"_s)
{
    return {{u"model"_s, model},
            {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
}

#define VERIFY_EMPTY(text)                                                                                             \
    do {                                                                                                               \
        const QString why_ = (text);                                                                                   \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                                    \
    } while (false)

} // namespace

class TestGatewayPause : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void statusSaysRunningAtStart();
    void everyLlmRouteAnswers503WhilePaused_data();
    void everyLlmRouteAnswers503WhilePaused();
    void managementRoutesKeepWorkingWhilePaused();
    void resumeServesAgain();
    void pauseAndResumeAreIdempotent();
    void onlyAdminsMayPauseOrSeeTheStatus();
    void restartServesAgain();

private:
    [[nodiscard]] QJsonObject status() const { return m_fixture->get("/gateway/status").json(); }

    std::unique_ptr<GatewayFixture> m_fixture;
};

void TestGatewayPause::init()
{
    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->lastError()));
}

void TestGatewayPause::cleanup()
{
    m_fixture.reset();
}

void TestGatewayPause::statusSaysRunningAtStart()
{
    const Response response = m_fixture->get("/gateway/status");
    QCOMPARE(response.status, 200);
    const QJsonObject body = response.json();
    QCOMPARE(body.value(u"paused"_s), QJsonValue(false));
    QCOMPARE(body.value(u"version"_s).toString(), QStringLiteral(TOLLGATE_VERSION));
    QVERIFY(body.value(u"in_flight"_s).isDouble());
    QCOMPARE(body.value(u"in_flight"_s).toInteger(), 0);
    // The /v1 form too, as every route.
    QCOMPARE(m_fixture->get("/v1/gateway/status").status, 200);
}

void TestGatewayPause::everyLlmRouteAnswers503WhilePaused_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QJsonObject>("body");
    const QJsonObject chat = chatBody();
    QJsonObject stream = chat;
    stream.insert(u"stream"_s, true);
    const QJsonObject completion{{u"model"_s, u"gpt-a"_s}, {u"prompt"_s, u"Hi"_s}};
    const QJsonObject embedding{{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"Hi"_s}};
    QTest::newRow("chat completions") << QByteArray("/v1/chat/completions") << chat;
    QTest::newRow("chat completions without v1") << QByteArray("/chat/completions") << chat;
    QTest::newRow("a streamed chat completion") << QByteArray("/v1/chat/completions") << stream;
    QTest::newRow("completions") << QByteArray("/v1/completions") << completion;
    QTest::newRow("completions without v1") << QByteArray("/completions") << completion;
    QTest::newRow("embeddings") << QByteArray("/v1/embeddings") << embedding;
    QTest::newRow("embeddings without v1") << QByteArray("/embeddings") << embedding;
}

void TestGatewayPause::everyLlmRouteAnswers503WhilePaused()
{
    QFETCH(QByteArray, path);
    QFETCH(QJsonObject, body);
    const Response paused = m_fixture->post("/gateway/pause", {});
    QCOMPARE(paused.status, 200);
    QCOMPARE(paused.json().value(u"paused"_s), QJsonValue(true));
    QCOMPARE(status().value(u"paused"_s), QJsonValue(true));

    const Response refused = m_fixture->post(path, body);
    VERIFY_EMPTY(errorMismatch(refused, 503, u"service_unavailable"_s, QJsonValue::Undefined, PausedMessage));
    QVERIFY(refused.header("content-type").startsWith("application/json"));

    // A virtual key is refused the same way.
    const Response key = m_fixture->post("/key/generate", {});
    QCOMPARE(key.status, 200);
    VERIFY_EMPTY(errorMismatch(m_fixture->post(path, body, key.json().value(u"key"_s).toString().toUtf8()), 503,
                               u"service_unavailable"_s));
    // Nothing was spent; both calls are logged as refused, $0, with the reason they got.
    const QJsonArray rows = QJsonDocument::fromJson(m_fixture->get("/spend/logs").body).array();
    QCOMPARE(rows.size(), 2);
    for (const QJsonValue value : rows) {
        const QJsonObject row = value.toObject();
        QCOMPARE(row.value(u"status"_s).toString(), u"refused"_s);
        QCOMPARE(row.value(u"http_status"_s).toInt(), 503);
        QCOMPARE(row.value(u"reason"_s).toString(), PausedMessage);
        QCOMPARE(row.value(u"spend"_s).toDouble(), 0.0);
    }
    // Reports count calls that ran: these did not.
    const QByteArray report = m_fixture->get("/global/spend/report?group_by=model").body;
    QVERIFY2(!report.contains("\"requests\":"), report.constData());
}

void TestGatewayPause::managementRoutesKeepWorkingWhilePaused()
{
    QCOMPARE(m_fixture->post("/gateway/pause", {}).status, 200);
    QCOMPARE(m_fixture->get("/v1/models").status, 200);
    QCOMPARE(m_fixture->get("/v1/model/info").status, 200);
    QCOMPARE(m_fixture->get("/global/spend").status, 200);
    QCOMPARE(m_fixture->get("/global/spend/report").status, 200);
    QCOMPARE(m_fixture->get("/key/list").status, 200);
    QCOMPARE(m_fixture->post("/key/generate", QJsonObject{{u"key_alias"_s, u"made-while-paused"_s}}).status, 200);
    QCOMPARE(m_fixture->post("/user/new", QJsonObject{{u"user_id"_s, u"paula"_s}}).status, 200);
    QCOMPARE(m_fixture->get("/health/liveliness", QByteArray()).status, 200);
    QCOMPARE(m_fixture->get("/health/readiness", QByteArray()).status, 200);
    QCOMPARE(m_fixture->get("/budget/events").status, 200);
    QCOMPARE(status().value(u"paused"_s), QJsonValue(true));
}

void TestGatewayPause::resumeServesAgain()
{
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 200);
    QCOMPARE(m_fixture->post("/gateway/pause", {}).status, 200);
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 503);
    const Response resumed = m_fixture->post("/gateway/resume", {});
    QCOMPARE(resumed.status, 200);
    QCOMPARE(resumed.json().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(status().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 200);
    QCOMPARE(m_fixture->post("/v1/embeddings", QJsonObject{{u"model"_s, u"gpt-b"_s}, {u"input"_s, u"Hi"_s}}).status,
             200);
}

void TestGatewayPause::pauseAndResumeAreIdempotent()
{
    QCOMPARE(m_fixture->post("/gateway/resume", {}).json().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/gateway/pause", {}).json().value(u"paused"_s), QJsonValue(true));
    QCOMPARE(m_fixture->post("/v1/gateway/pause", {}).json().value(u"paused"_s), QJsonValue(true));
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 503);
    QCOMPARE(m_fixture->post("/gateway/resume", {}).json().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/gateway/resume", {}).json().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 200);
}

void TestGatewayPause::onlyAdminsMayPauseOrSeeTheStatus()
{
    const Response generated = m_fixture->post("/key/generate", {});
    QCOMPARE(generated.status, 200);
    const QByteArray key = generated.json().value(u"key"_s).toString().toUtf8();
    VERIFY_EMPTY(errorMismatch(m_fixture->post("/gateway/pause", {}, key), 403, u"forbidden"_s));
    VERIFY_EMPTY(errorMismatch(m_fixture->get("/gateway/status", key), 403, u"forbidden"_s));
    VERIFY_EMPTY(errorMismatch(m_fixture->post("/gateway/pause", {}, QByteArray()), 401, u"auth_error"_s));
    VERIFY_EMPTY(errorMismatch(m_fixture->get("/gateway/status", QByteArray()), 401, u"auth_error"_s));
    QCOMPARE(status().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody(), key).status, 200);

    // A paused gateway still tells a bad key apart from a pause: authentication comes first.
    QCOMPARE(m_fixture->post("/gateway/pause", {}).status, 200);
    VERIFY_EMPTY(errorMismatch(m_fixture->post("/v1/chat/completions", chatBody(), "sk-unknown"), 401,
                               u"auth_error"_s));
    QCOMPARE(m_fixture->post("/gateway/resume", {}, key).status, 403);
    QCOMPARE(status().value(u"paused"_s), QJsonValue(true));
}

void TestGatewayPause::restartServesAgain()
{
    // The pause is a state of the running gateway, not a setting: a restart serves.
    QCOMPARE(m_fixture->post("/gateway/pause", {}).status, 200);
    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));
    QCOMPARE(status().value(u"paused"_s), QJsonValue(false));
    QCOMPARE(m_fixture->post("/v1/chat/completions", chatBody()).status, 200);
}

QTEST_GUILESS_MAIN(TestGatewayPause)
#include "tst_gateway_pause.moc"
