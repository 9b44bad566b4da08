#include "proxy/auth.h"
#include "proxy/deployments.h"
#include "proxy/httptransport.h"
#include "proxy/jsonscan.h"
#include "proxy/providers/provideradapter.h"
#include "proxy/responsedirectory.h"
#include "proxy/router.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <array>

using namespace Tollgate;
using namespace Qt::StringLiterals;
using Headers = QList<QPair<QByteArray, QByteArray>>;

namespace {

// JSON written with ' for " (moc trips over some raw string literals in test files).
QByteArray quoted(const char *json)
{
    QByteArray text(json);
    text.replace('\'', '"');
    return text;
}

Deployment deployment(const QString &name, const QString &id, Provider provider = Provider::OpenAI)
{
    Deployment d;
    d.modelName = name;
    d.id = id;
    d.provider = provider;
    d.providerName = providerName(provider);
    d.upstreamModel = u"upstream-"_s + id;
    d.apiBase = u"http://127.0.0.1:9/v1"_s;
    d.apiKey = u"sk-provider"_s;
    return d;
}

} // namespace

class TestDeployments : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundRobinWithinAGroup()
    {
        DeploymentTable table({deployment(u"gpt"_s, u"a"_s), deployment(u"other"_s, u"x"_s),
                               deployment(u"gpt"_s, u"b"_s), deployment(u"gpt"_s, u"c"_s)});
        QStringList picked;
        for (int i = 0; i < 6; ++i)
            picked.append(table.pick(u"gpt"_s)->id);
        QCOMPARE(picked, (QStringList{u"a"_s, u"b"_s, u"c"_s, u"a"_s, u"b"_s, u"c"_s}));
        QCOMPARE(table.pick(u"other"_s)->id, u"x"_s);
        QCOMPARE(table.pick(u"missing"_s), nullptr);
        QCOMPARE(table.groupNames(), (QStringList{u"gpt"_s, u"other"_s}));
    }

    void accessGroupsCollectModelNames()
    {
        Deployment a = deployment(u"gpt"_s, u"a"_s);
        a.accessGroups = {u"beta"_s, u"all"_s};
        Deployment b = deployment(u"gpt"_s, u"b"_s);
        b.accessGroups = {u"beta"_s};
        Deployment c = deployment(u"mini"_s, u"c"_s);
        c.accessGroups = {u"all"_s};
        const auto groups = DeploymentTable({a, b, c}).accessGroups();
        QCOMPARE(groups.value(u"beta"_s), QStringList{u"gpt"_s});
        QCOMPARE(groups.value(u"all"_s), (QStringList{u"gpt"_s, u"mini"_s}));
    }

    void openaiRequestShape()
    {
        const QJsonObject body{{u"model"_s, u"gpt"_s}, {u"stream"_s, true}, {u"mock_response"_s, u"x"_s},
                               {u"messages"_s, QJsonArray{}}};
        const PreparedCall call = prepareUpstreamCall(CallType::ChatCompletion, deployment(u"gpt"_s, u"a"_s), body);
        QCOMPARE(call.request.url, QByteArray("http://127.0.0.1:9/v1/chat/completions"));
        QVERIFY(call.request.headers.contains({"Authorization", "Bearer sk-provider"}));
        QVERIFY(call.stream);
        QVERIFY(!call.clientWantsUsage);
        const QJsonObject sent = QJsonDocument::fromJson(call.request.body).object();
        QCOMPARE(sent.value(u"model"_s).toString(), u"upstream-a"_s);
        QVERIFY(!sent.contains(u"mock_response"_s));
        QCOMPARE(sent.value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(), true);
    }

    void azureRequestShape()
    {
        Deployment azure = deployment(u"gpt"_s, u"my deployment"_s, Provider::Azure);
        azure.upstreamModel = u"my deployment"_s;
        azure.apiBase = u"https://example.openai.azure.com"_s;
        azure.apiVersion = u"2024-10-21"_s;
        const PreparedCall call = prepareUpstreamCall(CallType::Embedding, azure,
                                                      {{u"model"_s, u"gpt"_s}, {u"input"_s, u"x"_s}});
        QCOMPARE(call.request.url, QByteArray("https://example.openai.azure.com/openai/deployments/"
                                              "my%20deployment/embeddings?api-version=2024-10-21"));
        QVERIFY(call.request.headers.contains({"api-key", "sk-provider"}));
        for (const auto &header : call.request.headers)
            QVERIFY(header.first != "Authorization");
        QVERIFY(!call.stream);
    }

    void anthropicRequestShape()
    {
        Deployment claude = deployment(u"claude"_s, u"c"_s, Provider::Anthropic);
        claude.apiBase = u"https://api.anthropic.com"_s;
        claude.apiVersion = u"2023-06-01"_s;
        const QByteArray raw = R"({"model":"claude","max_tokens":5,"stream":true,"messages":[]})";
        const QJsonObject body = QJsonDocument::fromJson(raw).object();
        // The client's anthropic-version wins; anthropic-beta is forwarded; nothing else is.
        const PreparedCall call = prepareUpstreamCall(
            CallType::Messages, claude, body, raw,
            {{"anthropic-version", "2024-01-01"}, {"anthropic-beta", "prompt-caching-2024-07-31"}, {"x-other", "no"}});
        QCOMPARE(call.request.url, QByteArray("https://api.anthropic.com/v1/messages"));
        QVERIFY(call.request.headers.contains({"x-api-key", "sk-provider"}));
        QVERIFY(call.request.headers.contains({"anthropic-version", "2024-01-01"}));
        QVERIFY(call.request.headers.contains({"anthropic-beta", "prompt-caching-2024-07-31"}));
        for (const auto &header : call.request.headers) {
            QVERIFY(header.first != "Authorization");
            QVERIFY(header.first != "x-other");
        }
        // The client's bytes, only the model replaced; no stream_options (Messages streams
        // always carry their usage).
        QCOMPARE(call.request.body, QByteArray(R"({"model":"upstream-c","max_tokens":5,"stream":true,"messages":[]})"));
        QVERIFY(call.stream);
        // Without the client's version, the deployment's.
        const PreparedCall plain = prepareUpstreamCall(CallType::Messages, claude, body, raw);
        QVERIFY(plain.request.headers.contains({"anthropic-version", "2023-06-01"}));
    }

    void responsesRequestShape()
    {
        const QByteArray raw = R"({"model":"gpt","input":"hi","stream":true})";
        const QJsonObject body = QJsonDocument::fromJson(raw).object();
        const PreparedCall openai = prepareUpstreamCall(CallType::Responses, deployment(u"gpt"_s, u"a"_s), body, raw);
        QCOMPARE(openai.request.url, QByteArray("http://127.0.0.1:9/v1/responses"));
        QCOMPARE(openai.request.body, QByteArray(R"({"model":"upstream-a","input":"hi","stream":true})"));
        QVERIFY(openai.request.headers.contains({"Authorization", "Bearer sk-provider"}));
        Deployment azure = deployment(u"gpt"_s, u"gpt-4o"_s, Provider::Azure);
        azure.apiBase = u"https://example.openai.azure.com"_s;
        const PreparedCall viaAzure = prepareUpstreamCall(CallType::Responses, azure, body, raw);
        QCOMPARE(viaAzure.request.url, QByteArray("https://example.openai.azure.com/openai/v1/responses"));
        QVERIFY(viaAzure.request.headers.contains({"api-key", "sk-provider"}));
        const UpstreamRequest get = prepareResponsesRequest(azure, "GET", "resp_1/input_items?limit=2");
        QCOMPARE(get.method, QByteArray("GET"));
        QCOMPARE(get.url, QByteArray("https://example.openai.azure.com/openai/v1/responses/resp_1/input_items?limit=2"));
        // Who speaks what natively.
        QVERIFY(speaksNatively(azure, CallType::Responses));
        QVERIFY(!speaksNatively(azure, CallType::Messages));
        QVERIFY(speaksNatively(deployment(u"c"_s, u"c"_s, Provider::Anthropic), CallType::Messages));
        QVERIFY(!speaksNatively(deployment(u"c"_s, u"c"_s, Provider::Anthropic), CallType::Responses));
    }

    void plainContentIsBoundedByItsBytes_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("plain");
        QTest::newRow("text") << quoted("{'model':'m','messages':[{'role':'user','content':'hi'}]}") << true;
        QTest::newRow("blocks, tools, schemas, cache")
            << quoted("{'messages':[{'role':'user','content':[{'type':'text','text':'x','cache_control':{'type':'ephemeral'}}]}],"
                      "'tools':[{'name':'f','input_schema':{'type':'object','properties':{'a':{'type':'string'}}}}]}")
            << true;
        QTest::newRow("pretty printed") << quoted("{'input': [{'type' :\n 'message'}]}") << true;
        QTest::newRow("image by URL") << quoted("{'content':[{'type':'image','source':{'type':'url','url':'https://x/a.png'}}]}") << false;
        QTest::newRow("responses image") << quoted("{'input':[{'type': 'input_image','image_url':'https://x'}]}") << false;
        QTest::newRow("document") << quoted("{'content':[{'type':'document','source':{}}]}") << false;
        QTest::newRow("hosted tool") << quoted("{'tools':[{'type':'web_search_20250305'}]}") << false;
        QTest::newRow("type list") << quoted("{'schema':{'type':['string','null']}}") << false;
        QTest::newRow("word 'type' as a value") << quoted("{'content':'type','x':{'type':'text'}}") << true;
        QTest::newRow("hidden after a plain one") << quoted("[{'type':'text'},{'type':'image'}]") << false;
        QTest::newRow("other keys that start alike") << quoted("{'typed':'image','types':['x'],'subtype':'y'}") << true;
        QTest::newRow("quotes inside strings") << quoted("{'a':'say \\'type\\'','b':{'type':'audio'}}") << false;
        QTest::newRow("cut after the key") << quoted("{'x':{'type'") << true;
        QTest::newRow("cut inside the key") << quoted("{'x':{'typ") << true;
        QTest::newRow("a key at the very start") << quoted("'type':'image'") << false;
    }

    void plainContentIsBoundedByItsBytes()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, plain);
        QCOMPARE(onlyPlainContent(raw), plain);
    }

    void responseDirectoryForgetsTheOldest()
    {
        ResponseDirectory directory(3);
        for (int i = 0; i < 5; ++i)
            directory.remember(u"resp_%1"_s.arg(i), {u"d%1"_s.arg(i), u"g"_s, "hash", i * 10});
        QCOMPARE(directory.size(), 3);
        QVERIFY(!directory.find(u"resp_0"_s));
        QVERIFY(!directory.find(u"resp_1"_s));
        QCOMPARE(directory.find(u"resp_4"_s)->deploymentId, u"d4"_s);
        QCOMPARE(directory.find(u"resp_2"_s)->contextTokens, 20);
        // Remembered again: the newest, so the next eviction takes resp_3.
        directory.remember(u"resp_2"_s, {u"d2"_s, u"g"_s, "hash", 99});
        directory.remember(u"resp_5"_s, {u"d5"_s, u"g"_s, "hash", 0});
        QVERIFY(!directory.find(u"resp_3"_s));
        QCOMPARE(directory.find(u"resp_2"_s)->contextTokens, 99);
        directory.forget(u"resp_2"_s);
        QVERIFY(!directory.find(u"resp_2"_s));
        QCOMPARE(directory.size(), 2);
    }

    // One key made 100,000 free mock responses in 26 s and every other key's follow-ups were 404:
    // a key holds at most its share, its own oldest going first.
    void responseDirectoryKeepsEachKeyToItsShare()
    {
        ResponseDirectory directory(6, 3);
        for (int i = 0; i < 2; ++i)
            directory.remember(u"a%1"_s.arg(i), {u"d"_s, u"g"_s, "key-a", 0});
        for (int i = 0; i < 10; ++i)
            directory.remember(u"b%1"_s.arg(i), {u"d"_s, u"g"_s, "key-b", 0});
        QCOMPARE(directory.size(), 5);
        QVERIFY(directory.find(u"a0"_s) && directory.find(u"a1"_s));
        QVERIFY(!directory.find(u"b6"_s));
        QVERIFY(directory.find(u"b7"_s) && directory.find(u"b9"_s));
        // Full: the oldest of all goes (a0), whoever it belongs to.
        directory.remember(u"c0"_s, {u"d"_s, u"g"_s, "key-c", 0});
        directory.remember(u"d0"_s, {u"d"_s, u"g"_s, "key-d", 0});
        QCOMPARE(directory.size(), 6);
        QVERIFY(!directory.find(u"a0"_s));
        QVERIFY(directory.find(u"a1"_s) && directory.find(u"c0"_s) && directory.find(u"d0"_s));
        // A response remembered again, and one forgotten, leave the shares consistent.
        directory.remember(u"b7"_s, {u"d"_s, u"g"_s, "key-b", 5});
        directory.forget(u"b8"_s);
        directory.remember(u"b10"_s, {u"d"_s, u"g"_s, "key-b", 0});
        directory.remember(u"b11"_s, {u"d"_s, u"g"_s, "key-b", 0});
        QVERIFY(!directory.find(u"b9"_s));
        QCOMPARE(directory.find(u"b7"_s)->contextTokens, 5);
        QVERIFY(directory.find(u"a1"_s));
        // The master key's (an empty hash) fill the whole directory.
        for (int i = 0; i < 6; ++i)
            directory.remember(u"m%1"_s.arg(i), {u"d"_s, u"g"_s, QByteArray(), 0});
        QCOMPARE(directory.size(), 6);
        QVERIFY(directory.find(u"m0"_s) && directory.find(u"m5"_s));
    }

    void clientUsageRequestIsRemembered()
    {
        const QJsonObject body{{u"model"_s, u"gpt"_s}, {u"stream"_s, true},
                               {u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}}};
        QVERIFY(prepareUpstreamCall(CallType::ChatCompletion, deployment(u"gpt"_s, u"a"_s), body).clientWantsUsage);
    }

    // The client's bytes go upstream with only "model" replaced — where that is safe; the
    // result always means what the serialised parsed body means.
    void splicedBodies_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("stream");
        QTest::addColumn<QByteArray>("spliced");  // empty: falls back to serialising
        QTest::newRow("plain") << QByteArray("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}") << false
                               << QByteArray("{\"model\":\"upstream-a\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        QTest::newRow("spaces, nesting, tricky strings")
            << QByteArray(" {\n \"messages\" : [ {\"content\": \"} ] { \\\" , :\"} ] ,\r\n\t\"model\" :\"gpt\" , \"n\":1e2, "
                          "\"x\": [true,null,{\"a\":[]}] } ")
            << false
            << QByteArray(" {\n \"messages\" : [ {\"content\": \"} ] { \\\" , :\"} ] ,\r\n\t\"model\" :\"upstream-a\" , \"n\":1e2, "
                          "\"x\": [true,null,{\"a\":[]}] } ");
        QTest::newRow("stream asks for usage") << QByteArray("{\"model\":\"gpt\",\"stream\":true}") << true
                                               << QByteArray("{\"model\":\"upstream-a\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        QTest::newRow("stream with its own options") << QByteArray("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{}}")
                                                     << true << QByteArray();
        QTest::newRow("stream with its own options and messages")
            << QByteArray("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":false},"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
            << true << QByteArray();
        QTest::newRow("duplicate key") << QByteArray("{\"model\":\"gpt\",\"model\":\"other\"}") << false << QByteArray();
        QTest::newRow("escaped key") << QByteArray("{\"model\":\"gpt\",\"mod\\u0065l\":\"other\"}") << false << QByteArray();
        QTest::newRow("mock_response") << QByteArray("{\"model\":\"gpt\",\"mock_response\":\"x\"}") << false << QByteArray();
        QTest::newRow("no model") << QByteArray("{\"messages\":[]}") << false << QByteArray();
        QTest::newRow("not an object") << QByteArray("[\"model\"]") << false << QByteArray();
        QTest::newRow("escapes in values are kept") << QByteArray("{\"model\":\"gpt\",\"u\":\"\\\"\\u00e9\\n\"}") << false
                                                    << QByteArray("{\"model\":\"upstream-a\",\"u\":\"\\\"\\u00e9\\n\"}");
    }
    void splicedBodies()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, stream);
        QFETCH(QByteArray, spliced);
        QCOMPARE(spliceRequestBody(raw, u"upstream-a"_s, stream), spliced);
        // Through prepareUpstreamCall: spliced or serialised, the provider reads the same object.
        const QJsonDocument parsed = QJsonDocument::fromJson(raw);
        if (!parsed.isObject())
            return;
        const Deployment target = deployment(u"gpt"_s, u"a"_s);
        const PreparedCall fromRaw = prepareUpstreamCall(CallType::ChatCompletion, target, parsed.object(), raw);
        const PreparedCall fromObject = prepareUpstreamCall(CallType::ChatCompletion, target, parsed.object());
        if (!parsed.object().contains(u"model"_s))
            return;
        QCOMPARE(QJsonDocument::fromJson(fromRaw.request.body), QJsonDocument::fromJson(fromObject.request.body));
        QCOMPARE(fromRaw.stream, stream);
        // From the top level read without its messages (RequestScan), whatever cannot be
        // spliced is serialised from the whole request: the provider still reads the same.
        if (const RequestScan scan(raw); scan.ok()) {
            const PreparedCall fromPartial = prepareUpstreamCall(CallType::ChatCompletion, target,
                                                                 scan.objectOf(std::array<QByteArrayView, 3>{"model", "stream", "stream_options"}), raw, {}, true);
            QCOMPARE(QJsonDocument::fromJson(fromPartial.request.body), QJsonDocument::fromJson(fromObject.request.body));
            QCOMPARE(fromPartial.stream, stream);
            // Spliced at the site the scan found: the same bytes as the splice's own pass.
            const std::optional<SpliceSite> site = spliceSiteOf(scan);
            QCOMPARE(site.has_value(), !spliced.isEmpty() || (stream && scan.contains("stream_options")));
            if (site) {
                QCOMPARE(spliceRequestBody(raw, u"upstream-a"_s, stream, *site), spliced);
                const PreparedCall fromSite = prepareUpstreamCall(
                    CallType::ChatCompletion, target,
                    scan.objectOf(std::array<QByteArrayView, 3>{"model", "stream", "stream_options"}), raw, {}, true,
                    site);
                QCOMPARE(QJsonDocument::fromJson(fromSite.request.body), QJsonDocument::fromJson(fromObject.request.body));
            }
        }
    }

    void splicedModelNamesAreEscaped()
    {
        const QByteArray out = spliceRequestBody("{\"model\":\"gpt\"}", u"we\"ird\\na\u00efve\tname"_s, false);
        QCOMPARE(QJsonDocument::fromJson(out).object().value(u"model"_s).toString(), u"we\"ird\\na\u00efve\tname"_s);
        // Plain ASCII names are copied as they are; anything else is escaped on the UTF-8 path.
        const QStringList names{u"gpt-4o-mini"_s, u""_s, u"del\u007f~ !"_s, u"\""_s, u"\\"_s,
                                u"ctl\u0001x"_s, u"\u00e9t\u00e9"_s, u"emoji \U0001F600"_s, u"end\u0080"_s};
        for (const QString &name : names) {
            const QByteArray spliced = spliceRequestBody("{\"model\":\"gpt\",\"n\":1}", name, false);
            QJsonParseError error;
            const QJsonObject object = QJsonDocument::fromJson(spliced, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, spliced.constData());
            QCOMPARE(object.value(u"model"_s).toString(), name);
            QCOMPARE(object.value(u"n"_s).toInt(), 1);
        }
        QCOMPARE(spliceRequestBody("{\"model\":\"gpt\"}", u"a-b_c.d/e:f"_s, false), QByteArray("{\"model\":\"a-b_c.d/e:f\"}"));
    }

    void canonicalPaths_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("v1 prefix") << u"/v1/chat/completions"_s << u"/chat/completions"_s;
        QTest::newRow("no prefix") << u"/chat/completions"_s << u"/chat/completions"_s;
        QTest::newRow("trailing slash") << u"/v1/models/"_s << u"/models"_s;
        QTest::newRow("v1 alone") << u"/v1"_s << u"/"_s;
        QTest::newRow("v10 is not v1") << u"/v10/models"_s << u"/v10/models"_s;
    }

    void canonicalPaths()
    {
        QFETCH(QString, path);
        QFETCH(QString, canonical);
        QCOMPARE(Router::canonicalPath(path), canonical);
    }

    void keyExtractionOrder_data()
    {
        QTest::addColumn<Headers>("headers");
        QTest::addColumn<QByteArray>("key");
        using H = Headers;
        QTest::newRow("bearer") << H{{"authorization", "Bearer sk-a"}} << QByteArray("sk-a");
        QTest::newRow("bearer lower case") << H{{"authorization", "bearer sk-a"}} << QByteArray("sk-a");
        QTest::newRow("api-key") << H{{"api-key", "sk-b"}} << QByteArray("sk-b");
        QTest::newRow("x-api-key") << H{{"x-api-key", "sk-c"}} << QByteArray("sk-c");
        QTest::newRow("x-litellm-api-key") << H{{"x-litellm-api-key", "sk-d"}} << QByteArray("sk-d");
        QTest::newRow("authorization wins") << H{{"x-api-key", "sk-c"}, {"authorization", "Bearer sk-a"}}
                                            << QByteArray("sk-a");
        QTest::newRow("api-key before x-api-key") << H{{"x-api-key", "sk-c"}, {"api-key", "sk-b"}}
                                                  << QByteArray("sk-b");
        QTest::newRow("none") << H{} << QByteArray();
    }

    void keyExtractionOrder()
    {
        QFETCH(Headers, headers);
        QFETCH(QByteArray, key);
        HttpRequest request;
        request.headers = headers;
        QCOMPARE(extractApiKey(request), key);
    }

    void constantTimeCompare()
    {
        QVERIFY(constantTimeEquals("abc", "abc"));
        QVERIFY(!constantTimeEquals("abc", "abd"));
        QVERIFY(!constantTimeEquals("abc", "abcd"));
        QCOMPARE(hashKey("sk-1234").size(), 64);
        QVERIFY(hashKey("sk-1234") != hashKey("sk-1235"));
    }

    void loopbackHosts_data()
    {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("localhost") << QByteArray("localhost") << true;
        QTest::newRow("localhost with port") << QByteArray("localhost:4000") << true;
        QTest::newRow("ipv4") << QByteArray("127.0.0.1:4000") << true;
        QTest::newRow("ipv6") << QByteArray("[::1]:4000") << true;
        QTest::newRow("upper case") << QByteArray("LOCALHOST") << true;
        QTest::newRow("rebinding name") << QByteArray("attacker.example:4000") << false;
        QTest::newRow("localhost suffix") << QByteArray("localhost.attacker.example") << false;
        QTest::newRow("other ip") << QByteArray("192.0.2.1") << false;
        QTest::newRow("broken ipv6") << QByteArray("[::1") << false;
        QTest::newRow("ipv6 without port") << QByteArray("[::1]") << true;
        QTest::newRow("ipv6, junk after") << QByteArray("[::1]x") << false;
        QTest::newRow("other ipv6") << QByteArray("[::2]:4000") << false;
        QTest::newRow("spaces around") << QByteArray(" LocalHost:80 ") << true;
        QTest::newRow("ipv4 suffix") << QByteArray("127.0.0.1.attacker.example") << false;
        QTest::newRow("empty") << QByteArray("") << false;
    }

    void loopbackHosts()
    {
        QFETCH(QByteArray, host);
        QFETCH(bool, allowed);
        QCOMPARE(HttpTransport::isLoopbackHost(host), allowed);
    }
};

QTEST_GUILESS_MAIN(TestDeployments)
#include "tst_deployments.moc"
