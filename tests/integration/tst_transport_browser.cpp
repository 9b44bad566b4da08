// Requests from web pages (issue 13 §5), over real loopback HTTP against a gateway with no
// master key (every local caller is an admin: the case a web page could abuse) and one
// allowed browser app: Origin / Sec-Fetch-Site → 403, non-JSON management bodies → 415, the
// gateway's own origin and /docs keep working, allowed origins get CORS.
#include "tests/integration/transporttestsupport.h"
#include "tests/support/gatewayfixture.h"

using namespace TransportTestSupport;
using Tollgate::Test::GatewayFixture;

namespace {
const QByteArray AllowedOrigin = QByteArrayLiteral("https://app.example");
const QByteArray EvilOrigin = QByteArrayLiteral("https://evil.example");
}

class TransportBrowserTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void foreignOriginIsRefused_data();
    void foreignOriginIsRefused();
    void crossSiteFetchWithoutOriginIsRefused_data();
    void crossSiteFetchWithoutOriginIsRefused();
    void managementBodyMustBeJson_data();
    void managementBodyMustBeJson();
    void ownOriginPasses_data();
    void ownOriginPasses();
    void allowedOriginGetsCors();
    void preflightIsAnsweredForAllowedOriginsOnly();
    void docsStayUsable();
    void anyOriginNeedsAMasterKey();

private:
    QByteArray own(const QByteArray &host = QByteArrayLiteral("127.0.0.1")) const
    {
        return "http://" + host + ':' + QByteArray::number(m_gateway->port());
    }
    int keyCount() const;

    std::unique_ptr<GatewayFixture> m_gateway;
};

void TransportBrowserTest::initTestCase()
{
    Config config = GatewayFixture::defaultConfig();
    config.general.masterKey.clear();  // open access: every local caller is an admin
    config.general.allowedOrigins = {QString::fromLatin1(AllowedOrigin)};
    m_gateway = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_gateway->start(), qPrintable(m_gateway->lastError()));
}

void TransportBrowserTest::cleanupTestCase()
{
    m_gateway.reset();
}

int TransportBrowserTest::keyCount() const
{
    HttpClient client(m_gateway->port());
    const Response response = client.get("/key/list");
    if (response.status != 200)
        return -1;
    return int(response.json().value(u"keys"_s).toArray().size());
}

void TransportBrowserTest::foreignOriginIsRefused_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("origin");
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    const QByteArray key = R"({"key_alias":"from-a-page"})";
    // A page's form or fetch without preflight: text/plain.
    QTest::newRow("key/generate, text/plain") << QByteArray("POST") << QByteArray("/key/generate") << EvilOrigin
                                              << QByteArray("text/plain") << key;
    QTest::newRow("key/generate, JSON") << QByteArray("POST") << QByteArray("/key/generate") << EvilOrigin
                                        << QByteArray("application/json") << key;
    QTest::newRow("model/new, text/plain")
        << QByteArray("POST") << QByteArray("/model/new") << EvilOrigin << QByteArray("text/plain")
        << QByteArray(R"({"model_name":"x","litellm_params":{"model":"openai/gpt-4o","api_base":"http://evil.example"}})");
    QTest::newRow("chat/completions, text/plain") << QByteArray("POST") << QByteArray("/v1/chat/completions")
                                                  << EvilOrigin << QByteArray("text/plain") << chatBody(u"gpt-a"_s);
    QTest::newRow("key/list") << QByteArray("GET") << QByteArray("/key/list") << EvilOrigin << QByteArray() << QByteArray();
    QTest::newRow("unknown route") << QByteArray("POST") << QByteArray("/nope") << EvilOrigin << QByteArray("text/plain")
                                   << QByteArray("{}");
    QTest::newRow("Origin: null (sandboxed page, file://)")
        << QByteArray("POST") << QByteArray("/key/generate") << QByteArray("null") << QByteArray("text/plain") << key;
    QTest::newRow("loopback on another port") << QByteArray("POST") << QByteArray("/key/generate")
                                              << QByteArray("http://127.0.0.1:1") << QByteArray("text/plain") << key;
    QTest::newRow("allowed origin's http twin") << QByteArray("POST") << QByteArray("/key/generate")
                                                << QByteArray("http://app.example") << QByteArray("text/plain") << key;
}

void TransportBrowserTest::foreignOriginIsRefused()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, origin);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    const int keysBefore = keyCount();
    HttpClient client(m_gateway->port());
    RawHeaders headers{{"Origin", origin}, {"Sec-Fetch-Site", "cross-site"}};
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    const Response response = client.request(method, path, headers, body);
    const QString problem = envelopeProblem(response, 403, u"forbidden"_s);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY2(errorOf(response).value(u"message"_s).toString().contains(u"general_settings.allowed_origins"_s),
             response.body.constData());
    QVERIFY(!response.hasHeader("access-control-allow-origin"));
    QCOMPARE(keyCount(), keysBefore);
}

