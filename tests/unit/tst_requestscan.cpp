// A request body read without a JSON DOM must read exactly what QJsonDocument reads, and vouch
// for no text the parser would refuse.
#include "models/tokencount.h"
#include "models/tokenizer.h"
#include "proxy/accounting.h"
#include "proxy/anthropic.h"
#include "proxy/responses.h"
#include "proxy/jsonscan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSet>
#include <QTest>

#include <array>

using namespace Tollgate;
using namespace Qt::StringLiterals;

class TestRequestScan : public QObject
{
    Q_OBJECT

private slots:
    void readsWhatTheParserReads_data();
    void readsWhatTheParserReads();
    void leavesToTheParserWhatItDoesNotVouchFor_data();
    void leavesToTheParserWhatItDoesNotVouchFor();
    void keysEscapedOrRepeatedAreNotRead();
    void vouchesForNoTextTheParserRefuses();
    void shortNumbersAreWrittenBackNoLonger();
    void plainChatBoundHoldsThePromptWalk();
    void plainMessagesAndResponsesBoundsHoldTheExactCount();
    void responsesChecksAreTheSameReadWithoutItsPrompt();
    void containsBytesAnswersAsQByteArrayContains();
    void asciiEscapesAreWrittenPlainly();
};

namespace {

const QByteArrayList &requestBodies()
{
    static const QByteArrayList bodies{
        R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},)"
        R"({"role":"user","content":"Summarize TCP and UDP."}],"temperature":0.2,"max_tokens":128,"top_p":1,)"
        R"("user":"bench-user-0001","metadata":{"team":"bench","trace":"0123456789abcdef"},"stream":false})",
        R"( { "model" : "m\u00e9t\/a", "n" : 2, "best_of":null, "stop":["\n","END"], "logit_bias":{"50256":-100},)"
        "\n\t\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"h\\u00e9llo \\\"q\\\" \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}]}],"
        R"( "stream_options":{"include_usage":true}, "max_completion_tokens":1e3, "seed":-0, "x":-1.5E-2 } )",
        R"({"model":"gpt-4o-mini","instructions":"Be brief.","input":[{"role":"user","content":"hi"}],)"
        R"("max_output_tokens":128,"previous_response_id":"resp_1","tools":[{"type":"function","name":"f",)"
        R"("parameters":{"type":"object","properties":{}}}],"conversation":null,"empty":{},"none":[]})",
        R"({})",
        R"({"":"empty key","deep":[[[[{"a":[1,2,{"b":[true,false,null]}]}]]]]})",
    };
    return bodies;
}

} // namespace

void TestRequestScan::readsWhatTheParserReads_data()
{
    QTest::addColumn<QByteArray>("body");
    for (qsizetype i = 0; i < requestBodies().size(); ++i)
        QTest::addRow("body %lld", qlonglong(i)) << requestBodies().at(i);
}

