// Refused model calls in the spend log: a bad key (401), a model the key may not use (403),
// a spent budget (429), each recorded as status "refused", $0, with the status and message the
// client got; filtered by status; the CSV names the key's alias and the reason; a flood of
// refusals is not a flood of rows. A real gateway over loopback HTTP with a real SQLite file.
#include "tests/support/gatewayfixture.h"
#include "tests/support/httpclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

class TestRefusals : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void refusalsAreLoggedWithTheirReason();
    void csvAndTotalsOfTheFilteredRows();
    void aFloodOfRefusalsIsNotAFloodOfRows();

private:
    QJsonArray rows(const QByteArray &query = {});

    std::unique_ptr<GatewayFixture> m_gateway;
};

void TestRefusals::init()
{
    m_gateway = std::make_unique<GatewayFixture>();
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TestRefusals::cleanup()
{
    m_gateway.reset();
}

QJsonArray TestRefusals::rows(const QByteArray &query)
{
    return QJsonDocument::fromJson(m_gateway->get("/spend/logs" + query).body).array();
}

void TestRefusals::refusalsAreLoggedWithTheirReason()
{
    const QByteArray limited = m_gateway
                                   ->post("/key/generate", {{u"key_alias"_s, u"alice-laptop"_s},
                                                            {u"models"_s, QJsonArray{u"gpt-a"_s}},
                                                            {u"max_budget"_s, 0}})
                                   .json()
                                   .value(u"key"_s)
                                   .toString()
                                   .toLatin1();
    const QJsonObject chat{{u"model"_s, u"gpt-a"_s}, {u"user"_s, u"bob"_s},
                           {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}};
    QJsonObject other = chat;
    other.insert(u"model"_s, u"gpt-b"_s);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat, "sk-not-a-key").status, 401);
    QCOMPARE(m_gateway->post("/v1/chat/completions", other, limited).status, 403);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat, limited).status, 429);
    // Anthropic's and the Responses API's refusals too, in their envelopes.
    HttpClient client(m_gateway->port());
    const auto message = client.post("/v1/messages",
                                     R"({"model":"gpt-a","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})",
                                     {{"x-api-key", limited}, {"anthropic-version", "2023-06-01"},
                                      {"x-claude-code-session-id", "cc-1"}});
    QCOMPARE(message.status, 429);
    // A call that was served is not a refusal.
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat).status, 200);

    const QJsonArray refused = rows("?status=refused");
    QCOMPARE(refused.size(), 4);
    QHash<int, QJsonObject> byStatus;
    for (const QJsonValue value : refused) {
        const QJsonObject row = value.toObject();
        QCOMPARE(row.value(u"spend"_s).toDouble(), 0.0);
        QCOMPARE(row.value(u"status"_s).toString(), u"refused"_s);
        QVERIFY(!row.value(u"reason"_s).toString().isEmpty());
        if (row.value(u"dialect"_s).toString() == u"messages") {
            QCOMPARE(row.value(u"session_id"_s).toString(), u"cc-1"_s);
            QCOMPARE(row.value(u"call_type"_s).toString(), u"anthropic_messages"_s);
            continue;
        }
        byStatus.insert(row.value(u"http_status"_s).toInt(), row);
    }
    QCOMPARE(byStatus.size(), 3);
    // No key known: no key, but what it asked for.
    QCOMPARE(byStatus.value(401).value(u"api_key"_s).toString(), QString());
    QCOMPARE(byStatus.value(401).value(u"model_group"_s).toString(), u"gpt-a"_s);
    QCOMPARE(byStatus.value(401).value(u"end_user"_s).toString(), u"bob"_s);
    // Known keys are named by their alias.
    QCOMPARE(byStatus.value(403).value(u"key_alias"_s).toString(), u"alice-laptop"_s);
    QVERIFY(byStatus.value(403).value(u"reason"_s).toString().contains(u"gpt-b"_s));
    QCOMPARE(byStatus.value(429).value(u"key_alias"_s).toString(), u"alice-laptop"_s);
    QVERIFY(byStatus.value(429).value(u"reason"_s).toString().contains(u"udget"_s));

    // A blocked key's refusals are that key's: filtering the log by the key shows them.
    const QString token = m_gateway->get("/key/info", limited).json().value(u"key"_s).toString();
    QVERIFY(!token.isEmpty());
    QCOMPARE(m_gateway->post("/key/block", {{u"key"_s, QString::fromLatin1(limited)}}).status, 200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat, limited).status, 401);
    const QJsonArray blocked = rows("?status=refused&api_key=" + token.toLatin1());
    QCOMPARE(blocked.size(), 4);  // the 403, the two 429s and the 401
    bool sawBlocked = false;
    for (const QJsonValue value : blocked)
        sawBlocked = sawBlocked || value.toObject().value(u"reason"_s).toString().contains(u"blocked"_s);
    QVERIFY(sawBlocked);
    QCOMPARE(m_gateway->post("/key/unblock", {{u"key"_s, QString::fromLatin1(limited)}}).status, 200);
    QCOMPARE(rows("?status=success").size(), 1);
    QCOMPARE(rows().size(), 6);
    // An unknown status is a 400, not an empty list.
    QCOMPARE(m_gateway->get("/spend/logs?status=refusd").status, 400);
}

