#include "responses.h"

#include "jsonreader.h"
#include "jsonscan.h"
#include "providers/mockprovider.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QVarLengthArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate::Responses {

namespace {

// Any JSON value as compact text: what an item or part the gateway does not know costs at
// most (a token covers at least one byte of it).
QString jsonText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Object: return QString::fromUtf8(compactJson(value.toObject()));
    case QJsonValue::Array: return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::String: return value.toString();
    case QJsonValue::Double: return QString::number(value.toDouble(), 'g', 17);
    case QJsonValue::Bool: return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Null: return u"null"_s;
    case QJsonValue::Undefined: break;
    }
    return {};
}

QJsonObject textPart(const QString &text)
{
    return {{u"type"_s, u"text"_s}, {u"text"_s, text}};
}

// An input_image (or a computer_screenshot) → a chat image_url part, with its detail. An image
// by file id cannot be sized: it is bounded as a high-detail image, or an "original" one if so
// asked (the family's most).
QJsonObject imagePart(const QJsonObject &image)
{
    const QJsonValue url = image.value(u"image_url"_s);
    if (url.isString() && !url.toString().isEmpty()) {
        QJsonObject inner{{u"url"_s, url}};
        if (const QJsonValue detail = image.value(u"detail"_s); detail.isString())
            inner.insert(u"detail"_s, detail);
        return {{u"type"_s, u"image_url"_s}, {u"image_url"_s, inner}};
    }
    // By file id: at least a high-detail image, and "original" (the most) as it says.
    QJsonObject inner{{u"url"_s, QString(u"file_id:"_s + image.value(u"file_id"_s).toString())}};
    if (const QJsonValue detail = image.value(u"detail"_s); detail.toString() == u"original")
        inner.insert(u"detail"_s, detail);
    return {{u"type"_s, u"image_url"_s}, {u"image_url"_s, inner}};
}

// An input_file → chat's file part: inline data is bounded by its bytes (and pages), a file
// by id or URL as a whole large context.
QJsonObject filePart(const QJsonObject &input)
{
    QJsonObject file;
    for (const QString &field : {u"file_data"_s, u"file_id"_s, u"filename"_s}) {
        if (const QJsonValue value = input.value(field); value.isString())
            file.insert(field, value);
    }
    if (const QJsonValue url = input.value(u"file_url"_s); url.isString() && !file.contains(u"file_id"_s))
        file.insert(u"file_id"_s, url);
    return {{u"type"_s, u"file"_s}, {u"file"_s, file}};
}

// The images and files inside a value the gateway does not otherwise understand (a hosted
// tool's output, a computer_call_output's screenshot, a prompt's variables): their JSON text
// does not bound what they cost, their parts do.
void appendEmbedded(const QJsonValue &value, QJsonArray &parts)
{
    if (value.isArray()) {
        for (const QJsonValue item : value.toArray())
            appendEmbedded(item, parts);
        return;
    }
    if (!value.isObject())
        return;
    const QJsonObject object = value.toObject();
    const QString type = object.value(u"type"_s).toString();
    if (type == u"input_image" || type == u"computer_screenshot") {
        parts.append(imagePart(object));
        return;
    }
    if (type == u"input_file") {
        parts.append(filePart(object));
        return;
    }
    if (type == u"input_audio") {
        parts.append(object);
        return;
    }
    for (auto it = object.begin(); it != object.end(); ++it)
        appendEmbedded(it.value(), parts);
}

// A value as its JSON text plus the images and files it holds.
void appendUnknown(const QJsonValue &value, QJsonArray &parts)
{
    parts.append(textPart(jsonText(value)));
    appendEmbedded(value, parts);
}

// One content part of a message (or of a tool output) → chat parts.
void appendPart(const QJsonValue &value, QJsonArray &parts)
{
    if (value.isString()) {
        parts.append(textPart(value.toString()));
        return;
    }
    const QJsonObject part = value.toObject();
    const QString type = part.value(u"type"_s).toString();
    const QJsonValue text = part.value(u"text"_s);
    if ((type == u"input_text" || type == u"output_text" || type == u"text" || type == u"summary_text"
         || type == u"reasoning_text")
        && text.isString()) {
        parts.append(textPart(text.toString()));
    } else if (type == u"refusal" && part.value(u"refusal"_s).isString()) {
        parts.append(textPart(part.value(u"refusal"_s).toString()));
    } else if (type == u"input_image") {
        parts.append(imagePart(part));
    } else if (type == u"input_file") {
        parts.append(filePart(part));
    } else if (type == u"input_audio" && part.value(u"input_audio"_s).isObject()) {
        parts.append(part);   // chat's own shape
    } else {
        appendUnknown(value, parts);
    }
}