void TransportBrowserTest::crossSiteFetchWithoutOriginIsRefused_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("site");
    QTest::addColumn<int>("status");
    QTest::newRow("POST cross-site") << QByteArray("POST") << QByteArray("/key/generate") << QByteArray("cross-site") << 403;
    QTest::newRow("GET cross-site") << QByteArray("GET") << QByteArray("/key/list") << QByteArray("cross-site") << 403;
    QTest::newRow("POST same-site") << QByteArray("POST") << QByteArray("/key/generate") << QByteArray("same-site") << 403;
    QTest::newRow("chat cross-site") << QByteArray("POST") << QByteArray("/chat/completions") << QByteArray("cross-site") << 403;
    QTest::newRow("GET same-origin") << QByteArray("GET") << QByteArray("/key/list") << QByteArray("same-origin") << 200;
    QTest::newRow("GET typed in the address bar") << QByteArray("GET") << QByteArray("/key/list") << QByteArray("none") << 200;
}

void TransportBrowserTest::crossSiteFetchWithoutOriginIsRefused()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, site);
    QFETCH(int, status);
    HttpClient client(m_gateway->port());
    const QByteArray body = method == "POST" ? (path == "/chat/completions" ? chatBody(u"gpt-a"_s) : QByteArray("{}"))
                                             : QByteArray();
    const Response response = client.request(method, path, {{"Sec-Fetch-Site", site}, {"Content-Type", "application/json"}}, body);
    if (status == 403) {
        const QString problem = envelopeProblem(response, 403, u"forbidden"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(errorOf(response).value(u"message"_s).toString().contains(QString::fromLatin1(site)));
    } else {
        QVERIFY2(response.status == status, response.body.left(300).constData());
    }
}

void TransportBrowserTest::managementBodyMustBeJson_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("contentType");  // "-" = none
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    const QByteArray key = R"({"key_alias":"typed"})";
    QTest::newRow("text/plain") << QByteArray("/key/generate") << QByteArray("text/plain") << key << 415;
    QTest::newRow("form") << QByteArray("/key/generate") << QByteArray("application/x-www-form-urlencoded") << key << 415;
    QTest::newRow("multipart") << QByteArray("/user/new") << QByteArray("multipart/form-data; boundary=x") << key << 415;
    QTest::newRow("no Content-Type") << QByteArray("/key/generate") << QByteArray("-") << key << 415;
    QTest::newRow("JSON with charset") << QByteArray("/key/generate") << QByteArray("Application/JSON; charset=utf-8") << key << 200;
    QTest::newRow("no body, no type") << QByteArray("/gateway/resume") << QByteArray("-") << QByteArray() << 200;
    // LLM routes stay lenient: curl -d says x-www-form-urlencoded (the README's examples).
    QTest::newRow("chat, curl -d") << QByteArray("/v1/chat/completions") << QByteArray("application/x-www-form-urlencoded")
                                   << chatBody(u"gpt-a"_s) << 200;
}

void TransportBrowserTest::managementBodyMustBeJson()
{
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    HttpClient client(m_gateway->port());
    RawHeaders headers;
    if (contentType != "-")
        headers.append({"Content-Type", contentType});
    const Response response = client.request("POST", path, headers, body);
    if (status == 415) {
        const QString problem = envelopeProblem(response, 415, u"unsupported_media_type"_s);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(errorOf(response).value(u"message"_s).toString().contains(u"application/json"_s));
    } else {
        QVERIFY2(response.status == status, response.body.left(300).constData());
    }
}

void TransportBrowserTest::ownOriginPasses_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1");
    QTest::newRow("localhost") << QByteArray("localhost");
    QTest::newRow("[::1]") << QByteArray("[::1]");
}

void TransportBrowserTest::ownOriginPasses()
{
    QFETCH(QByteArray, host);
    HttpClient client(m_gateway->port());
    const RawHeaders headers{{"Origin", own(host)}, {"Sec-Fetch-Site", "same-origin"}};
    const Response chat = client.post("/v1/chat/completions", chatBody(u"gpt-a"_s), headers);
    QVERIFY2(chat.status == 200, chat.body.left(300).constData());
    const Response key = client.post("/key/generate", R"({"key_alias":"own-origin-)" + host + R"("})", headers);
    QVERIFY2(key.status == 200, key.body.left(300).constData());
    QVERIFY(!key.hasHeader("access-control-allow-origin"));  // same origin: no CORS needed
}

