#include "anthropic.h"

#include "jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

using namespace Qt::StringLiterals;

namespace Tollgate::Anthropic {

namespace {

QByteArray event(const char *type, const QJsonObject &data)
{
    return QByteArray("event: ") + type + "\ndata: " + compactJson(data) + "\n\n";
}

// finish_reason → stop_reason.
QString stopReason(const QString &finishReason)
{
    if (finishReason == u"length")
        return u"max_tokens"_s;
    if (finishReason == u"tool_calls" || finishReason == u"function_call")
        return u"tool_use"_s;
    if (finishReason == u"content_filter")
        return u"refusal"_s;
    return u"end_turn"_s;
}

// Anthropic counts cache reads apart from input_tokens; OpenAI's prompt_tokens include them.
QJsonObject usageJson(const std::optional<Usage> &usage)
{
    const qint64 cached = usage ? usage->cachedTokens : 0;
    const qint64 prompt = usage ? usage->promptTokens : 0;
    return {{u"input_tokens"_s, std::max<qint64>(prompt - cached, 0)},
            {u"output_tokens"_s, usage ? usage->completionTokens : 0},
            {u"cache_read_input_tokens"_s, cached},
            {u"cache_creation_input_tokens"_s, 0}};
}

// The text of a string-or-text-blocks value (system, tool_result content); `error` names what
// cannot be text.
QString joinedText(const QJsonValue &value, const QString &where, QString *error, bool lenient = false)
{
    if (value.isString())
        return value.toString();
    if (value.isUndefined() || value.isNull())
        return {};
    if (!value.isArray()) {
        *error = where + u" must be a string or a list of text blocks."_s;
        return {};
    }
    QStringList parts;
    for (const QJsonValue &item : value.toArray()) {
        const QJsonObject block = item.toObject();
        const QString type = block.value(u"type"_s).toString();
        if (type != u"text" && lenient) {
            parts.append(QString::fromUtf8(compactJson(block)));  // counted as its JSON: bytes ≥ tokens
            continue;
        }
        if (type != u"text") {
            *error = u"%1: a \"%2\" block cannot be translated for this model; only text blocks can."_s.arg(
                where, type.isEmpty() ? u"untyped"_s : type);
            return {};
        }
        parts.append(block.value(u"text"_s).toString());
    }
    return parts.join(u"\n\n"_s);
}

// An image block → an image_url part.
std::optional<QJsonObject> imagePart(const QJsonObject &block, const QString &where, QString *error,
                                     bool lenient = false)
{
    const QJsonObject source = block.value(u"source"_s).toObject();
    const QString type = source.value(u"type"_s).toString();
    QString url;
    if (type == u"base64")
        url = u"data:%1;base64,%2"_s.arg(source.value(u"media_type"_s).toString(), source.value(u"data"_s).toString());
    else if (type == u"url")
        url = source.value(u"url"_s).toString();
    if (url.isEmpty() && lenient) {
        // An image by file id (or a source type to come): counted as the largest image the
        // model takes, as an image by URL is.
        url = u"https://file.invalid/image"_s;
    }
    if (url.isEmpty()) {
        *error = where + u": an image needs a source of type \"base64\" (media_type, data) or \"url\"."_s;
        return std::nullopt;
    }
    return QJsonObject{{u"type"_s, u"image_url"_s}, {u"image_url"_s, QJsonObject{{u"url"_s, url}}}};
}

// A document block, for counting only (lenient): its text, or a file part as chat completions
// bound it — a PDF by data per page, one by URL or file id (what it holds is unknown here) as
// the largest file. Counted as its JSON it was ~30 tokens for a PDF of 150k.
QJsonObject documentPart(const QJsonObject &block)
{
    const QJsonObject source = block.value(u"source"_s).toObject();
    const QString type = source.value(u"type"_s).toString();
    if (type == u"text")
        return QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, source.value(u"data"_s).toString()}};
    if (type == u"content")
        return QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, QString::fromUtf8(compactJson(source))}};
    if (type == u"base64")
        return QJsonObject{{u"type"_s, u"file"_s}, {u"file"_s, QJsonObject{{u"file_data"_s, source.value(u"data"_s)}}}};
    return QJsonObject{{u"type"_s, u"file"_s}, {u"file"_s, QJsonObject{{u"file_id"_s, u"unknown"_s}}}};
}