// A string stays a string; a list of parts becomes chat parts; anything else its JSON.
QJsonValue content(const QJsonValue &value)
{
    if (value.isString())
        return value;
    QJsonArray parts;
    if (value.isArray()) {
        for (const QJsonValue part : value.toArray())
            appendPart(part, parts);
    } else if (!value.isUndefined() && !value.isNull()) {
        appendUnknown(value, parts);
    }
    return parts;
}

// One input item → chat messages.
void appendItem(const QJsonValue &value, QJsonArray &messages)
{
    const QJsonObject item = value.toObject();
    const QString type = item.value(u"type"_s).toString();
    if (value.isObject() && (type == u"message" || (type.isEmpty() && item.contains(u"role"_s)))) {
        const QJsonValue role = item.value(u"role"_s);
        messages.append(QJsonObject{{u"role"_s, role.isString() ? role.toString() : jsonText(role)},
                                    {u"content"_s, content(item.value(u"content"_s))}});
        return;
    }
    if (type == u"function_call") {
        const QJsonValue arguments = item.value(u"arguments"_s);
        const QJsonObject function{{u"name"_s, item.value(u"name"_s).toString()},
                                   {u"arguments"_s, arguments.isString() ? arguments.toString() : jsonText(arguments)}};
        const QJsonObject call{{u"id"_s, item.value(u"call_id"_s).toString()},
                               {u"type"_s, u"function"_s},
                               {u"function"_s, function}};
        messages.append(QJsonObject{{u"role"_s, u"assistant"_s}, {u"tool_calls"_s, QJsonArray{call}}});
        return;
    }
    if (type == u"function_call_output" || type == u"custom_tool_call_output") {
        messages.append(QJsonObject{{u"role"_s, u"tool"_s},
                                    {u"tool_call_id"_s, item.value(u"call_id"_s).toString()},
                                    {u"content"_s, content(item.value(u"output"_s))}});
        return;
    }
    if (type == u"reasoning") {
        // Reasoning handed back is billed as input: its summary, its text and its encrypted
        // form (base64 of at least as many bytes as the reasoning had).
        QJsonArray parts;
        for (const QString &field : {u"summary"_s, u"content"_s}) {
            const QJsonValue list = item.value(field);
            if (list.isArray()) {
                for (const QJsonValue part : list.toArray())
                    appendPart(part, parts);
            } else if (!list.isUndefined() && !list.isNull()) {
                appendUnknown(list, parts);
            }
        }
        if (const QJsonValue encrypted = item.value(u"encrypted_content"_s); !encrypted.isUndefined() && !encrypted.isNull())
            parts.append(textPart(jsonText(encrypted)));
        messages.append(QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, parts}});
        return;
    }
    // Anything else (custom and hosted tool calls, computer_call_output, item_reference,
    // items newer than this code): its JSON, and the images or files it holds.
    QJsonArray parts;
    appendUnknown(value, parts);
    messages.append(QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, parts}});
}

bool absent(const QJsonValue &value)
{
    return value.isUndefined() || value.isNull();
}

} // namespace