void TestRequestScan::readsWhatTheParserReads()
{
    QFETCH(QByteArray, body);
    QJsonParseError error;
    const QJsonObject parsed = QJsonDocument::fromJson(body, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(isPlainValidJson(body));
    const RequestScan scan(body);
    QVERIFY(scan.ok());
    QList<QByteArrayView> keys;
    QList<QByteArray> storage;
    for (auto it = parsed.begin(); it != parsed.end(); ++it)
        storage.append(it.key().toUtf8());
    for (const QByteArray &key : storage)
        keys.append(key);
    QCOMPARE(scan.objectOf(keys), parsed);
    // Only the members named, and those present.
    QJsonObject some;
    for (const QString &key : {QStringLiteral("model"), QStringLiteral("stream"), QStringLiteral("n")}) {
        if (parsed.contains(key))
            some.insert(key, parsed.value(key));
    }
    const std::array<QByteArrayView, 4> named{"model", "stream", "n", "absent"};
    QCOMPARE(scan.objectOf(named), some);
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
        const QByteArray key = it.key().toUtf8();
        QCOMPARE(scan.type(key), it.value().type());
        QVERIFY(scan.contains(key));
    }
    QVERIFY(!scan.contains("absent"));
    QCOMPARE(scan.type("absent"), QJsonValue::Undefined);

    // A member's string as QJsonValue::toString() gives it: escapes decoded, a null string for
    // anything not a string.
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
        const QString read = scan.string(it.key().toUtf8());
        QCOMPARE(read, it.value().toString());
        QCOMPARE(read.isNull(), it.value().toString().isNull());
    }
    QVERIFY(scan.string("absent").isNull());
    // A member's text is its value as written.
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
        const QByteArray text = scan.text(it.key().toUtf8()).toByteArray();
        QCOMPARE(QJsonDocument::fromJson("[" + text + "]").array().at(0), it.value());
        QVERIFY(text == text.trimmed());
    }
    QVERIFY(scan.text("absent").isEmpty());

    // RequestFields over the read fields and the scan answers as the whole object does, for
    // the fields read; a field not read is absent from its values, as from the object read.
    const RequestFields whole(parsed, nullptr);
    const RequestFields read(some, &scan);
    for (const QLatin1StringView key : {"model"_L1, "stream"_L1, "n"_L1, "absent"_L1}) {
        QCOMPARE(read.contains(key), parsed.contains(key));
        QCOMPARE(read.type(key), parsed.value(key).type());
        QCOMPARE(read.value(key), parsed.value(key));
        QCOMPARE(read.string(key), parsed.value(key).toString());
        QCOMPARE(whole.contains(key), parsed.contains(key));
        QCOMPARE(whole.type(key), parsed.value(key).type());
        QCOMPARE(whole.value(key), parsed.value(key));
        QCOMPARE(whole.string(key), parsed.value(key).toString());
    }
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
        const QByteArray key = it.key().toLatin1();
        const QLatin1StringView name(key);
        QCOMPARE(read.contains(name), true);
        QCOMPARE(read.type(name), it.value().type());   // the scan knows every member's type
        QCOMPARE(read.string(name), it.value().toString());
        if (!some.contains(it.key()))
            QCOMPARE(read.value(name), QJsonValue(QJsonValue::Undefined));
    }
}

void TestRequestScan::leavesToTheParserWhatItDoesNotVouchFor_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addRow("escaped surrogate pair") << QByteArray(R"({"a":"\ud83d\ude00"})");
    QTest::addRow("lone surrogate") << QByteArray(R"({"a":"\uDC00"})");
    QTest::addRow("control character") << QByteArray("{\"a\":\"tab\there\"}");
    QTest::addRow("invalid UTF-8") << QByteArray("{\"a\":\"\xc3\x28\"}");
    QTest::addRow("overlong UTF-8") << QByteArray("{\"a\":\"\xc0\xaf\"}");
    QTest::addRow("UTF-8 surrogate") << QByteArray("{\"a\":\"\xed\xa0\x80\"}");
    QTest::addRow("above U+10FFFF") << QByteArray("{\"a\":\"\xf4\x90\x80\x80\"}");
    QTest::addRow("exponent of three digits") << QByteArray(R"({"a":1e400})");
    QTest::addRow("deep nesting") << QByteArray(300, '[') + QByteArray(300, ']');
    QTest::addRow("byte-order mark") << QByteArray("\xef\xbb\xbf{}");
    QTest::addRow("scalar document") << QByteArray("5");
    QTest::addRow("leading zero") << QByteArray(R"({"a":01})");
    QTest::addRow("trailing comma") << QByteArray(R"({"a":1,})");
    QTest::addRow("garbage after") << QByteArray(R"({"a":1} x)");
    QTest::addRow("two documents") << QByteArray(R"({}{})");
    QTest::addRow("bad escape") << QByteArray(R"({"a":"\x"})");
    QTest::addRow("short unicode escape") << QByteArray(R"({"a":"\u12"})");
    QTest::addRow("unquoted key") << QByteArray(R"({a:1})");
    QTest::addRow("NaN") << QByteArray(R"({"a":NaN})");
    QTest::addRow("empty") << QByteArray();
}

