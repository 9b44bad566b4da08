#pragma once

#include <QByteArray>
#include <QJsonObject>

#include <optional>

namespace Tollgate {

// Token counts of one call, as the provider reports them.
struct Usage
{
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 totalTokens = 0;
    qint64 cachedTokens = 0;      // prompt_tokens_details.cached_tokens: part of promptTokens
};

// `usage` of a completion / chunk / embeddings answer, if it has one.
std::optional<Usage> usageFromJson(const QJsonObject &object);

// One server-sent event: the bytes as received (with its blank-line terminator, so it can
// be relayed unchanged) and its joined `data:` payload.
struct SseEvent
{
    QByteArray raw;
    QByteArray data;

    [[nodiscard]] bool isDone() const { return data == "[DONE]"; }
};

// Splits an SSE byte stream into events as pieces arrive (events may span pieces, and a
// piece may hold many events). Accepts LF and CRLF line ends.
class SseParser
{
public:
    void feed(const QByteArray &bytes);
    // The next complete event, if any.
    bool next(SseEvent &event);
    // Bytes of an unfinished event (stream ended without its blank line).
    [[nodiscard]] QByteArray remainder() const { return m_buffer.mid(m_offset); }

private:
    QByteArray m_buffer;
    qsizetype m_offset = 0;
};

// What the relay needs to know about one streamed chunk.
struct ChunkInfo
{
    std::optional<Usage> usage;
    bool usageOnly = false;   // `"choices": []` with usage: the include_usage chunk
};

// Cheap when a chunk has no usage (no JSON parse unless the text mentions it).
ChunkInfo inspectChunk(const QByteArray &data);

} // namespace Tollgate