void TransportBrowserTest::allowedOriginGetsCors()
{
    HttpClient client(m_gateway->port());
    const RawHeaders headers{{"Origin", AllowedOrigin}, {"Sec-Fetch-Site", "cross-site"}};
    const Response chat = client.post("/v1/chat/completions", chatBody(u"gpt-a"_s), headers);
    QVERIFY2(chat.status == 200, chat.body.left(300).constData());
    QCOMPARE(chat.header("access-control-allow-origin"), AllowedOrigin);
    QCOMPARE(chat.header("vary"), QByteArrayLiteral("Origin"));
    // Streams and errors carry them too: the app must be able to read either.
    const Response stream = client.post("/v1/chat/completions", chatBody(u"gpt-a"_s, true), headers);
    QCOMPARE(stream.status, 200);
    QCOMPARE(stream.header("access-control-allow-origin"), AllowedOrigin);
    const Response error = client.post("/v1/chat/completions", chatBody(u"no-such-model"_s), headers);
    QCOMPARE(error.status, 400);
    QCOMPARE(error.header("access-control-allow-origin"), AllowedOrigin);
    // Management bodies must still be JSON.
    const Response plain = client.post("/key/generate", "{}", {{"Origin", AllowedOrigin}, {"Content-Type", "text/plain"}});
    QCOMPARE(plain.status, 415);
}

void TransportBrowserTest::preflightIsAnsweredForAllowedOriginsOnly()
{
    HttpClient client(m_gateway->port());
    const Response preflight = client.request("OPTIONS", "/v1/chat/completions",
                                              {{"Origin", AllowedOrigin},
                                               {"Access-Control-Request-Method", "POST"},
                                               {"Access-Control-Request-Headers", "authorization, content-type, x-stainless-os"}});
    QCOMPARE(preflight.status, 204);
    QCOMPARE(preflight.header("access-control-allow-origin"), AllowedOrigin);
    QCOMPARE(preflight.header("vary"), QByteArrayLiteral("Origin"));
    QVERIFY(preflight.header("access-control-allow-methods").contains("POST"));
    const QByteArray allowedHeaders = preflight.header("access-control-allow-headers").toLower();
    for (const QByteArray name : {"authorization", "content-type", "x-api-key", "anthropic-version", "x-stainless-os"})
        QVERIFY2(allowedHeaders.contains(name), allowedHeaders.constData());
    QVERIFY(preflight.header("access-control-max-age").toInt() > 0);
    QVERIFY(preflight.body.isEmpty());

    const Response refused = client.request("OPTIONS", "/key/generate",
                                            {{"Origin", EvilOrigin}, {"Access-Control-Request-Method", "POST"}});
    const QString problem = envelopeProblem(refused, 403, u"forbidden"_s);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(!refused.hasHeader("access-control-allow-origin"));
}

void TransportBrowserTest::docsStayUsable()
{
    HttpClient client(m_gateway->port());
    // Opened from the desktop app or typed in.
    const Response page = client.get("/docs", {{"Sec-Fetch-Site", "none"}, {"Sec-Fetch-Mode", "navigate"}});
    QCOMPARE(page.status, 200);
    // Followed from a link on another site.
    const Response linked = client.get("/docs", {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "navigate"}});
    QCOMPARE(linked.status, 200);
    // The page's own fetches, and "Try it out" (same origin, JSON).
    const Response spec = client.get("/openapi.json", {{"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Mode", "cors"}});
    QCOMPARE(spec.status, 200);
    const Response tryIt = client.post("/key/generate", R"({"key_alias":"from-docs"})",
                                       {{"Origin", own()}, {"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Mode", "cors"},
                                        {"Referer", own() + "/docs"}});
    QVERIFY2(tryIt.status == 200, tryIt.body.left(300).constData());
    // A cross-site fetch of the document (not a navigation) is not a link to the docs.
    const Response fetched = client.get("/openapi.json", {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "cors"}});
    QCOMPARE(fetched.status, 403);
}

void TransportBrowserTest::anyOriginNeedsAMasterKey()
{
    // "*" with a master key: any page may call, but only with a key it was given.
    Config keyed = GatewayFixture::defaultConfig();
    keyed.general.allowedOrigins = {u"*"_s};
    GatewayFixture withKey(keyed);
    QVERIFY2(withKey.start(), qPrintable(withKey.lastError()));
    HttpClient client(withKey.port());
    const Response allowed = client.post("/v1/chat/completions", chatBody(u"gpt-a"_s),
                                         {{"Origin", EvilOrigin},
                                          {"Authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey}});
    QVERIFY2(allowed.status == 200, allowed.body.left(300).constData());
    QCOMPARE(allowed.header("access-control-allow-origin"), EvilOrigin);
    QCOMPARE(client.post("/v1/chat/completions", chatBody(u"gpt-a"_s), {{"Origin", EvilOrigin}}).status, 401);

    // "*" without one would make every page an admin: it is ignored.
    Config open = GatewayFixture::defaultConfig();
    open.general.masterKey.clear();
    open.general.allowedOrigins = {u"*"_s};
    GatewayFixture withoutKey(open);
    QVERIFY2(withoutKey.start(), qPrintable(withoutKey.lastError()));
    HttpClient other(withoutKey.port());
    const Response refused = other.post("/key/generate", "{}", {{"Origin", EvilOrigin}});
    const QString problem = envelopeProblem(refused, 403, u"forbidden"_s);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

QTEST_GUILESS_MAIN(TransportBrowserTest)
#include "tst_transport_browser.moc"