void TestRequestScan::leavesToTheParserWhatItDoesNotVouchFor()
{
    QFETCH(QByteArray, text);
    QVERIFY(!isPlainValidJson(text));
    QVERIFY(!RequestScan(text).ok());
}

void TestRequestScan::keysEscapedOrRepeatedAreNotRead()
{
    // The provider reads a repeated key its own way, and an escaped key is another spelling:
    // either could hide a model or a limit from a reader that looked at the raw key.
    QVERIFY(!RequestScan(R"({"model":"a","model":"b"})").ok());
    QVERIFY(!RequestScan(R"({"mod\u0065l":"a","model":"b"})").ok());
    QVERIFY(!RequestScan(R"([{"model":"a"}])").ok());
    QVERIFY(RequestScan(R"({"model":"a","nested":{"model":"b","model":"c"}})").ok());
}

void TestRequestScan::vouchesForNoTextTheParserRefuses()
{
    // Every prefix, and random one-byte changes, insertions and removals of each body: what
    // the check calls valid, the parser reads without an error.
    QRandomGenerator random(2026);
    const QByteArray alphabet = QByteArrayLiteral("{}[]\",:\\ 0123456789.eE+-tfnulr\"u\x7f\x80\xc3\xa9\x01\n");
    qsizetype vouched = 0;
    qsizetype variants = 0;
    qsizetype scanned = 0;
    const auto check = [&](const QByteArray &text) {
        ++variants;
        if (!isPlainValidJson(text))
            return;
        ++vouched;
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(text, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, text.constData());
        // What the scan reads of the top level is what the parser reads: every member, by its
        // own text, and none it does not have.
        const RequestScan scan(text);
        if (!scan.ok())
            return;
        QVERIFY2(document.isObject(), text.constData());
        ++scanned;
        const QJsonObject parsed = document.object();
        QList<QByteArray> storage;
        for (auto it = parsed.begin(); it != parsed.end(); ++it)
            storage.append(it.key().toUtf8());
        const QList<QByteArrayView> keys(storage.begin(), storage.end());
        QVERIFY2(scan.objectOf(keys) == parsed, text.constData());
        for (auto it = parsed.begin(); it != parsed.end(); ++it)
            QVERIFY2(scan.type(it.key().toUtf8()) == it.value().type(), text.constData());
        // scanJsonObject (the splice's and the answers' reader) splits it alike.
        QVarLengthArray<JsonMember, 24> members;
        qsizetype close = -1;
        QVERIFY2(scanJsonObject(text, &members, &close), text.constData());
        QVERIFY2(close == text.lastIndexOf('}'), text.constData());
        QVERIFY2(members.size() == parsed.size(), text.constData());
        for (const JsonMember &member : members) {
            QVERIFY2(!member.keyEscaped, text.constData());
            QVERIFY2(scan.span(member.key) == std::pair(member.valueFrom, member.valueTo), text.constData());
        }
    };
    for (const QByteArray &body : requestBodies()) {
        for (qsizetype size = 0; size <= body.size(); ++size)
            check(body.left(size));
        for (int i = 0; i < 3000; ++i) {
            QByteArray text = body;
            const qsizetype at = random.bounded(qsizetype(0), text.size());
            const char c = alphabet.at(random.bounded(qsizetype(0), alphabet.size()));
            switch (random.bounded(3)) {
            case 0: text[at] = c; break;
            case 1: text.insert(at, c); break;
            default: text.remove(at, 1); break;
            }
            check(text);
        }
    }
    QVERIFY(vouched > 100);   // the changes kept some texts valid: the check was put to work
    QVERIFY(vouched < variants);
    QVERIFY(scanned > 100);
}

