#include "tokencount.h"

#include "tokenizer.h"

#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <optional>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// Tokens the provider adds around a block of tool (or function) definitions, and around each
// one, beyond the definitions' own JSON text. OpenAI renders tools as a TypeScript-like
// namespace that is shorter than their JSON; the JSON text plus these is a safe bound.
constexpr qint64 ToolBlockOverhead = 32;
constexpr qint64 PerToolOverhead = 16;
// A file by id (uploaded earlier) cannot be sized here: a whole large context.
constexpr qint64 FileByIdTokens = 128'000;
// Base64 characters of a file per page the provider may render as an image (a PDF page
// takes more than 2,000 bytes of base64 in practice).
constexpr qint64 FileBytesPerPage = 2'000;

qint64 roughCount(const QString &text)
{
    return text.isEmpty() ? 0 : std::max<qint64>(1, (text.size() + 3) / 4);
}

// The tokens of a completion `prompt` or embedding `input`: a string, a list of strings, or
// (lists of) token ids, with `countText` for each string.
template<typename CountText>
qint64 valueTokens(const QJsonValue &value, const CountText &countText)
{
    if (value.isString())
        return countText(value.toString());
    if (!value.isArray())
        return 0;
    qint64 total = 0;
    for (const QJsonValue item : value.toArray())
        total += item.isDouble() ? 1 : valueTokens(item, countText);  // a token id, or a string / list
    return total;
}

qint64 utf8Bytes(QStringView text)
{
    qint64 bytes = 0;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        bytes += u < 0x80 ? 1 : u < 0x800 ? 2 : QChar::isSurrogate(u) ? 2 : 3;  // a pair is 4
    }
    return bytes;
}

// At least the bytes of `value` written as compact JSON (QJsonDocument::Compact): quotes,
// escapes (up to \u00XX), separators, and 24 characters for any number. Tokens of that text
// never exceed it, so it bounds the exact count without serialising or tokenizing.
qint64 jsonBytes(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null: return 4;
    case QJsonValue::Bool: return 5;
    case QJsonValue::Double: return 24;
    case QJsonValue::String: {
        const QString text = value.toString();
        qint64 bytes = 2;
        for (const QChar c : text) {
            const char16_t u = c.unicode();
            if (u < 0x20 || u == 0x7f)
                bytes += 6;
            else if (u == u'"' || u == u'\\')
                bytes += 2;
            else
                bytes += u < 0x80 ? 1 : u < 0x800 ? 2 : QChar::isSurrogate(u) ? 2 : 3;
        }
        return bytes;
    }
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        qint64 bytes = 2 + std::max<qint64>(array.size() - 1, 0);
        for (const QJsonValue item : array)
            bytes += jsonBytes(item);
        return bytes;
    }
    case QJsonValue::Object: {
        const QJsonObject object = value.toObject();
        qint64 bytes = 2 + std::max<qint64>(object.size() - 1, 0);
        for (auto it = object.begin(); it != object.end(); ++it)
            bytes += jsonBytes(it.key()) + 1 + jsonBytes(it.value());
        return bytes;
    }
    case QJsonValue::Undefined: return 0;
    }
    return 0;
}

// The exact side: the tokens of the compact JSON text.
qint64 jsonTokens(const QJsonValue &value, const Tokenizer &tokenizer)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Bool:
    case QJsonValue::Double:
    case QJsonValue::Undefined:
        return jsonBytes(value);   // a handful of characters: their count bounds their tokens
    case QJsonValue::String:
        return 2 + tokenizer.count(value.toString());   // quotes; escapes shorten the text
    case QJsonValue::Array:
        return qint64(tokenizer.count(QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact))));
    case QJsonValue::Object:
        return qint64(tokenizer.count(QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact))));
    }
    return 0;
}

// Looks the model's image costs up on the first image only: most requests have none, and
// admission's bound runs for every call.
class LazyImageTokens
{
public:
    explicit LazyImageTokens(const QString &model) : m_model(model) {}
    const ImageTokens &get()
    {
        if (!m_tokens)
            m_tokens = imageTokensForModel(m_model);
        return *m_tokens;
    }

private:
    const QString &m_model;
    std::optional<ImageTokens> m_tokens;
};

