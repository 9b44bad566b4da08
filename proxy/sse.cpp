#include "sse.h"

#include "jsonscan.h"
#include "responses.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate {

std::optional<Usage> usageFromJson(const QJsonObject &object)
{
    const QJsonValue value = object.value(u"usage"_s);
    if (!value.isObject())
        return std::nullopt;
    return usageFromChat(value.toObject());
}

namespace {

// More tokens than any call has (a thousand times a large context): a count above it is a
// provider's error, not a bill.
constexpr qint64 MaxUsageTokens = 1'000'000'000;

// The usage readers below read a QJsonObject or a PlainJsonObject alike through these. A
// count that is there must be a number from 0 to MaxUsageTokens (null counts as absent, a
// fraction is cut); anything else (a string, a negative number, NaN, 1e300) makes the count
// nullopt, and the whole usage block unusable.
struct JsonSource
{
    QJsonObject object;
    [[nodiscard]] bool has(const char *key) const
    {
        const QJsonValue value = object.value(QLatin1StringView(key));
        return !value.isUndefined() && !value.isNull();
    }
    [[nodiscard]] std::optional<qint64> count(const char *key) const
    {
        const QJsonValue value = object.value(QLatin1StringView(key));
        if (value.isUndefined() || value.isNull())
            return 0;
        if (!value.isDouble())
            return std::nullopt;
        const double number = value.toDouble();
        if (!(number >= 0 && number <= double(MaxUsageTokens)))  // negative, NaN or absurd
            return std::nullopt;
        return qint64(number);
    }
    [[nodiscard]] JsonSource child(const char *key) const { return {object.value(QLatin1StringView(key)).toObject()}; }
};

struct PlainSource
{
    PlainJsonObject object;  // valid: every scalar in it is plain (an integer of up to 18 digits)
    [[nodiscard]] bool has(const char *key) const
    {
        const std::optional<QByteArrayView> value = object.raw(key);
        return value && *value != "null";
    }
    [[nodiscard]] std::optional<qint64> count(const char *key) const
    {
        const std::optional<QByteArrayView> value = object.raw(key);
        if (!value || *value == "null")
            return 0;
        bool ok = false;
        const qint64 number = value->toLongLong(&ok);
        if (!ok || number < 0 || number > MaxUsageTokens)
            return std::nullopt;
        return number;
    }
    [[nodiscard]] PlainSource child(const char *key) const { return {object.object(key)}; }
};

template <typename Source>
std::optional<Usage> chatUsage(const Source &usage)
{
    const std::optional<qint64> prompt = usage.count("prompt_tokens");
    const std::optional<qint64> completion = usage.count("completion_tokens");
    const std::optional<qint64> total = usage.count("total_tokens");
    // Cached prompt tokens are billed at the cache-read price (part of prompt_tokens).
    const auto promptDetails = usage.child("prompt_tokens_details");
    const std::optional<qint64> cached = promptDetails.count("cached_tokens");
    // Audio tokens cost more than text (gpt-audio: 12.8× in, 6.4× out).
    const std::optional<qint64> audioIn = promptDetails.count("audio_tokens");
    const auto completionDetails = usage.child("completion_tokens_details");
    const std::optional<qint64> audioOut = completionDetails.count("audio_tokens");
    const std::optional<qint64> reasoning = completionDetails.count("reasoning_tokens");
    if (!prompt || !completion || !total || !cached || !audioIn || !audioOut || !reasoning
        || !(usage.has("prompt_tokens") || usage.has("completion_tokens")))
        return std::nullopt;
    Usage result;
    result.promptTokens = *prompt;
    result.completionTokens = *completion;
    result.totalTokens = usage.has("total_tokens") ? *total : *prompt + *completion;
    result.cachedTokens = std::min(*cached, *prompt);
    result.audioPromptTokens = std::min(*audioIn, *prompt);
    result.audioCompletionTokens = std::min(*audioOut, *completion);
    result.reasoningTokens = std::min(*reasoning, *completion - result.audioCompletionTokens);
    return result;
}

template <typename Source>
std::optional<Usage> anthropicUsage(const Source &usage)
{
    const std::optional<qint64> input = usage.count("input_tokens");
    const std::optional<qint64> output = usage.count("output_tokens");
    const std::optional<qint64> cacheRead = usage.count("cache_read_input_tokens");
    const std::optional<qint64> cacheWrite = usage.count("cache_creation_input_tokens");
    const std::optional<qint64> write1h = usage.child("cache_creation").count("ephemeral_1h_input_tokens");
    // Web searches Anthropic ran (server tools), each billed per search.
    const std::optional<qint64> searches = usage.child("server_tool_use").count("web_search_requests");
    if (!input || !output || !cacheRead || !cacheWrite || !write1h || !searches
        || !(usage.has("input_tokens") || usage.has("output_tokens")))
        return std::nullopt;
    Usage result;
    result.tools.webSearches = *searches;
    result.cachedTokens = *cacheRead;
    result.cacheWriteTokens = *cacheWrite;
    // cache_creation splits the writes by time to live (5 minutes, 1 hour): priced apart.
    result.cacheWrite1hTokens = std::min(*write1h, result.cacheWriteTokens);
    result.promptTokens = *input + result.cachedTokens + result.cacheWriteTokens;
    result.completionTokens = *output;
    result.totalTokens = result.promptTokens + result.completionTokens;
    return result;
}

template <typename Source>
std::optional<Usage> responsesUsage(const Source &usage)
{
    const std::optional<qint64> input = usage.count("input_tokens");
    const std::optional<qint64> output = usage.count("output_tokens");
    const std::optional<qint64> cached = usage.child("input_tokens_details").count("cached_tokens");
    const std::optional<qint64> reasoning = usage.child("output_tokens_details").count("reasoning_tokens");
    if (!input || !output || !cached || !reasoning || !(usage.has("input_tokens") || usage.has("output_tokens")))
        return std::nullopt;
    Usage result;
    result.promptTokens = *input;
    result.completionTokens = *output;
    result.cachedTokens = std::min(*cached, result.promptTokens);
    result.reasoningTokens = std::min(*reasoning, result.completionTokens);
    result.totalTokens = result.promptTokens + result.completionTokens;
    return result;
}

} // namespace

