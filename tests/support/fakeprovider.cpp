#include "fakeprovider.h"

#include <QAbstractHttpServer>
#include <QDateTime>
#include <QEventLoop>
#include <QHash>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QRegularExpression>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <atomic>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace Tollgate::Test {

namespace {

struct Behaviour
{
    std::chrono::milliseconds latency{0};
    int chunkCount = 5;
    std::chrono::milliseconds chunkInterval{10};
    int errorStatus = 0;
    QByteArray errorBody;
    bool hang = false;
    QString content = u"Hello! This is the fake provider answering your request."_s;
    qint64 promptTokens = 10;
    qint64 completionTokens = 20;
    qint64 cachedTokens = 0;       // prompt_tokens_details.cached_tokens (0: not sent)
    QString toolName;              // non-empty: the answer is this tool call, not text
    QString toolArguments;
    bool usageAlways = false;
    bool usageNever = false;
    int breakAfterChunks = -1;     // a stream stops after this many content chunks
    bool breakWithError = false;   // ... with an error event (else the connection is reset)
    // Anthropic Messages API (planAnthropic): usage's cache counts and count_tokens' answer.
    qint64 anthropicCacheRead = 0;
    qint64 anthropicCacheWrite5m = 0;
    qint64 anthropicCacheWrite1h = 0;
    qint64 anthropicCountTokens = 42;
    QString serviceTier;           // the answers' service_tier (empty: not sent)
    qint64 webSearches = 0;        // server-side tool uses (see setServerToolUse)
    qint64 fileSearches = 0;
    qint64 codeInterpreterCalls = 0;   // see setResponsesToolItems
    qint64 containers = 1;
    qint64 imageGenerations = 0;
};

// What the Responses API keeps of a response the fake created, for GET/DELETE/cancel/input_items.
struct StoredResponse
{
    QJsonObject response;
    QJsonArray inputItems;
};

} // namespace

struct FakeProvider::State
{
    mutable QMutex mutex;
    Behaviour behaviour;
    QList<RecordedRequest> requests;
    QList<QList<SteadyTime>> emitTimes;
    int generation = 0;  // bumped by clearRecords() so in-flight answers stop recording
    int active = 0;
    int maxActive = 0;
    int disconnects = 0;
    int connections = 0;       // accepted since clearRecords()
    int nextConnectionId = 1;  // never reset, so ids stay unique across clearRecords()
    QHash<QString, StoredResponse> responses;  // Responses API, by id; never cleared
};

namespace {

using State = FakeProvider::State;

// What one request will be answered with, fixed when it arrives.
struct Plan
{
    int index = -1;
    int generation = 0;
    bool hang = false;
    std::chrono::milliseconds latency{0};
    QByteArray head;                // status line and headers, blank line included
    QByteArray body;                // non-stream body
    bool stream = false;
    QList<QByteArray> events;       // SSE events, each "data: …\n\n"
    std::chrono::milliseconds interval{0};
    int firstSpacedEvent = 0;       // events before this one go out with the head
    int lastSpacedEvent = 0;        // events after this one go out right after it
    bool close = false;
    bool reset = false;             // after the last event the connection is reset, not ended
};

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
    case 401: return QByteArrayLiteral("Unauthorized");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 429: return QByteArrayLiteral("Too Many Requests");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 502: return QByteArrayLiteral("Bad Gateway");
    case 503: return QByteArrayLiteral("Service Unavailable");
    case 504: return QByteArrayLiteral("Gateway Timeout");
    default: return QByteArrayLiteral("Status");
    }
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray openAiError(const QString &message, const QString &type, int status)
{
    return compact({{u"error"_s, QJsonObject{{u"message"_s, message},
                                             {u"type"_s, type},
                                             {u"param"_s, QJsonValue::Null},
                                             {u"code"_s, QString::number(status)}}}});
}

QByteArray headFor(int status, const QByteArray &contentType, qsizetype contentLength,
                   int index, bool close)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
                      + "\r\nContent-Type: " + contentType;
    if (contentLength >= 0)
        head += "\r\nContent-Length: " + QByteArray::number(contentLength);
    else
        head += "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache";
    head += "\r\nx-request-id: req-" + QByteArray::number(index)
            + "\r\nx-fake-request-index: " + QByteArray::number(index);
    if (close)
        head += "\r\nConnection: close";
    head += "\r\n\r\n";
    return head;
}

void setFixedAnswer(Plan &plan, int status, const QByteArray &body)
{
    plan.head = headFor(status, QByteArrayLiteral("application/json"), body.size(), plan.index,
                        plan.close);
    plan.body = body;
}

// Splits the text into `count` consecutive pieces (some empty if the text is short).
QStringList splitContent(const QString &text, int count)
{
    QStringList pieces;
    const qsizetype size = text.size();
    for (int i = 0; i < count; ++i) {
        const qsizetype from = size * i / count;
        const qsizetype to = size * (i + 1) / count;
        pieces.append(text.mid(from, to - from));
    }
    return pieces;
}