AccountingBody accountingBody(const QJsonObject &request, bool withPrompt, const RequestScan *scan)
{
    AccountingBody result;
    const auto refuse = [&result](const QString &param, const QString &message) {
        result.error = message;
        result.errorParam = param;
        return result;
    };
    const auto wrongType = [&refuse](const QString &field, const QString &expected) {
        return refuse(field, u"'%1' must be %2."_s.arg(field, expected));
    };

    // With a scan, `request` holds only the fields it read: the others' types come from it.
    const RequestFields fields(request, scan);
    if (fields.string("model"_L1).isEmpty())
        return refuse(u"model"_s, u"'model' is required and must be a string."_s);
    const QJsonValue::Type inputType = fields.type("input"_L1);
    if (inputType != QJsonValue::String && inputType != QJsonValue::Array)
        return refuse(u"input"_s, u"'input' is required and must be a string or an array."_s);
    const auto absentOr = [&](QLatin1StringView field, QJsonValue::Type type) {
        const QJsonValue::Type found = fields.type(field);
        return found == QJsonValue::Undefined || found == QJsonValue::Null || found == type;
    };
    if (!absentOr("instructions"_L1, QJsonValue::String))
        return wrongType(u"instructions"_s, u"a string"_s);
    if (!absentOr("stream"_L1, QJsonValue::Bool))
        return wrongType(u"stream"_s, u"a boolean"_s);
    // What bounds the reservation's output must be a number the bound can use; 1e18 is whole:
    // it is reserved at the model's output limit.
    const QJsonValue maxOutput = fields.value("max_output_tokens"_L1);
    if (!absent(maxOutput) && !isWholeNumber(maxOutput, 1))
        return wrongType(u"max_output_tokens"_s, u"an integer of 1 or more"_s);
    if (!absentOr("background"_L1, QJsonValue::Bool))
        return wrongType(u"background"_s, u"a boolean"_s);
    // A background response runs on after the call returns, its cost known only when someone
    // polls for it: no reservation or settlement can follow it.
    if (fields.type("background"_L1) == QJsonValue::Bool && fields.value("background"_L1).toBool())
        return refuse(u"background"_s,
                      u"background responses are not supported: their cost cannot be metered by the gateway"_s);
    if (!absentOr("previous_response_id"_L1, QJsonValue::String))
        return wrongType(u"previous_response_id"_s, u"a string"_s);
    if (!absentOr("user"_L1, QJsonValue::String))
        return wrongType(u"user"_s, u"a string"_s);
    if (!absentOr("service_tier"_L1, QJsonValue::String))
        return wrongType(u"service_tier"_s, u"a string"_s);

    QJsonObject &chat = result.chat;
    if (!withPrompt) {
        // Each QJsonObject::insert costs ~0.2 µs: only what admission reads.
        if (!absent(maxOutput))
            chat.insert(u"max_tokens"_s, maxOutput);
        return result;
    }
    // With the prompt, `request` is the whole body (a scan's caller asks without it).
    Q_ASSERT(!scan);
    const QJsonValue model = request.value(u"model"_s);
    const QJsonValue input = request.value(u"input"_s);
    const QJsonValue instructions = request.value(u"instructions"_s);
    const QJsonValue stream = request.value(u"stream"_s);
    chat.insert(u"model"_s, model);
    if (const QJsonValue user = request.value(u"user"_s); user.isString())
        chat.insert(u"user"_s, user);
    if (stream.isBool())
        chat.insert(u"stream"_s, stream);
    if (!absent(maxOutput))
        chat.insert(u"max_tokens"_s, maxOutput);

    QJsonArray messages;
    if (instructions.isString() && !instructions.toString().isEmpty())
        messages.append(QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, instructions}});
    // Definitions the chat walk has no field for: counted as text the model reads.
    QJsonArray other;
    if (const QJsonValue prompt = request.value(u"prompt"_s); !absent(prompt))
        appendUnknown(prompt, other);

    const QJsonValue tools = request.value(u"tools"_s);
    QJsonArray chatTools;
    QJsonArray otherTools;
    if (tools.isArray()) {
        for (const QJsonValue tool : tools.toArray()) {
            QJsonObject function = tool.toObject();
            if (tool.isObject() && function.value(u"type"_s).toString() == u"function") {
                function.remove(u"type"_s);
                chatTools.append(QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, function}});
            } else {
                otherTools.append(tool);
            }
        }
    } else if (!absent(tools)) {
        otherTools.append(tools);
    }
    if (!otherTools.isEmpty())
        appendUnknown(otherTools, other);
    if (!other.isEmpty())
        messages.append(QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, other}});

    if (input.isString()) {
        messages.append(QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, input}});
    } else {
        for (const QJsonValue item : input.toArray())
            appendItem(item, messages);
    }
    chat.insert(u"messages"_s, messages);

    if (!chatTools.isEmpty())
        chat.insert(u"tools"_s, chatTools);
    if (const QJsonValue choice = request.value(u"tool_choice"_s); !absent(choice))
        chat.insert(u"tool_choice"_s, choice);
    // Structured output: the schema is read by the model, so it is prompt.
    if (const QJsonValue format = request.value(u"text"_s).toObject().value(u"format"_s); format.isObject()) {
        QJsonObject object = format.toObject();
        const QString type = object.value(u"type"_s).toString();
        if (type == u"json_schema") {
            object.remove(u"type"_s);
            chat.insert(u"response_format"_s,
                        QJsonObject{{u"type"_s, u"json_schema"_s}, {u"json_schema"_s, object}});
        } else if (type != u"text") {
            chat.insert(u"response_format"_s, object);
        }
    }
    return result;
}