std::optional<Usage> usageFromChat(const QJsonObject &usage)
{
    return chatUsage(JsonSource{usage});
}

std::optional<Usage> usageFromAnthropic(const QJsonObject &usage)
{
    return anthropicUsage(JsonSource{usage});
}

std::optional<Usage> usageFromResponses(const QJsonObject &usage)
{
    return responsesUsage(JsonSource{usage});
}

std::optional<Usage> usageFromText(UsageDialect dialect, QByteArrayView usage, bool *isObject)
{
    const PlainJsonObject plain(usage);
    if (isObject)
        *isObject = true;
    if (plain.valid()) {
        switch (dialect) {
        case UsageDialect::Chat: return chatUsage(PlainSource{plain});
        case UsageDialect::Anthropic: return anthropicUsage(PlainSource{plain});
        case UsageDialect::Responses: return responsesUsage(PlainSource{plain});
        }
    }
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromRawData(usage.data(), usage.size()));
    if (!document.isObject()) {
        if (isObject)
            *isObject = false;
        return std::nullopt;
    }
    switch (dialect) {
    case UsageDialect::Anthropic: return usageFromAnthropic(document.object());
    case UsageDialect::Responses: return usageFromResponses(document.object());
    case UsageDialect::Chat: break;
    }
    return usageFromChat(document.object());
}

void SseParser::feed(const QByteArray &bytes)
{
    if (m_offset > 0 && m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
        m_resume = 0;
    } else if (m_offset > 64 * 1024) {
        m_buffer.remove(0, m_offset);
        m_resume = std::max<qsizetype>(0, m_resume - m_offset);
        m_offset = 0;
    }
    m_buffer += bytes;
}

namespace {

// Where the line terminator at or after `from` begins (CR, LF or CRLF, as the SSE spec allows),
// and where the next line begins; -1 when there is none, or a CR ends the bytes (a CRLF cut in two).
qsizetype lineEnd(const QByteArray &bytes, qsizetype from, qsizetype *nextLine)
{
    const char *data = bytes.constData();
    const qsizetype size = bytes.size();
    for (qsizetype at = from; at < size; ++at) {
        const char c = data[at];
        if (c == '\n') {
            *nextLine = at + 1;
            return at;
        }
        if (c == '\r') {
            if (at + 1 >= size)
                return -1;
            *nextLine = data[at + 1] == '\n' ? at + 2 : at + 1;
            return at;
        }
    }
    return -1;
}

} // namespace

bool SseParser::next(SseEvent &event)
{
    // An event ends at the first empty line: two line terminators in a row ("\n\n", "\r\n\r\n",
    // "\r\r" or mixed).
    qsizetype pos = std::max(m_offset, m_resume);
    qsizetype end = -1;
    qsizetype terminatorEnd = -1;
    while (pos < m_buffer.size()) {
        qsizetype nextLine = 0;
        const qsizetype lineAt = lineEnd(m_buffer, pos, &nextLine);
        if (lineAt < 0)
            break;
        qsizetype afterEmpty = 0;
        if (lineEnd(m_buffer, nextLine, &afterEmpty) == nextLine) {
            end = lineAt;
            terminatorEnd = afterEmpty;
            break;
        }
        if (nextLine >= m_buffer.size())
            break;   // the empty line may follow
        pos = nextLine;
    }
    if (end < 0) {
        // No empty line so far: one can only begin in the last three bytes ("\r\n\r").
        m_resume = std::max(m_offset, m_buffer.size() - 3);
        return false;
    }

    event.raw = m_buffer.mid(m_offset, terminatorEnd - m_offset);
    event.data.clear();
    const QByteArray block = m_buffer.mid(m_offset, end - m_offset);
    m_offset = terminatorEnd;
    bool first = true;
    for (qsizetype at = 0; at < block.size();) {
        qsizetype nextLine = 0;
        qsizetype lineAt = lineEnd(block, at, &nextLine);
        if (lineAt < 0) {   // the last line (a CR at the very end is its terminator)
            lineAt = block.endsWith('\r') ? block.size() - 1 : block.size();
            nextLine = block.size();
        }
        const QByteArray line = QByteArray::fromRawData(block.constData() + at, lineAt - at);
        at = nextLine;
        if (!line.startsWith("data:"))
            continue;
        QByteArray value = line.mid(5);
        if (value.startsWith(' '))
            value.remove(0, 1);
        if (!first)
            event.data += '\n';
        event.data += value;
        first = false;
    }
    return true;
}