QJsonObject usageJson(const Behaviour &b)
{
    QJsonObject usage{{u"prompt_tokens"_s, b.promptTokens},
                      {u"completion_tokens"_s, b.completionTokens},
                      {u"total_tokens"_s, b.promptTokens + b.completionTokens}};
    if (b.cachedTokens > 0)
        usage.insert(u"prompt_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, b.cachedTokens}});
    return usage;
}

QByteArray sseEvent(const QJsonObject &chunk)
{
    return "data: " + compact(chunk) + "\n\n";
}

enum class Endpoint { Chat, Completions, Embeddings, Models, Unknown };

void planCompletion(Plan &plan, const Behaviour &b, const QJsonObject &request,
                    const QString &model, Endpoint endpoint)
{
    const QString id = u"chatcmpl-fake-"_s + QString::number(plan.index);
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const bool chat = endpoint == Endpoint::Chat;
    const QString object = chat ? u"chat.completion"_s : u"text_completion"_s;

    if (!request.value(u"stream"_s).toBool()) {
        QJsonObject choice{{u"index"_s, 0}, {u"finish_reason"_s, u"stop"_s}};
        if (chat && !b.toolName.isEmpty()) {
            choice.insert(u"finish_reason"_s, u"tool_calls"_s);
            choice.insert(u"message"_s,
                          QJsonObject{{u"role"_s, u"assistant"_s},
                                      {u"content"_s, QJsonValue::Null},
                                      {u"tool_calls"_s,
                                       QJsonArray{QJsonObject{{u"id"_s, u"call_fake_1"_s},
                                                              {u"type"_s, u"function"_s},
                                                              {u"function"_s,
                                                               QJsonObject{{u"name"_s, b.toolName},
                                                                           {u"arguments"_s, b.toolArguments}}}}}}});
        } else if (chat)
            choice.insert(u"message"_s, QJsonObject{{u"role"_s, u"assistant"_s},
                                                    {u"content"_s, b.content}});
        else
            choice.insert(u"text"_s, b.content);
        QJsonObject answer{{u"id"_s, id},
                           {u"object"_s, object},
                           {u"created"_s, created},
                           {u"model"_s, model},
                           {u"choices"_s, QJsonArray{choice}},
                           {u"usage"_s, usageJson(b)}};
        if (!b.serviceTier.isEmpty())
            answer.insert(u"service_tier"_s, b.serviceTier);
        setFixedAnswer(plan, 200, compact(answer));
        return;
    }

    const bool asked = request.value(u"stream_options"_s).toObject()
                           .value(u"include_usage"_s).toBool();
    const bool withUsage = !b.usageNever && (b.usageAlways || asked);
    const QString chunkObject = chat ? u"chat.completion.chunk"_s : u"text_completion"_s;
    auto chunk = [&](const QJsonObject &choice) {
        QJsonObject c{{u"id"_s, id},
                      {u"object"_s, chunkObject},
                      {u"created"_s, created},
                      {u"model"_s, model},
                      {u"choices"_s, QJsonArray{choice}}};
        if (withUsage)
            c.insert(u"usage"_s, QJsonValue::Null);  // as OpenAI does when usage is requested
        if (!b.serviceTier.isEmpty())
            c.insert(u"service_tier"_s, b.serviceTier);
        return sseEvent(c);
    };
    auto piece = [&](const QString &text, const QJsonValue &finish) {
        if (chat)
            return chunk({{u"index"_s, 0},
                          {u"delta"_s, text.isNull() ? QJsonObject{} : QJsonObject{{u"content"_s, text}}},
                          {u"finish_reason"_s, finish}});
        return chunk({{u"index"_s, 0},
                      {u"text"_s, text.isNull() ? u""_s : text},
                      {u"logprobs"_s, QJsonValue::Null},
                      {u"finish_reason"_s, finish}});
    };

    plan.stream = true;
    plan.head = headFor(200, QByteArrayLiteral("text/event-stream"), -1, plan.index, plan.close);
    plan.interval = b.chunkInterval;
    if (chat)
        plan.events.append(chunk({{u"index"_s, 0},
                                  {u"delta"_s, QJsonObject{{u"role"_s, u"assistant"_s},
                                                           {u"content"_s, u""_s}}},
                                  {u"finish_reason"_s, QJsonValue::Null}}));
    plan.firstSpacedEvent = static_cast<int>(plan.events.size());
    const int count = std::max(0, b.chunkCount);
    const bool toolCall = chat && !b.toolName.isEmpty();
    if (toolCall) {
        // As OpenAI streams a tool call: id and name first, then the arguments in pieces.
        const auto toolDelta = [&](const QJsonObject &call) {
            return chunk({{u"index"_s, 0},
                          {u"delta"_s, QJsonObject{{u"tool_calls"_s, QJsonArray{call}}}},
                          {u"finish_reason"_s, QJsonValue::Null}});
        };
        plan.events.append(toolDelta({{u"index"_s, 0},
                                      {u"id"_s, u"call_fake_1"_s},
                                      {u"type"_s, u"function"_s},
                                      {u"function"_s, QJsonObject{{u"name"_s, b.toolName}, {u"arguments"_s, u""_s}}}}));
        for (const QString &text : splitContent(b.toolArguments, std::max(1, count)))
            plan.events.append(toolDelta({{u"index"_s, 0}, {u"function"_s, QJsonObject{{u"arguments"_s, text}}}}));
    } else {
        for (const QString &text : splitContent(b.content, count))
            plan.events.append(piece(text.isNull() ? u""_s : text, QJsonValue::Null));
    }
    plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;
    if (b.breakAfterChunks >= 0) {
        plan.events.resize(std::min<qsizetype>(plan.events.size(), plan.firstSpacedEvent + b.breakAfterChunks));
        plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;
        if (b.breakWithError) {
            plan.events.append(sseEvent({{u"error"_s, QJsonObject{{u"message"_s, u"The server had an error"_s},
                                                                  {u"type"_s, u"server_error"_s}}}}));
        } else {
            plan.reset = true;
        }
        return;
    }
    plan.events.append(piece(QString(), toolCall ? u"tool_calls"_s : u"stop"_s));
    if (withUsage) {
        QJsonObject last{{u"id"_s, id},
                         {u"object"_s, chunkObject},
                         {u"created"_s, created},
                         {u"model"_s, model},
                         {u"choices"_s, QJsonArray{}},
                         {u"usage"_s, usageJson(b)}};
        if (!b.serviceTier.isEmpty())
            last.insert(u"service_tier"_s, b.serviceTier);
        plan.events.append(sseEvent(last));
    }
    plan.events.append(QByteArrayLiteral("data: [DONE]\n\n"));
}

void planEmbeddings(Plan &plan, const Behaviour &b, const QJsonObject &request,
                    const QString &model)
{
    const QJsonValue input = request.value(u"input"_s);
    int count = 1;
    if (input.isArray()) {
        const QJsonArray items = input.toArray();
        // An array of token ids is one input; an array of strings or of token arrays is many.
        const bool tokens = !items.isEmpty() && items.first().isDouble();
        count = tokens ? 1 : static_cast<int>(items.size());
    }
    QJsonArray data;
    for (int i = 0; i < count; ++i)
        data.append(QJsonObject{{u"object"_s, u"embedding"_s},
                                {u"index"_s, i},
                                {u"embedding"_s, QJsonArray{0.01 * (i + 1), -0.02, 0.03, 0.04}}});
    setFixedAnswer(plan, 200, compact({{u"object"_s, u"list"_s},
                                       {u"data"_s, data},
                                       {u"model"_s, model},
                                       {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, b.promptTokens},
                                                                {u"total_tokens"_s, b.promptTokens}}}}));
}