void TestRequestScan::shortNumbersAreWrittenBackNoLonger()
{
    // Where the scan says so, QJsonDocument's compact text of the body is no longer than the
    // body: a byte bound of the text is a bound of the parser's text too.
    QRandomGenerator random(15);
    int shortOnes = 0;
    for (int i = 0; i < 20'000; ++i) {
        QByteArray number;
        if (random.bounded(2))
            number += '-';
        const int digits = 1 + random.bounded(20);
        for (int d = 0; d < digits; ++d)
            number += char('0' + random.bounded(10));
        while (number.size() > 1 && number.at(number.startsWith('-') ? 1 : 0) == '0'
               && number.size() > (number.startsWith('-') ? 2 : 1))
            number.remove(number.startsWith('-') ? 1 : 0, 1);
        if (random.bounded(2)) {
            number += '.';
            for (int d = random.bounded(1, 12); d > 0; --d)
                number += char('0' + random.bounded(10));
        }
        if (random.bounded(4) == 0)
            number += "e" + QByteArray::number(random.bounded(-40, 40));
        const QByteArray body = "{\"n\":[" + number + "," + number + "]}";
        const RequestScan scan(body);
        QVERIFY2(scan.ok(), body.constData());
        if (!scan.numbersWrittenBackNoLonger())
            continue;
        ++shortOnes;
        const QByteArray written = QJsonDocument::fromJson(body).toJson(QJsonDocument::Compact);
        QVERIFY2(written.size() <= body.size(), QByteArray(body + " -> " + written).constData());
    }
    QVERIFY(shortOnes > 5'000);
    QVERIFY(!RequestScan(R"({"n":1e18})").numbersWrittenBackNoLonger());
    QVERIFY(!RequestScan(R"({"n":12345678901234567890})").numbersWrittenBackNoLonger());
    QVERIFY(RequestScan(R"({"n":-123456789012345,"m":0.5})").numbersWrittenBackNoLonger());
}

void TestRequestScan::plainChatBoundHoldsThePromptWalk()
{
    // Random chat requests, every shape of message a client (or an attacker) could send: where
    // the request is read without its messages, its bound is never below the prompt walk's
    // bound, nor the exact count, of the whole request.
    QRandomGenerator random(4);
    const QStringList texts{u""_s, u"a"_s, u"Hello, world. "_s.repeated(20), u"\u00e9\u20ac\U0001F600"_s,
                            u"line\nbreak \"quoted\" \\ back\t/"_s, QString(QChar(0x7f)), u"x"_s.repeated(3)};
    const auto text = [&] { return texts.at(random.bounded(qsizetype(0), texts.size())); };
    const auto message = [&]() -> QJsonValue {
        switch (random.bounded(12)) {
        case 0: return QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, text()}};
        case 1: return QJsonObject{{u"role"_s, u"assistant"_s}, {u"name"_s, u"n"_s}, {u"content"_s, text()}};
        case 2:
            return QJsonObject{{u"role"_s, u"user"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text()}},
                                                         QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text()}}}}};
        case 3: return QJsonObject{{u"role"_s, u"tool"_s}, {u"tool_call_id"_s, u"c"_s}, {u"content"_s, text()}};
        case 4:
            return QJsonObject{
                {u"role"_s, u"assistant"_s},
                {u"tool_calls"_s,
                 QJsonArray{QJsonObject{{u"id"_s, u"c"_s},
                                        {u"type"_s, u"function"_s},
                                        {u"function"_s, QJsonObject{{u"name"_s, u"f"_s}, {u"arguments"_s, u"{}"_s}}}}}}};
        case 5: return 0;
        case 6: return QJsonObject();
        case 7: return QJsonArray();
        case 8: return QJsonValue(QJsonValue::Null);
        case 9: return QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, QJsonValue(QJsonValue::Null)}};
        case 10: return QJsonObject{{u"role"_s, u"user"_s}, {u"weight"_s, 1.5}, {u"n"_s, 123456789}, {u"content"_s, text()}};
        default: return QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, QJsonObject{{u"nested"_s, true}}}};
        }
    };
    int read = 0;
    for (int i = 0; i < 3000; ++i) {
        QJsonArray messages;
        for (int m = random.bounded(12); m > 0; --m)
            messages.append(message());
        QJsonObject request{{u"model"_s, u"gpt-4o-mini"_s}, {u"messages"_s, messages}, {u"max_tokens"_s, 10}};
        if (random.bounded(3) == 0)
            request.insert(u"tools"_s,
                           QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                                  {u"function"_s, QJsonObject{{u"name"_s, u"f"_s},
                                                                              {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}}});
        if (random.bounded(4) == 0)
            request.insert(u"response_format"_s, QJsonObject{{u"type"_s, u"json_object"_s}});
        const QByteArray raw = QJsonDocument(request).toJson(random.bounded(2) ? QJsonDocument::Compact
                                                                               : QJsonDocument::Indented);
        const RequestScan scan(raw);
        if (!readableWithoutMessages(scan, raw))
            continue;
        ++read;
        QList<QByteArray> keys;
        for (auto it = request.begin(); it != request.end(); ++it) {
            if (it.key() != u"messages")
                keys.append(it.key().toUtf8());
        }
        const QList<QByteArrayView> views(keys.begin(), keys.end());
        const qint64 bound = plainChatPromptBound(raw, scan.objectOf(views), u"gpt-4o-mini"_s,
                                                  promptWalkReadsBesideMessages(scan));
        const QJsonObject whole = QJsonDocument::fromJson(raw).object();
        QVERIFY2(bound >= boundRequestPromptTokens(whole, u"gpt-4o-mini"_s), raw.constData());
        QVERIFY2(bound >= countRequestPromptTokens(whole, u"gpt-4o-mini"_s), raw.constData());
    }
    QVERIFY(read > 1000);
}