// One Anthropic message → one or more chat messages (tool results become "tool" messages,
// which must follow the assistant's tool calls directly, so they come first).
bool translateMessage(const QJsonObject &message, int index, QJsonArray &out, QString *error, bool lenient)
{
    const QString where = u"messages.%1"_s.arg(index);
    QString role = message.value(u"role"_s).toString();
    if (lenient && role != u"assistant")
        role = u"user"_s;
    if (role != u"user" && role != u"assistant") {
        *error = where + u".role must be \"user\" or \"assistant\"."_s;
        return false;
    }
    const QJsonValue content = message.value(u"content"_s);
    if (content.isString()) {
        out.append(QJsonObject{{u"role"_s, role}, {u"content"_s, content}});
        return true;
    }
    if (!content.isArray()) {
        *error = where + u".content must be a string or a list of content blocks."_s;
        return false;
    }

    QJsonArray parts;        // user: text and image parts
    QString text;            // assistant: its text
    QJsonArray toolCalls;    // assistant: its tool_use blocks
    const QJsonArray blocks = content.toArray();
    for (qsizetype i = 0; i < blocks.size(); ++i) {
        const QString at = u"%1.content.%2"_s.arg(where).arg(i);
        const QJsonObject block = blocks.at(i).toObject();
        const QString type = block.value(u"type"_s).toString();
        if (type == u"text") {
            if (role == u"assistant")
                text += block.value(u"text"_s).toString();
            else
                parts.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, block.value(u"text"_s).toString()}});
        } else if (type == u"image" && role == u"user") {
            auto part = imagePart(block, at, error, lenient);
            if (!part)
                return false;
            parts.append(*part);
        } else if (type == u"tool_use" && role == u"assistant") {
            toolCalls.append(QJsonObject{
                {u"id"_s, block.value(u"id"_s).toString()},
                {u"type"_s, u"function"_s},
                {u"function"_s,
                 QJsonObject{{u"name"_s, block.value(u"name"_s).toString()},
                             {u"arguments"_s, QString::fromUtf8(compactJson(block.value(u"input"_s).toObject()))}}}});
        } else if (type == u"tool_result" && role == u"user") {
            QJsonValue content = block.value(u"content"_s);
            if (lenient && content.isArray()) {
                // Counting: its images and documents are counted as the user's (a chat tool
                // message holds text only); the rest as text.
                QJsonArray rest;
                for (const QJsonValue &item : content.toArray()) {
                    const QJsonObject inner = item.toObject();
                    const QString innerType = inner.value(u"type"_s).toString();
                    if (innerType == u"image")
                        parts.append(*imagePart(inner, at, error, true));
                    else if (innerType == u"document")
                        parts.append(documentPart(inner));
                    else
                        rest.append(item);
                }
                content = rest;
            }
            QString result = joinedText(content, at + u".content"_s, error, lenient);
            if (!error->isEmpty())
                return false;
            // Chat completions have no error flag on a tool result: the text says it.
            if (block.value(u"is_error"_s).toBool())
                result = u"Error: "_s + result;
            out.append(QJsonObject{{u"role"_s, u"tool"_s},
                                   {u"tool_call_id"_s, block.value(u"tool_use_id"_s).toString()},
                                   {u"content"_s, result}});
        } else if ((type == u"thinking" || type == u"redacted_thinking") && role == u"assistant") {
            // Reasoning an Anthropic model wrote earlier in the conversation: it is not part of
            // what was said and no other model can read it back (its signature is Anthropic's).
            continue;
        } else if (lenient && type == u"document" && role == u"user") {
            parts.append(documentPart(block));
        } else if (lenient) {
            // Server tool results, search results…: counted as their JSON.
            if (role == u"assistant")
                text += QString::fromUtf8(compactJson(block));
            else
                parts.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, QString::fromUtf8(compactJson(block))}});
        } else {
            *error = u"%1: a \"%2\" block in a %3 message cannot be translated to chat completions."_s.arg(
                at, type.isEmpty() ? u"untyped"_s : type, role);
            return false;
        }
    }
    if (role == u"assistant") {
        if (text.isEmpty() && toolCalls.isEmpty())
            return true;
        QJsonObject assistant{{u"role"_s, u"assistant"_s},
                              {u"content"_s, text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text)}};
        if (!toolCalls.isEmpty())
            assistant.insert(u"tool_calls"_s, toolCalls);
        out.append(assistant);
    } else if (!parts.isEmpty()) {
        out.append(QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, parts}});
    }
    return true;
}