// --- Anthropic Messages API (POST /v1/messages, /v1/messages/count_tokens) ---------------

QByteArray anthropicError(const QString &type, const QString &message)
{
    return compact({{u"type"_s, u"error"_s},
                    {u"error"_s, QJsonObject{{u"type"_s, type}, {u"message"_s, message}}}});
}

QByteArray anthropicEvent(const QByteArray &name, const QJsonObject &data)
{
    return "event: " + name + "\ndata: " + compact(data) + "\n\n";
}

// Anthropic's usage: input_tokens excludes the cache reads and writes, which come apart.
QJsonObject anthropicUsage(const Behaviour &b, qint64 outputTokens)
{
    QJsonObject usage{{u"input_tokens"_s, b.promptTokens},
                      {u"output_tokens"_s, outputTokens},
                      {u"cache_read_input_tokens"_s, b.anthropicCacheRead},
                      {u"cache_creation_input_tokens"_s, b.anthropicCacheWrite5m + b.anthropicCacheWrite1h},
                      {u"cache_creation"_s, QJsonObject{{u"ephemeral_5m_input_tokens"_s, b.anthropicCacheWrite5m},
                                                        {u"ephemeral_1h_input_tokens"_s, b.anthropicCacheWrite1h}}}};
    if (b.webSearches > 0)
        usage.insert(u"server_tool_use"_s, QJsonObject{{u"web_search_requests"_s, b.webSearches}});
    return usage;
}

void planAnthropic(Plan &plan, const Behaviour &b, const RecordedRequest &r)
{
    if (r.method != "POST") {
        setFixedAnswer(plan, 405, anthropicError(u"invalid_request_error"_s, u"Method not allowed"_s));
        return;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(r.body, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        setFixedAnswer(plan, 400, anthropicError(u"invalid_request_error"_s, u"The request body is not valid JSON."_s));
        return;
    }
    if (r.path.endsWith("/count_tokens")) {
        setFixedAnswer(plan, 200, compact({{u"input_tokens"_s, b.anthropicCountTokens}}));
        return;
    }
    const QJsonObject request = document.object();
    const QString model = request.value(u"model"_s).toString();
    const QString id = u"msg_fake_"_s + QString::number(plan.index);
    const bool tool = !b.toolName.isEmpty();
    const QString stopReason = tool ? u"tool_use"_s : u"end_turn"_s;
    const QString toolId = u"toolu_fake_1"_s;

    if (!request.value(u"stream"_s).toBool()) {
        QJsonObject block;
        if (tool) {
            block = {{u"type"_s, u"tool_use"_s},
                     {u"id"_s, toolId},
                     {u"name"_s, b.toolName},
                     {u"input"_s, QJsonDocument::fromJson(b.toolArguments.toUtf8()).object()}};
        } else {
            block = {{u"type"_s, u"text"_s}, {u"text"_s, b.content}};
        }
        setFixedAnswer(plan, 200, compact({{u"id"_s, id},
                                           {u"type"_s, u"message"_s},
                                           {u"role"_s, u"assistant"_s},
                                           {u"model"_s, model},
                                           {u"content"_s, QJsonArray{block}},
                                           {u"stop_reason"_s, stopReason},
                                           {u"stop_sequence"_s, QJsonValue::Null},
                                           {u"usage"_s, anthropicUsage(b, b.completionTokens)}}));
        return;
    }

    plan.stream = true;
    plan.head = headFor(200, QByteArrayLiteral("text/event-stream; charset=utf-8"), -1, plan.index, plan.close);
    plan.interval = b.chunkInterval;
    plan.events.append(anthropicEvent("message_start",
                                      {{u"type"_s, u"message_start"_s},
                                       {u"message"_s, QJsonObject{{u"id"_s, id},
                                                                  {u"type"_s, u"message"_s},
                                                                  {u"role"_s, u"assistant"_s},
                                                                  {u"model"_s, model},
                                                                  {u"content"_s, QJsonArray{}},
                                                                  {u"stop_reason"_s, QJsonValue::Null},
                                                                  {u"stop_sequence"_s, QJsonValue::Null},
                                                                  {u"usage"_s, anthropicUsage(b, 1)}}}}));
    const QJsonObject startBlock = tool ? QJsonObject{{u"type"_s, u"tool_use"_s},
                                                      {u"id"_s, toolId},
                                                      {u"name"_s, b.toolName},
                                                      {u"input"_s, QJsonObject{}}}
                                        : QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u""_s}};
    plan.events.append(anthropicEvent("content_block_start", {{u"type"_s, u"content_block_start"_s},
                                                              {u"index"_s, 0},
                                                              {u"content_block"_s, startBlock}}));
    plan.events.append(anthropicEvent("ping", {{u"type"_s, u"ping"_s}}));
    plan.firstSpacedEvent = static_cast<int>(plan.events.size());
    const int count = std::max(1, b.chunkCount);
    for (const QString &text : splitContent(tool ? b.toolArguments : b.content, count)) {
        const QJsonObject delta = tool ? QJsonObject{{u"type"_s, u"input_json_delta"_s}, {u"partial_json"_s, text}}
                                       : QJsonObject{{u"type"_s, u"text_delta"_s}, {u"text"_s, text}};
        plan.events.append(anthropicEvent("content_block_delta", {{u"type"_s, u"content_block_delta"_s},
                                                                  {u"index"_s, 0},
                                                                  {u"delta"_s, delta}}));
    }
    plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;
    if (b.breakAfterChunks >= 0) {
        plan.events.resize(std::min<qsizetype>(plan.events.size(), plan.firstSpacedEvent + b.breakAfterChunks));
        plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;
        if (b.breakWithError)
            plan.events.append(anthropicEvent("error", QJsonDocument::fromJson(
                                   anthropicError(u"overloaded_error"_s, u"Overloaded"_s)).object()));
        else
            plan.reset = true;
        return;
    }
    plan.events.append(anthropicEvent("content_block_stop", {{u"type"_s, u"content_block_stop"_s}, {u"index"_s, 0}}));
    plan.events.append(anthropicEvent("message_delta",
                                      {{u"type"_s, u"message_delta"_s},
                                       {u"delta"_s, QJsonObject{{u"stop_reason"_s, stopReason},
                                                                {u"stop_sequence"_s, QJsonValue::Null}}},
                                       {u"usage"_s, b.webSearches > 0
                                                        ? QJsonObject{{u"output_tokens"_s, b.completionTokens},
                                                                      {u"server_tool_use"_s,
                                                                       QJsonObject{{u"web_search_requests"_s,
                                                                                    b.webSearches}}}}
                                                        : QJsonObject{{u"output_tokens"_s, b.completionTokens}}}}));
    plan.events.append(anthropicEvent("message_stop", {{u"type"_s, u"message_stop"_s}}));
}