template<typename CountText, typename CountJson>
qint64 partTokens(const QJsonValue &part, LazyImageTokens &images, const CountText &countText,
                  const CountJson &countJson)
{
    if (!part.isObject())
        return part.isNull() ? 0 : countJson(part);
    const QJsonObject object = part.toObject();
    const QString type = object.value(u"type"_s).toString();
    if (type == u"image_url" || type == u"input_image" || type == u"image") {
        const QJsonValue inner = object.value(u"image_url"_s);
        const QString detail = (inner.isObject() ? inner.toObject() : object).value(u"detail"_s).toString();
        if (detail == u"low")
            return images.get().low;
        return detail == u"original" ? images.get().original : images.get().high;
    }
    if (type == u"input_audio") {
        // Audio is billed per second at an audio rate; its base64 bytes as text tokens cover
        // any codec above ~1 kbit/s even where audio tokens cost 16x text tokens.
        const QJsonObject audio = object.value(u"input_audio"_s).toObject();
        return 16 + audio.value(u"data"_s).toString().size() + countText(audio.value(u"format"_s).toString());
    }
    if (type == u"file" || type == u"input_file") {
        const QJsonObject file = object.value(u"file"_s).isObject() ? object.value(u"file"_s).toObject() : object;
        const QString data = file.value(u"file_data"_s).toString();
        if (data.isEmpty())
            return FileByIdTokens;
        // Extracted text (at most its bytes) plus, per page, an image of the page.
        return 16 + data.size() + images.get().high * (1 + data.size() / FileBytesPerPage)
             + countText(file.value(u"filename"_s).toString());
    }
    if (type == u"refusal")
        return countText(object.value(u"refusal"_s).toString());
    return countJson(part);   // tool calls and anything newer: as their JSON
}

// The members of `object` named in `names` (Undefined where it has none), found in one walk over
// its members. Each QJsonObject::value() searches them all (~570 instructions a look-up in Qt
// 6.4), but the walk makes a QString of every key (~300 each): it pays off for many names only
// (the nine of promptTokens: 10.8k -> 9.3k instructions; admission's five would cost more).
template<size_t N>
std::array<QJsonValue, N> jsonMembers(const QJsonObject &object, const std::array<QStringView, N> &names)
{
    std::array<QJsonValue, N> values;
    for (QJsonValue &value : values)
        value = QJsonValue(QJsonValue::Undefined);
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        const QString key = it.key();
        for (size_t i = 0; i < N; ++i) {
            if (key == names[i]) {
                values[i] = it.value();
                break;
            }
        }
    }
    return values;
}

// A top-level field of a chat, completions or embeddings request that a server never renders
// into the prompt (sampling, output, routing, the gateway's own). Sorted.
bool isSettingField(QStringView key)
{
    static constexpr std::array<QStringView, 36> Settings{
        u"audio", u"best_of", u"dimensions", u"echo", u"encoding_format", u"frequency_penalty", u"logit_bias",
        u"logprobs", u"max_completion_tokens", u"max_tokens", u"metadata", u"min_p", u"mock_response",
        u"modalities", u"model", u"n", u"parallel_tool_calls", u"prediction", u"presence_penalty",
        u"prompt_cache_key", u"reasoning_effort", u"repetition_penalty", u"safety_identifier", u"seed",
        u"service_tier", u"stop", u"store", u"stream", u"stream_options", u"temperature", u"top_k",
        u"top_logprobs", u"top_p", u"user", u"verbosity", u"web_search_options"};
    return std::binary_search(Settings.begin(), Settings.end(), key);
}

// Every prompt token source of a request: chat messages (with every part), completion
// `prompt` and `suffix`, embedding `input`, tools, functions, tool_choice, response_format —
// and any other field but a setting, as its JSON text: an OpenAI-compatible server may render
// fields of its own into the prompt (vLLM's `documents`, `chat_template_kwargs`), and leaving them
// out let a strict budget's exact count admit 8x its max.
template<typename CountText, typename CountJson>
qint64 promptTokens(const QJsonObject &body, const QString &model, const CountText &countText,
                    const CountJson &countJson)
{
    enum Field { Messages, Prompt, Input, Suffix, Tools, Functions, ToolChoice, FunctionCall, ResponseFormat };
    static constexpr std::array<QStringView, 9> Names{u"messages", u"prompt", u"input", u"suffix", u"tools",
                                                      u"functions", u"tool_choice", u"function_call", u"response_format"};
    const auto fields = jsonMembers(body, Names);

    qint64 total = 0;
    LazyImageTokens images(model);
    if (const QJsonValue &messages = fields[Messages]; messages.isArray()) {
        total += chatPromptTokens(messages.toArray(), countText, [&](const QJsonValue &part) {
            return partTokens(part, images, countText, countJson);
        });
    }
    total += valueTokens(fields[Prompt], countText) + valueTokens(fields[Input], countText);
    if (const QJsonValue &suffix = fields[Suffix]; suffix.isString())
        total += countText(suffix.toString());
    for (const Field field : {Tools, Functions}) {
        const QJsonValue &definitions = fields[field];
        if (definitions.isArray() && !definitions.toArray().isEmpty())
            total += ToolBlockOverhead + PerToolOverhead * definitions.toArray().size() + countJson(definitions);
        else if (!definitions.isUndefined() && !definitions.isNull())
            total += countJson(definitions);
    }
    for (const Field field : {ToolChoice, FunctionCall, ResponseFormat}) {
        const QJsonValue &value = fields[field];
        if (value.isObject())
            total += ToolBlockOverhead + countJson(value);
        else if (value.isString())
            total += countText(value.toString());
    }
    for (auto it = body.constBegin(); it != body.constEnd(); ++it) {
        const QString key = it.key();
        if (isSettingField(key) || std::find(Names.begin(), Names.end(), QStringView(key)) != Names.end())
            continue;
        const QJsonValue value = it.value();
        total += countText(key) + (value.isString() ? countText(value.toString()) : countJson(value));
    }
    return total;
}

} // namespace