// The fields that bound a request's output and name its caller, read alike by toChatRequest
// and outputBounds. Each is false (with `error`) for a value of the wrong kind; `out` null:
// checked only.
bool copyModel(const QJsonObject &in, QJsonObject *out, QString *error)
{
    const QJsonValue model = in.value(u"model"_s);
    if (!model.isString() || model.toString().isEmpty()) {
        *error = u"model: Field required (a string)."_s;
        return false;
    }
    if (out)
        out->insert(u"model"_s, model);
    return true;
}

bool copyMaxTokens(const QJsonObject &in, QJsonObject *out, bool required, QString *error)
{
    const QJsonValue maxTokens = in.value(u"max_tokens"_s);
    if (maxTokens.isUndefined() && required) {
        *error = u"max_tokens: Field required."_s;
        return false;
    }
    if (maxTokens.isUndefined())
        return true;
    if (!isWholeNumber(maxTokens, 1)) {
        *error = u"max_tokens: must be an integer of 1 or more."_s;
        return false;
    }
    if (out)
        out->insert(u"max_tokens"_s, maxTokens);
    return true;
}

// "stream": true copied; metadata.user_id becomes the end user.
bool copyStreamAndUser(const QJsonObject &in, QJsonObject *out, QString *error)
{
    const QJsonValue stream = in.value(u"stream"_s);
    if (!stream.isUndefined() && !stream.isBool()) {
        *error = u"stream: must be a boolean."_s;
        return false;
    }
    if (!out)
        return true;
    if (stream.toBool())
        out->insert(u"stream"_s, true);
    const QJsonValue userId = in.value(u"metadata"_s).toObject().value(u"user_id"_s);
    if (userId.isString() && !userId.toString().isEmpty())
        out->insert(u"user"_s, userId);
    return true;
}

} // namespace

bool isAnthropicPath(const QString &canonicalPath)
{
    return canonicalPath == u"/messages" || canonicalPath.startsWith(u"/messages/");
}

QString errorTypeForStatus(int status)
{
    switch (status) {
    case 400: return u"invalid_request_error"_s;
    case 401: return u"authentication_error"_s;
    case 403: return u"permission_error"_s;
    case 404: return u"not_found_error"_s;
    case 413: return u"request_too_large"_s;
    case 429: return u"rate_limit_error"_s;
    case 503:
    case 529: return u"overloaded_error"_s;
    default: break;
    }
    return status >= 400 && status < 500 ? u"invalid_request_error"_s : u"api_error"_s;
}

QByteArray errorBody(int status, const QString &message)
{
    return compactJson({{u"type"_s, u"error"_s},
                    {u"error"_s, QJsonObject{{u"type"_s, errorTypeForStatus(status)}, {u"message"_s, message}}}});
}

HttpResponse errorResponse(int status, const QString &message)
{
    HttpResponse response;
    response.status = status;
    response.body = errorBody(status, message);
    return response;
}