// --- end of the Anthropic Messages API ----------------------------------------------------

// ---- OpenAI's Responses API ------------------------------------------------------------
// POST {/v1,/openai/v1,}/responses creates a response (kept by id, as OpenAI stores them);
// GET and DELETE …/responses/{id}, POST …/{id}/cancel and GET …/{id}/input_items serve the
// kept ones. Ids are unique across every fake in the process, so two fakes behind one model
// group never hand out the same id.

QString nextResponsesId(const char *prefix)
{
    static std::atomic<int> counter{0};
    return QString::fromLatin1(prefix) + QString::number(++counter);
}

QJsonObject responsesUsage(const Behaviour &b)
{
    return {{u"input_tokens"_s, b.promptTokens},
            {u"input_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, b.cachedTokens}}},
            {u"output_tokens"_s, b.completionTokens},
            {u"output_tokens_details"_s, QJsonObject{{u"reasoning_tokens"_s, 0}}},
            {u"total_tokens"_s, b.promptTokens + b.completionTokens}};
}

QJsonObject responsesMessage(const QString &itemId, const QString &status, const QJsonArray &content)
{
    return {{u"type"_s, u"message"_s},
            {u"id"_s, itemId},
            {u"role"_s, u"assistant"_s},
            {u"status"_s, status},
            {u"content"_s, content}};
}

QJsonObject outputText(const QString &text)
{
    return {{u"type"_s, u"output_text"_s}, {u"text"_s, text}, {u"annotations"_s, QJsonArray{}}};
}

QJsonObject responsesObject(const QString &id, const QJsonObject &request, const QString &status,
                            const QJsonArray &output, const QJsonValue &usage)
{
    const QJsonValue previous = request.value(u"previous_response_id"_s);
    return {{u"id"_s, id},
            {u"object"_s, u"response"_s},
            {u"created_at"_s, QDateTime::currentSecsSinceEpoch()},
            {u"status"_s, status},
            {u"error"_s, QJsonValue::Null},
            {u"incomplete_details"_s, QJsonValue::Null},
            {u"instructions"_s, request.value(u"instructions"_s).isString() ? request.value(u"instructions"_s)
                                                                            : QJsonValue(QJsonValue::Null)},
            {u"model"_s, request.value(u"model"_s)},
            {u"output"_s, output},
            {u"previous_response_id"_s, previous.isString() ? previous : QJsonValue(QJsonValue::Null)},
            {u"store"_s, true},
            {u"background"_s, false},
            {u"usage"_s, usage}};
}

// The request's input as the API lists it: a string is one user message.
QJsonArray responsesInputItems(const QJsonObject &request)
{
    const QJsonValue input = request.value(u"input"_s);
    if (input.isArray())
        return input.toArray();
    if (input.isString())
        return {QJsonObject{{u"id"_s, nextResponsesId("msg_in_")},
                            {u"type"_s, u"message"_s},
                            {u"role"_s, u"user"_s},
                            {u"content"_s, QJsonArray{QJsonObject{{u"type"_s, u"input_text"_s},
                                                                  {u"text"_s, input.toString()}}}}}};
    return {};
}

QByteArray responsesEvent(const QString &type, QJsonObject data, int &sequence)
{
    data.insert(u"type"_s, type);
    data.insert(u"sequence_number"_s, sequence++);
    return "event: " + type.toUtf8() + "\ndata: " + compact(data) + "\n\n";
}

void planResponsesCreate(Plan &plan, const Behaviour &b, const QJsonObject &request, State &state)
{
    const QString previous = request.value(u"previous_response_id"_s).toString();
    if (!previous.isEmpty() && !state.responses.contains(previous)) {
        // As OpenAI: another provider's (or organisation's) response is not there.
        setFixedAnswer(plan, 404, openAiError(u"Previous response with id '%1' not found."_s.arg(previous),
                                              u"invalid_request_error"_s, 404));
        return;
    }
    const QString id = nextResponsesId("resp_");
    const QString itemId = nextResponsesId("msg_");
    const QJsonObject usage = responsesUsage(b);
    QJsonArray output;
    for (qint64 i = 0; i < b.webSearches; ++i)
        output.append(QJsonObject{{u"type"_s, u"web_search_call"_s},
                                  {u"id"_s, nextResponsesId("ws_")},
                                  {u"status"_s, u"completed"_s},
                                  {u"action"_s, QJsonObject{{u"type"_s, u"search"_s}, {u"query"_s, u"tollgates"_s}}}});
    for (qint64 i = 0; i < b.fileSearches; ++i)
        output.append(QJsonObject{{u"type"_s, u"file_search_call"_s},
                                  {u"id"_s, nextResponsesId("fs_")},
                                  {u"status"_s, u"completed"_s},
                                  {u"queries"_s, QJsonArray{u"tollgates"_s}}});
    for (qint64 i = 0; i < b.codeInterpreterCalls; ++i)
        output.append(QJsonObject{{u"type"_s, u"code_interpreter_call"_s},
                                  {u"id"_s, nextResponsesId("ci_")},
                                  {u"status"_s, u"completed"_s},
                                  {u"code"_s, u"print(\"container_id\": 1)"_s},
                                  {u"container_id"_s, u"cntr_%1"_s.arg(i % std::max<qint64>(b.containers, 1))},
                                  {u"outputs"_s, QJsonValue::Null}});
    for (qint64 i = 0; i < b.imageGenerations; ++i)
        output.append(QJsonObject{{u"type"_s, u"image_generation_call"_s},
                                  {u"id"_s, nextResponsesId("ig_")},
                                  {u"status"_s, u"completed"_s},
                                  {u"result"_s, QString::fromLatin1(QByteArray(4096, 'A').toBase64())}});
    output.append(responsesMessage(itemId, u"completed"_s, {outputText(b.content)}));
    QJsonObject done = responsesObject(id, request, u"completed"_s, output, usage);
    if (!b.serviceTier.isEmpty())
        done.insert(u"service_tier"_s, b.serviceTier);
    const QJsonArray inputItems = responsesInputItems(request);

    if (!request.value(u"stream"_s).toBool()) {
        state.responses.insert(id, {done, inputItems});
        setFixedAnswer(plan, 200, compact(done));
        return;
    }

    int sequence = 0;
    const QJsonObject pending = responsesObject(id, request, u"in_progress"_s, {}, QJsonValue::Null);
    const QJsonObject where{{u"item_id"_s, itemId}, {u"output_index"_s, 0}, {u"content_index"_s, 0}};
    const auto at = [&where](QJsonObject data) {
        for (auto it = where.begin(); it != where.end(); ++it)
            data.insert(it.key(), it.value());
        return data;
    };
    plan.stream = true;
    plan.head = headFor(200, QByteArrayLiteral("text/event-stream"), -1, plan.index, plan.close);
    plan.interval = b.chunkInterval;
    plan.events.append(responsesEvent(u"response.created"_s, {{u"response"_s, pending}}, sequence));
    plan.events.append(responsesEvent(u"response.in_progress"_s, {{u"response"_s, pending}}, sequence));
    plan.events.append(responsesEvent(u"response.output_item.added"_s,
                                      {{u"output_index"_s, 0},
                                       {u"item"_s, responsesMessage(itemId, u"in_progress"_s, {})}},
                                      sequence));
    plan.events.append(responsesEvent(u"response.content_part.added"_s, at({{u"part"_s, outputText(QString())}}),
                                      sequence));
    plan.firstSpacedEvent = static_cast<int>(plan.events.size());
    for (const QString &text : splitContent(b.content, std::max(0, b.chunkCount)))
        plan.events.append(responsesEvent(u"response.output_text.delta"_s, at({{u"delta"_s, text}}), sequence));
    plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;

    if (b.breakAfterChunks >= 0) {
        plan.events.resize(std::min<qsizetype>(plan.events.size(), plan.firstSpacedEvent + b.breakAfterChunks));
        plan.lastSpacedEvent = static_cast<int>(plan.events.size()) - 1;
        QJsonObject failed = responsesObject(id, request, u"failed"_s, {}, QJsonValue::Null);
        failed.insert(u"error"_s, QJsonObject{{u"code"_s, u"server_error"_s},
                                             {u"message"_s, u"The server had an error"_s}});
        state.responses.insert(id, {failed, inputItems});
        if (b.breakWithError) {
            plan.events.append(responsesEvent(u"error"_s,
                                              {{u"code"_s, u"server_error"_s},
                                               {u"message"_s, u"The server had an error"_s},
                                               {u"param"_s, QJsonValue::Null}},
                                              sequence));
            plan.events.append(responsesEvent(u"response.failed"_s, {{u"response"_s, failed}}, sequence));
        } else {
            plan.reset = true;
        }
        return;
    }
    plan.events.append(responsesEvent(u"response.output_text.done"_s, at({{u"text"_s, b.content}}), sequence));
    plan.events.append(responsesEvent(u"response.content_part.done"_s, at({{u"part"_s, outputText(b.content)}}),
                                      sequence));
    plan.events.append(responsesEvent(u"response.output_item.done"_s,
                                      {{u"output_index"_s, 0},
                                       {u"item"_s, done.value(u"output"_s).toArray().last()}},
                                      sequence));
    plan.events.append(responsesEvent(u"response.completed"_s, {{u"response"_s, done}}, sequence));
    state.responses.insert(id, {done, inputItems});
}

// Returns whether `r` is on a Responses API route; if so `plan` answers it (unless the fake
// was told to hang or answer an error, which planFor already planned).
bool planResponsesApi(Plan &plan, const RecordedRequest &r, State &state)
{
    static const QRegularExpression route(
        u"^(?:/v1|/openai/v1)?/responses(?:/([^/]+)(/cancel|/input_items)?)?$"_s);
    const QRegularExpressionMatch m = route.match(QString::fromUtf8(r.path));
    if (!m.hasMatch())
        return false;
    const Behaviour &b = state.behaviour;
    if (plan.hang || b.errorStatus != 0)
        return true;
    Plan fresh;  // planFor's 404 undone
    fresh.index = plan.index;
    fresh.generation = plan.generation;
    fresh.latency = plan.latency;
    fresh.close = plan.close;
    plan = std::move(fresh);
    const QString id = QUrl::fromPercentEncoding(m.captured(1).toUtf8());
    const QString tail = m.captured(2);

    if (id.isEmpty()) {
        if (r.method != "POST") {
            setFixedAnswer(plan, 405, openAiError(u"Method not allowed"_s, u"invalid_request_error"_s, 405));
            return true;
        }
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(r.body, &error);
        if (error.error != QJsonParseError::NoError || !document.isObject()) {
            setFixedAnswer(plan, 400, openAiError(u"We could not parse the JSON body of your request."_s,
                                                  u"invalid_request_error"_s, 400));
            return true;
        }
        planResponsesCreate(plan, b, document.object(), state);
        return true;
    }

    const auto stored = state.responses.find(id);
    if (stored == state.responses.end()) {
        setFixedAnswer(plan, 404, openAiError(u"Response with id '%1' not found."_s.arg(id),
                                              u"invalid_request_error"_s, 404));
        return true;
    }
    const QByteArray method = tail == u"/cancel"_s ? QByteArrayLiteral("POST") : tail.isEmpty() && r.method == "DELETE"
                                                                                     ? QByteArrayLiteral("DELETE")
                                                                                     : QByteArrayLiteral("GET");
    if (r.method != method) {
        setFixedAnswer(plan, 405, openAiError(u"Method not allowed"_s, u"invalid_request_error"_s, 405));
        return true;
    }
    if (tail == u"/cancel"_s) {
        stored->response.insert(u"status"_s, u"cancelled"_s);
        setFixedAnswer(plan, 200, compact(stored->response));
    } else if (tail == u"/input_items"_s) {
        const QJsonArray items = stored->inputItems;
        const auto itemId = [](const QJsonValue &item) { return item.toObject().value(u"id"_s); };
        setFixedAnswer(plan, 200, compact({{u"object"_s, u"list"_s},
                                           {u"data"_s, items},
                                           {u"first_id"_s, items.isEmpty() ? QJsonValue() : itemId(items.first())},
                                           {u"last_id"_s, items.isEmpty() ? QJsonValue() : itemId(items.last())},
                                           {u"has_more"_s, false}}));
    } else if (r.method == "DELETE") {
        state.responses.erase(stored);
        setFixedAnswer(plan, 200, compact({{u"id"_s, id}, {u"object"_s, u"response.deleted"_s}, {u"deleted"_s, true}}));
    } else {
        setFixedAnswer(plan, 200, compact(stored->response));
    }
    return true;
}

// ---- end of the Responses API ----------------------------------------------------------

Plan planFor(const RecordedRequest &r, const Behaviour &b, int index, int generation);

Plan makePlan(const RecordedRequest &r, const Behaviour &b, int index, int generation)
{
    Plan plan = planFor(r, b, index, generation);
    if (r.method == "HEAD") {
        // The head as a GET would get it, without the body.
        plan.body.clear();
        plan.stream = false;
    }
    return plan;
}

Plan planFor(const RecordedRequest &r, const Behaviour &b, int index, int generation)
{
    Plan plan;
    plan.index = index;
    plan.generation = generation;
    plan.latency = b.latency;
    plan.close = r.header(QByteArrayLiteral("connection")).toLower() == "close";
    if (b.hang) {
        plan.hang = true;
        return plan;
    }
    if (b.errorStatus != 0) {
        setFixedAnswer(plan, b.errorStatus, b.errorBody);
        return plan;
    }

    if (r.path == "/v1/messages" || r.path == "/v1/messages/count_tokens") {
        planAnthropic(plan, b, r);
        return plan;
    }
    static const QRegularExpression azure(
        u"^/openai/deployments/([^/]+)/(chat/completions|completions|embeddings)$"_s);
    static const QRegularExpression openAi(
        u"^(?:/v1)?/(chat/completions|completions|embeddings|models)$"_s);
    const QString path = QString::fromUtf8(r.path);
    QString deployment;
    QString route;
    if (const auto m = azure.match(path); m.hasMatch()) {
        deployment = QUrl::fromPercentEncoding(m.captured(1).toUtf8());
        route = m.captured(2);
        if (!r.query.contains("api-version=")) {
            setFixedAnswer(plan, 404, compact({{u"error"_s, QJsonObject{{u"code"_s, u"404"_s},
                                                                       {u"message"_s, u"Resource not found"_s}}}}));
            return plan;
        }
    } else if (const auto m2 = openAi.match(path); m2.hasMatch()) {
        route = m2.captured(1);
    }
    const Endpoint endpoint = route == u"chat/completions"_s ? Endpoint::Chat
                              : route == u"completions"_s    ? Endpoint::Completions
                              : route == u"embeddings"_s     ? Endpoint::Embeddings
                              : route == u"models"_s         ? Endpoint::Models
                                                             : Endpoint::Unknown;
    if (endpoint == Endpoint::Unknown) {
        setFixedAnswer(plan, 404, openAiError(u"Unknown route "_s + path, u"invalid_request_error"_s, 404));
        return plan;
    }
    if (endpoint == Endpoint::Models) {
        if (r.method != "GET") {
            setFixedAnswer(plan, 405, openAiError(u"Method not allowed"_s, u"invalid_request_error"_s, 405));
            return plan;
        }
        setFixedAnswer(plan, 200, compact({{u"object"_s, u"list"_s},
                                           {u"data"_s, QJsonArray{QJsonObject{{u"id"_s, u"fake-model"_s},
                                                                              {u"object"_s, u"model"_s},
                                                                              {u"created"_s, 0},
                                                                              {u"owned_by"_s, u"fake"_s}}}}}));
        return plan;
    }
    if (r.method != "POST") {
        setFixedAnswer(plan, 405, openAiError(u"Method not allowed"_s, u"invalid_request_error"_s, 405));
        return plan;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(r.body, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        setFixedAnswer(plan, 400, openAiError(u"We could not parse the JSON body of your request."_s,
                                              u"invalid_request_error"_s, 400));
        return plan;
    }
    const QJsonObject request = document.object();
    const QString model = deployment.isEmpty() ? request.value(u"model"_s).toString() : deployment;
    if (endpoint == Endpoint::Embeddings)
        planEmbeddings(plan, b, request, model);
    else
        planCompletion(plan, b, request, model, endpoint);
    return plan;
}

// One client connection: answers its requests one after another (a client that pipelines
// still gets its answers in order) and notices when the client leaves.
class Connection final : public QObject
{
public:
    Connection(QTcpSocket *socket, std::shared_ptr<State> state, int id)
        : QObject(socket), m_socket(socket), m_state(std::move(state)), m_id(id)
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, [this] { step(); });
        connect(socket, &QAbstractSocket::disconnected, this, [this] { onDisconnected(); });
    }

    int id() const { return m_id; }

    void enqueue(Plan plan)
    {
        m_queue.append(std::move(plan));
        if (m_queue.size() == 1)
            begin();
    }

    void detach()
    {
        if (m_socket)
            disconnect(m_socket.data(), nullptr, this, nullptr);
        m_dead = true;
        m_timer.stop();
    }

private:
    void begin()
    {
        Plan &plan = m_queue.front();
        m_nextEvent = -1;  // -1: the head is next
        if (plan.hang)
            return;  // stays in flight until the client gives up
        m_timer.start(plan.latency);
    }

    void write(const QByteArray &bytes)
    {
        if (m_socket && !m_dead)
            m_socket->write(bytes);
    }

    void writeEvent(const Plan &plan, int event)
    {
        const QByteArray &data = plan.events.at(event);
        write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
        if (event == plan.events.size() - 1 && !plan.reset)
            write(QByteArrayLiteral("0\r\n\r\n"));
        if (m_socket && !m_dead)
            m_socket->flush();  // one event per TCP write, so the client sees the spacing
        const SteadyTime now = std::chrono::steady_clock::now();
        QMutexLocker lock(&m_state->mutex);
        if (plan.generation == m_state->generation && plan.index < m_state->emitTimes.size())
            m_state->emitTimes[plan.index].append(now);
    }

    void step()
    {
        if (m_dead || m_queue.isEmpty())
            return;
        const Plan &plan = m_queue.front();
        if (!plan.stream) {
            write(plan.head + plan.body);
            if (m_socket)
                m_socket->flush();
            finish();
            return;
        }
        int event = m_nextEvent;
        if (event < 0) {
            write(plan.head);
            for (event = 0; event < plan.firstSpacedEvent; ++event)
                writeEvent(plan, event);
        } else {
            writeEvent(plan, event++);
            if (event > plan.lastSpacedEvent) {
                for (; event < plan.events.size(); ++event)
                    writeEvent(plan, event);
            }
        }
        if (event >= plan.events.size()) {
            if (plan.reset) {
                // Mid-stream, as a provider that crashed: no terminating chunk, the
                // connection dropped (dead first, so this is not counted as the client leaving).
                m_dead = true;
                m_timer.stop();
                if (m_socket) {
                    m_socket->abort();
                    m_socket->deleteLater();
                }
                dropQueue();
                return;
            }
            finish();
            return;
        }
        m_nextEvent = event;
        m_timer.start(plan.interval);
    }

    void finish()
    {
        const bool close = m_queue.front().close;
        m_queue.removeFirst();
        {
            QMutexLocker lock(&m_state->mutex);
            --m_state->active;
        }
        if (close) {
            m_dead = true;
            if (m_socket)
                m_socket->disconnectFromHost();
            dropQueue();
            return;
        }
        if (!m_queue.isEmpty())
            begin();
    }

    void dropQueue()
    {
        QMutexLocker lock(&m_state->mutex);
        m_state->active -= static_cast<int>(m_queue.size());
        m_queue.clear();
    }

    void onDisconnected()
    {
        if (m_dead)
            return;
        m_dead = true;
        m_timer.stop();
        if (!m_queue.isEmpty()) {
            QMutexLocker lock(&m_state->mutex);
            ++m_state->disconnects;
        }
        dropQueue();
        if (m_socket)
            m_socket->deleteLater();
    }

    QPointer<QTcpSocket> m_socket;
    std::shared_ptr<State> m_state;
    int m_id;
    QList<Plan> m_queue;
    QTimer m_timer;
    int m_nextEvent = -1;
    bool m_dead = false;
};

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return QByteArrayLiteral("GET");
    case QHttpServerRequest::Method::Put: return QByteArrayLiteral("PUT");
    case QHttpServerRequest::Method::Delete: return QByteArrayLiteral("DELETE");
    case QHttpServerRequest::Method::Post: return QByteArrayLiteral("POST");
    case QHttpServerRequest::Method::Head: return QByteArrayLiteral("HEAD");
    case QHttpServerRequest::Method::Options: return QByteArrayLiteral("OPTIONS");
    case QHttpServerRequest::Method::Patch: return QByteArrayLiteral("PATCH");
    case QHttpServerRequest::Method::Connect: return QByteArrayLiteral("CONNECT");
    case QHttpServerRequest::Method::Trace: return QByteArrayLiteral("TRACE");
    default: return QByteArrayLiteral("UNKNOWN");
    }
}