void TestRequestScan::plainMessagesAndResponsesBoundsHoldTheExactCount()
{
    // A plain Messages or Responses request is bounded by its bytes (+ 1,000 tokens with tools,
    // for the instructions the provider adds): never below the exact count of what it asks.
    QRandomGenerator random(5);
    const QStringList texts{u""_s, u"Hi"_s, u"Summarize the differences between TCP and UDP. "_s.repeated(8),
                            u"\u00e9\u20ac\U0001F600 \u4f60\u597d"_s, u"{\"city\": \"Paris\"}"_s, u"x"_s};
    const auto text = [&] { return texts.at(random.bounded(qsizetype(0), texts.size())); };
    const QJsonArray responsesTools{QJsonObject{
        {u"type"_s, u"function"_s},
        {u"name"_s, u"get_weather"_s},
        {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s},
                                      {u"properties"_s, QJsonObject{{u"city"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}}}}};
    const auto responsesItem = [&]() -> QJsonValue {
        switch (random.bounded(6)) {
        case 0: return QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, text()}};
        case 1:
            return QJsonObject{{u"type"_s, u"message"_s},
                               {u"role"_s, u"assistant"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"output_text"_s}, {u"text"_s, text()}}}}};
        case 2:
            return QJsonObject{{u"role"_s, u"user"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"input_text"_s}, {u"text"_s, text()}}}}};
        case 3:
            return QJsonObject{{u"type"_s, u"function_call"_s}, {u"call_id"_s, u"call_1"_s},
                               {u"name"_s, u"get_weather"_s}, {u"arguments"_s, text()}};
        case 4:
            return QJsonObject{{u"type"_s, u"function_call_output"_s}, {u"call_id"_s, u"call_1"_s}, {u"output"_s, text()}};
        default:
            return QJsonObject{{u"type"_s, u"reasoning"_s},
                               {u"summary"_s, QJsonArray{QJsonObject{{u"type"_s, u"summary_text"_s}, {u"text"_s, text()}}}}};
        }
    };
    const auto messagesBlock = [&]() -> QJsonValue {
        switch (random.bounded(4)) {
        case 0: return QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, text()}};
        case 1:
            return QJsonObject{{u"role"_s, u"assistant"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text()}},
                                                         QJsonObject{{u"type"_s, u"tool_use"_s},
                                                                     {u"id"_s, u"toolu_1"_s},
                                                                     {u"name"_s, u"get_weather"_s},
                                                                     {u"input"_s, QJsonObject{{u"city"_s, text()}}}}}}};
        case 2:
            return QJsonObject{{u"role"_s, u"user"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"tool_result"_s},
                                                                     {u"tool_use_id"_s, u"toolu_1"_s},
                                                                     {u"content"_s, text()}}}}};
        default:
            return QJsonObject{{u"role"_s, u"user"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text()}}}}};
        }
    };
    const QString model = u"gpt-4o-mini"_s;
    QVERIFY(Tokenizer::load(encodingForModel(model)));   // the exact count is the tokenizer's
    int checked = 0;
    for (int i = 0; i < 2000; ++i) {
        const bool tools = random.bounded(3) == 0;
        QJsonArray items;
        for (int n = random.bounded(1, 10); n > 0; --n)
            items.append(i % 2 ? responsesItem() : messagesBlock());
        QJsonObject request{{u"model"_s, model}};
        if (i % 2) {
            request.insert(u"input"_s, items);
            if (random.bounded(2))
                request.insert(u"instructions"_s, text());
            if (tools)
                request.insert(u"tools"_s, responsesTools);
        } else {
            request.insert(u"messages"_s, items);
            request.insert(u"max_tokens"_s, 100);
            if (random.bounded(2))
                request.insert(u"system"_s, text());
            if (tools)
                request.insert(u"tools"_s, QJsonArray{QJsonObject{
                                               {u"name"_s, u"get_weather"_s},
                                               {u"input_schema"_s, responsesTools.first().toObject().value(u"parameters"_s)}}});
        }
        const QByteArray raw = QJsonDocument(request).toJson(QJsonDocument::Compact);
        if (!onlyPlainContent(raw) || !RequestScan(raw).ok())
            continue;
        ++checked;
        const qint64 bound = raw.size() + (tools ? 1000 : 0);
        const QJsonObject chat = i % 2 ? Responses::accountingBody(request).chat
                                       : Anthropic::toChatRequest(request, true, true).body;
        QVERIFY2(bound >= countRequestPromptTokens(chat, model), raw.constData());
    }
    QVERIFY(checked > 1500);
}

