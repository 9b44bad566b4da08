// Unit tests of the Messages ↔ chat-completions translation (proxy/anthropic.*): the
// cases the integration tests do not reach through the fake provider.
#include "models/tokencount.h"
#include "proxy/anthropic.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

QByteArray chunk(const QJsonObject &delta, const QJsonValue &finish = QJsonValue::Null)
{
    const QJsonObject object{{u"id"_s, u"c1"_s},
                             {u"choices"_s, QJsonArray{QJsonObject{{u"index"_s, 0},
                                                                   {u"delta"_s, delta},
                                                                   {u"finish_reason"_s, finish}}}}};
    return "data: " + QJsonDocument(object).toJson(QJsonDocument::Compact) + "\n\n";
}

QJsonObject toolDelta(int index, const QString &id, const QString &name, const QString &arguments)
{
    QJsonObject function{{u"arguments"_s, arguments}};
    if (!name.isEmpty())
        function.insert(u"name"_s, name);
    QJsonObject call{{u"index"_s, index}, {u"function"_s, function}};
    if (!id.isEmpty())
        call.insert(u"id"_s, id);
    return {{u"tool_calls"_s, QJsonArray{call}}};
}

// (event name, data) of an Anthropic stream.
QList<std::pair<QByteArray, QJsonObject>> parse(const QByteArray &stream)
{
    QList<std::pair<QByteArray, QJsonObject>> events;
    for (const QByteArray &line : stream.split('\n')) {
        if (line.startsWith("event: "))
            events.append({line.mid(7), {}});
        else if (line.startsWith("data: "))
            events.last().second = QJsonDocument::fromJson(line.mid(6)).object();
    }
    return events;
}

} // namespace