// Answers by writing raw bytes to the socket: QHttpServer 6.4 has no chunked writer and no
// way to answer later other than this.
class Server final : public QAbstractHttpServer
{
public:
    explicit Server(std::shared_ptr<State> state) : m_state(std::move(state)) {}

    ~Server() override
    {
        for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
            // The sockets may die after this body, with the server's children, when
            // m_connections is already gone: their destroyed() must not reach it.
            QObject::disconnect(it.key(), &QObject::destroyed, this, nullptr);
            // Sockets die with the server; their disconnects are not the client leaving.
            if (it.value())
                it.value()->detach();
        }
    }

    quint16 start()
    {
        auto *tcp = new QTcpServer(this);
        // 64+ clients connect at once; Qt's default backlog of 50 would drop some SYNs.
        tcp->setListenBacklogSize(1024);
        if (!tcp->listen(QHostAddress::LocalHost, 0)) {
            delete tcp;
            return 0;
        }
        bind(tcp);
        return tcp->serverPort();
    }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override
    {
        // The request object is reused for the next request on this connection: copy it all.
        RecordedRequest r;
        r.receivedAt = std::chrono::steady_clock::now();
        r.method = methodName(request.method());
        const QUrl url = request.url();
        r.path = url.path(QUrl::FullyEncoded).toUtf8();
        r.query = url.query(QUrl::FullyEncoded).toUtf8();
        for (const auto &[name, value] : request.headers())
            r.headers.append({name.toLower(), value});
        r.body = request.body();
        r.peerPort = socket->peerPort();

        Connection *connection = m_connections.value(socket);
        if (!connection) {
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            int id = 0;
            {
                QMutexLocker lock(&m_state->mutex);
                ++m_state->connections;
                id = m_state->nextConnectionId++;
            }
            connection = new Connection(socket, m_state, id);
            m_connections.insert(socket, connection);
            QObject::connect(socket, &QObject::destroyed, this,
                             [this, socket] { m_connections.remove(socket); });
        }
        r.connectionId = connection->id();

        Plan plan;
        {
            QMutexLocker lock(&m_state->mutex);
            const int index = static_cast<int>(m_state->requests.size());
            plan = makePlan(r, m_state->behaviour, index, m_state->generation);
            planResponsesApi(plan, r, *m_state);  // a Responses API route replaces planFor's 404
            m_state->requests.append(std::move(r));
            m_state->emitTimes.append(QList<SteadyTime>());
            ++m_state->active;
            m_state->maxActive = std::max(m_state->maxActive, m_state->active);
        }
        connection->enqueue(std::move(plan));
        return true;
    }

    void missingHandler(const QHttpServerRequest &, QTcpSocket *socket) override
    {
        // Unreachable: handleRequest takes every request.
        socket->write(QByteArrayLiteral("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    }

private:
    std::shared_ptr<State> m_state;
    QHash<QTcpSocket *, QPointer<Connection>> m_connections;
};

} // namespace

QByteArray RecordedRequest::header(const QByteArray &name) const
{
    const QByteArray lower = name.toLower();
    for (const auto &[key, value] : headers) {
        if (key == lower)
            return value;
    }
    return {};
}

QJsonObject RecordedRequest::json() const
{
    return QJsonDocument::fromJson(body).object();
}

FakeProvider::FakeProvider() : m_state(std::make_shared<State>()) {}

FakeProvider::~FakeProvider()
{
    stop();
}

quint16 FakeProvider::start()
{
    if (m_thread.joinable())
        return m_port;
    std::shared_ptr<State> state = m_state;
    QSemaphore listening;
    // The server and its sockets and timers are created, run and deleted on this thread.
    // stop() joins it rather than QThread::wait()ing for it: wait() returns before the thread's
    // exit handlers have run, and OpenSSL's (QtHttpServer sets up TLS on the thread that builds
    // the server) must not still be running when the process exits, since OpenSSL's atexit
    // cleanup frees every thread's handler list and the thread's own handler frees it again.
    m_thread = std::thread([this, state, &listening] {
        QThread::currentThread()->setObjectName(u"FakeProvider"_s);
        QEventLoop loop;
        auto server = std::make_unique<Server>(state);
        m_port = server->start();
        m_loop = &loop;
        listening.release();
        loop.exec();
    });
    listening.acquire();
    if (m_port == 0)
        stop();
    return m_port;
}

void FakeProvider::stop()
{
    if (!m_thread.joinable())
        return;
    QMetaObject::invokeMethod(m_loop, &QEventLoop::quit, Qt::QueuedConnection);
    m_thread.join();
    m_loop = nullptr;
    m_port = 0;
}

quint16 FakeProvider::port() const
{
    return m_port;
}

QByteArray FakeProvider::baseUrl() const
{
    return "http://127.0.0.1:" + QByteArray::number(m_port);
}

void FakeProvider::setLatency(std::chrono::milliseconds latency)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.latency = latency;
}

