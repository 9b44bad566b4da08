#include "sse.h"

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
    const QJsonObject usage = value.toObject();
    Usage result;
    result.promptTokens = usage.value(u"prompt_tokens"_s).toInteger();
    result.completionTokens = usage.value(u"completion_tokens"_s).toInteger();
    result.totalTokens = usage.contains(u"total_tokens"_s)
                             ? usage.value(u"total_tokens"_s).toInteger()
                             : result.promptTokens + result.completionTokens;
    // Cached prompt tokens are billed at the cache-read price (part of prompt_tokens).
    result.cachedTokens = usage.value(u"prompt_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInteger();
    return result;
}

Usage usageFromAnthropic(const QJsonObject &usage)
{
    Usage result;
    const qint64 input = std::max<qint64>(usage.value(u"input_tokens"_s).toInteger(), 0);
    result.cachedTokens = std::max<qint64>(usage.value(u"cache_read_input_tokens"_s).toInteger(), 0);
    result.cacheWriteTokens = std::max<qint64>(usage.value(u"cache_creation_input_tokens"_s).toInteger(), 0);
    // cache_creation splits the writes by time to live (5 minutes, 1 hour): priced apart.
    const QJsonObject split = usage.value(u"cache_creation"_s).toObject();
    result.cacheWrite1hTokens = std::clamp<qint64>(split.value(u"ephemeral_1h_input_tokens"_s).toInteger(), 0,
                                                   result.cacheWriteTokens);
    result.promptTokens = input + result.cachedTokens + result.cacheWriteTokens;
    result.completionTokens = std::max<qint64>(usage.value(u"output_tokens"_s).toInteger(), 0);
    result.totalTokens = result.promptTokens + result.completionTokens;
    return result;
}

Usage usageFromResponses(const QJsonObject &usage)
{
    Usage result;
    result.promptTokens = std::max<qint64>(usage.value(u"input_tokens"_s).toInteger(), 0);
    result.completionTokens = std::max<qint64>(usage.value(u"output_tokens"_s).toInteger(), 0);
    result.cachedTokens = std::clamp<qint64>(
        usage.value(u"input_tokens_details"_s).toObject().value(u"cached_tokens"_s).toInteger(), 0,
        result.promptTokens);
    result.totalTokens = result.promptTokens + result.completionTokens;
    return result;
}

void SseParser::feed(const QByteArray &bytes)
{
    if (m_offset > 0 && m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    } else if (m_offset > 64 * 1024) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer += bytes;
}

bool SseParser::next(SseEvent &event)
{
    // An event ends at the first empty line: "\n\n" or "\r\n\r\n" (or mixed).
    qsizetype pos = m_offset;
    qsizetype end = -1;
    qsizetype terminatorEnd = -1;
    while (pos < m_buffer.size()) {
        const qsizetype newline = m_buffer.indexOf('\n', pos);
        if (newline < 0)
            break;
        qsizetype next = newline + 1;
        if (next < m_buffer.size() && m_buffer.at(next) == '\n') {
            end = newline;
            terminatorEnd = next + 1;
            break;
        }
        if (next + 1 < m_buffer.size() && m_buffer.at(next) == '\r' && m_buffer.at(next + 1) == '\n') {
            end = newline;
            terminatorEnd = next + 2;
            break;
        }
        pos = next;
    }
    if (end < 0)
        return false;

    event.raw = m_buffer.mid(m_offset, terminatorEnd - m_offset);
    event.data.clear();
    const QByteArray block = m_buffer.mid(m_offset, end - m_offset);
    m_offset = terminatorEnd;
    bool first = true;
    for (QByteArray line : block.split('\n')) {
        if (line.endsWith('\r'))
            line.chop(1);
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
    if (!data.contains("\"usage\""))
        return info;
    const QJsonDocument document = QJsonDocument::fromJson(data);
    if (!document.isObject())
        return info;
    const QJsonObject object = document.object();
    info.usage = usageFromJson(object);
    if (info.usage) {
        const QJsonValue choices = object.value(u"choices"_s);
        info.usageOnly = !choices.isArray() || choices.toArray().isEmpty();
    }
    return info;
}

namespace {

// The string value of "type" in a JSON object text, when the object starts with it (as both
// dialects write their events) — else found by parsing.
QByteArray dataType(const QByteArray &data)
{
    static const QByteArray prefix = QByteArrayLiteral("{\"type\":\"");
    const QByteArray trimmed = data.trimmed();
    if (trimmed.startsWith(prefix)) {
        const qsizetype end = trimmed.indexOf('"', prefix.size());
        if (end > 0 && !trimmed.mid(prefix.size(), end - prefix.size()).contains('\\'))
            return trimmed.mid(prefix.size(), end - prefix.size());
    }
    return QJsonDocument::fromJson(data).object().value(u"type"_s).toString().toUtf8();
}

} // namespace

QByteArray sseEventType(const SseEvent &event)
{
    if (event.raw.startsWith("event:")) {
        const qsizetype end = event.raw.indexOf('\n');
        return event.raw.mid(6, end < 0 ? -1 : end - 6).trimmed();
    }
    return event.data.isEmpty() ? QByteArray() : dataType(event.data);
}

DialectEventInfo inspectDialectEvent(const SseEvent &event, bool anthropic)
{
    using Kind = DialectEventInfo::Kind;
    DialectEventInfo info;
    const QByteArray type = sseEventType(event);
    const auto object = [&event] { return QJsonDocument::fromJson(event.data).object(); };
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
            if (!usage.isEmpty())
                info.usage = usageFromAnthropic(usage);
        } else if (type == "message_stop") {
            info.kind = Kind::Terminal;
        } else if (type == "error") {
            info.kind = Kind::Failed;
        }
        return info;
    }
    if (type.endsWith(".delta") || type.startsWith("response.output_") || type.startsWith("response.content_part")
        || type.startsWith("response.reasoning") || type.startsWith("response.function_call")) {
        info.kind = Kind::Content;
    } else if (type == "response.created" || type == "response.in_progress" || type == "response.queued") {
        info.kind = Kind::Start;
        if (type == "response.created")
            info.responseId = object().value(u"response"_s).toObject().value(u"id"_s).toString();
    } else if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
        info.kind = type == "response.failed" ? Kind::Failed : Kind::Terminal;
        const QJsonObject response = object().value(u"response"_s).toObject();
        info.responseId = response.value(u"id"_s).toString();
        const QJsonObject usage = response.value(u"usage"_s).toObject();
        if (!usage.isEmpty())
            info.usage = usageFromResponses(usage);
    } else if (type == "error") {
        info.kind = Kind::Failed;
    } else if (!type.isEmpty()) {
        // Tool progress and other items the model produced (web_search_call.*, …).
        info.kind = Kind::Content;
    }
    return info;
}

} // namespace Tollgate
