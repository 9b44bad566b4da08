#include "anthropicchat.h"

#include "apierror.h"

#include "jsonreader.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate::Anthropic {

namespace {

// null counts as absent, as for every chat-completions field (SDKs send explicit nulls).
bool absent(const QJsonValue &value)
{
    return value.isUndefined() || value.isNull();
}

bool refuse(MessagesRequest &result, const QString &param, const QString &message)
{
    result.body = {};
    result.error = message;
    result.errorParam = param;
    return false;
}

QString where(qsizetype message)
{
    return u"messages[%1]"_s.arg(message);
}

QString where(qsizetype message, qsizetype part)
{
    return u"messages[%1].content[%2]"_s.arg(message).arg(part);
}

// Anthropic rejects empty (and whitespace-only) text blocks; such a part says nothing.
bool blank(const QString &text)
{
    return text.trimmed().isEmpty();
}

// The text of a string-or-text-parts value (system, developer and tool messages).
bool textOf(const QJsonValue &content, qsizetype index, QString *text, MessagesRequest &result)
{
    if (absent(content))
        return true;
    if (content.isString()) {
        *text = content.toString();
        return true;
    }
    if (!content.isArray())
        return refuse(result, u"messages"_s, where(index) + u".content must be a string or a list of text parts."_s);
    QStringList parts;
    const QJsonArray list = content.toArray();
    for (qsizetype j = 0; j < list.size(); ++j) {
        const QJsonObject part = list.at(j).toObject();
        const QString type = part.value(u"type"_s).toString();
        if (type != u"text")
            return refuse(result, u"messages"_s,
                          u"%1: a \"%2\" part cannot be sent to an Anthropic model here; only text parts can."_s.arg(
                              where(index, j), type.isEmpty() ? u"untyped"_s : type));
        parts.append(part.value(u"text"_s).toString());
    }
    *text = parts.join(u"\n\n"_s);
    return true;
}

// An image_url part → an image block: a base64 data URL or an http(s) URL.
bool imageBlock(const QJsonObject &part, qsizetype i, qsizetype j, QJsonArray &out, MessagesRequest &result)
{
    const QJsonValue image = part.value(u"image_url"_s);
    const QString url = image.isString() ? image.toString() : image.toObject().value(u"url"_s).toString();
    if (url.startsWith(u"data:"_s)) {
        const qsizetype marker = url.indexOf(u";base64,"_s);
        if (marker < 0)
            return refuse(result, u"messages"_s,
                          where(i, j) + u": an image data URL must be base64 (data:<media type>;base64,<data>)."_s);
        out.append(QJsonObject{{u"type"_s, u"image"_s},
                               {u"source"_s, QJsonObject{{u"type"_s, u"base64"_s},
                                                         {u"media_type"_s, url.mid(5, marker - 5)},
                                                         {u"data"_s, url.mid(marker + 8)}}}});
        return true;
    }
    if (url.startsWith(u"https://"_s) || url.startsWith(u"http://"_s)) {
        out.append(QJsonObject{{u"type"_s, u"image"_s},
                               {u"source"_s, QJsonObject{{u"type"_s, u"url"_s}, {u"url"_s, url}}}});
        return true;
    }
    return refuse(result, u"messages"_s,
                  where(i, j) + u": image_url.url must be an http(s) URL or a base64 data URL."_s);
}

// A user or assistant message's content → content blocks.
bool contentBlocks(const QJsonValue &content, const QString &role, qsizetype i, QJsonArray &out,
                   MessagesRequest &result)
{
    if (absent(content))
        return true;
    if (content.isString()) {
        if (!blank(content.toString()))
            out.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, content}});
        return true;
    }
    if (!content.isArray())
        return refuse(result, u"messages"_s, where(i) + u".content must be a string or a list of parts."_s);
    const QJsonArray parts = content.toArray();
    for (qsizetype j = 0; j < parts.size(); ++j) {
        const QJsonObject part = parts.at(j).toObject();
        const QString type = part.value(u"type"_s).toString();
        // An assistant's earlier refusal was said, like its text.
        if (type == u"text" || (type == u"refusal" && role == u"assistant")) {
            const QString text = part.value(type).toString();
            if (blank(text))
                continue;
            QJsonObject block{{u"type"_s, u"text"_s}, {u"text"_s, text}};
            // Clients that know they talk to Claude mark cache breakpoints on their parts.
            if (part.value(u"cache_control"_s).isObject())
                block.insert(u"cache_control"_s, part.value(u"cache_control"_s));
            out.append(block);
        } else if (type == u"image_url" && role == u"user") {
            if (!imageBlock(part, i, j, out, result))
                return false;
        } else {
            return refuse(result, u"messages"_s,
                          u"%1: a \"%2\" part cannot be sent to an Anthropic model."_s.arg(
                              where(i, j), type.isEmpty() ? u"untyped"_s : type));
        }
    }
    return true;
}