HttpResponse translateError(HttpResponse response)
{
    const QJsonObject object = QJsonDocument::fromJson(response.body).object();
    if (object.value(u"type"_s).toString() == u"error")
        return response;  // already Anthropic's
    QString message;
    const QJsonValue error = object.value(u"error"_s);
    if (error.isObject())
        message = error.toObject().value(u"message"_s).toString();
    else if (error.isString())
        message = error.toString();
    else if (object.value(u"message"_s).isString())
        message = object.value(u"message"_s).toString();
    if (message.isEmpty())
        message = response.body.isEmpty() ? u"HTTP %1"_s.arg(response.status)
                                          : QString::fromUtf8(response.body.left(2000));
    response.contentType = QByteArrayLiteral("application/json");
    response.body = errorBody(response.status, message);
    return response;
}

ChatRequest toChatRequest(const QJsonObject &in, bool forCounting, bool lenient)
{
    ChatRequest result;
    QString &error = result.error;
    // Lenient: what cannot be translated is counted as its JSON text (bytes ≥ tokens).
    QStringList counted;
    // Every field Anthropic defines is either translated or refused: none is dropped unseen.
    static const QSet<QString> known = {u"model"_s, u"messages"_s, u"system"_s, u"max_tokens"_s,
                                        u"stop_sequences"_s, u"temperature"_s, u"top_p"_s, u"tools"_s,
                                        u"tool_choice"_s, u"stream"_s, u"metadata"_s, u"thinking"_s,
                                        u"context_management"_s, u"output_config"_s, u"service_tier"_s};
    for (auto it = in.begin(); it != in.end(); ++it) {
        if (!known.contains(it.key()) && lenient) {
            if (it.key() != u"mock_response")
                counted.append(QString::fromUtf8(QJsonDocument(QJsonArray{it.value()}).toJson(QJsonDocument::Compact)));
            continue;
        }
        if (!known.contains(it.key())) {
            error = u"%1: this field has no chat-completions equivalent, so it cannot be sent to this model."_s.arg(
                it.key());
            return result;
        }
    }
    QJsonObject &out = result.body;
    if (!copyModel(in, &out, &error) || !copyMaxTokens(in, &out, !forCounting && !lenient, &error))
        return result;

    // Extended thinking (Claude Code turns it on by model name, with context_management to
    // clear old thinking) asks the model for optional reasoning: a chat model answers the same
    // conversation without it. Not sent, and named in the answer's headers.
    const QJsonValue thinking = in.value(u"thinking"_s);
    if (!thinking.isUndefined() && !thinking.isNull()) {
        if (!thinking.isObject()) {
            error = u"thinking: must be an object."_s;
            return result;
        }
        if (thinking.toObject().value(u"type"_s).toString() != u"disabled")
            result.notTranslated.append(u"thinking"_s);
    }
    // Likewise the effort hint (output_config.effort) and context editing.
    for (const QString &hint : {u"context_management"_s, u"output_config"_s}) {
        if (in.contains(hint))
            result.notTranslated.append(hint);
    }

    QJsonArray messages;
    const QJsonValue system = in.value(u"system"_s);
    if (!system.isUndefined()) {
        const QString text = joinedText(system, u"system"_s, &error, lenient);
        if (!error.isEmpty())
            return result;
        if (!text.isEmpty())
            messages.append(QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, text}});
    }
    const QJsonValue inMessages = in.value(u"messages"_s);
    if (!inMessages.isArray()) {
        error = u"messages: Field required (a list of messages)."_s;
        return result;
    }
    const QJsonArray list = inMessages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (!list.at(i).isObject()) {
            error = u"messages.%1 must be an object."_s.arg(i);
            return result;
        }
        if (!translateMessage(list.at(i).toObject(), int(i), messages, &error, lenient))
            return result;
    }
    out.insert(u"messages"_s, messages);

    for (const QString &field : {u"temperature"_s, u"top_p"_s}) {
        const QJsonValue value = in.value(field);
        if (value.isUndefined())
            continue;
        if (!value.isDouble()) {
            error = field + u": must be a number."_s;
            return result;
        }
        out.insert(field, value);
    }
    const QJsonValue stops = in.value(u"stop_sequences"_s);
    if (!stops.isUndefined()) {
        if (!stops.isArray()) {
            error = u"stop_sequences: must be a list of strings."_s;
            return result;
        }
        out.insert(u"stop"_s, stops);
    }

    const QJsonValue tools = in.value(u"tools"_s);
    if (!tools.isUndefined()) {
        if (!tools.isArray()) {
            error = u"tools: must be a list of tools."_s;
            return result;
        }
        QJsonArray chatTools;
        const QJsonArray toolList = tools.toArray();
        for (qsizetype i = 0; i < toolList.size(); ++i) {
            const QJsonObject tool = toolList.at(i).toObject();
            const QString type = tool.value(u"type"_s).toString();
            if (!type.isEmpty() && type != u"custom" && lenient) {
                counted.append(QString::fromUtf8(compactJson(tool)));
                continue;
            }
            if (!type.isEmpty() && type != u"custom") {
                error = u"tools.%1: \"%2\" is one of Anthropic's own tools, which only Anthropic's models run; "
                        "define it as a custom tool (name, description, input_schema) instead."_s.arg(i).arg(type);
                return result;
            }
            if (!tool.value(u"name"_s).isString()) {
                error = u"tools.%1.name: Field required."_s.arg(i);
                return result;
            }
            QJsonObject function{{u"name"_s, tool.value(u"name"_s)},
                                 {u"parameters"_s, tool.value(u"input_schema"_s).toObject()}};
            if (tool.contains(u"description"_s))
                function.insert(u"description"_s, tool.value(u"description"_s));
            chatTools.append(QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, function}});
        }
        if (!chatTools.isEmpty())
            out.insert(u"tools"_s, chatTools);
    }
    const QJsonValue toolChoice = in.value(u"tool_choice"_s);
    if (!toolChoice.isUndefined()) {
        const QJsonObject choice = toolChoice.toObject();
        const QString type = choice.value(u"type"_s).toString();
        if (type == u"auto")
            out.insert(u"tool_choice"_s, u"auto"_s);
        else if (type == u"any")
            out.insert(u"tool_choice"_s, u"required"_s);
        else if (type == u"none")
            out.insert(u"tool_choice"_s, u"none"_s);
        else if (type == u"tool")
            out.insert(u"tool_choice"_s,
                       QJsonObject{{u"type"_s, u"function"_s},
                                   {u"function"_s, QJsonObject{{u"name"_s, choice.value(u"name"_s)}}}});
        else if (!lenient) {
            error = u"tool_choice.type must be \"auto\", \"any\", \"tool\" or \"none\"."_s;
            return result;
        }
        if (choice.value(u"disable_parallel_tool_use"_s).toBool() && out.contains(u"tools"_s))
            out.insert(u"parallel_tool_calls"_s, false);
    }

    if (!copyStreamAndUser(in, &out, &error))
        return result;
    if (out.contains(u"stream"_s))
        out.insert(u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}});
    if (!counted.isEmpty()) {
        messages.prepend(QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, counted.join(u'\n')}});
        out.insert(u"messages"_s, messages);
    }
    return result;
}