void TestRequestScan::responsesChecksAreTheSameReadWithoutItsPrompt()
{
    // Read without its prompt (only ReadFields::Responses, the rest's types from the scan), a
    // Responses request is refused for what, and only what, the whole body is refused for.
    const QList<std::pair<QByteArray, QByteArray>> fields{
        {"model", R"("gpt-4o-mini")"}, {"model", "5"},          {"model", R"("")"},        {"model", "null"},
        {"input", R"("hi")"},          {"input", "[]"},         {"input", "{}"},           {"input", "7"},
        {"instructions", R"("Be brief.")"}, {"instructions", "null"}, {"instructions", "[1]"},
        {"stream", "true"},            {"stream", "null"},      {"stream", R"("yes")"},
        {"max_output_tokens", "128"},  {"max_output_tokens", "1.5"}, {"max_output_tokens", "-1"},
        {"max_output_tokens", "null"}, {"background", "false"}, {"background", "true"},  {"background", "1"},
        {"previous_response_id", R"("resp_1")"}, {"previous_response_id", "2"},
        {"user", R"("ué")"},      {"user", "{}"},          {"user", "null"},
        {"temperature", "0.2"},        {"metadata", R"({"a":"b"})"},
    };
    QRandomGenerator random(11);
    int compared = 0;
    for (int round = 0; round < 3000; ++round) {
        QByteArray raw = "{";
        QSet<QByteArray> used;
        const int count = random.bounded(1, 7);
        for (int i = 0; i < count; ++i) {
            const auto &[key, value] = fields.at(random.bounded(qsizetype(0), fields.size()));
            if (used.contains(key))
                continue;
            used.insert(key);
            raw += (raw.size() > 1 ? "," : "") + ('"' + key + "\":" + value);
        }
        raw += '}';
        const QJsonObject whole = QJsonDocument::fromJson(raw).object();
        QVERIFY2(!whole.isEmpty() || raw == "{}", raw.constData());
        const RequestScan scan(raw);
        QVERIFY2(scan.ok(), raw.constData());
        const Responses::AccountingBody expected = Responses::accountingBody(whole, false);
        const Responses::AccountingBody read
            = Responses::accountingBody(scan.objectOf(ReadFields::Responses), false, &scan);
        QVERIFY2(read.error == expected.error, raw.constData());
        QVERIFY2(read.errorParam == expected.errorParam, raw.constData());
        if (expected.error.isEmpty())
            QVERIFY2(read.chat == expected.chat, raw.constData());
        ++compared;
    }
    QCOMPARE(compared, 3000);
}