// An assistant's tool_calls → tool_use blocks.
bool toolUseBlocks(const QJsonValue &toolCalls, qsizetype i, QJsonArray &out, MessagesRequest &result)
{
    if (absent(toolCalls))
        return true;
    if (!toolCalls.isArray())
        return refuse(result, u"messages"_s, where(i) + u".tool_calls must be a list."_s);
    const QJsonArray calls = toolCalls.toArray();
    for (qsizetype k = 0; k < calls.size(); ++k) {
        const QString at = u"%1.tool_calls[%2]"_s.arg(where(i)).arg(k);
        const QJsonObject call = calls.at(k).toObject();
        const QString type = call.value(u"type"_s).toString(u"function"_s);
        if (type != u"function")
            return refuse(result, u"messages"_s,
                          u"%1: a \"%2\" tool call cannot be sent to an Anthropic model."_s.arg(at, type));
        const QJsonObject function = call.value(u"function"_s).toObject();
        const QString id = call.value(u"id"_s).toString();
        const QString name = function.value(u"name"_s).toString();
        if (id.isEmpty() || name.isEmpty())
            return refuse(result, u"messages"_s, at + u": a tool call needs an id and a function name."_s);
        const QString arguments = function.value(u"arguments"_s).toString();
        QJsonObject input;
        // Some models write "" for a call without arguments.
        if (!blank(arguments)) {
            const QJsonDocument parsed = QJsonDocument::fromJson(arguments.toUtf8());
            if (!parsed.isObject())
                return refuse(result, u"messages"_s,
                              at + u".function.arguments must be a JSON object (Anthropic's tool_use input)."_s);
            input = parsed.object();
        }
        out.append(QJsonObject{{u"type"_s, u"tool_use"_s}, {u"id"_s, id}, {u"name"_s, name}, {u"input"_s, input}});
    }
    return true;
}

struct Turn
{
    QString role;
    QJsonArray content;
};

// Anthropic requires alternating roles: a message of the previous one's role joins it.
void addTurn(QList<Turn> &turns, const QString &role, const QJsonArray &blocks)
{
    if (blocks.isEmpty())
        return;
    if (!turns.isEmpty() && turns.last().role == role) {
        for (const QJsonValue &block : blocks)
            turns.last().content.append(block);
        return;
    }
    turns.append({role, blocks});
}