ChatRequest outputBounds(const QJsonObject &in)
{
    ChatRequest result;
    if (copyModel(in, &result.body, &result.error) && copyMaxTokens(in, &result.body, false, &result.error)
        && copyStreamAndUser(in, &result.body, &result.error))
        result.body.insert(u"messages"_s, QJsonArray());
    return result;
}

QString serverToolField(const QJsonObject &request)
{
    for (const QJsonValue tool : request.value(u"tools"_s).toArray()) {
        const QString type = tool.toObject().value(u"type"_s).toString();
        if (!type.isEmpty() && type != u"custom" && !type.startsWith(u"bash_") && !type.startsWith(u"text_editor_")
            && !type.startsWith(u"computer_") && !type.startsWith(u"memory_"))
            return u"tools"_s;
    }
    const QJsonValue servers = request.value(u"mcp_servers"_s);
    if (!servers.isUndefined() && !servers.isNull() && !(servers.isArray() && servers.toArray().isEmpty()))
        return u"mcp_servers"_s;
    return {};
}

ToolUses expectedToolUses(const QJsonObject &request)
{
    ToolUses expected;
    for (const QJsonValue tool : request.value(u"tools"_s).toArray()) {
        if (tool.toObject().value(u"type"_s).toString().startsWith(u"web_search_"))
            expected.webSearches = 1;
    }
    return expected;
}

