#include "sse.h"

#include <QJsonArray>
#include <QJsonDocument>

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

} // namespace Tollgate