bool translateMessages(const QJsonValue &value, QJsonObject &out, MessagesRequest &result)
{
    if (!value.isArray() || value.toArray().isEmpty())
        return refuse(result, u"messages"_s, u"messages: Field required (a non-empty list of messages)."_s);
    const QJsonArray messages = value.toArray();
    QStringList system;
    QList<Turn> turns;
    for (qsizetype i = 0; i < messages.size(); ++i) {
        if (!messages.at(i).isObject())
            return refuse(result, u"messages"_s, where(i) + u" must be an object."_s);
        const QJsonObject message = messages.at(i).toObject();
        const QString role = message.value(u"role"_s).toString();
        const QJsonValue content = message.value(u"content"_s);
        if (role == u"system" || role == u"developer") {
            // Anthropic has one system prompt, outside the conversation: a system message
            // anywhere is part of it.
            QString text;
            if (!textOf(content, i, &text, result))
                return false;
            if (!blank(text))
                system.append(text);
        } else if (role == u"user") {
            QJsonArray blocks;
            if (!contentBlocks(content, role, i, blocks, result))
                return false;
            addTurn(turns, role, blocks);
        } else if (role == u"assistant") {
            if (!absent(message.value(u"function_call"_s)))
                return refuse(result, u"messages"_s,
                              where(i) + u".function_call (the legacy function calling) cannot be sent to an "
                                         "Anthropic model; use tool_calls."_s);
            QJsonArray blocks;
            if (!contentBlocks(content, role, i, blocks, result)
                || !toolUseBlocks(message.value(u"tool_calls"_s), i, blocks, result))
                return false;
            addTurn(turns, role, blocks);
        } else if (role == u"tool") {
            const QString id = message.value(u"tool_call_id"_s).toString();
            if (id.isEmpty())
                return refuse(result, u"messages"_s, where(i) + u".tool_call_id: Field required."_s);
            QString text;
            if (!textOf(content, i, &text, result))
                return false;
            QJsonObject block{{u"type"_s, u"tool_result"_s}, {u"tool_use_id"_s, id}};
            if (!text.isEmpty())
                block.insert(u"content"_s, text);
            // Tool results are the user's turn in Anthropic's conversation.
            addTurn(turns, u"user"_s, {block});
        } else if (role == u"function") {
            return refuse(result, u"messages"_s,
                          where(i) + u": the legacy \"function\" role cannot be sent to an Anthropic model; "
                                     "use tool_calls and \"tool\" messages."_s);
        } else {
            return refuse(result, u"messages"_s,
                          where(i) + u".role must be \"system\", \"developer\", \"user\", \"assistant\" or \"tool\"."_s);
        }
    }
    if (turns.isEmpty())
        return refuse(result, u"messages"_s, u"messages: at least one user or assistant message with content is "
                                             "required."_s);

    QJsonArray outMessages;
    for (Turn &turn : turns) {
        if (turn.role == u"user") {
            // Anthropic wants a turn's tool results before anything else in it (a user message
            // merged in front of them is moved after).
            QJsonArray results;
            QJsonArray rest;
            for (const QJsonValue &block : std::as_const(turn.content))
                (block.toObject().value(u"type"_s).toString() == u"tool_result" ? results : rest).append(block);
            for (const QJsonValue &block : std::as_const(rest))
                results.append(block);
            turn.content = results;
        }
        outMessages.append(QJsonObject{{u"role"_s, turn.role}, {u"content"_s, turn.content}});
    }
    if (!system.isEmpty())
        out.insert(u"system"_s, system.join(u"\n\n"_s));
    out.insert(u"messages"_s, outMessages);
    return true;
}

bool translateTools(const QJsonObject &chat, QJsonObject &out, MessagesRequest &result)
{
    const QJsonValue tools = chat.value(u"tools"_s);
    QJsonArray anthropicTools;
    if (!absent(tools)) {
        if (!tools.isArray())
            return refuse(result, u"tools"_s, u"tools: must be a list of tools."_s);
        const QJsonArray list = tools.toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QJsonObject tool = list.at(i).toObject();
            const QString type = tool.value(u"type"_s).toString();
            if (type != u"function")
                return refuse(result, u"tools"_s,
                              u"tools[%1]: a \"%2\" tool cannot be sent to an Anthropic model; only function tools can."_s
                                  .arg(i)
                                  .arg(type.isEmpty() ? u"untyped"_s : type));
            const QJsonObject function = tool.value(u"function"_s).toObject();
            const QString name = function.value(u"name"_s).toString();
            if (name.isEmpty())
                return refuse(result, u"tools"_s, u"tools[%1].function.name: Field required."_s.arg(i));
            // Anthropic requires an object schema; a function without parameters takes none.
            QJsonObject schema = function.value(u"parameters"_s).toObject();
            if (!schema.contains(u"type"_s))
                schema.insert(u"type"_s, u"object"_s);
            QJsonObject anthropicTool{{u"name"_s, name}, {u"input_schema"_s, schema}};
            if (function.value(u"description"_s).isString())
                anthropicTool.insert(u"description"_s, function.value(u"description"_s));
            anthropicTools.append(anthropicTool);
        }
    }
    const bool haveTools = !anthropicTools.isEmpty();
    if (haveTools)
        out.insert(u"tools"_s, anthropicTools);

    QJsonObject choice;
    const QJsonValue toolChoice = chat.value(u"tool_choice"_s);
    if (!absent(toolChoice)) {
        const QString mode = toolChoice.toString();
        const QJsonObject object = toolChoice.toObject();
        if (mode == u"auto")
            choice = {{u"type"_s, u"auto"_s}};
        else if (mode == u"required")
            choice = {{u"type"_s, u"any"_s}};
        else if (mode == u"none")
            choice = {{u"type"_s, u"none"_s}};
        else if (object.value(u"type"_s).toString() == u"function"
                 && !object.value(u"function"_s).toObject().value(u"name"_s).toString().isEmpty())
            choice = {{u"type"_s, u"tool"_s},
                      {u"name"_s, object.value(u"function"_s).toObject().value(u"name"_s)}};
        else
            return refuse(result, u"tool_choice"_s,
                          u"tool_choice: must be \"auto\", \"required\", \"none\" or {\"type\":\"function\","
                          "\"function\":{\"name\":…}} for an Anthropic model."_s);
        const QString type = choice.value(u"type"_s).toString();
        if (!haveTools && (type == u"any" || type == u"tool"))
            return refuse(result, u"tool_choice"_s, u"tool_choice: requires tools."_s);
    }
    const QJsonValue parallel = chat.value(u"parallel_tool_calls"_s);
    if (!absent(parallel) && !parallel.isBool())
        return refuse(result, u"parallel_tool_calls"_s, u"parallel_tool_calls: must be a boolean."_s);
    if (haveTools && parallel.isBool() && !parallel.toBool() && choice.value(u"type"_s).toString() != u"none") {
        if (choice.isEmpty())
            choice = {{u"type"_s, u"auto"_s}};
        choice.insert(u"disable_parallel_tool_use"_s, true);
    }
    // Without tools there is nothing to choose from (and "none"/"auto" mean just that).
    if (haveTools && !choice.isEmpty())
        out.insert(u"tool_choice"_s, choice);
    return true;
}