double priceFactor(const QJsonObject &request)
{
    double factor = 1.0;
    if (request.value(u"speed"_s).toString() == u"fast")
        factor *= AnthropicFastModeFactor;
    const QJsonValue geo = request.value(u"inference_geo"_s);
    if (geo.isString() && geo.toString() != u"global")
        factor *= AnthropicInferenceGeoFactor;
    return factor;
}

std::optional<bool> asksThinking(const QJsonObject &request)
{
    const QJsonValue thinking = request.value(u"thinking"_s);
    if (!thinking.isObject())
        return std::nullopt;
    return thinking.toObject().value(u"type"_s).toString() != u"disabled";
}

QString outputBoundsError(const QJsonObject &in, bool modelChecked)
{
    QString error;
    if ((modelChecked || copyModel(in, nullptr, &error)) && copyMaxTokens(in, nullptr, false, &error))
        copyStreamAndUser(in, nullptr, &error);
    return error;
}

std::optional<QByteArray> toMessage(const QByteArray &chatAnswer, const QString &model)
{
    const QJsonDocument document = QJsonDocument::fromJson(chatAnswer);
    if (!document.isObject())
        return std::nullopt;
    const QJsonObject answer = document.object();
    const QJsonArray choices = answer.value(u"choices"_s).toArray();
    if (choices.isEmpty())
        return std::nullopt;
    const QJsonObject choice = choices.first().toObject();
    const QJsonObject message = choice.value(u"message"_s).toObject();

    QJsonArray content;
    const QString text = message.value(u"content"_s).toString();
    if (!text.isEmpty())
        content.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, text}});
    for (const QJsonValue &value : message.value(u"tool_calls"_s).toArray()) {
        const QJsonObject call = value.toObject();
        const QJsonObject function = call.value(u"function"_s).toObject();
        const QJsonDocument arguments = QJsonDocument::fromJson(function.value(u"arguments"_s).toString().toUtf8());
        content.append(QJsonObject{{u"type"_s, u"tool_use"_s},
                                   {u"id"_s, call.value(u"id"_s)},
                                   {u"name"_s, function.value(u"name"_s)},
                                   {u"input"_s, arguments.isObject() ? arguments.object() : QJsonObject{}}});
    }
    if (content.isEmpty())
        content.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u""_s}});

    const QString id = answer.value(u"id"_s).toString();
    return compactJson({{u"id"_s, id.startsWith(u"msg_") ? id : u"msg_"_s + id},
                    {u"type"_s, u"message"_s},
                    {u"role"_s, u"assistant"_s},
                    {u"model"_s, model},
                    {u"content"_s, content},
                    {u"stop_reason"_s, stopReason(choice.value(u"finish_reason"_s).toString())},
                    {u"stop_sequence"_s, QJsonValue::Null},
                    {u"usage"_s, usageJson(usageFromJson(answer))}});
}

// --- StreamTranslator --------------------------------------------------------------------