void FakeProvider::setStreamChunks(int count, std::chrono::milliseconds interval)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.chunkCount = count;
    m_state->behaviour.chunkInterval = interval;
}

void FakeProvider::setErrorResponse(int status, const QByteArray &body)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.errorStatus = status;
    m_state->behaviour.errorBody = body;
}

void FakeProvider::setHang(bool hang)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.hang = hang;
}

void FakeProvider::setContentOverride(const QString &content)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.content = content;
}

void FakeProvider::setUsage(qint64 promptTokens, qint64 completionTokens)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.promptTokens = promptTokens;
    m_state->behaviour.completionTokens = completionTokens;
}

void FakeProvider::setServiceTier(const QString &tier)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.serviceTier = tier;
}

void FakeProvider::setServerToolUse(qint64 webSearches, qint64 fileSearches)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.webSearches = webSearches;
    m_state->behaviour.fileSearches = fileSearches;
}

void FakeProvider::setResponsesToolItems(qint64 codeInterpreterCalls, qint64 containers, qint64 imageGenerations)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.codeInterpreterCalls = codeInterpreterCalls;
    m_state->behaviour.containers = containers;
    m_state->behaviour.imageGenerations = imageGenerations;
}

void FakeProvider::setCachedTokens(qint64 cachedTokens)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.cachedTokens = cachedTokens;
}