ChunkInfo inspectChunk(const QByteArray &data)
{
    ChunkInfo info;
    if (!containsBytes(data, "\"usage\""))
        return info;
    const QJsonDocument document = QJsonDocument::fromJson(data);
    if (!document.isObject())
        return info;
    const QJsonObject object = document.object();
    info.usage = usageFromJson(object);
    info.serviceTier = object.value(u"service_tier"_s).toString();
    if (info.usage) {
        const QJsonValue choices = object.value(u"choices"_s);
        info.usageOnly = !choices.isArray() || choices.toArray().isEmpty();
    }
    return info;
}

namespace {

// The value of the event's `event:` line, if it has one.
QByteArray eventLine(const QByteArray &raw)
{
    qsizetype at = 0;
    while (at < raw.size()) {
        qsizetype end = raw.indexOf('\n', at);
        if (end < 0)
            end = raw.size();
        const QByteArrayView line = QByteArrayView(raw).sliced(at, end - at);
        if (line.startsWith("event:")) {
            QByteArrayView value = line.sliced(6);
            if (value.startsWith(' '))
                value = value.sliced(1);
            if (value.endsWith('\r'))
                value.chop(1);
            return value.toByteArray();
        }
        at = end + 1;
    }
    return {};
}

// The data's top-level "type", found by scanning (strings and nested values are skipped
// whole), without building a JSON document.
QByteArray dataType(const QByteArray &data)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = 0;
    if (!scanJsonObject(data, &members, &close))
        return {};
    for (const JsonMember &member : members) {
        if (member.key != "type" || member.keyEscaped)
            continue;
        const QByteArrayView value = QByteArrayView(data).sliced(member.valueFrom, member.valueTo - member.valueFrom);
        if (value.size() < 2 || !value.startsWith('"') || !value.endsWith('"') || value.contains('\\'))
            return {};
        return value.sliced(1, value.size() - 2).toByteArray();
    }
    return {};
}

} // namespace

QByteArray sseEventType(const SseEvent &event)
{
    const QByteArray line = eventLine(event.raw);
    return line.isEmpty() ? dataType(event.data) : line;
}

DialectEventInfo inspectDialectEvent(const SseEvent &sseEvent, bool anthropic)
{
    using Kind = DialectEventInfo::Kind;
    DialectEventInfo info;
    const QByteArray type = sseEventType(sseEvent);
    const auto object = [&sseEvent] { return QJsonDocument::fromJson(sseEvent.data).object(); };
    if (anthropic) {
        if (type.startsWith("content_block")) {
            info.kind = Kind::Content;
        } else if (type == "message_start") {
            info.kind = Kind::Start;
            const QJsonObject usage = object().value(u"message"_s).toObject().value(u"usage"_s).toObject();
            if (!usage.isEmpty())
                info.usage = usageFromAnthropic(usage);
        } else if (type == "message_delta") {
            info.kind = Kind::Usage;
            const QJsonObject usage = object().value(u"usage"_s).toObject();
            if (!usage.isEmpty()) {
                info.usage = usageFromAnthropic(usage);
                info.usageUnusable = !info.usage;
            }
        } else if (type == "message_stop") {
            info.kind = Kind::Terminal;
        } else if (type == "error") {
            info.kind = Kind::Failed;
        }
        return info;
    }
    const Responses::StreamEventInfo event = Responses::inspectEvent(sseEvent);
    info.usage = event.usage;
    info.responseId = event.responseId;
    info.serviceTier = event.serviceTier;
    if (event.failed)
        info.kind = Kind::Failed;
    else if (event.terminal)
        info.kind = Kind::Terminal;
    else if (type == "response.created" || type == "response.in_progress" || type == "response.queued")
        info.kind = Kind::Start;
    else if (!type.isEmpty())
        info.kind = Kind::Content;   // deltas, items, tool progress (web_search_call.*, …)
    return info;
}

} // namespace Tollgate