void TestRefusals::csvAndTotalsOfTheFilteredRows()
{
    const QByteArray key = m_gateway->post("/key/generate", {{u"key_alias"_s, u"ci, \"runner\""_s}})
                               .json().value(u"key"_s).toString().toLatin1();
    const QJsonObject chat{{u"model"_s, u"gpt-a"_s},
                           {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}};
    QJsonObject unknown = chat;
    unknown.insert(u"model"_s, u"nope"_s);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat, key).status, 200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat, key).status, 200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", unknown, key).status, 400);

    const QByteArray csv = m_gateway->get("/spend/logs/export.csv?status=refused").body;
    const QList<QByteArray> lines = csv.split('\n');
    QVERIFY(lines.first().trimmed().endsWith(",http_status,reason,key_alias"));
    QVERIFY2(lines.at(1).contains(",400,") && lines.at(1).trimmed().endsWith(",\"ci, \"\"runner\"\"\""), lines.at(1).constData());
    QVERIFY(lines.at(1).contains("Invalid model name"));

    // /global/spend takes the same filters: the total of the filtered rows.
    const double all = m_gateway->get("/global/spend").json().value(u"spend"_s).toDouble();
    const double served = m_gateway->get("/global/spend?status=success").json().value(u"spend"_s).toDouble();
    const double refused = m_gateway->get("/global/spend?status=refused").json().value(u"spend"_s).toDouble();
    QVERIFY(all > 0);
    QCOMPARE(served, all);
    QCOMPARE(refused, 0.0);
    double sum = 0;
    for (const QJsonValue row : rows("?status=success"))
        sum += row.toObject().value(u"spend"_s).toDouble();
    QCOMPARE(served, sum);
}

void TestRefusals::aFloodOfRefusalsIsNotAFloodOfRows()
{
    // A script looping with a wrong key: the first ones are logged, then about 20 a second.
    HttpClient client(m_gateway->port());
    const QByteArray body = R"({"model":"gpt-a","messages":[]})";
    QElapsedTimer timer;
    timer.start();
    constexpr int Calls = 600;
    for (int i = 0; i < Calls; ++i)
        QCOMPARE(client.post("/v1/chat/completions", body, {{"authorization", "Bearer sk-wrong"}}).status, 401);
    const double seconds = timer.elapsed() / 1000.0;
    const qsizetype logged = rows("?status=refused&page_size=1000").size();
    QVERIFY2(logged >= 200, qPrintable(QString::number(logged)));
    QVERIFY2(logged <= 200 + qsizetype(20 * seconds) + 2, qPrintable(u"%1 rows in %2 s"_s.arg(logged).arg(seconds)));
    QVERIFY(logged < Calls);
}

QTEST_GUILESS_MAIN(TestRefusals)
#include "tst_refusals.moc"