ImageTokens imageTokensForModel(const QString &model)
{
    const QString name = bareModelName(model);
    const auto family = [&name](QStringView prefix) { return isModelFamily(name, prefix); };
    // detail "original": at most 10,000 patches of 32 px (OpenAI's model-sizing guide), times the
    // model's multiplier; for a tile model, which names none, 1.2 (the newer models' own).
    const auto original = [](qint64 multiplierPercent) { return (10'000 * multiplierPercent + 99) / 100; };
    // Tile models (OpenAI's vision guide): fit in 2048x2048, shortest side at most 768 →
    // at most 4 x 2 tiles of 512 px: base + 8 x per tile at high detail, base at low.
    const auto tiles = [&original](qint64 base, qint64 perTile) {
        return ImageTokens{base, base + 8 * perTile, std::max(base + 8 * perTile, original(120))};
    };
    // Patch models: at most 1,536 patches of 32 px, times the model's multiplier.
    const auto patches = [&original](qint64 multiplierPercent) {
        const qint64 tokens = (1536 * multiplierPercent + 99) / 100;
        return ImageTokens{tokens, tokens, original(multiplierPercent)};
    };
    if (family(u"gpt-4o-mini"))
        return tiles(2833, 5667);
    if (family(u"gpt-4.1-mini") || family(u"gpt-5-mini"))
        return patches(162);
    if (family(u"gpt-4.1-nano") || family(u"gpt-5-nano"))
        return patches(246);
    if (family(u"o4-mini"))
        return patches(172);
    if (family(u"gpt-5") || name.startsWith(u"gpt-5."))
        return tiles(70, 140);
    if (family(u"gpt-4o") || family(u"chatgpt-4o") || family(u"gpt-4.1") || family(u"gpt-4.5")
        || family(u"gpt-4-turbo") || family(u"gpt-4-vision-preview"))
        return tiles(85, 170);
    if (family(u"o1") || family(u"o1-pro") || family(u"o3") || family(u"o3-pro"))
        return tiles(75, 150);
    if (family(u"computer-use-preview"))
        return tiles(65, 129);
    if (name.startsWith(u"claude")) {
        // Anthropic scales images to about 1,600 tokens at most up to Claude 4.6; from Opus 4.7
        // on, to 2,576 px on the long edge, about 3.75 megapixels in 28 px patches: 4,784. A
        // Claude this does not know as older is bounded at that.
        static const QRegularExpression version(uR"(^claude-(?:(?:opus|sonnet|haiku)-)?(\d+)(?:[-.](\d{1,2})(?!\d))?)"_s);
        const QRegularExpressionMatch match = version.match(name);
        const int major = match.hasMatch() ? match.captured(1).toInt() : 0;
        const int minor = match.captured(2).toInt();
        const bool older = major > 0 && (major < 4 || (major == 4 && minor <= 6));
        const qint64 tokens = older ? 1800 : 4800;
        return {tokens, tokens, tokens};
    }
    // Unknown: the largest of the families above (gpt-4o-mini's; nano's for "original"), so no
    // image is cheap.
    ImageTokens unknown = tiles(2833, 5667);
    unknown.original = std::max(unknown.high, original(246));
    return unknown;
}

qint64 boundRequestPromptTokens(const QJsonObject &body, const QString &model)
{
    return promptTokens(body, model, utf8Bytes, jsonBytes);
}

qint64 countTextTokens(const QString &text, const QString &model)
{
    if (text.isEmpty())
        return 0;
    const auto tokenizer = Tokenizer::load(encodingForModel(model));
    return tokenizer ? (*tokenizer)->count(text) : roughCount(text);
}

qint64 countRequestPromptTokens(const QJsonObject &body, const QString &model)
{
    const auto loaded = Tokenizer::load(encodingForModel(model));
    if (!loaded)   // no encoding: the byte bound is still never below the real count
        return boundRequestPromptTokens(body, model);
    const Tokenizer &tokenizer = **loaded;
    return promptTokens(
        body, model, [&tokenizer](QStringView text) { return qint64(tokenizer.count(text)); },
        [&tokenizer](const QJsonValue &value) { return jsonTokens(value, tokenizer); });
}

namespace {

// Tool calls are output tokens too: each function's name and arguments.
void appendToolCalls(QString &text, const QJsonValue &calls)
{
    for (const QJsonValue call : calls.toArray()) {
        const QJsonObject function = call.toObject().value(u"function"_s).toObject();
        text += function.value(u"name"_s).toString();
        text += function.value(u"arguments"_s).toString();
    }
}

// A message's or output item's content: a string, or parts with a text.
void appendContent(QString &text, const QJsonValue &content)
{
    if (content.isString()) {
        text += content.toString();
        return;
    }
    for (const QJsonValue part : content.toArray()) {
        const QJsonObject object = part.toObject();
        text += object.value(u"text"_s).toString();
        text += object.value(u"refusal"_s).toString();
    }
}

// What a chat answer's message, or a streamed chunk's delta (the same fields in pieces), says:
// its content, refusal, reasoning (reasoning_content: DeepSeek, vLLM; reasoning: others), tool
// calls and legacy function call are all output tokens.
void appendMessage(QString &text, const QJsonObject &message)
{
    appendContent(text, message.value(u"content"_s));
    text += message.value(u"refusal"_s).toString();
    text += message.value(u"reasoning_content"_s).toString();
    text += message.value(u"reasoning"_s).toString();
    appendToolCalls(text, message.value(u"tool_calls"_s));
    const QJsonObject legacy = message.value(u"function_call"_s).toObject();
    text += legacy.value(u"name"_s).toString();
    text += legacy.value(u"arguments"_s).toString();
}

} // namespace

QString streamedText(const QList<QByteArray> &chunkPayloads)
{
    QString text;
    for (const QByteArray &payload : chunkPayloads) {
        const QJsonObject chunk = QJsonDocument::fromJson(payload).object();
        // Anthropic's content_block_delta ({"delta": {"text" | "partial_json" | "thinking"}})
        // and the Responses API's deltas ({"delta": "…"}).
        const QJsonValue delta = chunk.value(u"delta"_s);
        if (delta.isString() && chunk.value(u"type"_s).toString().endsWith(u".delta"))
            text += delta.toString();
        if (delta.isObject() && chunk.value(u"type"_s).toString() == u"content_block_delta") {
            const QJsonObject part = delta.toObject();
            text += part.value(u"text"_s).toString();
            text += part.value(u"partial_json"_s).toString();
            text += part.value(u"thinking"_s).toString();
        }
        for (const QJsonValue choice : chunk.value(u"choices"_s).toArray()) {
            const QJsonObject object = choice.toObject();
            appendMessage(text, object.value(u"delta"_s).toObject());
            text += object.value(u"text"_s).toString();
        }
    }
    return text;
}

QString answerText(const QByteArray &answer)
{
    const QJsonObject object = QJsonDocument::fromJson(answer).object();
    QString text;
    const auto appendJson = [&text](const QJsonValue &value) {
        if (value.isObject())
            text += QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
        else if (value.isString())
            text += value.toString();
    };
    for (const QJsonValue choice : object.value(u"choices"_s).toArray()) {
        const QJsonObject entry = choice.toObject();
        text += entry.value(u"text"_s).toString();
        appendMessage(text, entry.value(u"message"_s).toObject());
    }
    // Anthropic's Message.
    if (object.value(u"type"_s).toString() == u"message") {
        for (const QJsonValue block : object.value(u"content"_s).toArray()) {
            const QJsonObject part = block.toObject();
            text += part.value(u"text"_s).toString();
            text += part.value(u"thinking"_s).toString();
            text += part.value(u"name"_s).toString();
            appendJson(part.value(u"input"_s));
        }
    }
    // The Responses API's response.
    for (const QJsonValue item : object.value(u"output"_s).toArray()) {
        const QJsonObject entry = item.toObject();
        appendContent(text, entry.value(u"content"_s));
        text += entry.value(u"name"_s).toString();
        text += entry.value(u"arguments"_s).toString();
        for (const QJsonValue summary : entry.value(u"summary"_s).toArray())
            text += summary.toObject().value(u"text"_s).toString();
    }
    return text;
}

void preloadTokenizer(Encoding encoding)
{
    [[maybe_unused]] const auto loaded = Tokenizer::load(encoding);
}

} // namespace Tollgate