// Fields with no Messages equivalent, refused unless they ask for what Anthropic does anyway.
bool refuseUnsupported(const QJsonObject &chat, MessagesRequest &result)
{
    const auto notSent = [&](const QString &field, const QString &why) {
        return refuse(result, field, u"%1: %2, so it cannot be sent to an Anthropic model."_s.arg(field, why));
    };
    const QJsonValue n = chat.value(u"n"_s);
    if (!absent(n) && n.toDouble() != 1)
        return notSent(u"n"_s, u"Anthropic models give one choice (n must be 1)"_s);
    if (chat.value(u"logprobs"_s).toBool())
        return notSent(u"logprobs"_s, u"Anthropic models do not return log probabilities"_s);
    const QJsonValue topLogprobs = chat.value(u"top_logprobs"_s);
    if (!absent(topLogprobs) && topLogprobs.toDouble() != 0)
        return notSent(u"top_logprobs"_s, u"Anthropic models do not return log probabilities"_s);
    const QJsonValue format = chat.value(u"response_format"_s);
    if (!absent(format) && format.toObject().value(u"type"_s).toString() != u"text")
        return notSent(u"response_format"_s, u"only {\"type\":\"text\"} has an equivalent"_s);
    const QJsonValue modalities = chat.value(u"modalities"_s);
    if (!absent(modalities)) {
        const QJsonArray list = modalities.toArray();
        const bool textOnly = modalities.isArray()
                              && std::all_of(list.begin(), list.end(),
                                             [](const QJsonValue &modality) { return modality.toString() == u"text"; });
        if (!textOnly)
            return notSent(u"modalities"_s, u"Anthropic models answer in text only"_s);
    }
    const QJsonValue logitBias = chat.value(u"logit_bias"_s);
    if (!absent(logitBias) && !(logitBias.isObject() && logitBias.toObject().isEmpty()))
        return notSent(u"logit_bias"_s, u"Anthropic models take no token biases"_s);
    for (const QString &penalty : {u"presence_penalty"_s, u"frequency_penalty"_s}) {
        const QJsonValue value = chat.value(penalty);
        if (!absent(value) && value.toDouble() != 0)
            return notSent(penalty, u"Anthropic models have no penalties"_s);
    }
    static const QHash<QString, QString> refused = {
        {u"audio"_s, u"Anthropic models answer in text only"_s},
        {u"prediction"_s, u"Anthropic models take no predicted output"_s},
        {u"functions"_s, u"the legacy function calling has no equivalent (use tools)"_s},
        {u"function_call"_s, u"the legacy function calling has no equivalent (use tool_choice)"_s},
        {u"seed"_s, u"Anthropic models cannot be seeded"_s},
        {u"reasoning_effort"_s, u"it is not mapped to Anthropic's extended thinking"_s},
    };
    // Translated, or without effect on the answer (stream_options: the relay asks for usage
    // itself; metadata, store, service_tier, prompt_cache_key: OpenAI's own bookkeeping).
    static const QSet<QString> known = {
        u"model"_s, u"messages"_s, u"max_tokens"_s, u"max_completion_tokens"_s, u"temperature"_s, u"top_p"_s,
        u"stop"_s, u"stream"_s, u"stream_options"_s, u"user"_s, u"safety_identifier"_s, u"tools"_s,
        u"tool_choice"_s, u"parallel_tool_calls"_s, u"n"_s, u"logprobs"_s, u"top_logprobs"_s,
        u"response_format"_s, u"modalities"_s, u"logit_bias"_s, u"presence_penalty"_s, u"frequency_penalty"_s,
        u"store"_s, u"metadata"_s, u"service_tier"_s, u"prompt_cache_key"_s, u"mock_response"_s};
    for (auto it = chat.begin(); it != chat.end(); ++it) {
        if (absent(it.value()))
            continue;
        const auto reason = refused.constFind(it.key());
        if (reason != refused.constEnd())
            return notSent(it.key(), *reason);
        if (!known.contains(it.key()))
            return notSent(it.key(), u"this field has no Anthropic Messages equivalent"_s);
    }
    return true;
}