namespace {

QByteArray sseEvent(const QString &type, QJsonObject data, int &sequence)
{
    data.insert(u"type"_s, type);
    data.insert(u"sequence_number"_s, sequence++);
    return "event: " + type.toUtf8() + "\ndata: " + compactJson(data) + "\n\n";
}

QJsonValue orDefault(const QJsonObject &request, const QString &field, const QJsonValue &fallback)
{
    const QJsonValue value = request.value(field);
    return absent(value) ? fallback : value;
}

} // namespace

MockResult mockResponse(const QJsonObject &request, const QString &responseId, const QString &model,
                        const QString &text, qint64 inputTokens, qint64 outputTokens, bool stream, bool incomplete)
{
    MockResult result;
    result.usage.promptTokens = inputTokens;
    result.usage.completionTokens = outputTokens;
    result.usage.totalTokens = inputTokens + outputTokens;

    // The item id follows the response's ("resp_<hex>" → "msg_<hex>").
    const QString itemId = u"msg_"_s + (responseId.startsWith(u"resp_") ? responseId.mid(5) : responseId);
    const QString finalStatus = incomplete ? u"incomplete"_s : u"completed"_s;
    const QJsonObject textPartDone{{u"type"_s, u"output_text"_s},
                                   {u"text"_s, text},
                                   {u"annotations"_s, QJsonArray{}},
                                   {u"logprobs"_s, QJsonArray{}}};
    const auto message = [&](const QString &status, const QJsonArray &parts) {
        return QJsonObject{{u"id"_s, itemId},
                           {u"type"_s, u"message"_s},
                           {u"status"_s, status},
                           {u"role"_s, u"assistant"_s},
                           {u"content"_s, parts}};
    };
    QJsonObject textConfig = request.value(u"text"_s).toObject();
    if (!textConfig.value(u"format"_s).isObject())
        textConfig.insert(u"format"_s, QJsonObject{{u"type"_s, u"text"_s}});
    const qint64 createdAt = QDateTime::currentSecsSinceEpoch();
    const auto response = [&](const QString &status, const QJsonArray &output, bool withUsage) {
        QJsonObject object{
            {u"id"_s, responseId},
            {u"object"_s, u"response"_s},
            {u"created_at"_s, createdAt},
            {u"status"_s, status},
            {u"background"_s, false},
            {u"error"_s, QJsonValue::Null},
            {u"incomplete_details"_s, status == u"incomplete"
                                          ? QJsonValue(QJsonObject{{u"reason"_s, u"max_output_tokens"_s}})
                                          : QJsonValue(QJsonValue::Null)},
            {u"instructions"_s, orDefault(request, u"instructions"_s, QJsonValue::Null)},
            {u"max_output_tokens"_s, orDefault(request, u"max_output_tokens"_s, QJsonValue::Null)},
            {u"max_tool_calls"_s, orDefault(request, u"max_tool_calls"_s, QJsonValue::Null)},
            {u"model"_s, model},
            {u"output"_s, output},
            {u"parallel_tool_calls"_s, orDefault(request, u"parallel_tool_calls"_s, true)},
            {u"previous_response_id"_s, orDefault(request, u"previous_response_id"_s, QJsonValue::Null)},
            {u"reasoning"_s, orDefault(request, u"reasoning"_s,
                                       QJsonObject{{u"effort"_s, QJsonValue::Null}, {u"summary"_s, QJsonValue::Null}})},
            {u"service_tier"_s, orDefault(request, u"service_tier"_s, u"default"_s)},
            {u"store"_s, orDefault(request, u"store"_s, true)},
            {u"temperature"_s, orDefault(request, u"temperature"_s, 1.0)},
            {u"text"_s, textConfig},
            {u"tool_choice"_s, orDefault(request, u"tool_choice"_s, u"auto"_s)},
            {u"tools"_s, orDefault(request, u"tools"_s, QJsonArray{})},
            {u"top_logprobs"_s, orDefault(request, u"top_logprobs"_s, 0)},
            {u"top_p"_s, orDefault(request, u"top_p"_s, 1.0)},
            {u"truncation"_s, orDefault(request, u"truncation"_s, u"disabled"_s)},
            {u"usage"_s, QJsonValue::Null},
            {u"user"_s, orDefault(request, u"user"_s, QJsonValue::Null)},
            {u"metadata"_s, orDefault(request, u"metadata"_s, QJsonObject{})},
        };
        if (withUsage) {
            object.insert(u"usage"_s,
                          QJsonObject{{u"input_tokens"_s, inputTokens},
                                      {u"input_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, 0}}},
                                      {u"output_tokens"_s, outputTokens},
                                      {u"output_tokens_details"_s, QJsonObject{{u"reasoning_tokens"_s, 0}}},
                                      {u"total_tokens"_s, inputTokens + outputTokens}});
        }
        return object;
    };
    const QJsonObject done = response(finalStatus, QJsonArray{message(finalStatus, QJsonArray{textPartDone})}, true);
    result.body = compactJson(done);
    if (!stream)
        return result;

    int sequence = 0;
    const QJsonObject inProgress = response(u"in_progress"_s, QJsonArray{}, false);
    result.events.append(sseEvent(u"response.created"_s, {{u"response"_s, inProgress}}, sequence));
    result.events.append(sseEvent(u"response.in_progress"_s, {{u"response"_s, inProgress}}, sequence));
    result.events.append(sseEvent(u"response.output_item.added"_s,
                               {{u"output_index"_s, 0}, {u"item"_s, message(u"in_progress"_s, QJsonArray{})}},
                               sequence));
    const QJsonObject where{{u"item_id"_s, itemId}, {u"output_index"_s, 0}, {u"content_index"_s, 0}};
    const auto at = [&where](std::initializer_list<std::pair<QString, QJsonValue>> fields) {
        QJsonObject object = where;
        for (const auto &[key, value] : fields)
            object.insert(key, value);
        return object;
    };
    QJsonObject emptyPart = textPartDone;
    emptyPart.insert(u"text"_s, u""_s);
    result.events.append(sseEvent(u"response.content_part.added"_s, at({{u"part"_s, emptyPart}}), sequence));
    for (const QString &piece : mockPieces(text)) {
        result.events.append(sseEvent(u"response.output_text.delta"_s,
                                   at({{u"delta"_s, piece}, {u"logprobs"_s, QJsonArray{}}}), sequence));
    }
    result.events.append(sseEvent(u"response.output_text.done"_s,
                               at({{u"text"_s, text}, {u"logprobs"_s, QJsonArray{}}}), sequence));
    result.events.append(sseEvent(u"response.content_part.done"_s, at({{u"part"_s, textPartDone}}), sequence));
    result.events.append(sseEvent(u"response.output_item.done"_s,
                               {{u"output_index"_s, 0}, {u"item"_s, message(finalStatus, QJsonArray{textPartDone})}},
                               sequence));
    result.events.append(sseEvent(incomplete ? u"response.incomplete"_s : u"response.completed"_s,
                               {{u"response"_s, done}}, sequence));
    return result;
}

std::optional<Usage> usageOfResponse(const QJsonObject &response)
{
    const QJsonValue value = response.value(u"usage"_s);
    if (!value.isObject())
        return std::nullopt;
    return usageFromResponses(value.toObject());
}

StreamEventInfo inspectEvent(const SseEvent &event)
{
    StreamEventInfo info;
    info.type = sseEventType(event);
    const bool created = info.type == "response.created";
    const bool ended = info.type == "response.completed" || info.type == "response.incomplete";
    const bool failed = info.type == "response.failed";
    const bool error = info.type == "error";
    if (!created && !ended && !failed && !error)
        return info;   // deltas and the rest: nothing the gateway needs, no parse
    info.terminal = ended || failed;
    info.failed = failed || error;
    if (error)
        return info;
    const QJsonObject response = QJsonDocument::fromJson(event.data).object().value(u"response"_s).toObject();
    info.responseId = response.value(u"id"_s).toString();
    if (!created) {
        info.usage = usageOfResponse(response);
        info.serviceTier = response.value(u"service_tier"_s).toString();
    }
    return info;
}

ToolUses hostedToolCalls(QByteArrayView text)
{
    ToolUses uses;
    qint64 codeInterpreterCalls = 0;
    QVarLengthArray<QByteArrayView, 4> containers;  // the distinct container_id values
    // A call's items name the container they ran in; one without a name still ran in one.
    const auto finish = [&] {
        if (codeInterpreterCalls > 0)
            uses.codeInterpreterSessions = std::max<qint64>(1, containers.size());
        return uses;
    };
    const auto skipSpace = [&text](qsizetype i) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
            ++i;
        return i;
    };
    // Every key `"type"` or `"container_id"` (a quote inside a string is escaped, so a key is
    // found only where one is): the value after its colon.
    qsizetype at = 0;
    while (true) {
        const qsizetype found = text.indexOf('"', at);
        if (found < 0)
            break;
        const QByteArrayView rest = text.sliced(found);
        const bool type = rest.startsWith("\"type\"");
        const bool container = !type && rest.startsWith("\"container_id\"");
        if (!type && !container) {
            // Past this string (key or value): its closing quote is the first one after an even
            // number of backslashes (a generated image is megabytes of base64 without either).
            qsizetype close = found;
            while (true) {
                close = text.indexOf('"', close + 1);
                if (close < 0)
                    return finish();
                qsizetype backslashes = 0;
                while (text[close - 1 - backslashes] == '\\')
                    ++backslashes;
                if (backslashes % 2 == 0)
                    break;
            }
            at = close + 1;
            continue;
        }
        at = found + (type ? 6 : 14);
        qsizetype i = skipSpace(at);
        if (i >= text.size() || text[i] != ':')
            continue;
        i = skipSpace(i + 1);
        const QByteArrayView value = text.sliced(i);
        if (container) {
            if (!value.startsWith('"'))
                continue;
            const qsizetype end = value.indexOf('"', 1);
            if (end < 0)
                return finish();
            const QByteArrayView id = value.first(end + 1);
            if (!std::any_of(containers.cbegin(), containers.cend(), [&id](QByteArrayView seen) { return seen == id; }))
                containers.append(id);
            at = i + end + 1;
        } else if (value.startsWith("\"web_search_call\"")) {
            ++uses.webSearches;
        } else if (value.startsWith("\"file_search_call\"")) {
            ++uses.fileSearches;
        } else if (value.startsWith("\"code_interpreter_call\"")) {
            ++codeInterpreterCalls;
        } else if (value.startsWith("\"image_generation_call\"")) {
            ++uses.imageGenerations;
        }
    }
    return finish();
}