StreamTranslator::StreamTranslator(QString messageId, QString model)
    : m_id(std::move(messageId)), m_model(std::move(model))
{
}

QByteArray StreamTranslator::start()
{
    const QJsonObject message{{u"id"_s, m_id},
                              {u"type"_s, u"message"_s},
                              {u"role"_s, u"assistant"_s},
                              {u"model"_s, m_model},
                              {u"content"_s, QJsonArray{}},
                              {u"stop_reason"_s, QJsonValue::Null},
                              {u"stop_sequence"_s, QJsonValue::Null},
                              {u"usage"_s, QJsonObject{{u"input_tokens"_s, 0}, {u"output_tokens"_s, 0}}}};
    return event("message_start", {{u"type"_s, u"message_start"_s}, {u"message"_s, message}})
           + event("ping", {{u"type"_s, u"ping"_s}});
}

QByteArray StreamTranslator::feed(const QByteArray &bytes)
{
    m_parser.feed(bytes);
    QByteArray out;
    SseEvent sse;
    while (m_parser.next(sse)) {
        if (m_ended)
            continue;
        if (sse.isDone())
            out += end();
        else if (!sse.data.isEmpty())
            out += onChunk(sse.data);
    }
    return out;
}

QByteArray StreamTranslator::closeBlock()
{
    if (m_block == Block::None)
        return {};
    m_block = Block::None;
    m_toolIndex = -1;
    return event("content_block_stop", {{u"type"_s, u"content_block_stop"_s}, {u"index"_s, m_nextIndex - 1}});
}

QByteArray StreamTranslator::onChunk(const QByteArray &data)
{
    const QJsonObject chunk = QJsonDocument::fromJson(data).object();
    if (chunk.contains(u"error"_s)) {
        // A provider's (or the gateway's) error event: Anthropic's error event ends the stream.
        m_ended = true;
        const QJsonObject error = chunk.value(u"error"_s).toObject();
        bool ok = false;
        const int status = error.value(u"code"_s).toVariant().toInt(&ok);
        const QString message = error.value(u"message"_s).toString();
        return event("error", QJsonDocument::fromJson(errorBody(ok && status >= 400 ? status : 500,
                                                                message.isEmpty() ? u"The provider failed."_s : message))
                                  .object());
    }
    if (const auto usage = usageFromJson(chunk))
        m_usage = usage;
    QByteArray out;
    for (const QJsonValue &value : chunk.value(u"choices"_s).toArray()) {
        const QJsonObject choice = value.toObject();
        const QJsonObject delta = choice.value(u"delta"_s).toObject();
        const QString text = delta.value(u"content"_s).toString();
        if (!text.isEmpty()) {
            if (m_block != Block::Text) {
                out += closeBlock();
                m_block = Block::Text;
                out += event("content_block_start",
                             {{u"type"_s, u"content_block_start"_s},
                              {u"index"_s, m_nextIndex++},
                              {u"content_block"_s, QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, u""_s}}}});
            }
            out += event("content_block_delta",
                         {{u"type"_s, u"content_block_delta"_s},
                          {u"index"_s, m_nextIndex - 1},
                          {u"delta"_s, QJsonObject{{u"type"_s, u"text_delta"_s}, {u"text"_s, text}}}});
        }
        for (const QJsonValue &callValue : delta.value(u"tool_calls"_s).toArray()) {
            const QJsonObject call = callValue.toObject();
            const int index = call.value(u"index"_s).toInt(0);
            const QJsonObject function = call.value(u"function"_s).toObject();
            if (m_block != Block::Tool || index != m_toolIndex) {
                out += closeBlock();
                m_block = Block::Tool;
                m_toolIndex = index;
                out += event("content_block_start",
                             {{u"type"_s, u"content_block_start"_s},
                              {u"index"_s, m_nextIndex++},
                              {u"content_block"_s, QJsonObject{{u"type"_s, u"tool_use"_s},
                                                               {u"id"_s, call.value(u"id"_s).toString()},
                                                               {u"name"_s, function.value(u"name"_s).toString()},
                                                               {u"input"_s, QJsonObject{}}}}});
            }
            const QString arguments = function.value(u"arguments"_s).toString();
            if (!arguments.isEmpty())
                out += event("content_block_delta",
                             {{u"type"_s, u"content_block_delta"_s},
                              {u"index"_s, m_nextIndex - 1},
                              {u"delta"_s, QJsonObject{{u"type"_s, u"input_json_delta"_s},
                                                       {u"partial_json"_s, arguments}}}});
        }
        const QString finish = choice.value(u"finish_reason"_s).toString();
        if (!finish.isEmpty())
            m_stopReason = stopReason(finish);
    }
    return out;
}

