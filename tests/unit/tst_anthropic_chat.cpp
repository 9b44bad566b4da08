// Unit tests of the chat-completions → Messages translation (proxy/anthropicchat.*): an
// OpenAI client served by an Anthropic deployment — request, whole answer and stream.
#include "proxy/anthropicchat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

QJsonObject message(const QString &role, const QJsonValue &content)
{
    return {{u"role"_s, role}, {u"content"_s, content}};
}

QJsonObject textPart(const QString &text)
{
    return {{u"type"_s, u"text"_s}, {u"text"_s, text}};
}

QJsonObject imagePart(const QString &url)
{
    return {{u"type"_s, u"image_url"_s}, {u"image_url"_s, QJsonObject{{u"url"_s, url}}}};
}

QJsonObject toolCall(const QString &id, const QString &name, const QString &arguments)
{
    return {{u"id"_s, id},
            {u"type"_s, u"function"_s},
            {u"function"_s, QJsonObject{{u"name"_s, name}, {u"arguments"_s, arguments}}}};
}

QJsonObject toolResult(const QString &id, const QString &content)
{
    return {{u"role"_s, u"tool"_s}, {u"tool_call_id"_s, id}, {u"content"_s, content}};
}

Anthropic::MessagesRequest translate(const QJsonArray &messages, const QJsonObject &fields = {})
{
    QJsonObject chat = fields;
    chat.insert(u"model"_s, u"claude"_s);
    chat.insert(u"messages"_s, messages);
    return Anthropic::toMessagesRequest(chat, u"claude-sonnet-4-5"_s, 4096);
}

const QJsonArray hello{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hello"_s}}};

QJsonObject block(const QJsonObject &body, int message, int index)
{
    return body.value(u"messages"_s).toArray().at(message).toObject().value(u"content"_s).toArray().at(index).toObject();
}

QByteArray sseEvent(const char *name, const QJsonObject &data)
{
    return QByteArray("event: ") + name + "\ndata: " + QJsonDocument(data).toJson(QJsonDocument::Compact) + "\n\n";
}

QByteArray messageStart(int input, int cacheRead, int cacheCreation)
{
    return sseEvent("message_start",
                 {{u"type"_s, u"message_start"_s},
                  {u"message"_s, QJsonObject{{u"id"_s, u"msg_1"_s},
                                             {u"type"_s, u"message"_s},
                                             {u"role"_s, u"assistant"_s},
                                             {u"content"_s, QJsonArray{}},
                                             {u"usage"_s, QJsonObject{{u"input_tokens"_s, input},
                                                                      {u"cache_read_input_tokens"_s, cacheRead},
                                                                      {u"cache_creation_input_tokens"_s, cacheCreation},
                                                                      {u"output_tokens"_s, 1}}}}}});
}

QByteArray blockStart(int index, const QJsonObject &content)
{
    return sseEvent("content_block_start",
                 {{u"type"_s, u"content_block_start"_s}, {u"index"_s, index}, {u"content_block"_s, content}});
}

QByteArray blockDelta(int index, const QJsonObject &delta)
{
    return sseEvent("content_block_delta",
                 {{u"type"_s, u"content_block_delta"_s}, {u"index"_s, index}, {u"delta"_s, delta}});
}

QByteArray blockStop(int index)
{
    return sseEvent("content_block_stop", {{u"type"_s, u"content_block_stop"_s}, {u"index"_s, index}});
}

QByteArray textDelta(int index, const QString &text)
{
    return blockDelta(index, {{u"type"_s, u"text_delta"_s}, {u"text"_s, text}});
}

QByteArray jsonDelta(int index, const QString &json)
{
    return blockDelta(index, {{u"type"_s, u"input_json_delta"_s}, {u"partial_json"_s, json}});
}

QByteArray messageDelta(const QString &stopReason, const QJsonObject &usage)
{
    return sseEvent("message_delta",
                 {{u"type"_s, u"message_delta"_s},
                  {u"delta"_s, QJsonObject{{u"stop_reason"_s, stopReason}, {u"stop_sequence"_s, QJsonValue::Null}}},
                  {u"usage"_s, usage}});
}

const QByteArray ping = sseEvent("ping", {{u"type"_s, u"ping"_s}});
const QByteArray messageStop = sseEvent("message_stop", {{u"type"_s, u"message_stop"_s}});

// The data payloads of a chat stream ("[DONE]" kept as a string).
QList<QJsonObject> chunks(const QByteArray &stream, int *done = nullptr)
{
    QList<QJsonObject> out;
    if (done)
        *done = 0;
    for (const QByteArray &piece : stream.split('\n')) {
        if (piece.isEmpty())
            continue;
        if (!piece.startsWith("data: "))
            qFatal("not a data line: %s", piece.constData());
        if (piece == "data: [DONE]") {
            if (done)
                ++*done;
            continue;
        }
        out.append(QJsonDocument::fromJson(piece.mid(6)).object());
    }
    return out;
}

QJsonObject deltaOf(const QJsonObject &chunk)
{
    return chunk.value(u"choices"_s).toArray().first().toObject().value(u"delta"_s).toObject();
}

QJsonValue finishOf(const QJsonObject &chunk)
{
    return chunk.value(u"choices"_s).toArray().first().toObject().value(u"finish_reason"_s);
}

} // namespace