void TestRequestScan::containsBytesAnswersAsQByteArrayContains()
{
    const QByteArray body =
        R"({"system":[{"type":"text","text":"x","cache_control":{"type":"ephemeral","ttl":"1h"}}]})";
    const QList<QByteArray> haystacks{body, body.left(40), QByteArray(), "c", "cache_contro", "\"1h\"", "aaab"};
    const QList<QByteArray> needles{"cache_control", "\"1h\"", "\"usage\"", "}", "{\"", "aab", "c", QByteArray()};
    for (const QByteArray &haystack : haystacks) {
        for (const QByteArray &needle : needles) {
            QVERIFY2(containsBytes(haystack, needle) == haystack.contains(needle),
                     QByteArray(haystack + " / " + needle).constData());
        }
    }
    // Found at the very end, and not past it (a view shorter than its bytes).
    QVERIFY(containsBytes(body, "}]}"));
    QVERIFY(!containsBytes(QByteArrayView(body).first(body.size() - 1), "}]}"));
}

// A key or type spelled with escapes of ASCII characters is what the byte scanners see once the
// body is unescaped; other escapes (non-ASCII, control characters, quotes) leave it as it is.
void TestRequestScan::asciiEscapesAreWrittenPlainly()
{
    QVERIFY(hasAsciiEscape(R"({"t\u0079pe":"image_url"})"));
    QVERIFY(hasAsciiEscape(R"({"a":"\u007E"})"));
    static constexpr QByteArrayView Others = "{\"a\":\"caf\\u00e9 \\ud83d\\ude00 \\u001f \\n \\\" \\\\\"}";
    QVERIFY(!hasAsciiEscape(Others));
    QVERIFY(!hasAsciiEscape(R"({"a":"\u00"})"));   // cut short
    QVERIFY(!hasAsciiEscape(R"({"a":"\\u0041"})"));   // an escaped backslash, then the text u0041

    QByteArray raw = R"({"messages":[{"role":"user","content":[{"t\u0079pe":"image_url","image_url":{"url":"x"}}]}],)"
                     R"("\u006e":2,"text":"caf\u00e9"})";
    QVERIFY(onlyPlainContent(raw));   // what the scanner saw before: no "type" key at all
    unescapeAscii(raw);
    QVERIFY(!onlyPlainContent(raw));
    QVERIFY(raw.contains(R"("type":"image_url")"));
    QVERIFY(raw.contains(R"("n":2)"));
    QVERIFY(raw.contains("caf\xc3\xa9"));
    QCOMPARE(QJsonDocument::fromJson(raw).object().value(u"n"_s).toInt(), 2);

    // Nothing to unescape, or no JSON object: left as it is, byte for byte.
    for (const QByteArray &same : {QByteArray(R"({ "type" : "text", "x": 1.50 })"), QByteArray(R"({"t\u0079pe": )"),
                                   QByteArray(R"(["\u0041"])")}) {
        QByteArray copy = same;
        unescapeAscii(copy);
        QCOMPARE(copy, same);
    }
}

QTEST_GUILESS_MAIN(TestRequestScan)
#include "tst_requestscan.moc"