QByteArray StreamTranslator::end()
{
    m_ended = true;
    QByteArray out = closeBlock();
    out += event("message_delta",
                 {{u"type"_s, u"message_delta"_s},
                  {u"delta"_s, QJsonObject{{u"stop_reason"_s, m_stopReason.isEmpty() ? u"end_turn"_s : m_stopReason},
                                           {u"stop_sequence"_s, QJsonValue::Null}}},
                  {u"usage"_s, usageJson(m_usage)}});
    out += event("message_stop", {{u"type"_s, u"message_stop"_s}});
    return out;
}

QByteArray StreamTranslator::finish()
{
    QByteArray out = feed(m_parser.remainder().isEmpty() ? QByteArray() : QByteArray("\n\n"));
    if (m_ended)
        return out;
    if (!m_stopReason.isEmpty())
        return out + end();  // a provider that ends its stream without [DONE]
    m_ended = true;
    return out + event("error", QJsonDocument::fromJson(errorBody(502, u"The provider's stream ended before the "
                                                                       "answer was complete."_s))
                                    .object());
}

// --- Responder ---------------------------------------------------------------------------

void Responder::translateAnswers(const QString &model, const QStringList &notTranslated)
{
    m_translate = true;
    m_model = model;
    if (!notTranslated.isEmpty())
        m_extraHeaders.append({QByteArrayLiteral("x-tollgate-not-translated"), notTranslated.join(u", "_s).toLatin1()});
}

void Responder::send(HttpResponse response)
{
    if (response.status < 200 || response.status >= 300) {
        m_inner->send(translateError(std::move(response)));
        return;
    }
    if (m_translate) {
        const auto message = toMessage(response.body, m_model);
        if (!message) {
            HttpResponse failed = errorResponse(502, u"The provider's answer is not a chat completion."_s);
            failed.headers = response.headers;
            m_inner->send(std::move(failed));
            return;
        }
        response.body = *message;
        response.contentType = QByteArrayLiteral("application/json");
        response.headers += m_extraHeaders;
    }
    m_inner->send(std::move(response));
}

void Responder::beginStream(int status, const QByteArray &contentType, const HeaderList &headers)
{
    m_inner->beginStream(status, contentType, m_translate ? headers + m_extraHeaders : headers);
    if (!m_translate || !contentType.startsWith("text/event-stream"))
        return;
    QString id;
    for (const auto &[name, value] : headers) {
        if (name == "x-litellm-call-id")
            id = QString::fromLatin1(value);
    }
    m_stream.emplace(u"msg_"_s + id.remove(u'-'), m_model);
    m_inner->writeChunk(m_stream->start());
}

void Responder::writeChunk(const QByteArray &data)
{
    if (!m_stream) {
        m_inner->writeChunk(data);
        return;
    }
    const QByteArray out = m_stream->feed(data);
    if (!out.isEmpty())
        m_inner->writeChunk(out);
}

void Responder::endStream()
{
    if (m_stream) {
        const QByteArray out = m_stream->finish();
        if (!out.isEmpty())
            m_inner->writeChunk(out);
    }
    m_inner->endStream();
}

} // namespace Tollgate::Anthropic