class TestAnthropicChat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void systemAndDeveloperMessagesBecomeSystem()
    {
        const auto result = translate({message(u"system"_s, u"Be brief."_s),
                                       message(u"user"_s, u"Hi"_s),
                                       message(u"developer"_s, QJsonArray{textPart(u"Use French."_s)}),
                                       message(u"assistant"_s, u"Bonjour"_s),
                                       message(u"system"_s, u"No emoji."_s)});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.body.value(u"model"_s).toString(), u"claude-sonnet-4-5"_s);
        QCOMPARE(result.body.value(u"system"_s).toString(), u"Be brief.\n\nUse French.\n\nNo emoji."_s);
        const QJsonArray messages = result.body.value(u"messages"_s).toArray();
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages.at(0).toObject().value(u"role"_s).toString(), u"user"_s);
        QCOMPARE(block(result.body, 0, 0), textPart(u"Hi"_s));
        QCOMPARE(messages.at(1).toObject().value(u"role"_s).toString(), u"assistant"_s);
        QCOMPARE(block(result.body, 1, 0), textPart(u"Bonjour"_s));

        // A system message with an image cannot be a system prompt.
        const auto image = translate({message(u"system"_s, QJsonArray{imagePart(u"https://x/y.png"_s)}),
                                      message(u"user"_s, u"Hi"_s)});
        QCOMPARE(image.errorParam, u"messages"_s);
        QVERIFY2(image.error.startsWith(u"messages[0].content[0]"_s), qPrintable(image.error));
    }

    void sameRoleMessagesMerge()
    {
        const auto result = translate({message(u"user"_s, u"One"_s),
                                       message(u"user"_s, QJsonArray{textPart(u"Two"_s), textPart(u"Three"_s)}),
                                       message(u"assistant"_s, u"A"_s),
                                       message(u"assistant"_s, u"B"_s),
                                       message(u"user"_s, u"Four"_s)});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        const QJsonArray messages = result.body.value(u"messages"_s).toArray();
        QCOMPARE(messages.size(), 3);
        QCOMPARE(messages.at(0).toObject().value(u"content"_s).toArray(),
                 (QJsonArray{textPart(u"One"_s), textPart(u"Two"_s), textPart(u"Three"_s)}));
        QCOMPARE(messages.at(1).toObject().value(u"content"_s).toArray(),
                 (QJsonArray{textPart(u"A"_s), textPart(u"B"_s)}));
        QCOMPARE(messages.at(2).toObject().value(u"role"_s).toString(), u"user"_s);

        // Blank text says nothing (Anthropic refuses empty text blocks); cache breakpoints pass.
        QJsonObject cached = textPart(u"Long context"_s);
        cached.insert(u"cache_control"_s, QJsonObject{{u"type"_s, u"ephemeral"_s}});
        const auto marked = translate({message(u"user"_s, QJsonArray{textPart(u"  "_s), cached}),
                                       message(u"assistant"_s, u""_s), message(u"user"_s, u"More"_s)});
        QVERIFY2(marked.error.isEmpty(), qPrintable(marked.error));
        QCOMPARE(marked.body.value(u"messages"_s).toArray().size(), 1);
        QCOMPARE(marked.body.value(u"messages"_s).toArray().first().toObject().value(u"content"_s).toArray(),
                 (QJsonArray{cached, textPart(u"More"_s)}));
    }

    void imagesBecomeImageBlocks()
    {
        const auto result = translate({message(u"user"_s, QJsonArray{textPart(u"What is this?"_s),
                                                                      imagePart(u"data:image/png;base64,iVBORw0KGgo="_s),
                                                                      imagePart(u"https://example.com/cat.jpg"_s)})});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(block(result.body, 0, 1),
                 (QJsonObject{{u"type"_s, u"image"_s},
                              {u"source"_s, QJsonObject{{u"type"_s, u"base64"_s},
                                                        {u"media_type"_s, u"image/png"_s},
                                                        {u"data"_s, u"iVBORw0KGgo="_s}}}}));
        QCOMPARE(block(result.body, 0, 2),
                 (QJsonObject{{u"type"_s, u"image"_s},
                              {u"source"_s, QJsonObject{{u"type"_s, u"url"_s}, {u"url"_s, u"https://example.com/cat.jpg"_s}}}}));

        const auto ftp = translate({message(u"user"_s, QJsonArray{imagePart(u"ftp://x/y.png"_s)})});
        QCOMPARE(ftp.errorParam, u"messages"_s);
        QVERIFY(ftp.error.startsWith(u"messages[0].content[0]"_s));
    }

    void otherPartsAreRefused_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("input_audio") << u"input_audio"_s;
        QTest::newRow("file") << u"file"_s;
    }

    void otherPartsAreRefused()
    {
        QFETCH(QString, type);
        const auto result = translate({message(u"system"_s, u"S"_s),
                                       message(u"user"_s, QJsonArray{textPart(u"Listen"_s),
                                                                     QJsonObject{{u"type"_s, type}}})});
        QCOMPARE(result.error, u"messages[1].content[1]: a \"%1\" part cannot be sent to an Anthropic model."_s.arg(type));
        QCOMPARE(result.errorParam, u"messages"_s);
        QVERIFY(result.body.isEmpty());
    }

    void toolRoundTrip()
    {
        QJsonObject assistant = message(u"assistant"_s, u"Let me look."_s);
        assistant.insert(u"tool_calls"_s, QJsonArray{toolCall(u"call_a"_s, u"read"_s, u"{\"path\":\"a\"}"_s),
                                                     toolCall(u"call_b"_s, u"list"_s, u""_s)});
        const auto result = translate({message(u"user"_s, u"Read a"_s),
                                       assistant,
                                       toolResult(u"call_a"_s, u"contents of a"_s),
                                       toolResult(u"call_b"_s, u""_s),
                                       message(u"user"_s, u"Thanks"_s)});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        const QJsonArray messages = result.body.value(u"messages"_s).toArray();
        QCOMPARE(messages.size(), 3);
        QCOMPARE(block(result.body, 1, 0), textPart(u"Let me look."_s));
        QCOMPARE(block(result.body, 1, 1),
                 (QJsonObject{{u"type"_s, u"tool_use"_s}, {u"id"_s, u"call_a"_s}, {u"name"_s, u"read"_s},
                              {u"input"_s, QJsonObject{{u"path"_s, u"a"_s}}}}));
        QCOMPARE(block(result.body, 1, 2).value(u"input"_s).toObject(), QJsonObject{});
        // The tool results and the following user message are one user turn.
        QCOMPARE(messages.at(2).toObject().value(u"role"_s).toString(), u"user"_s);
        QCOMPARE(messages.at(2).toObject().value(u"content"_s).toArray(),
                 (QJsonArray{QJsonObject{{u"type"_s, u"tool_result"_s}, {u"tool_use_id"_s, u"call_a"_s},
                                         {u"content"_s, u"contents of a"_s}},
                             QJsonObject{{u"type"_s, u"tool_result"_s}, {u"tool_use_id"_s, u"call_b"_s}},
                             textPart(u"Thanks"_s)}));

        // A user message before the results: the results still come first in the turn.
        QJsonObject single = message(u"assistant"_s, QJsonValue::Null);
        single.insert(u"tool_calls"_s, QJsonArray{toolCall(u"call_a"_s, u"read"_s, u"{}"_s)});
        const auto reordered = translate({message(u"user"_s, u"Go"_s), single, message(u"user"_s, u"Hurry"_s),
                                          toolResult(u"call_a"_s, u"done"_s)});
        QVERIFY2(reordered.error.isEmpty(), qPrintable(reordered.error));
        QCOMPARE(block(reordered.body, 1, 0).value(u"type"_s).toString(), u"tool_use"_s);
        QCOMPARE(block(reordered.body, 2, 0).value(u"type"_s).toString(), u"tool_result"_s);
        QCOMPARE(block(reordered.body, 2, 1), textPart(u"Hurry"_s));
    }

    void badToolHistoryIsRefused()
    {
        QJsonObject assistant = message(u"assistant"_s, QJsonValue::Null);
        assistant.insert(u"tool_calls"_s, QJsonArray{toolCall(u"call_a"_s, u"read"_s, u"{\"path\":"_s)});
        const auto unparsable = translate({message(u"user"_s, u"Go"_s), assistant});
        QCOMPARE(unparsable.errorParam, u"messages"_s);
        QVERIFY2(unparsable.error.startsWith(u"messages[1].tool_calls[0].function.arguments"_s),
                 qPrintable(unparsable.error));

        const auto legacy = translate({message(u"user"_s, u"Go"_s),
                                       QJsonObject{{u"role"_s, u"function"_s}, {u"name"_s, u"f"_s}, {u"content"_s, u"x"_s}}});
        QCOMPARE(legacy.errorParam, u"messages"_s);
        QVERIFY2(legacy.error.contains(u"\"function\" role"_s), qPrintable(legacy.error));
    }

    void toolsAndToolChoice_data()
    {
        QTest::addColumn<QJsonValue>("choice");
        QTest::addColumn<QJsonValue>("parallel");
        QTest::addColumn<QJsonValue>("expected");
        const QJsonValue none(QJsonValue::Undefined);
        QTest::newRow("absent") << none << none << none;
        QTest::newRow("auto") << QJsonValue(u"auto"_s) << none << QJsonValue(QJsonObject{{u"type"_s, u"auto"_s}});
        QTest::newRow("required") << QJsonValue(u"required"_s) << none << QJsonValue(QJsonObject{{u"type"_s, u"any"_s}});
        QTest::newRow("none") << QJsonValue(u"none"_s) << none << QJsonValue(QJsonObject{{u"type"_s, u"none"_s}});
        QTest::newRow("function")
            << QJsonValue(QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, QJsonObject{{u"name"_s, u"read"_s}}}})
            << none << QJsonValue(QJsonObject{{u"type"_s, u"tool"_s}, {u"name"_s, u"read"_s}});
        QTest::newRow("not parallel")
            << none << QJsonValue(false)
            << QJsonValue(QJsonObject{{u"type"_s, u"auto"_s}, {u"disable_parallel_tool_use"_s, true}});
        QTest::newRow("required, not parallel")
            << QJsonValue(u"required"_s) << QJsonValue(false)
            << QJsonValue(QJsonObject{{u"type"_s, u"any"_s}, {u"disable_parallel_tool_use"_s, true}});
        QTest::newRow("parallel") << QJsonValue(u"auto"_s) << QJsonValue(true)
                                  << QJsonValue(QJsonObject{{u"type"_s, u"auto"_s}});
    }

    void toolsAndToolChoice()
    {
        QFETCH(QJsonValue, choice);
        QFETCH(QJsonValue, parallel);
        QFETCH(QJsonValue, expected);
        const QJsonObject schema{{u"type"_s, u"object"_s},
                                 {u"properties"_s, QJsonObject{{u"path"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}};
        QJsonObject fields{
            {u"tools"_s,
             QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                    {u"function"_s, QJsonObject{{u"name"_s, u"read"_s},
                                                                {u"description"_s, u"Reads a file"_s},
                                                                {u"parameters"_s, schema}}}},
                        QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, QJsonObject{{u"name"_s, u"now"_s}}}}}}};
        if (!choice.isUndefined())
            fields.insert(u"tool_choice"_s, choice);
        if (!parallel.isUndefined())
            fields.insert(u"parallel_tool_calls"_s, parallel);
        const auto result = translate(hello, fields);
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.body.value(u"tools"_s).toArray(),
                 (QJsonArray{QJsonObject{{u"name"_s, u"read"_s}, {u"description"_s, u"Reads a file"_s},
                                         {u"input_schema"_s, schema}},
                             QJsonObject{{u"name"_s, u"now"_s},
                                         {u"input_schema"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}));
        QCOMPARE(result.body.value(u"tool_choice"_s), expected);
    }

    void toolChoiceNeedsTools()
    {
        const auto result = translate(hello, {{u"tool_choice"_s, u"required"_s}});
        QCOMPARE(result.errorParam, u"tool_choice"_s);
        const auto custom = translate(hello, {{u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"custom"_s}}}}});
        QCOMPARE(custom.errorParam, u"tools"_s);
    }

    void samplingAndLimits()
    {
        const auto result = translate(hello, {{u"max_completion_tokens"_s, 300},
                                              {u"max_tokens"_s, 200},
                                              {u"temperature"_s, 0.5},
                                              {u"top_p"_s, 0.9},
                                              {u"stop"_s, u"END"_s},
                                              {u"stream"_s, true},
                                              {u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}},
                                              {u"user"_s, u"u-42"_s}});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.body.value(u"max_tokens"_s).toInteger(), 300);
        QCOMPARE(result.body.value(u"temperature"_s).toDouble(), 0.5);
        QCOMPARE(result.body.value(u"top_p"_s).toDouble(), 0.9);
        QCOMPARE(result.body.value(u"stop_sequences"_s).toArray(), QJsonArray{u"END"_s});
        QCOMPARE(result.body.value(u"stream"_s).toBool(), true);
        QCOMPARE(result.body.value(u"metadata"_s).toObject(), (QJsonObject{{u"user_id"_s, u"u-42"_s}}));
        QVERIFY(!result.body.contains(u"stream_options"_s));
        QVERIFY(!result.body.contains(u"user"_s));

        const auto legacyMax = translate(hello, {{u"max_tokens"_s, 200}, {u"stop"_s, QJsonArray{u"a"_s, u"b"_s}}});
        QCOMPARE(legacyMax.body.value(u"max_tokens"_s).toInteger(), 200);
        QCOMPARE(legacyMax.body.value(u"stop_sequences"_s).toArray(), (QJsonArray{u"a"_s, u"b"_s}));
        QVERIFY(!legacyMax.body.contains(u"stream"_s));
        QCOMPARE(translate(hello).body.value(u"max_tokens"_s).toInteger(), 4096);

        const auto hot = translate(hello, {{u"temperature"_s, 1.5}});
        QCOMPARE(hot.errorParam, u"temperature"_s);
        QVERIFY(hot.error.startsWith(u"temperature"_s));
        QCOMPARE(translate(hello, {{u"max_tokens"_s, 0}}).errorParam, u"max_tokens"_s);
    }

    void unsupportedFieldsAreRefused_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QJsonValue>("value");
        QTest::newRow("n") << u"n"_s << QJsonValue(2);
        QTest::newRow("logprobs") << u"logprobs"_s << QJsonValue(true);
        QTest::newRow("top_logprobs") << u"top_logprobs"_s << QJsonValue(3);
        QTest::newRow("response_format json_object")
            << u"response_format"_s << QJsonValue(QJsonObject{{u"type"_s, u"json_object"_s}});
        QTest::newRow("response_format json_schema")
            << u"response_format"_s << QJsonValue(QJsonObject{{u"type"_s, u"json_schema"_s}});
        QTest::newRow("audio") << u"audio"_s << QJsonValue(QJsonObject{{u"voice"_s, u"alloy"_s}});
        QTest::newRow("modalities") << u"modalities"_s << QJsonValue(QJsonArray{u"text"_s, u"audio"_s});
        QTest::newRow("prediction") << u"prediction"_s << QJsonValue(QJsonObject{{u"type"_s, u"content"_s}});
        QTest::newRow("functions") << u"functions"_s << QJsonValue(QJsonArray{QJsonObject{{u"name"_s, u"f"_s}}});
        QTest::newRow("function_call") << u"function_call"_s << QJsonValue(u"auto"_s);
        QTest::newRow("logit_bias") << u"logit_bias"_s << QJsonValue(QJsonObject{{u"50256"_s, -100}});
        QTest::newRow("presence_penalty") << u"presence_penalty"_s << QJsonValue(0.5);
        QTest::newRow("frequency_penalty") << u"frequency_penalty"_s << QJsonValue(-1);
        QTest::newRow("seed") << u"seed"_s << QJsonValue(7);
        QTest::newRow("seed 0") << u"seed"_s << QJsonValue(0);
        QTest::newRow("reasoning_effort") << u"reasoning_effort"_s << QJsonValue(u"low"_s);
        QTest::newRow("unknown field") << u"web_search_options"_s << QJsonValue(QJsonObject{});
    }

    void unsupportedFieldsAreRefused()
    {
        QFETCH(QString, field);
        QFETCH(QJsonValue, value);
        const auto result = translate(hello, {{field, value}});
        QCOMPARE(result.errorParam, field);
        QVERIFY2(result.error.startsWith(field + u": "_s) && result.error.contains(u"Anthropic"_s),
                 qPrintable(result.error));
        QVERIFY(result.body.isEmpty());
    }

    void harmlessFieldsAreAccepted()
    {
        const auto result = translate(hello, {{u"n"_s, 1},
                                              {u"logprobs"_s, false},
                                              {u"top_logprobs"_s, 0},
                                              {u"response_format"_s, QJsonObject{{u"type"_s, u"text"_s}}},
                                              {u"modalities"_s, QJsonArray{u"text"_s}},
                                              {u"logit_bias"_s, QJsonObject{}},
                                              {u"presence_penalty"_s, 0},
                                              {u"frequency_penalty"_s, 0},
                                              {u"seed"_s, QJsonValue::Null},
                                              {u"store"_s, false},
                                              {u"metadata"_s, QJsonObject{{u"tag"_s, u"x"_s}}},
                                              {u"service_tier"_s, u"auto"_s},
                                              {u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}}}});
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        // Only the model, the limit and the conversation: OpenAI's metadata is not Anthropic's.
        QCOMPARE(result.body.keys(), (QStringList{u"max_tokens"_s, u"messages"_s, u"model"_s}));
    }

    void wholeAnswer()
    {
        const QJsonObject answer{
            {u"id"_s, u"msg_01"_s},
            {u"type"_s, u"message"_s},
            {u"role"_s, u"assistant"_s},
            {u"model"_s, u"claude-sonnet-4-5-20250929"_s},
            {u"content"_s,
             QJsonArray{QJsonObject{{u"type"_s, u"thinking"_s}, {u"thinking"_s, u"hmm"_s}, {u"signature"_s, u"s"_s}},
                        textPart(u"Reading "_s),
                        textPart(u"both."_s),
                        QJsonObject{{u"type"_s, u"tool_use"_s}, {u"id"_s, u"toolu_1"_s}, {u"name"_s, u"read"_s},
                                    {u"input"_s, QJsonObject{{u"path"_s, u"a"_s}}}},
                        QJsonObject{{u"type"_s, u"tool_use"_s}, {u"id"_s, u"toolu_2"_s}, {u"name"_s, u"now"_s},
                                    {u"input"_s, QJsonObject{}}}}},
            {u"stop_reason"_s, u"tool_use"_s},
            {u"usage"_s, QJsonObject{{u"input_tokens"_s, 10},
                                     {u"cache_read_input_tokens"_s, 100},
                                     {u"cache_creation_input_tokens"_s, 20},
                                     {u"output_tokens"_s, 7}}}};
        const auto chat = Anthropic::chatCompletionFromMessage(QJsonDocument(answer).toJson(), u"claude"_s,
                                                               u"chatcmpl-1"_s);
        QVERIFY(chat.has_value());
        const QJsonObject object = QJsonDocument::fromJson(*chat).object();
        QCOMPARE(object.value(u"id"_s).toString(), u"chatcmpl-1"_s);
        QCOMPARE(object.value(u"object"_s).toString(), u"chat.completion"_s);
        QCOMPARE(object.value(u"model"_s).toString(), u"claude"_s);
        QVERIFY(object.value(u"created"_s).toInteger() > 1700000000);
        const QJsonObject choice = object.value(u"choices"_s).toArray().first().toObject();
        QCOMPARE(choice.value(u"finish_reason"_s).toString(), u"tool_calls"_s);
        const QJsonObject message = choice.value(u"message"_s).toObject();
        QCOMPARE(message.value(u"role"_s).toString(), u"assistant"_s);
        QCOMPARE(message.value(u"content"_s).toString(), u"Reading both."_s);
        QCOMPARE(message.value(u"tool_calls"_s).toArray(),
                 (QJsonArray{toolCall(u"toolu_1"_s, u"read"_s, u"{\"path\":\"a\"}"_s),
                             toolCall(u"toolu_2"_s, u"now"_s, u"{}"_s)}));
        QCOMPARE(object.value(u"usage"_s).toObject(),
                 (QJsonObject{{u"prompt_tokens"_s, 130},
                              {u"completion_tokens"_s, 7},
                              {u"total_tokens"_s, 137},
                              {u"prompt_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, 100}}}}));
        // The relay's usage reader agrees (billing reads the translated answer).
        const std::optional<Usage> usage = usageFromJson(object);
        QVERIFY(usage.has_value());
        QCOMPARE(usage->promptTokens, 130);
        QCOMPARE(usage->cachedTokens, 100);

        // Only tool calls: content is null.
        QJsonObject toolsOnly = answer;
        toolsOnly.insert(u"content"_s, QJsonArray{answer.value(u"content"_s).toArray().at(3)});
        const auto nullContent = Anthropic::chatCompletionFromMessage(QJsonDocument(toolsOnly).toJson(), u"c"_s, u"i"_s);
        QVERIFY(nullContent.has_value());
        QVERIFY(QJsonDocument::fromJson(*nullContent).object().value(u"choices"_s).toArray().first().toObject()
                    .value(u"message"_s).toObject().value(u"content"_s).isNull());

        QVERIFY(!Anthropic::chatCompletionFromMessage("not json", u"c"_s, u"i"_s));
        QVERIFY(!Anthropic::chatCompletionFromMessage(
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", u"c"_s, u"i"_s));
    }

    void stopReasonsMapToFinishReasons_data()
    {
        QTest::addColumn<QString>("stop");
        QTest::addColumn<QString>("finish");
        QTest::newRow("end_turn") << u"end_turn"_s << u"stop"_s;
        QTest::newRow("stop_sequence") << u"stop_sequence"_s << u"stop"_s;
        QTest::newRow("max_tokens") << u"max_tokens"_s << u"length"_s;
        QTest::newRow("tool_use") << u"tool_use"_s << u"tool_calls"_s;
        QTest::newRow("refusal") << u"refusal"_s << u"content_filter"_s;
        QTest::newRow("pause_turn") << u"pause_turn"_s << u"stop"_s;
        QTest::newRow("model_context_window_exceeded") << u"model_context_window_exceeded"_s << u"length"_s;
    }

    void stopReasonsMapToFinishReasons()
    {
        QFETCH(QString, stop);
        QFETCH(QString, finish);
        const QJsonObject answer{{u"type"_s, u"message"_s},
                                 {u"content"_s, QJsonArray{textPart(u"x"_s)}},
                                 {u"stop_reason"_s, stop},
                                 {u"usage"_s, QJsonObject{{u"input_tokens"_s, 1}, {u"output_tokens"_s, 1}}}};
        const auto chat = Anthropic::chatCompletionFromMessage(QJsonDocument(answer).toJson(), u"c"_s, u"i"_s);
        QVERIFY(chat.has_value());
        QCOMPARE(QJsonDocument::fromJson(*chat).object().value(u"choices"_s).toArray().first().toObject()
                     .value(u"finish_reason"_s).toString(),
                 finish);

        // The stream maps the same way.
        Anthropic::ChatStreamTranslator translator(u"i"_s, u"c"_s, false, 1);
        const auto out = chunks(translator.feed(messageStart(1, 0, 0) + messageDelta(stop, {{u"output_tokens"_s, 1}})));
        QCOMPARE(finishOf(out.last()).toString(), finish);
    }

    void textStreamAnySplit()
    {
        const QByteArray stream = messageStart(12, 30, 5) + ping + blockStart(0, textPart(u""_s))
                                  + textDelta(0, u"Hel"_s) + textDelta(0, u"lo, wörld"_s) + blockStop(0)
                                  + messageDelta(u"end_turn"_s, {{u"output_tokens"_s, 9}}) + messageStop;
        Anthropic::ChatStreamTranslator whole(u"chatcmpl-9"_s, u"claude"_s, true, 1700000000);
        const QByteArray inOnePiece = whole.feed(stream) + whole.finish();
        Anthropic::ChatStreamTranslator bytewise(u"chatcmpl-9"_s, u"claude"_s, true, 1700000000);
        QByteArray byByte;
        for (qsizetype i = 0; i < stream.size(); ++i)
            byByte += bytewise.feed(stream.mid(i, 1));
        byByte += bytewise.finish();
        QCOMPARE(byByte, inOnePiece);

        int done = 0;
        const QList<QJsonObject> out = chunks(inOnePiece + whole.done() + whole.done(), &done);
        QCOMPARE(done, 1);
        QCOMPARE(out.size(), 5);  // role, two texts, finish, usage
        for (const QJsonObject &chunk : out) {
            QCOMPARE(chunk.value(u"id"_s).toString(), u"chatcmpl-9"_s);
            QCOMPARE(chunk.value(u"object"_s).toString(), u"chat.completion.chunk"_s);
            QCOMPARE(chunk.value(u"created"_s).toInteger(), 1700000000);
            QCOMPARE(chunk.value(u"model"_s).toString(), u"claude"_s);
        }
        QCOMPARE(deltaOf(out.at(0)), (QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}}));
        QCOMPARE(deltaOf(out.at(1)).value(u"content"_s).toString() + deltaOf(out.at(2)).value(u"content"_s).toString(),
                 u"Hello, wörld"_s);
        QVERIFY(finishOf(out.at(2)).isNull());
        QCOMPARE(finishOf(out.at(3)).toString(), u"stop"_s);
        QCOMPARE(out.at(4).value(u"choices"_s).toArray(), QJsonArray{});
        QCOMPARE(out.at(4).value(u"usage"_s).toObject(),
                 (QJsonObject{{u"prompt_tokens"_s, 47},
                              {u"completion_tokens"_s, 9},
                              {u"total_tokens"_s, 56},
                              {u"prompt_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, 30}}}}));
        QVERIFY(whole.sawMessageStop());
        QVERIFY(!whole.sawError());
        QCOMPARE(whole.usage()->promptTokens, 47);
        QCOMPARE(whole.usage()->cachedTokens, 30);
        QCOMPARE(whole.usage()->completionTokens, 9);
    }

    void toolCallsStream()
    {
        const QByteArray stream =
            messageStart(50, 0, 0)
            + blockStart(0, {{u"type"_s, u"thinking"_s}, {u"thinking"_s, u""_s}})
            + blockDelta(0, {{u"type"_s, u"thinking_delta"_s}, {u"thinking"_s, u"Which files?"_s}})
            + blockDelta(0, {{u"type"_s, u"signature_delta"_s}, {u"signature"_s, u"sig"_s}}) + blockStop(0)
            + blockStart(1, textPart(u""_s)) + textDelta(1, u"Reading."_s) + blockStop(1)
            + blockStart(2, {{u"type"_s, u"tool_use"_s}, {u"id"_s, u"toolu_a"_s}, {u"name"_s, u"read"_s},
                             {u"input"_s, QJsonObject{}}})
            + jsonDelta(2, u""_s) + jsonDelta(2, u"{\"path\":"_s) + jsonDelta(2, u"\"a\"}"_s) + blockStop(2)
            + blockStart(3, {{u"type"_s, u"tool_use"_s}, {u"id"_s, u"toolu_b"_s}, {u"name"_s, u"now"_s},
                             {u"input"_s, QJsonObject{}}})
            + blockStop(3)
            + messageDelta(u"tool_use"_s, {{u"output_tokens"_s, 40}}) + messageStop;
        Anthropic::ChatStreamTranslator translator(u"chatcmpl-t"_s, u"claude"_s, false, 1);
        QByteArray bytes;
        for (qsizetype i = 0; i < stream.size(); i += 5)
            bytes += translator.feed(stream.mid(i, 5));
        bytes += translator.finish();
        QVERIFY(!bytes.contains("Which files") && !bytes.contains("sig"));

        QString text;
        QStringList ids(2);
        QStringList names(2);
        QStringList arguments(2);
        QString finish;
        for (const QJsonObject &chunk : chunks(bytes)) {
            const QJsonObject delta = deltaOf(chunk);
            text += delta.value(u"content"_s).toString();
            for (const QJsonValue &value : delta.value(u"tool_calls"_s).toArray()) {
                const QJsonObject call = value.toObject();
                const int index = call.value(u"index"_s).toInt(-1);
                QVERIFY(index == 0 || index == 1);
                if (call.contains(u"id"_s)) {
                    QVERIFY(ids[index].isEmpty());
                    ids[index] = call.value(u"id"_s).toString();
                    QCOMPARE(call.value(u"type"_s).toString(), u"function"_s);
                    names[index] = call.value(u"function"_s).toObject().value(u"name"_s).toString();
                }
                arguments[index] += call.value(u"function"_s).toObject().value(u"arguments"_s).toString();
            }
            if (finishOf(chunk).isString())
                finish = finishOf(chunk).toString();
        }
        QCOMPARE(text, u"Reading."_s);
        QCOMPARE(ids, (QStringList{u"toolu_a"_s, u"toolu_b"_s}));
        QCOMPARE(names, (QStringList{u"read"_s, u"now"_s}));
        // A call without arguments still gets a JSON object to parse.
        QCOMPARE(arguments, (QStringList{u"{\"path\":\"a\"}"_s, u"{}"_s}));
        QCOMPARE(finish, u"tool_calls"_s);
        // includeUsage off: no usage chunk, but the relay still has the counts.
        QVERIFY(!bytes.contains("\"usage\""));
        QVERIFY(translator.usage().has_value());
        QCOMPARE(translator.usage()->promptTokens, 50);
        QCOMPARE(translator.usage()->completionTokens, 40);
        QCOMPARE(translator.usage()->totalTokens, 90);
    }

    void messageDeltaUpdatesInputCounts()
    {
        Anthropic::ChatStreamTranslator translator(u"i"_s, u"c"_s, true, 1);
        const QByteArray out = translator.feed(
            messageStart(10, 0, 0) + textDelta(0, u"x"_s)
            + messageDelta(u"end_turn"_s, {{u"input_tokens"_s, 15}, {u"cache_read_input_tokens"_s, 4},
                                           {u"output_tokens"_s, 3}})
            + messageStop);
        const QJsonObject usage = chunks(out).last().value(u"usage"_s).toObject();
        QCOMPARE(usage.value(u"prompt_tokens"_s).toInt(), 19);
        QCOMPARE(usage.value(u"completion_tokens"_s).toInt(), 3);
        QCOMPARE(usage.value(u"prompt_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInt(), 4);
    }

    void errorEventEndsTheStream()
    {
        Anthropic::ChatStreamTranslator translator(u"i"_s, u"c"_s, true, 1);
        const QByteArray out =
            translator.feed(messageStart(5, 0, 0) + textDelta(0, u"Par"_s)
                            + sseEvent("error", {{u"type"_s, u"error"_s},
                                              {u"error"_s, QJsonObject{{u"type"_s, u"overloaded_error"_s},
                                                                       {u"message"_s, u"Overloaded"_s}}}})
                            + textDelta(0, u"tial"_s) + messageStop)
            + translator.finish();
        const QList<QJsonObject> list = chunks(out);
        QCOMPARE(list.size(), 3);
        QCOMPARE(list.last(), (QJsonObject{{u"error"_s, QJsonObject{{u"message"_s, u"Overloaded"_s},
                                                                     {u"type"_s, u"overloaded_error"_s}}}}));
        QVERIFY(translator.sawError());
        QVERIFY(!translator.sawMessageStop());
    }

    void streamCutBeforeMessageStop()
    {
        Anthropic::ChatStreamTranslator translator(u"i"_s, u"c"_s, true, 1);
        QByteArray out = translator.feed(messageStart(5, 0, 0) + blockStart(0, textPart(u""_s)));
        // The last event lacks its blank line: finish() still translates it.
        QByteArray last = textDelta(0, u"Half"_s);
        last.chop(1);
        out += translator.feed(last);
        QVERIFY(!out.contains("Half"));
        out += translator.finish();
        QVERIFY(out.contains("Half"));
        QVERIFY(!translator.sawMessageStop());
        QVERIFY(!translator.sawError());
        for (const QJsonObject &chunk : chunks(out)) {
            QVERIFY(finishOf(chunk).isNull());  // no invented finish_reason
            QVERIFY(!chunk.contains(u"usage"_s));
        }
        QCOMPARE(translator.finish(), QByteArray());
        QCOMPARE(translator.done(), QByteArray("data: [DONE]\n\n"));
        QCOMPARE(translator.done(), QByteArray());
        // What was sent is known to the relay for billing.
        QCOMPARE(translator.usage()->promptTokens, 5);
    }
};

QTEST_GUILESS_MAIN(TestAnthropicChat)
#include "tst_anthropic_chat.moc"
