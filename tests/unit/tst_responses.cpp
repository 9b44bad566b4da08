// Unit tests of the Responses API pieces (proxy/responses.*): the request check and its
// chat-shaped stand-in for admission, the mock's Responses, and reading usage from answers
// and stream events.
#include "models/tokencount.h"
#include "proxy/providers/mockprovider.h"
#include "proxy/responses.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

const QString Model = u"gpt-4o"_s;

QJsonObject parse(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

QJsonObject baseRequest()
{
    return {{u"model"_s, Model},
            {u"input"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hello there"_s}}}}};
}

QJsonObject withItem(const QJsonObject &item)
{
    QJsonObject request = baseRequest();
    QJsonArray input = request.value(u"input"_s).toArray();
    input.append(item);
    request.insert(u"input"_s, input);
    return request;
}

// What the SDKs' output_text convenience computes: every output_text of every message.
QString outputText(const QJsonObject &response)
{
    QString text;
    for (const QJsonValue item : response.value(u"output"_s).toArray()) {
        if (item.toObject().value(u"type"_s).toString() != u"message")
            continue;
        for (const QJsonValue part : item.toObject().value(u"content"_s).toArray()) {
            if (part.toObject().value(u"type"_s).toString() == u"output_text")
                text += part.toObject().value(u"text"_s).toString();
        }
    }
    return text;
}

SseEvent sse(const QByteArray &raw)
{
    SseParser parser;
    parser.feed(raw);
    SseEvent event;
    if (!parser.next(event))
        qFatal("not a whole event");
    return event;
}

QList<SseEvent> events(const QByteArrayList &blocks)
{
    SseParser parser;
    parser.feed(blocks.join());
    QList<SseEvent> result;
    SseEvent event;
    while (parser.next(event))
        result.append(event);
    return result;
}

} // namespace

class TestResponses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void refusals_data()
    {
        QTest::addColumn<QJsonObject>("request");
        QTest::addColumn<QString>("param");

        const auto with = [](const QString &field, const QJsonValue &value) {
            QJsonObject request = baseRequest();
            if (value.isUndefined())
                request.remove(field);
            else
                request.insert(field, value);
            return request;
        };
        QTest::newRow("no model") << with(u"model"_s, QJsonValue::Undefined) << u"model"_s;
        QTest::newRow("model a number") << with(u"model"_s, 4) << u"model"_s;
        QTest::newRow("no input") << with(u"input"_s, QJsonValue::Undefined) << u"input"_s;
        QTest::newRow("input an object") << with(u"input"_s, QJsonObject{}) << u"input"_s;
        QTest::newRow("input null") << with(u"input"_s, QJsonValue::Null) << u"input"_s;
        QTest::newRow("instructions a list") << with(u"instructions"_s, QJsonArray{}) << u"instructions"_s;
        QTest::newRow("stream a string") << with(u"stream"_s, u"true"_s) << u"stream"_s;
        QTest::newRow("max_output_tokens negative") << with(u"max_output_tokens"_s, -1) << u"max_output_tokens"_s;
        QTest::newRow("max_output_tokens fractional") << with(u"max_output_tokens"_s, 1.5) << u"max_output_tokens"_s;
        QTest::newRow("max_output_tokens a string") << with(u"max_output_tokens"_s, u"10"_s) << u"max_output_tokens"_s;
        QTest::newRow("background true") << with(u"background"_s, true) << u"background"_s;
        QTest::newRow("background a string") << with(u"background"_s, u"no"_s) << u"background"_s;
        QTest::newRow("previous_response_id a number")
            << with(u"previous_response_id"_s, 7) << u"previous_response_id"_s;
        QTest::newRow("user an object") << with(u"user"_s, QJsonObject{}) << u"user"_s;
        QTest::newRow("service_tier a number") << with(u"service_tier"_s, 2) << u"service_tier"_s;
    }

    void refusals()
    {
        QFETCH(QJsonObject, request);
        QFETCH(QString, param);
        const Responses::AccountingBody body = Responses::accountingBody(request);
        QVERIFY(!body.error.isEmpty());
        QCOMPARE(body.errorParam, param);
        // Without the prompt (a request whose bytes bound it) the same checks refuse the same.
        const Responses::AccountingBody checked = Responses::accountingBody(request, false);
        QCOMPARE(checked.error, body.error);
        QCOMPARE(checked.errorParam, param);
    }

    void withoutPromptOnlyWhatAdmissionReads()
    {
        QJsonObject request = baseRequest();
        request.insert(u"user"_s, u"someone"_s);
        request.insert(u"stream"_s, true);
        QCOMPARE(Responses::accountingBody(request, false).chat, QJsonObject());
        request.insert(u"max_output_tokens"_s, 64);
        QCOMPARE(Responses::accountingBody(request, false).chat, (QJsonObject{{u"max_tokens"_s, 64}}));
        const QJsonObject full = Responses::accountingBody(request).chat;
        QCOMPARE(full.value(u"max_tokens"_s), QJsonValue(64));
        QCOMPARE(full.value(u"user"_s), QJsonValue(u"someone"_s));
        QVERIFY(full.contains(u"messages"_s));
    }

    void backgroundRefusalSaysWhy()
    {
        QJsonObject request = baseRequest();
        request.insert(u"background"_s, true);
        QCOMPARE(Responses::accountingBody(request).error,
                 u"background responses are not supported: their cost cannot be metered by the gateway"_s);
    }

    void acceptsOptionalFieldsAbsentNullOrRight()
    {
        QJsonObject request = baseRequest();
        for (const QString &field : {u"instructions"_s, u"stream"_s, u"max_output_tokens"_s, u"background"_s,
                                     u"previous_response_id"_s, u"user"_s})
            request.insert(field, QJsonValue::Null);
        QVERIFY2(Responses::accountingBody(request).error.isEmpty(), qPrintable(Responses::accountingBody(request).error));
        request.insert(u"instructions"_s, u"Be brief."_s);
        request.insert(u"stream"_s, true);
        request.insert(u"max_output_tokens"_s, 1e18);   // whole: reserved at the model's limit
        request.insert(u"background"_s, false);
        request.insert(u"previous_response_id"_s, u"resp_1"_s);
        request.insert(u"user"_s, u"u-1"_s);
        const Responses::AccountingBody body = Responses::accountingBody(request);
        QVERIFY2(body.error.isEmpty(), qPrintable(body.error));
        QCOMPARE(body.chat.value(u"model"_s).toString(), Model);
        QCOMPARE(body.chat.value(u"user"_s).toString(), u"u-1"_s);
        QCOMPARE(body.chat.value(u"stream"_s).toBool(), true);
        QCOMPARE(body.chat.value(u"max_tokens"_s).toDouble(), 1e18);
        QVERIFY(!body.chat.contains(u"max_completion_tokens"_s));
        const QJsonArray messages = body.chat.value(u"messages"_s).toArray();
        QCOMPARE(messages.first().toObject().value(u"role"_s).toString(), u"system"_s);
        QCOMPARE(messages.first().toObject().value(u"content"_s).toString(), u"Be brief."_s);
    }

    void noMaxOutputTokensNoMaxTokens()
    {
        const Responses::AccountingBody body = Responses::accountingBody(baseRequest());
        QVERIFY(body.error.isEmpty());
        QVERIFY(!body.chat.contains(u"max_tokens"_s));
        QVERIFY(!body.chat.contains(u"stream"_s));
    }

    void stringInputIsOneUserMessage()
    {
        QJsonObject request{{u"model"_s, Model}, {u"input"_s, u"What is 2+2?"_s}, {u"max_output_tokens"_s, 50}};
        const Responses::AccountingBody body = Responses::accountingBody(request);
        const QJsonObject hand{{u"model"_s, Model},
                               {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s},
                                                                      {u"content"_s, u"What is 2+2?"_s}}}}};
        QCOMPARE(countRequestPromptTokens(body.chat, Model), countRequestPromptTokens(hand, Model));
        QCOMPARE(body.chat.value(u"max_tokens"_s).toInt(), 50);
    }

    // A conversation with every kind the mapping knows, against the chat request a person
    // would write for it: the bound admission uses is never below the exact count.
    void boundCoversHandMadeEquivalent()
    {
        const QJsonObject parameters{{u"type"_s, u"object"_s},
                                     {u"properties"_s, QJsonObject{{u"city"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}};
        const QJsonObject schema{{u"type"_s, u"object"_s},
                                 {u"properties"_s, QJsonObject{{u"answer"_s, QJsonObject{{u"type"_s, u"string"_s}}}}}};
        const QJsonObject request{
            {u"model"_s, Model},
            {u"instructions"_s, u"You are a weather bot."_s},
            {u"input"_s,
             QJsonArray{
                 QJsonObject{{u"type"_s, u"message"_s},
                             {u"role"_s, u"user"_s},
                             {u"content"_s,
                              QJsonArray{QJsonObject{{u"type"_s, u"input_text"_s}, {u"text"_s, u"Weather in Paris?"_s}},
                                         QJsonObject{{u"type"_s, u"input_image"_s},
                                                     {u"image_url"_s, u"https://example.com/a.png"_s},
                                                     {u"detail"_s, u"high"_s}}}}},
                 QJsonObject{{u"type"_s, u"function_call"_s},
                             {u"call_id"_s, u"call_1"_s},
                             {u"name"_s, u"weather"_s},
                             {u"arguments"_s, u"{\"city\":\"Paris\"}"_s}},
                 QJsonObject{{u"type"_s, u"function_call_output"_s},
                             {u"call_id"_s, u"call_1"_s},
                             {u"output"_s, u"Sunny, 24 degrees"_s}},
                 QJsonObject{{u"role"_s, u"assistant"_s},
                             {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"output_text"_s},
                                                                   {u"text"_s, u"It is sunny."_s},
                                                                   {u"annotations"_s, QJsonArray{}}}}}}}},
            {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                                {u"name"_s, u"weather"_s},
                                                {u"description"_s, u"Weather of a city"_s},
                                                {u"parameters"_s, parameters}}}},
            {u"tool_choice"_s, u"auto"_s},
            {u"text"_s, QJsonObject{{u"format"_s, QJsonObject{{u"type"_s, u"json_schema"_s},
                                                              {u"name"_s, u"reply"_s},
                                                              {u"schema"_s, schema}}}}},
        };
        const QJsonObject hand{
            {u"model"_s, Model},
            {u"messages"_s,
             QJsonArray{
                 QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, u"You are a weather bot."_s}},
                 QJsonObject{{u"role"_s, u"user"_s},
                             {u"content"_s,
                              QJsonArray{QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u"Weather in Paris?"_s}},
                                         QJsonObject{{u"type"_s, u"image_url"_s},
                                                     {u"image_url"_s, QJsonObject{{u"url"_s, u"https://example.com/a.png"_s},
                                                                                 {u"detail"_s, u"high"_s}}}}}}},
                 QJsonObject{{u"role"_s, u"assistant"_s},
                             {u"tool_calls"_s,
                              QJsonArray{QJsonObject{{u"id"_s, u"call_1"_s},
                                                     {u"type"_s, u"function"_s},
                                                     {u"function"_s, QJsonObject{{u"name"_s, u"weather"_s},
                                                                                 {u"arguments"_s, u"{\"city\":\"Paris\"}"_s}}}}}}},
                 QJsonObject{{u"role"_s, u"tool"_s}, {u"tool_call_id"_s, u"call_1"_s}, {u"content"_s, u"Sunny, 24 degrees"_s}},
                 QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, u"It is sunny."_s}}}},
            {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"function"_s},
                                                {u"function"_s, QJsonObject{{u"name"_s, u"weather"_s},
                                                                            {u"description"_s, u"Weather of a city"_s},
                                                                            {u"parameters"_s, parameters}}}}}},
            {u"tool_choice"_s, u"auto"_s},
            {u"response_format"_s, QJsonObject{{u"type"_s, u"json_schema"_s},
                                               {u"json_schema"_s, QJsonObject{{u"name"_s, u"reply"_s}, {u"schema"_s, schema}}}}},
        };
        const Responses::AccountingBody body = Responses::accountingBody(request);
        QVERIFY2(body.error.isEmpty(), qPrintable(body.error));
        const qint64 handCount = countRequestPromptTokens(hand, Model);
        QVERIFY(handCount > imageTokensForModel(Model).high);
        QCOMPARE(countRequestPromptTokens(body.chat, Model), handCount);
        QVERIFY(boundRequestPromptTokens(body.chat, Model) >= handCount);
    }

    // Every kind of item, part, tool or setting adds to both the exact count and the bound;
    // `atLeast`: what it must add at least (an image by file id: a high-detail image).
    void everyKindIsCounted_data()
    {
        QTest::addColumn<QJsonObject>("request");
        QTest::addColumn<qint64>("atLeast");

        const ImageTokens image = imageTokensForModel(Model);
        const auto message = [](const QJsonObject &part) {
            return withItem(QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, QJsonArray{part}}});
        };
        const auto with = [](const QString &field, const QJsonValue &value) {
            QJsonObject request = baseRequest();
            request.insert(field, value);
            return request;
        };
        QTest::newRow("instructions") << with(u"instructions"_s, u"Answer in French."_s) << qint64(3);
        QTest::newRow("easy message") << withItem({{u"role"_s, u"developer"_s}, {u"content"_s, u"Be terse."_s}})
                                      << qint64(3);
        QTest::newRow("input_text") << message({{u"type"_s, u"input_text"_s}, {u"text"_s, u"More words here"_s}})
                                    << qint64(3);
        QTest::newRow("refusal part") << withItem({{u"type"_s, u"message"_s}, {u"role"_s, u"assistant"_s},
                                                   {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"refusal"_s},
                                                                                         {u"refusal"_s, u"I cannot."_s}}}}})
                                      << qint64(3);
        QTest::newRow("image by url") << message({{u"type"_s, u"input_image"_s},
                                                  {u"image_url"_s, u"https://example.com/x.png"_s}})
                                      << image.high;
        QTest::newRow("image low detail") << message({{u"type"_s, u"input_image"_s},
                                                      {u"image_url"_s, u"https://example.com/x.png"_s},
                                                      {u"detail"_s, u"low"_s}})
                                          << image.low;
        QTest::newRow("image by file id, low detail asked")
            << message({{u"type"_s, u"input_image"_s}, {u"file_id"_s, u"file-1"_s}, {u"detail"_s, u"low"_s}})
            << image.high;
        // OpenAI's "original" detail (up to 10,000 patches): by file id as by URL.
        QTest::newRow("image by file id, original detail")
            << message({{u"type"_s, u"input_image"_s}, {u"file_id"_s, u"file-1"_s}, {u"detail"_s, u"original"_s}})
            << image.original;
        QTest::newRow("screenshot by file id, original detail")
            << withItem({{u"type"_s, u"computer_call_output"_s}, {u"call_id"_s, u"c5"_s},
                         {u"output"_s, QJsonObject{{u"type"_s, u"computer_screenshot"_s}, {u"file_id"_s, u"file-5"_s},
                                                   {u"detail"_s, u"original"_s}}}})
            << image.original;
        QTest::newRow("file inline") << message({{u"type"_s, u"input_file"_s}, {u"filename"_s, u"a.pdf"_s},
                                                 {u"file_data"_s, u"data:application/pdf;base64,JVBERi0xLjQK"_s}})
                                     << image.high;
        QTest::newRow("file by id") << message({{u"type"_s, u"input_file"_s}, {u"file_id"_s, u"file-2"_s}})
                                    << qint64(100000);
        QTest::newRow("file by url") << message({{u"type"_s, u"input_file"_s},
                                                 {u"file_url"_s, u"https://example.com/a.pdf"_s}})
                                     << qint64(100000);
        QTest::newRow("unknown part") << message({{u"type"_s, u"input_hologram"_s}, {u"payload"_s, u"xyz xyz"_s}})
                                      << qint64(5);
        QTest::newRow("function_call") << withItem({{u"type"_s, u"function_call"_s}, {u"call_id"_s, u"c1"_s},
                                                    {u"name"_s, u"lookup"_s}, {u"arguments"_s, u"{\"q\":\"x\"}"_s}})
                                       << qint64(5);
        QTest::newRow("function_call_output") << withItem({{u"type"_s, u"function_call_output"_s},
                                                           {u"call_id"_s, u"c1"_s}, {u"output"_s, u"result text"_s}})
                                              << qint64(3);
        QTest::newRow("function_call_output with an image by id")
            << withItem({{u"type"_s, u"function_call_output"_s}, {u"call_id"_s, u"c1"_s},
                         {u"output"_s, QJsonArray{QJsonObject{{u"type"_s, u"input_image"_s}, {u"file_id"_s, u"f"_s}}}}})
            << image.high;
        QTest::newRow("reasoning summary") << withItem({{u"type"_s, u"reasoning"_s}, {u"id"_s, u"rs_1"_s},
                                                        {u"summary"_s, QJsonArray{QJsonObject{{u"type"_s, u"summary_text"_s},
                                                                                              {u"text"_s, u"Thought hard"_s}}}}})
                                           << qint64(3);
        QTest::newRow("reasoning encrypted") << withItem({{u"type"_s, u"reasoning"_s}, {u"id"_s, u"rs_1"_s},
                                                          {u"summary"_s, QJsonArray{}},
                                                          {u"encrypted_content"_s, u"gAAAAABoZ3JlYXQgc2VjcmV0cw=="_s}})
                                             << qint64(5);
        QTest::newRow("unknown item") << withItem({{u"type"_s, u"local_shell_call"_s}, {u"call_id"_s, u"c2"_s},
                                                   {u"action"_s, QJsonObject{{u"command"_s, QJsonArray{u"ls"_s}}}}})
                                      << qint64(10);
        QTest::newRow("item_reference") << withItem({{u"type"_s, u"item_reference"_s}, {u"id"_s, u"msg_9"_s}})
                                        << qint64(3);
        QTest::newRow("computer screenshot by file id")
            << withItem({{u"type"_s, u"computer_call_output"_s}, {u"call_id"_s, u"c3"_s},
                         {u"output"_s, QJsonObject{{u"type"_s, u"computer_screenshot"_s}, {u"file_id"_s, u"file-3"_s}}}})
            << image.high;
        QTest::newRow("unknown item holding an image by file id")
            << withItem({{u"type"_s, u"future_tool_output"_s}, {u"call_id"_s, u"c4"_s},
                         {u"output"_s, QJsonArray{QJsonObject{{u"type"_s, u"input_image"_s}, {u"file_id"_s, u"f"_s}}}}})
            << image.high;
        QTest::newRow("unknown part holding a file by id")
            << message({{u"type"_s, u"input_bundle"_s},
                        {u"items"_s, QJsonArray{QJsonObject{{u"type"_s, u"input_file"_s}, {u"file_id"_s, u"f"_s}}}}})
            << qint64(100000);
        QTest::newRow("function tool")
            << with(u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"function"_s}, {u"name"_s, u"lookup"_s},
                                                       {u"parameters"_s, QJsonObject{{u"type"_s, u"object"_s}}}}})
            << qint64(16);
        QTest::newRow("web_search tool") << with(u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"web_search"_s}}})
                                         << qint64(5);
        QTest::newRow("mcp tool") << with(u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"mcp"_s},
                                                                             {u"server_label"_s, u"deepwiki"_s},
                                                                             {u"server_url"_s, u"https://mcp.example"_s}}})
                                  << qint64(10);
        QTest::newRow("tool_choice") << with(u"tool_choice"_s, QJsonObject{{u"type"_s, u"function"_s},
                                                                          {u"name"_s, u"lookup"_s}})
                                     << qint64(5);
        QTest::newRow("json_schema format")
            << with(u"text"_s, QJsonObject{{u"format"_s, QJsonObject{{u"type"_s, u"json_schema"_s}, {u"name"_s, u"r"_s},
                                                                    {u"schema"_s, QJsonObject{{u"type"_s, u"object"_s}}}}}})
            << qint64(10);
        QTest::newRow("prompt template") << with(u"prompt"_s, QJsonObject{{u"id"_s, u"pmpt_1"_s},
                                                                          {u"variables"_s, QJsonObject{{u"city"_s, u"Paris"_s}}}})
                                         << qint64(5);
    }

    void everyKindIsCounted()
    {
        QFETCH(QJsonObject, request);
        QFETCH(qint64, atLeast);
        const Responses::AccountingBody base = Responses::accountingBody(baseRequest());
        const Responses::AccountingBody more = Responses::accountingBody(request);
        QVERIFY2(more.error.isEmpty(), qPrintable(more.error));
        const qint64 exactAdded = countRequestPromptTokens(more.chat, Model) - countRequestPromptTokens(base.chat, Model);
        const qint64 boundAdded = boundRequestPromptTokens(more.chat, Model) - boundRequestPromptTokens(base.chat, Model);
        QVERIFY2(exactAdded >= atLeast, qPrintable(u"exact count grew by %1"_s.arg(exactAdded)));
        QVERIFY2(boundAdded >= exactAdded, qPrintable(u"bound grew by %1, exact by %2"_s.arg(boundAdded).arg(exactAdded)));
        QVERIFY(boundRequestPromptTokens(more.chat, Model) >= countRequestPromptTokens(more.chat, Model));
    }

    void mockResponseIsAResponse()
    {
        const QJsonObject request{{u"model"_s, u"m"_s},
                                  {u"input"_s, u"hi"_s},
                                  {u"instructions"_s, u"Be kind."_s},
                                  {u"max_output_tokens"_s, 300},
                                  {u"previous_response_id"_s, u"resp_prev"_s},
                                  {u"tools"_s, QJsonArray{QJsonObject{{u"type"_s, u"web_search"_s}}}},
                                  {u"metadata"_s, QJsonObject{{u"k"_s, u"v"_s}}}};
        const Responses::MockResult result =
            Responses::mockResponse(request, u"resp_abc"_s, u"gpt-4o"_s, u"Hello from the mock."_s, 12, 5, false);
        QVERIFY(result.events.isEmpty());
        QCOMPARE(result.usage.promptTokens, 12);
        QCOMPARE(result.usage.completionTokens, 5);
        QCOMPARE(result.usage.totalTokens, 17);
        const QJsonObject response = parse(result.body);
        QCOMPARE(response.value(u"id"_s).toString(), u"resp_abc"_s);
        QCOMPARE(response.value(u"object"_s).toString(), u"response"_s);
        QCOMPARE(response.value(u"status"_s).toString(), u"completed"_s);
        QCOMPARE(response.value(u"model"_s).toString(), u"gpt-4o"_s);
        QVERIFY(response.value(u"created_at"_s).toInteger() > 1600000000);
        QVERIFY(response.value(u"error"_s).isNull());
        QVERIFY(response.value(u"incomplete_details"_s).isNull());
        QCOMPARE(response.value(u"instructions"_s).toString(), u"Be kind."_s);
        QCOMPARE(response.value(u"max_output_tokens"_s).toInt(), 300);
        QCOMPARE(response.value(u"previous_response_id"_s).toString(), u"resp_prev"_s);
        QCOMPARE(response.value(u"tools"_s).toArray().size(), 1);
        QCOMPARE(response.value(u"tool_choice"_s).toString(), u"auto"_s);
        QCOMPARE(response.value(u"text"_s).toObject().value(u"format"_s).toObject().value(u"type"_s).toString(), u"text"_s);
        QCOMPARE(response.value(u"temperature"_s).toDouble(), 1.0);
        QCOMPARE(response.value(u"top_p"_s).toDouble(), 1.0);
        QCOMPARE(response.value(u"parallel_tool_calls"_s).toBool(), true);
        QCOMPARE(response.value(u"metadata"_s).toObject().value(u"k"_s).toString(), u"v"_s);
        const QJsonArray output = response.value(u"output"_s).toArray();
        QCOMPARE(output.size(), 1);
        const QJsonObject message = output.first().toObject();
        QCOMPARE(message.value(u"type"_s).toString(), u"message"_s);
        QCOMPARE(message.value(u"id"_s).toString(), u"msg_abc"_s);
        QCOMPARE(message.value(u"status"_s).toString(), u"completed"_s);
        QCOMPARE(message.value(u"role"_s).toString(), u"assistant"_s);
        const QJsonObject part = message.value(u"content"_s).toArray().first().toObject();
        QCOMPARE(part.value(u"type"_s).toString(), u"output_text"_s);
        QVERIFY(part.value(u"annotations"_s).isArray());
        QCOMPARE(outputText(response), u"Hello from the mock."_s);
        const QJsonObject usage = response.value(u"usage"_s).toObject();
        QCOMPARE(usage.value(u"input_tokens"_s).toInt(), 12);
        QCOMPARE(usage.value(u"output_tokens"_s).toInt(), 5);
        QCOMPARE(usage.value(u"total_tokens"_s).toInt(), 17);
        QCOMPARE(usage.value(u"input_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInt(), 0);
        QCOMPARE(usage.value(u"output_tokens_details"_s).toObject().value(u"reasoning_tokens"_s).toInt(), 0);
        // Defaults when the request says nothing.
        const QJsonObject plain = parse(
            Responses::mockResponse({{u"input"_s, u"x"_s}}, u"resp_1"_s, u"m"_s, u"t"_s, 1, 1, false).body);
        QVERIFY(plain.value(u"instructions"_s).isNull());
        QVERIFY(plain.value(u"max_output_tokens"_s).isNull());
        QVERIFY(plain.value(u"previous_response_id"_s).isNull());
        QCOMPARE(plain.value(u"tools"_s).toArray().size(), 0);
        QVERIFY(plain.value(u"metadata"_s).isObject());
    }

    void mockStreamIsResponsesEvents()
    {
        const QString text = u"One two three four five."_s;
        const Responses::MockResult result =
            Responses::mockResponse({{u"input"_s, u"x"_s}}, u"resp_s1"_s, u"m"_s, text, 9, 6, true);
        const QList<SseEvent> stream = events(result.events);
        QCOMPARE(stream.size(), result.events.size());   // each block is exactly one event
        QByteArrayList types;
        QJsonObject snapshot;   // what the openai SDK's ResponseStream accumulates
        QString deltas;
        for (qsizetype i = 0; i < stream.size(); ++i) {
            const QJsonObject data = parse(stream.at(i).data);
            const QByteArray type = data.value(u"type"_s).toString().toUtf8();
            QVERIFY(stream.at(i).raw.startsWith(QByteArray("event: " + type + "\n")));
            QCOMPARE(data.value(u"sequence_number"_s).toInt(-1), int(i));
            types.append(type);
            if (type == "response.created") {
                snapshot = data.value(u"response"_s).toObject();
                QCOMPARE(snapshot.value(u"status"_s).toString(), u"in_progress"_s);
                QCOMPARE(snapshot.value(u"output"_s).toArray().size(), 0);
            } else if (type == "response.output_item.added") {
                QJsonArray output = snapshot.value(u"output"_s).toArray();
                output.append(data.value(u"item"_s));
                snapshot.insert(u"output"_s, output);
            } else if (type == "response.content_part.added") {
                QJsonArray output = snapshot.value(u"output"_s).toArray();
                QJsonObject item = output.at(data.value(u"output_index"_s).toInt()).toObject();
                QJsonArray parts = item.value(u"content"_s).toArray();
                parts.append(data.value(u"part"_s));
                item.insert(u"content"_s, parts);
                output.replace(data.value(u"output_index"_s).toInt(), item);
                snapshot.insert(u"output"_s, output);
            } else if (type == "response.output_text.delta") {
                QCOMPARE(data.value(u"item_id"_s).toString(), u"msg_s1"_s);
                deltas += data.value(u"delta"_s).toString();
                QJsonArray output = snapshot.value(u"output"_s).toArray();
                QJsonObject item = output.at(data.value(u"output_index"_s).toInt()).toObject();
                QJsonArray parts = item.value(u"content"_s).toArray();
                QJsonObject part = parts.at(data.value(u"content_index"_s).toInt()).toObject();
                part.insert(u"text"_s, QString(part.value(u"text"_s).toString() + data.value(u"delta"_s).toString()));
                parts.replace(data.value(u"content_index"_s).toInt(), part);
                item.insert(u"content"_s, parts);
                output.replace(data.value(u"output_index"_s).toInt(), item);
                snapshot.insert(u"output"_s, output);
            } else if (type == "response.output_text.done") {
                QCOMPARE(data.value(u"text"_s).toString(), text);
            } else if (type == "response.output_item.done") {
                QCOMPARE(data.value(u"item"_s).toObject().value(u"status"_s).toString(), u"completed"_s);
            } else if (type == "response.completed") {
                const QJsonObject response = data.value(u"response"_s).toObject();
                QCOMPARE(outputText(response), text);
                QCOMPARE(response.value(u"usage"_s).toObject().value(u"total_tokens"_s).toInt(), 15);
            }
        }
        QCOMPARE(outputText(snapshot), text);
        QCOMPARE(deltas, text);
        QVERIFY(types.count("response.output_text.delta") >= 3);
        QByteArrayList frame = types;
        frame.removeAll("response.output_text.delta");
        QCOMPARE(frame, (QByteArrayList{"response.created", "response.in_progress", "response.output_item.added",
                                        "response.content_part.added", "response.output_text.done",
                                        "response.content_part.done", "response.output_item.done",
                                        "response.completed"}));
        QCOMPARE(types.indexOf("response.output_text.delta"), 4);
        // The relay's view of the same stream.
        QCOMPARE(Responses::inspectEvent(stream.first()).responseId, u"resp_s1"_s);
        const Responses::StreamEventInfo last = Responses::inspectEvent(stream.last());
        QVERIFY(last.terminal);
        QVERIFY(!last.failed);
        QVERIFY(last.usage.has_value());
        QCOMPARE(last.usage->promptTokens, 9);
        QCOMPARE(last.usage->completionTokens, 6);
        QCOMPARE(parse(result.body).value(u"status"_s).toString(), u"completed"_s);
    }

    void mockIncompleteEndsWithResponseIncomplete()
    {
        const Responses::MockResult result =
            Responses::mockResponse({{u"input"_s, u"x"_s}}, u"resp_i"_s, u"m"_s, u"Cut"_s, 3, 1, true, true);
        const QList<SseEvent> stream = events(result.events);
        const Responses::StreamEventInfo last = Responses::inspectEvent(stream.last());
        QCOMPARE(last.type, QByteArray("response.incomplete"));
        QVERIFY(last.terminal);
        QVERIFY(!last.failed);
        QCOMPARE(last.usage->completionTokens, 1);
        const QJsonObject response = parse(result.body);
        QCOMPARE(response.value(u"status"_s).toString(), u"incomplete"_s);
        QCOMPARE(response.value(u"incomplete_details"_s).toObject().value(u"reason"_s).toString(), u"max_output_tokens"_s);
        QCOMPARE(outputText(response), u"Cut"_s);
    }

    void mockProviderAnswersResponses()
    {
        Deployment deployment;
        deployment.modelName = u"mock-model"_s;
        deployment.upstreamModel = u"gpt-4o"_s;
        deployment.mockResponse = u"The deployment's configured answer is here"_s;
        const QJsonObject request{{u"model"_s, u"mock-model"_s},
                                  {u"input"_s, u"Say something long"_s},
                                  {u"instructions"_s, u"You talk."_s}};
        const Responses::AccountingBody accounting = Responses::accountingBody(request);
        const MockAnswer answer = mockResponsesAnswer(deployment, request, accounting.chat,
                                                      u"0b1c2d3e-aaaa-bbbb-cccc-0123456789ab"_s, false);
        const QJsonObject response = parse(answer.body);
        QCOMPARE(response.value(u"id"_s).toString(), u"resp_0b1c2d3eaaaabbbbcccc0123456789ab"_s);
        QCOMPARE(outputText(response), *deployment.mockResponse);
        QCOMPARE(answer.usage.promptTokens, countRequestPromptTokens(accounting.chat, u"gpt-4o"_s));
        QCOMPARE(answer.usage.completionTokens, countTextTokens(*deployment.mockResponse, u"gpt-4o"_s));
        QCOMPARE(Responses::usageOfResponse(response)->promptTokens, answer.usage.promptTokens);

        // mock_response in the request wins; max_output_tokens cuts it (status incomplete).
        QJsonObject limited = request;
        limited.insert(u"mock_response"_s, u"one two three four five six seven eight"_s);
        limited.insert(u"max_output_tokens"_s, 2);
        const MockAnswer cut = mockResponsesAnswer(deployment, limited, Responses::accountingBody(limited).chat,
                                                   u"id-2"_s, true);
        QCOMPARE(cut.usage.completionTokens, 2);
        QCOMPARE(outputText(parse(cut.body)), u"one two"_s);
        QVERIFY(cut.events.last().startsWith("event: response.incomplete\n"));
        QVERIFY(cut.events.first().startsWith("event: response.created\n"));
    }

    // Server-side tool calls are counted from the output items' "type" keys, never from text.
    void hostedToolCalls()
    {
        // Indented as OpenAI sends it ("type": "web_search_call"); the text and the arguments
        // name the types too, inside strings (escaped quotes): not counted.
        const QJsonArray items{
            QJsonObject{{u"type"_s, u"web_search_call"_s}, {u"id"_s, u"ws_1"_s},
                        {u"action"_s, QJsonObject{{u"type"_s, u"search"_s}}}},
            QJsonObject{{u"type"_s, u"web_search_call"_s}, {u"id"_s, u"ws_2"_s}},
            QJsonObject{{u"type"_s, u"file_search_call"_s}, {u"queries"_s, QJsonArray{u"a"_s}}},
            QJsonObject{{u"type"_s, u"message"_s},
                        {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"output_text"_s},
                                                              {u"text"_s, u"\"type\":\"web_search_call\""_s}}}}},
            QJsonObject{{u"type"_s, u"function_call"_s}, {u"arguments"_s, u"{\"type\": \"file_search_call\"}"_s}}};
        const QByteArray output = QJsonDocument(items).toJson(QJsonDocument::Indented);
        QCOMPARE(Responses::hostedToolCalls(QJsonDocument(items).toJson(QJsonDocument::Compact)).webSearches, 2);
        const ToolUses uses = Responses::hostedToolCalls(output);
        QCOMPARE(uses.webSearches, 2);
        QCOMPARE(uses.fileSearches, 1);
        QVERIFY(Responses::hostedToolCalls("[]").isEmpty());
    }

    // Code interpreter calls are sessions, one per container they name; images are each billed.
    void codeInterpreterSessionsAndImages()
    {
        const auto code = [](const QString &container) {
            QJsonObject item{{u"type"_s, u"code_interpreter_call"_s}, {u"code"_s, u"x = {\"container_id\": \"cntr_z\"}"_s}};
            if (!container.isEmpty())
                item.insert(u"container_id"_s, container);
            return item;
        };
        const QJsonArray items{code(u"cntr_a"_s), code(u"cntr_b"_s), code(u"cntr_a"_s),
                               QJsonObject{{u"type"_s, u"image_generation_call"_s}, {u"result"_s, u"aW1hZ2U="_s}},
                               // a string that ends in a backslash ("C:\\") before the type key
                               QJsonObject{{u"type"_s, u"image_generation_call"_s}, {u"note"_s, u"C:\\"_s}},
                               QJsonObject{{u"type"_s, u"message"_s}, {u"text"_s, u"\"type\":\"image_generation_call\""_s}}};
        for (const auto format : {QJsonDocument::Compact, QJsonDocument::Indented}) {
            const ToolUses uses = Responses::hostedToolCalls(QJsonDocument(items).toJson(format));
            QCOMPARE(uses.codeInterpreterSessions, 2);
            QCOMPARE(uses.imageGenerations, 2);
            QCOMPARE(uses.webSearches, 0);
        }
        // Items that name no container still ran in one.
        const ToolUses unnamed = Responses::hostedToolCalls(QJsonDocument(QJsonArray{code({}), code({})}).toJson());
        QCOMPARE(unnamed.codeInterpreterSessions, 1);
    }

    void expectedToolUses()
    {
        const auto tool = [](const QString &type) { return QJsonObject{{u"type"_s, type}}; };
        const ToolUses expected = Responses::expectedToolUses(
            QJsonArray{tool(u"web_search_preview"_s), tool(u"web_search"_s), tool(u"function"_s),
                       tool(u"code_interpreter"_s), tool(u"image_generation"_s), tool(u"mcp"_s)});
        QCOMPARE(expected.webSearches, 1);
        QCOMPARE(expected.fileSearches, 0);
        QCOMPARE(expected.codeInterpreterSessions, 1);
        QCOMPARE(expected.imageGenerations, 1);
        QVERIFY(Responses::expectedToolUses(QJsonArray{tool(u"function"_s)}).isEmpty());
        QVERIFY(Responses::expectedToolUses(QJsonValue()).isEmpty());
    }

    void declaresHostedTools_data()
    {
        QTest::addColumn<QJsonValue>("tools");
        QTest::addColumn<bool>("hosted");
        const auto tool = [](const QString &type) { return QJsonObject{{u"type"_s, type}}; };
        QTest::newRow("none") << QJsonValue(QJsonValue::Undefined) << false;
        QTest::newRow("function and custom") << QJsonValue(QJsonArray{tool(u"function"_s), tool(u"custom"_s)}) << false;
        QTest::newRow("client-side") << QJsonValue(QJsonArray{tool(u"local_shell"_s), tool(u"apply_patch"_s),
                                                              tool(u"computer_use_preview"_s)})
                                     << false;
        for (const QString &type : {u"web_search"_s, u"web_search_preview"_s, u"file_search"_s, u"code_interpreter"_s,
                                    u"image_generation"_s, u"mcp"_s, u"something_new"_s})
            QTest::addRow("%s", qPrintable(type)) << QJsonValue(QJsonArray{tool(u"function"_s), tool(type)}) << true;
    }

    void declaresHostedTools()
    {
        QFETCH(QJsonValue, tools);
        QFETCH(bool, hosted);
        QCOMPARE(Responses::declaresHostedTools(tools), hosted);
    }

    void usageOfResponse()
    {
        QVERIFY(!Responses::usageOfResponse({{u"id"_s, u"resp_1"_s}}).has_value());
        QVERIFY(!Responses::usageOfResponse({{u"usage"_s, QJsonValue::Null}}).has_value());
        const QJsonObject response{
            {u"usage"_s, QJsonObject{{u"input_tokens"_s, 1200},
                                     {u"input_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, 1024}}},
                                     {u"output_tokens"_s, 300},
                                     {u"output_tokens_details"_s, QJsonObject{{u"reasoning_tokens"_s, 250}}},
                                     {u"total_tokens"_s, 1500}}}};
        const std::optional<Usage> usage = Responses::usageOfResponse(response);
        QVERIFY(usage.has_value());
        QCOMPARE(usage->promptTokens, 1200);
        QCOMPARE(usage->completionTokens, 300);   // reasoning is inside output_tokens: not added again
        QCOMPARE(usage->totalTokens, 1500);
        QCOMPARE(usage->cachedTokens, 1024);
        const std::optional<Usage> noTotal = Responses::usageOfResponse(
            {{u"usage"_s, QJsonObject{{u"input_tokens"_s, 7}, {u"output_tokens"_s, 3}}}});
        QCOMPARE(noTotal->totalTokens, 10);
        QCOMPARE(noTotal->cachedTokens, 0);
    }

    void inspectEvent_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QByteArray>("type");
        QTest::addColumn<bool>("terminal");
        QTest::addColumn<bool>("failed");
        QTest::addColumn<qint64>("outputTokens");   // -1: no usage
        QTest::addColumn<QString>("responseId");

        const QByteArray usage = "\"usage\":{\"input_tokens\":10,\"output_tokens\":4,\"total_tokens\":14}";
        QTest::newRow("delta, data not even JSON: never parsed")
            << QByteArray("event: response.output_text.delta\ndata: {\"usage\":{\"input_tokens\":5 BROKEN\n\n")
            << QByteArray("response.output_text.delta") << false << false << qint64(-1) << QString();
        QTest::newRow("delta without event line")
            << QByteArray("data: {\"type\":\"response.output_text.delta\",\"sequence_number\":4,\"delta\":\"\\\"usage\\\"\"}\n\n")
            << QByteArray("response.output_text.delta") << false << false << qint64(-1) << QString();
        QTest::newRow("created")
            << QByteArray("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                          "\"response\":{\"id\":\"resp_7\",\"status\":\"in_progress\",\"usage\":null}}\n\n")
            << QByteArray("response.created") << false << false << qint64(-1) << u"resp_7"_s;
        QTest::newRow("completed")
            << QByteArray("event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_7\","
                          + usage + "}}\n\n")
            << QByteArray("response.completed") << true << false << qint64(4) << u"resp_7"_s;
        QTest::newRow("completed, crlf, no event line")
            << QByteArray("data: {\"response\":{\"id\":\"resp_8\"," + usage + "},\"type\":\"response.completed\"}\r\n\r\n")
            << QByteArray("response.completed") << true << false << qint64(4) << u"resp_8"_s;
        QTest::newRow("incomplete")
            << QByteArray("event: response.incomplete\r\ndata: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"r\","
                          + usage + "}}\r\n\r\n")
            << QByteArray("response.incomplete") << true << false << qint64(4) << u"r"_s;
        QTest::newRow("failed with usage")
            << QByteArray("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"r\","
                          "\"status\":\"failed\",\"error\":{\"code\":\"server_error\"}," + usage + "}}\n\n")
            << QByteArray("response.failed") << true << true << qint64(4) << u"r"_s;
        QTest::newRow("failed without usage")
            << QByteArray("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"r\",\"usage\":null}}\n\n")
            << QByteArray("response.failed") << true << true << qint64(-1) << u"r"_s;
        QTest::newRow("error")
            << QByteArray("event: error\ndata: {\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}\n\n")
            << QByteArray("error") << false << true << qint64(-1) << QString();
        QTest::newRow("output_item.done is not terminal")
            << QByteArray("event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"item\":{}}\n\n")
            << QByteArray("response.output_item.done") << false << false << qint64(-1) << QString();
        QTest::newRow("no type at all") << QByteArray("data: {\"x\":1}\n\n") << QByteArray() << false << false
                                        << qint64(-1) << QString();
    }

    void inspectEvent()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QByteArray, type);
        QFETCH(bool, terminal);
        QFETCH(bool, failed);
        QFETCH(qint64, outputTokens);
        QFETCH(QString, responseId);
        const Responses::StreamEventInfo info = Responses::inspectEvent(sse(raw));
        QCOMPARE(info.type, type);
        QCOMPARE(info.terminal, terminal);
        QCOMPARE(info.failed, failed);
        QCOMPARE(info.usage.has_value(), outputTokens >= 0);
        if (info.usage) {
            QCOMPARE(info.usage->completionTokens, outputTokens);
            QCOMPARE(info.usage->promptTokens, 10);
            QCOMPARE(info.usage->totalTokens, 14);
        }
        QCOMPARE(info.responseId, responseId);
    }
};

QTEST_GUILESS_MAIN(TestResponses)
#include "tst_responses.moc"