void FakeProvider::setToolCall(const QString &name, const QString &arguments)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.toolName = name;
    m_state->behaviour.toolArguments = arguments;
}

void FakeProvider::setStreamUsageAlways(bool always)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.usageAlways = always;
}

void FakeProvider::setStreamUsageNever(bool never)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.usageNever = never;
}

void FakeProvider::setStreamBreak(int afterChunks, bool withErrorEvent)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.breakAfterChunks = afterChunks;
    m_state->behaviour.breakWithError = withErrorEvent;
}

void FakeProvider::resetBehaviour()
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour = Behaviour{};
}

void FakeProvider::clearRecords()
{
    QMutexLocker lock(&m_state->mutex);
    ++m_state->generation;
    m_state->requests.clear();
    m_state->emitTimes.clear();
    m_state->maxActive = m_state->active;
    m_state->disconnects = 0;
    m_state->connections = 0;
}

void FakeProvider::reset()
{
    resetBehaviour();
    clearRecords();
}

QString FakeProvider::content() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->behaviour.content;
}

QList<RecordedRequest> FakeProvider::requests() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->requests;
}

int FakeProvider::requestCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return static_cast<int>(m_state->requests.size());
}

int FakeProvider::activeRequests() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->active;
}

int FakeProvider::maxConcurrentRequests() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->maxActive;
}

QList<SteadyTime> FakeProvider::emitTimes(int requestIndex) const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->emitTimes.value(requestIndex);
}

int FakeProvider::clientDisconnects() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->disconnects;
}

int FakeProvider::connectionCount() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->connections;
}

// --- Anthropic Messages API ---

void FakeProvider::setAnthropicCache(qint64 readTokens, qint64 write5mTokens, qint64 write1hTokens)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.anthropicCacheRead = readTokens;
    m_state->behaviour.anthropicCacheWrite5m = write5mTokens;
    m_state->behaviour.anthropicCacheWrite1h = write1hTokens;
}

void FakeProvider::setAnthropicCountTokens(qint64 inputTokens)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->behaviour.anthropicCountTokens = inputTokens;
}

std::optional<QJsonObject> FakeProvider::storedResponse(const QString &id) const
{
    QMutexLocker lock(&m_state->mutex);
    const auto it = m_state->responses.constFind(id);
    if (it == m_state->responses.cend())
        return std::nullopt;
    return it->response;
}

} // namespace Tollgate::Test
