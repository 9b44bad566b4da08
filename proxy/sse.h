#pragma once

#include "../models/pricing.h"

#include <QByteArray>
#include <QByteArrayView>
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
    qint64 cacheWriteTokens = 0;  // Anthropic's cache_creation_input_tokens: part of promptTokens
    qint64 cacheWrite1hTokens = 0;  // the part of cacheWriteTokens written for an hour
    // prompt_tokens_details.audio_tokens and completion_tokens_details.audio_tokens (chat):
    // parts of promptTokens and completionTokens, priced at the audio rates.
    qint64 audioPromptTokens = 0;
    qint64 audioCompletionTokens = 0;
    // completion_tokens_details.reasoning_tokens (chat), output_tokens_details.reasoning_tokens
    // (Responses): the part of the output the model thought in, priced at the reasoning rate.
    qint64 reasoningTokens = 0;
    // Server-side tools the provider ran (Anthropic's usage.server_tool_use; the Responses
    // API's output items, counted by the relay): billed per use.
    ToolUses tools;
};

// A usage block is read only when it can be billed: its counts are numbers from 0 to a
// billion (null is absent) and it has the input or the output count. Otherwise (no block, an
// empty one, a count as a string, negative, NaN or absurd) these give nullopt, and the relay
// counts the call's tokens itself: never a free call, nor an absurd one.

// `usage` of a completion / chunk / embeddings answer, if it has one.
std::optional<Usage> usageFromJson(const QJsonObject &object);
// The same from the "usage" object itself.
std::optional<Usage> usageFromChat(const QJsonObject &usage);
// An Anthropic `usage` object (Message, message_start, message_delta): input_tokens excludes
// the cache reads and writes, which Usage counts as part of promptTokens.
std::optional<Usage> usageFromAnthropic(const QJsonObject &usage);
// An OpenAI Responses `usage` object: input_tokens includes the cached ones; reasoning tokens
// are part of output_tokens.
std::optional<Usage> usageFromResponses(const QJsonObject &usage);

enum class UsageDialect : quint8 { Chat, Anthropic, Responses };
// A `usage` object's text read as the functions above read it; a text of plain integers and
// nested objects (nearly every answer's) without the JSON parser. nullopt: not a JSON object,
// or not a usable usage block.
// `isObject` (if given) says whether the text was a JSON object at all.
std::optional<Usage> usageFromText(UsageDialect dialect, QByteArrayView usage, bool *isObject = nullptr);

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
    // How many bytes of it there are: an event that never ends would be held whole.
    [[nodiscard]] qsizetype pendingBytes() const { return m_buffer.size() - m_offset; }

private:
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    // Where the search for an event's end goes on: the bytes before it hold none. An event that
    // comes in many pieces is searched once, not once a piece (a never-ending one from a hostile
    // upstream made every read rescan the whole buffer).
    qsizetype m_resume = 0;
};

// What the relay needs to know about one streamed chunk.
struct ChunkInfo
{
    std::optional<Usage> usage;
    bool usageOnly = false;   // `"choices": []` with usage: the include_usage chunk
    QString serviceTier;      // the chunk's service_tier (read only from a chunk with usage)
};

// Cheap when a chunk has no usage (no JSON parse unless the text mentions it).
ChunkInfo inspectChunk(const QByteArray &data);

// An event's type: its `event:` line, else the "type" of its data (Anthropic's and the
// Responses API's streams name every event both ways). Empty when it has neither.
QByteArray sseEventType(const SseEvent &event);

// What the relay needs to know about one event of an Anthropic Messages or OpenAI Responses
// stream. Only events that carry usage, an id or an error are parsed.
struct DialectEventInfo
{
    enum class Kind {
        Content,    // deltas, blocks and items: relayed and counted as delivered output
        Start,      // message_start, response.created / in_progress: relayed
        Usage,      // message_delta (the final usage): relayed
        Terminal,   // message_stop, response.completed / incomplete: the end, held back until recorded
        Failed,     // an error event, response.failed: the call failed after what it sent
        Other,      // ping and the like
    };
    Kind kind = Kind::Other;
    std::optional<Usage> usage;   // message_start's (input only), message_delta's, a terminal response's
    bool usageUnusable = false;   // the event has a usage that cannot be billed (see usageFromAnthropic)
    QString responseId;           // response.created
    QString serviceTier;          // a terminal response's service_tier (empty: none)
};
// `anthropic`: a Messages stream, else a Responses stream.
DialectEventInfo inspectDialectEvent(const SseEvent &event, bool anthropic);

} // namespace Tollgate