bool isItemReference(const QJsonObject &item)
{
    // The type is optional (and nullable) on a reference: {"id": "msg_…"} alone is one too. Read
    // loosely (a provider may trim or fold what this code would not): a type that spells
    // item_reference in any case or spacing, or none (absent, null, empty) on an item with an
    // id and no role naming a message's author.
    const QJsonValue type = item.value(u"type"_s);
    const QString name = type.toString().trimmed();
    if (name.compare(u"item_reference"_s, Qt::CaseInsensitive) == 0)
        return true;
    if (!name.isEmpty() || !(type.isUndefined() || type.isNull() || type.isString()))
        return false;
    return item.contains(u"id"_s) && item.value(u"role"_s).toString().trimmed().isEmpty();
}

QString storedContextField(const QJsonObject &request)
{
    const QJsonValue prompt = request.value(u"prompt"_s);
    if (!prompt.isUndefined() && !prompt.isNull())
        return u"prompt"_s;
    for (const QJsonValue item : request.value(u"input"_s).toArray()) {
        if (isItemReference(item.toObject()))
            return u"input"_s;
    }
    return {};
}

std::optional<bool> asksReasoning(const QJsonObject &request)
{
    const QJsonValue reasoning = request.value(u"reasoning"_s);
    if (!reasoning.isObject())
        return std::nullopt;
    return reasoning.toObject().value(u"effort"_s).toString() != u"none";
}

ToolUses expectedToolUses(const QJsonValue &tools)
{
    ToolUses expected;
    for (const QJsonValue tool : tools.toArray()) {
        const QString type = tool.toObject().value(u"type"_s).toString();
        if (type.startsWith(u"web_search"))
            expected.webSearches = 1;
        else if (type == u"file_search")
            expected.fileSearches = 1;
        else if (type == u"code_interpreter")
            expected.codeInterpreterSessions = 1;
        else if (type == u"image_generation")
            expected.imageGenerations = 1;
    }
    return expected;
}

bool declaresHostedTools(const QJsonValue &tools)
{
    if (!tools.isArray())
        return false;
    for (const QJsonValue tool : tools.toArray()) {
        const QString type = tool.toObject().value(u"type"_s).toString();
        if (type != u"function" && type != u"custom" && type != u"local_shell" && type != u"shell"
            && type != u"apply_patch" && type != u"computer_use_preview" && type != u"computer_use")
            return true;
    }
    return false;
}

} // namespace Tollgate::Responses