class TestAnthropicTranslate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void textThenTwoToolCallsAreThreeBlocks()
    {
        Anthropic::StreamTranslator translator(u"msg_1"_s, u"m"_s);
        QByteArray out = translator.start();
        QByteArray in = chunk({{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}})
                        + chunk({{u"content"_s, u"Let me look."_s}})
                        + chunk(toolDelta(0, u"call_a"_s, u"read"_s, u""_s))
                        + chunk(toolDelta(0, {}, {}, u"{\"path\":"_s))
                        + chunk(toolDelta(0, {}, {}, u"\"a\"}"_s))
                        + chunk(toolDelta(1, u"call_b"_s, u"read"_s, u"{\"path\":\"b\"}"_s))
                        + chunk({}, u"tool_calls"_s)
                        + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":7,"
                          "\"prompt_tokens_details\":{\"cached_tokens\":10}}}\n\n";
        // Pieces split anywhere: the translator reassembles events.
        for (qsizetype i = 0; i < in.size(); i += 7)
            out += translator.feed(in.mid(i, 7));
        out += translator.feed("data: [DONE]\n\n");
        out += translator.finish();

        QByteArrayList names;
        QList<int> starts;
        QString text;
        QStringList json(2);
        QJsonObject usage;
        QString stopReason;
        for (const auto &[name, data] : parse(out)) {
            names.append(name);
            if (name == "content_block_start") {
                starts.append(data.value(u"index"_s).toInt());
                const QJsonObject block = data.value(u"content_block"_s).toObject();
                if (block.value(u"type"_s).toString() == u"tool_use")
                    QCOMPARE(block.value(u"id"_s).toString(), starts.size() == 2 ? u"call_a"_s : u"call_b"_s);
            } else if (name == "content_block_delta") {
                const QJsonObject delta = data.value(u"delta"_s).toObject();
                const int index = data.value(u"index"_s).toInt();
                if (index == 0)
                    text += delta.value(u"text"_s).toString();
                else
                    json[index - 1] += delta.value(u"partial_json"_s).toString();
            } else if (name == "message_delta") {
                usage = data.value(u"usage"_s).toObject();
                stopReason = data.value(u"delta"_s).toObject().value(u"stop_reason"_s).toString();
            }
        }
        QCOMPARE(starts, (QList<int>{0, 1, 2}));
        QCOMPARE(names.count("content_block_stop"), 3);
        QCOMPARE(text, u"Let me look."_s);
        QCOMPARE(json, (QStringList{u"{\"path\":\"a\"}"_s, u"{\"path\":\"b\"}"_s}));
        QCOMPARE(stopReason, u"tool_use"_s);
        QCOMPARE(usage.value(u"input_tokens"_s).toInt(), 20);
        QCOMPARE(usage.value(u"cache_read_input_tokens"_s).toInt(), 10);
        QCOMPARE(usage.value(u"output_tokens"_s).toInt(), 7);
        QCOMPARE(names.last(), QByteArray("message_stop"));
    }

    void streamCutBeforeItsEndIsAnError()
    {
        Anthropic::StreamTranslator translator(u"msg_1"_s, u"m"_s);
        translator.start();
        translator.feed(chunk({{u"content"_s, u"Hal"_s}}));
        const auto events = parse(translator.finish());
        QCOMPARE(events.size(), 1);
        QCOMPARE(events.first().first, QByteArray("error"));
        QCOMPARE(events.first().second.value(u"error"_s).toObject().value(u"type"_s).toString(), u"api_error"_s);
    }

    void finishReasonsMapToStopReasons_data()
    {
        QTest::addColumn<QString>("finish");
        QTest::addColumn<QString>("stop");
        QTest::newRow("stop") << u"stop"_s << u"end_turn"_s;
        QTest::newRow("length") << u"length"_s << u"max_tokens"_s;
        QTest::newRow("tool_calls") << u"tool_calls"_s << u"tool_use"_s;
        QTest::newRow("content_filter") << u"content_filter"_s << u"refusal"_s;
    }

    void finishReasonsMapToStopReasons()
    {
        QFETCH(QString, finish);
        QFETCH(QString, stop);
        const QJsonObject answer{{u"id"_s, u"chatcmpl-1"_s},
                                 {u"choices"_s, QJsonArray{QJsonObject{{u"index"_s, 0},
                                                                       {u"message"_s, QJsonObject{{u"role"_s, u"assistant"_s},
                                                                                                  {u"content"_s, u"x"_s}}},
                                                                       {u"finish_reason"_s, finish}}}},
                                 {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, 3}, {u"completion_tokens"_s, 1}}}};
        const auto message = Anthropic::toMessage(QJsonDocument(answer).toJson(), u"m"_s);
        QVERIFY(message.has_value());
        const QJsonObject object = QJsonDocument::fromJson(*message).object();
        QCOMPARE(object.value(u"stop_reason"_s).toString(), stop);
        QCOMPARE(object.value(u"id"_s).toString(), u"msg_chatcmpl-1"_s);
    }

    void requestTranslation()
    {
        // tool_choice forms, an error tool result, a URL image, assistant thinking left out.
        const QJsonObject request{
            {u"model"_s, u"m"_s},
            {u"max_tokens"_s, 5},
            {u"tool_choice"_s, QJsonObject{{u"type"_s, u"tool"_s}, {u"name"_s, u"read"_s}}},
            {u"tools"_s, QJsonArray{QJsonObject{{u"name"_s, u"read"_s}, {u"input_schema"_s, QJsonObject{}}}}},
            {u"messages"_s,
             QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                    {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"image"_s},
                                                                          {u"source"_s, QJsonObject{{u"type"_s, u"url"_s},
                                                                                                    {u"url"_s, u"https://x/y.png"_s}}}}}}},
                        QJsonObject{{u"role"_s, u"assistant"_s},
                                    {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"thinking"_s}, {u"thinking"_s, u"hmm"_s}},
                                                              QJsonObject{{u"type"_s, u"tool_use"_s}, {u"id"_s, u"t1"_s},
                                                                          {u"name"_s, u"read"_s}, {u"input"_s, QJsonObject{}}}}}},
                        QJsonObject{{u"role"_s, u"user"_s},
                                    {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"tool_result"_s},
                                                                          {u"tool_use_id"_s, u"t1"_s},
                                                                          {u"is_error"_s, true},
                                                                          {u"content"_s, u"no such file"_s}}}}}}}};
        const Anthropic::ChatRequest chat = Anthropic::toChatRequest(request);
        QVERIFY2(chat.error.isEmpty(), qPrintable(chat.error));
        QCOMPARE(chat.body.value(u"tool_choice"_s).toObject().value(u"function"_s).toObject().value(u"name"_s).toString(),
                 u"read"_s);
        const QJsonArray messages = chat.body.value(u"messages"_s).toArray();
        QCOMPARE(messages.size(), 3);
        QCOMPARE(messages.at(0).toObject().value(u"content"_s).toArray().first().toObject().value(u"image_url"_s)
                     .toObject().value(u"url"_s).toString(),
                 u"https://x/y.png"_s);
        QVERIFY(messages.at(1).toObject().value(u"content"_s).isNull());
        QCOMPARE(messages.at(1).toObject().value(u"tool_calls"_s).toArray().size(), 1);
        QCOMPARE(messages.at(2).toObject().value(u"content"_s).toString(), u"Error: no such file"_s);

        // count_tokens does not need max_tokens; messages does.
        QJsonObject counting = request;
        counting.remove(u"max_tokens"_s);
        QVERIFY(Anthropic::toChatRequest(counting, true).error.isEmpty());
        QVERIFY(Anthropic::toChatRequest(counting).error.startsWith(u"max_tokens"_s));
    }

    // A request passed through to Anthropic is bounded by its translation: a document is counted
    // as a file (by URL or file id the largest one), in a message or in a tool result, and an
    // image in a tool result as an image. As their JSON they were ~30 tokens.
    void documentsAreCountedAsFiles()
    {
        const QString model = u"claude-sonnet-4-5"_s;
        const auto counted = [&model](const QJsonArray &content) {
            const QJsonObject request{{u"model"_s, model},
                                      {u"max_tokens"_s, 10},
                                      {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, content}}}}};
            const Anthropic::ChatRequest chat = Anthropic::toChatRequest(request, false, true);
            return chat.error.isEmpty() ? countRequestPromptTokens(chat.body, model) : qint64(-1);
        };
        const auto document = [](const QJsonObject &source) {
            return QJsonObject{{u"type"_s, u"document"_s}, {u"source"_s, source}};
        };
        const QJsonObject byUrl = document({{u"type"_s, u"url"_s}, {u"url"_s, u"https://x/report.pdf"_s}});
        const QJsonObject byFile = document({{u"type"_s, u"file"_s}, {u"file_id"_s, u"file_011"_s}});
        const QJsonObject byData = document({{u"type"_s, u"base64"_s}, {u"media_type"_s, u"application/pdf"_s},
                                             {u"data"_s, QString(4000, u'A')}});
        const QJsonObject text = document({{u"type"_s, u"text"_s}, {u"media_type"_s, u"text/plain"_s},
                                           {u"data"_s, u"plain words here"_s}});
        const QJsonObject image{{u"type"_s, u"image"_s},
                                {u"source"_s, QJsonObject{{u"type"_s, u"url"_s}, {u"url"_s, u"https://x/y.png"_s}}}};
        QVERIFY(counted({byUrl}) >= 128'000);
        QVERIFY(counted({byFile}) >= 128'000);
        QVERIFY(counted({byData}) > 4000);
        const qint64 plain = counted({text});
        QVERIFY(plain > 0 && plain < 30);
        const auto inToolResult = [](const QJsonObject &block) {
            return QJsonObject{{u"type"_s, u"tool_result"_s}, {u"tool_use_id"_s, u"t1"_s},
                               {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"see"_s}}, block}}};
        };
        QVERIFY(counted({inToolResult(byUrl)}) >= 128'000);
        QVERIFY(counted({inToolResult(image)}) >= counted({image}));
    }
};

QTEST_GUILESS_MAIN(TestAnthropicTranslate)
#include "tst_anthropic_translate.moc"