QJsonObject usageObject(const Usage &usage)
{
    return {{u"prompt_tokens"_s, usage.promptTokens},
            {u"completion_tokens"_s, usage.completionTokens},
            {u"total_tokens"_s, usage.totalTokens},
            {u"prompt_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, usage.cachedTokens}}}};
}

} // namespace

MessagesRequest toMessagesRequest(const QJsonObject &chat, const QString &upstreamModel, qint64 defaultMaxTokens)
{
    MessagesRequest result;
    if (!refuseUnsupported(chat, result))
        return result;
    QJsonObject &out = result.body;
    out.insert(u"model"_s, upstreamModel);

    // Anthropic requires max_tokens; max_completion_tokens is its newer chat name.
    QJsonValue maxTokens = chat.value(u"max_completion_tokens"_s);
    QString maxField = u"max_completion_tokens"_s;
    if (absent(maxTokens)) {
        maxTokens = chat.value(u"max_tokens"_s);
        maxField = u"max_tokens"_s;
    }
    if (absent(maxTokens)) {
        out.insert(u"max_tokens"_s, defaultMaxTokens);
    } else {
        if (!isWholeNumber(maxTokens, 1)) {
            refuse(result, maxField, maxField + u": must be an integer of 1 or more."_s);
            return result;
        }
        out.insert(u"max_tokens"_s, maxTokens);
    }

    if (!translateMessages(chat.value(u"messages"_s), out, result))
        return result;

    const QJsonValue temperature = chat.value(u"temperature"_s);
    if (!absent(temperature)) {
        // OpenAI's range is 0 to 2, Anthropic's 0 to 1: a value above 1 has no equivalent.
        if (!temperature.isDouble() || temperature.toDouble() < 0 || temperature.toDouble() > 1) {
            refuse(result, u"temperature"_s, u"temperature: Anthropic models take a number from 0 to 1."_s);
            return result;
        }
        out.insert(u"temperature"_s, temperature);
    }
    const QJsonValue topP = chat.value(u"top_p"_s);
    if (!absent(topP)) {
        if (!topP.isDouble() || topP.toDouble() < 0 || topP.toDouble() > 1) {
            refuse(result, u"top_p"_s, u"top_p: must be a number from 0 to 1."_s);
            return result;
        }
        out.insert(u"top_p"_s, topP);
    }
    const QJsonValue stop = chat.value(u"stop"_s);
    if (!absent(stop)) {
        QJsonArray sequences;
        if (stop.isString()) {
            sequences.append(stop);
        } else if (stop.isArray()) {
            for (const QJsonValue &sequence : stop.toArray()) {
                if (!sequence.isString()) {
                    refuse(result, u"stop"_s, u"stop: must be a string or a list of strings."_s);
                    return result;
                }
                sequences.append(sequence);
            }
        } else {
            refuse(result, u"stop"_s, u"stop: must be a string or a list of strings."_s);
            return result;
        }
        if (!sequences.isEmpty())
            out.insert(u"stop_sequences"_s, sequences);
    }
    const QJsonValue stream = chat.value(u"stream"_s);
    if (!absent(stream)) {
        if (!stream.isBool()) {
            refuse(result, u"stream"_s, u"stream: must be a boolean."_s);
            return result;
        }
        if (stream.toBool())
            out.insert(u"stream"_s, true);
    }
    for (const QString &field : {u"user"_s, u"safety_identifier"_s}) {
        const QJsonValue user = chat.value(field);
        if (!absent(user) && !user.isString()) {
            refuse(result, field, field + u": must be a string."_s);
            return result;
        }
        if (!user.toString().isEmpty() && !out.contains(u"metadata"_s))
            out.insert(u"metadata"_s, QJsonObject{{u"user_id"_s, user}});
    }
    if (!translateTools(chat, out, result))
        return result;
    return result;
}

QString finishReason(const QString &stopReason)
{
    if (stopReason == u"max_tokens" || stopReason == u"model_context_window_exceeded")
        return u"length"_s;
    if (stopReason == u"tool_use")
        return u"tool_calls"_s;
    if (stopReason == u"refusal")
        return u"content_filter"_s;
    return u"stop"_s;  // end_turn, stop_sequence, pause_turn
}

std::optional<QByteArray> chatCompletionFromMessage(const QByteArray &message, const QString &model,
                                                    const QString &id)
{
    const QJsonDocument document = QJsonDocument::fromJson(message);
    if (!document.isObject())
        return std::nullopt;
    const QJsonObject object = document.object();
    if (object.value(u"type"_s).toString() != u"message" || !object.value(u"content"_s).isArray())
        return std::nullopt;

    QString text;
    bool hasText = false;
    QJsonArray toolCalls;
    for (const QJsonValue &value : object.value(u"content"_s).toArray()) {
        const QJsonObject block = value.toObject();
        const QString type = block.value(u"type"_s).toString();
        if (type == u"text") {
            text += block.value(u"text"_s).toString();
            hasText = true;
        } else if (type == u"tool_use") {
            toolCalls.append(QJsonObject{
                {u"id"_s, block.value(u"id"_s)},
                {u"type"_s, u"function"_s},
                {u"function"_s, QJsonObject{{u"name"_s, block.value(u"name"_s)},
                                            {u"arguments"_s, QString::fromUtf8(compactJson(block.value(u"input"_s).toObject()))}}}});
        }
        // thinking and redacted_thinking: reasoning a chat client has no place for.
    }
    QJsonObject answer{{u"role"_s, u"assistant"_s},
                       {u"content"_s, hasText ? QJsonValue(text) : QJsonValue(QJsonValue::Null)},
                       {u"refusal"_s, QJsonValue::Null}};
    if (!toolCalls.isEmpty())
        answer.insert(u"tool_calls"_s, toolCalls);
    const QJsonObject choice{{u"index"_s, 0},
                             {u"message"_s, answer},
                             {u"logprobs"_s, QJsonValue::Null},
                             {u"finish_reason"_s, finishReason(object.value(u"stop_reason"_s).toString())}};
    return compactJson({{u"id"_s, id},
                    {u"object"_s, u"chat.completion"_s},
                    {u"created"_s, QDateTime::currentSecsSinceEpoch()},
                    {u"model"_s, model},
                    {u"choices"_s, QJsonArray{choice}},
                    {u"usage"_s, usageObject(usageFromAnthropic(object.value(u"usage"_s).toObject()).value_or(Usage()))}});
}

// --- ChatStreamTranslator ----------------------------------------------------------------

ChatStreamTranslator::ChatStreamTranslator(QString id, QString model, bool includeUsage, qint64 created)
    : m_id(std::move(id)),
      m_model(std::move(model)),
      m_includeUsage(includeUsage),
      m_created(created >= 0 ? created : QDateTime::currentSecsSinceEpoch())
{
}

QByteArray ChatStreamTranslator::chunk(const QJsonObject &delta, const QJsonValue &finishReason) const
{
    const QJsonObject choice{{u"index"_s, 0},
                             {u"delta"_s, delta},
                             {u"logprobs"_s, QJsonValue::Null},
                             {u"finish_reason"_s, finishReason}};
    return "data: "
           + compactJson({{u"id"_s, m_id},
                      {u"object"_s, u"chat.completion.chunk"_s},
                      {u"created"_s, m_created},
                      {u"model"_s, m_model},
                      {u"choices"_s, QJsonArray{choice}}})
           + "\n\n";
}

QByteArray ChatStreamTranslator::toolDelta(int toolIndex, const QJsonObject &call) const
{
    QJsonObject withIndex = call;
    withIndex.insert(u"index"_s, toolIndex);
    return chunk({{u"tool_calls"_s, QJsonArray{withIndex}}});
}

QByteArray ChatStreamTranslator::feed(const QByteArray &bytes)
{
    m_parser.feed(bytes);
    QByteArray out;
    SseEvent sse;
    while (m_parser.next(sse)) {
        if (m_stopped || m_failed)
            continue;  // nothing follows message_stop or an error
        if (!sse.data.isEmpty())
            out += onEvent(sse.data);
    }
    return out;
}

QByteArray ChatStreamTranslator::onEvent(const QByteArray &data)
{
    // The data's "type" names the event (the "event:" line repeats it).
    const QJsonObject event = QJsonDocument::fromJson(data).object();
    const QString type = event.value(u"type"_s).toString();
    if (type == u"message_start") {
        const QJsonObject usage = event.value(u"message"_s).toObject().value(u"usage"_s).toObject();
        m_inputTokens = usage.value(u"input_tokens"_s).toInteger();
        m_cacheRead = usage.value(u"cache_read_input_tokens"_s).toInteger();
        m_cacheCreation = usage.value(u"cache_creation_input_tokens"_s).toInteger();
        m_outputTokens = usage.value(u"output_tokens"_s).toInteger();
        m_sawUsage = true;
        if (m_started)
            return {};
        m_started = true;
        return chunk({{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}});
    }
    if (type == u"content_block_start") {
        const int index = event.value(u"index"_s).toInt();
        const QJsonObject block = event.value(u"content_block"_s).toObject();
        const QString blockType = block.value(u"type"_s).toString();
        if (blockType == u"text") {
            const QString text = block.value(u"text"_s).toString();
            return text.isEmpty() ? QByteArray() : chunk({{u"content"_s, text}});
        }
        if (blockType != u"tool_use")
            return {};  // thinking, redacted_thinking: not part of a chat answer
        const int toolIndex = m_nextToolIndex++;
        m_toolIndexOfBlock.insert(index, toolIndex);
        const QJsonObject input = block.value(u"input"_s).toObject();
        const QString arguments = input.isEmpty() ? QString() : QString::fromUtf8(compactJson(input));
        m_toolHasArguments.insert(index, !arguments.isEmpty());
        return toolDelta(toolIndex, {{u"id"_s, block.value(u"id"_s)},
                                     {u"type"_s, u"function"_s},
                                     {u"function"_s, QJsonObject{{u"name"_s, block.value(u"name"_s)},
                                                                 {u"arguments"_s, arguments}}}});
    }
    if (type == u"content_block_delta") {
        const int index = event.value(u"index"_s).toInt();
        const QJsonObject delta = event.value(u"delta"_s).toObject();
        const QString deltaType = delta.value(u"type"_s).toString();
        if (deltaType == u"text_delta") {
            const QString text = delta.value(u"text"_s).toString();
            return text.isEmpty() ? QByteArray() : chunk({{u"content"_s, text}});
        }
        if (deltaType == u"input_json_delta" && m_toolIndexOfBlock.contains(index)) {
            const QString json = delta.value(u"partial_json"_s).toString();
            if (json.isEmpty())
                return {};
            m_toolHasArguments.insert(index, true);
            return toolDelta(m_toolIndexOfBlock.value(index),
                             {{u"function"_s, QJsonObject{{u"arguments"_s, json}}}});
        }
        return {};  // thinking_delta, signature_delta, citations_delta
    }
    if (type == u"content_block_stop") {
        const int index = event.value(u"index"_s).toInt();
        // A call without arguments streams none: chat clients parse the arguments as JSON.
        if (m_toolIndexOfBlock.contains(index) && !m_toolHasArguments.value(index)) {
            m_toolHasArguments.insert(index, true);
            return toolDelta(m_toolIndexOfBlock.value(index),
                             {{u"function"_s, QJsonObject{{u"arguments"_s, u"{}"_s}}}});
        }
        return {};
    }
    if (type == u"message_delta") {
        const QJsonObject usage = event.value(u"usage"_s).toObject();
        if (usage.contains(u"output_tokens"_s))
            m_outputTokens = usage.value(u"output_tokens"_s).toInteger();
        // Newer streams repeat the input counts here (final after server tools): the later wins.
        if (usage.value(u"input_tokens"_s).isDouble())
            m_inputTokens = usage.value(u"input_tokens"_s).toInteger();
        if (usage.value(u"cache_read_input_tokens"_s).isDouble())
            m_cacheRead = usage.value(u"cache_read_input_tokens"_s).toInteger();
        if (usage.value(u"cache_creation_input_tokens"_s).isDouble())
            m_cacheCreation = usage.value(u"cache_creation_input_tokens"_s).toInteger();
        if (!usage.isEmpty())
            m_sawUsage = true;
        const QJsonValue stopReason = event.value(u"delta"_s).toObject().value(u"stop_reason"_s);
        if (absent(stopReason))
            return {};
        return chunk({}, finishReason(stopReason.toString()));
    }
    if (type == u"message_stop") {
        m_stopped = true;
        const std::optional<Usage> counts = usage();
        if (!m_includeUsage || !counts)
            return {};
        return "data: "
               + compactJson({{u"id"_s, m_id},
                          {u"object"_s, u"chat.completion.chunk"_s},
                          {u"created"_s, m_created},
                          {u"model"_s, m_model},
                          {u"choices"_s, QJsonArray{}},
                          {u"usage"_s, usageObject(*counts)}})
               + "\n\n";
    }
    if (type == u"error") {
        m_failed = true;
        const QJsonObject error = event.value(u"error"_s).toObject();
        QString message = error.value(u"message"_s).toString();
        if (message.isEmpty())
            message = u"The provider failed."_s;
        const QString errorType = error.value(u"type"_s).toString();
        return "data: "
               + compactJson({{u"error"_s, QJsonObject{{u"message"_s, message},
                                                   {u"type"_s, errorType.isEmpty() ? u"api_error"_s : errorType}}}})
               + "\n\n";
    }
    return {};  // ping, and event types added later
}

QByteArray ChatStreamTranslator::finish()
{
    // A last event without its blank line is still a whole event.
    if (m_parser.remainder().trimmed().isEmpty())
        return {};
    return feed(QByteArrayLiteral("\n\n"));
}

QByteArray ChatStreamTranslator::done()
{
    if (m_doneSent)
        return {};
    m_doneSent = true;
    return QByteArrayLiteral("data: [DONE]\n\n");
}

std::optional<Usage> ChatStreamTranslator::usage() const
{
    if (!m_sawUsage)
        return std::nullopt;
    Usage counts;
    counts.cachedTokens = m_cacheRead;
    counts.promptTokens = m_inputTokens + m_cacheRead + m_cacheCreation;
    counts.completionTokens = m_outputTokens;
    counts.totalTokens = counts.promptTokens + counts.completionTokens;
    return counts;
}

namespace {

QString callIdOf(const HeaderList &headers)
{
    for (const auto &[name, value] : headers) {
        if (name == "x-litellm-call-id")
            return u"chatcmpl-"_s + QString::fromLatin1(value);
    }
    return u"chatcmpl-tollgate"_s;
}

} // namespace

void ChatResponder::send(HttpResponse response)
{
    if (response.status < 200 || response.status >= 300) {
        // Anthropic's envelope (the provider's error) → OpenAI's; the gateway's own errors
        // are OpenAI's already.
        const QJsonObject object = QJsonDocument::fromJson(response.body).object();
        if (object.value(u"type"_s).toString() == u"error") {
            const QJsonObject error = object.value(u"error"_s).toObject();
            response.body = compactJson({{u"error"_s, QJsonObject{{u"message"_s, error.value(u"message"_s).toString()},
                                                              {u"type"_s, error.value(u"type"_s).toString()},
                                                              {u"param"_s, QJsonValue::Null},
                                                              {u"code"_s, QJsonValue::Null}}}});
            response.contentType = QByteArrayLiteral("application/json");
        }
        m_inner->send(std::move(response));
        return;
    }
    const auto chat = chatCompletionFromMessage(response.body, m_model, callIdOf(response.headers));
    if (!chat) {
        HttpResponse failed = errorResponse(ApiError::UpstreamError, u"The provider's answer is not an Anthropic Message."_s);
        failed.headers = response.headers;
        m_inner->send(std::move(failed));
        return;
    }
    response.body = *chat;
    response.contentType = QByteArrayLiteral("application/json");
    m_inner->send(std::move(response));
}

void ChatResponder::beginStream(int status, const QByteArray &contentType, const HeaderList &headers)
{
    m_inner->beginStream(status, contentType, headers);
    if (contentType.startsWith("text/event-stream"))
        m_stream.emplace(callIdOf(headers), m_model, m_includeUsage);
}

void ChatResponder::writeChunk(const QByteArray &data)
{
    if (!m_stream) {
        m_inner->writeChunk(data);
        return;
    }
    QByteArray out = m_stream->feed(data);
    // The relay writes message_stop once the call is recorded: then the client may hear the end.
    if (m_stream->sawMessageStop())
        out += m_stream->done();
    if (!out.isEmpty())
        m_inner->writeChunk(out);
}

void ChatResponder::endStream()
{
    if (m_stream) {
        const QByteArray out = m_stream->finish();
        if (!out.isEmpty())
            m_inner->writeChunk(out);
    }
    m_inner->endStream();
}

} // namespace Tollgate::Anthropic
