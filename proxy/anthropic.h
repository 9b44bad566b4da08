#pragma once

#include "httptypes.h"
#include "sse.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace Tollgate::Anthropic {

// Anthropic's Messages API (POST /v1/messages) served by OpenAI-style deployments: the
// request is translated into a chat completion, relayed by the one pipeline every chat call
// takes (keys, access, budgets, limits, spend log), and the answer translated back — whole
// answers, streams and errors. What has no chat-completions equivalent is refused with a 400
// that names it, never dropped silently.

// The path is one of Anthropic's routes: their errors use Anthropic's envelope.
bool isAnthropicPath(const QString &canonicalPath);

// Anthropic's error type for an HTTP status (400 invalid_request_error, 401
// authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
// 429 rate_limit_error, 503/529 overloaded_error, else api_error).
QString errorTypeForStatus(int status);
// {"type":"error","error":{"type":…,"message":…}}, compact.
QByteArray errorBody(int status, const QString &message);
HttpResponse errorResponse(int status, const QString &message);

// An error answer in any envelope (the gateway's OpenAI one, a provider's) → Anthropic's, with
// the same status and headers (retry-after, x-ratelimit-*).
HttpResponse translateError(HttpResponse response);

struct ChatRequest
{
    QJsonObject body;          // the chat-completions request
    QString error;             // non-empty: the request cannot be translated (400)
    // Hints the answer does without (thinking, context_management, output_config): accepted, not sent, and
    // named in the answer's x-tollgate-not-translated header so the drop is never silent.
    QStringList notTranslated;
};

// A Messages request → a chat-completions request. `forCounting` (count_tokens) does not
// require max_tokens. A stream asks for stream_options.include_usage: the usage ends up in
// message_delta. `lenient`: the request goes to Anthropic as it is and the translation only
// bounds its tokens — what has no chat equivalent (documents, server tools, new fields) is
// counted as its JSON text instead of refused, never left out.
ChatRequest toChatRequest(const QJsonObject &messages, bool forCounting = false, bool lenient = false);

// Only what bounds a Messages request's output and names its caller (model, max_tokens,
// stream, metadata.user_id as user), with an empty message list: for a request whose prompt
// is bounded by its bytes. The same errors as toChatRequest for those fields.
ChatRequest outputBounds(const QJsonObject &messages);
// outputBounds' checks alone: the error it would give, empty when none. `modelChecked`: the
// caller checked the model already (read from the scan, it is not in `messages`).
QString outputBoundsError(const QJsonObject &messages, bool modelChecked = false);

// The field of a Messages request that makes Anthropic run tools itself, whose results it adds
// to the input and whose uses it bills (web search, web fetch, code execution, tool search, any
// type not known to run on the client; MCP servers): "tools" or "mcp_servers"; empty when there
// is none. Custom tools (no type, or "custom") and the client tools (bash_*, text_editor_*,
// computer_*, memory_*) run on the client.
QString serverToolField(const QJsonObject &request);

// What a Messages request is expected to use of the tools billed per use: one web search when
// it declares Anthropic's web search tool (reserve mode holds its fee).
ToolUses expectedToolUses(const QJsonObject &request);

// What a Messages request's options multiply every token rate by: "speed": "fast" 6×
// (AnthropicFastModeFactor), an "inference_geo" other than "global" 1.1×; else 1. Billed as
// asked: an answer served at the standard speed is charged as fast.
double priceFactor(const QJsonObject &request);

// Whether a Messages request asks for extended thinking: its "thinking" object's type
// ("disabled": false; any other: true); nullopt without one. Claude 4 shows a summary of its
// thinking and bills all of it.
std::optional<bool> asksThinking(const QJsonObject &request);

// A chat-completions answer → a Message; nullopt when it is not one.
std::optional<QByteArray> toMessage(const QByteArray &chatAnswer, const QString &model);

// Chat-completion SSE chunks in, Anthropic's stream events out (message_start, content_block_*,
// message_delta with stop_reason and usage, message_stop; an error event for an error chunk).
class StreamTranslator
{
public:
    StreamTranslator(QString messageId, QString model);

    // The events that open the stream (message_start, ping): sent with the head, before the
    // provider's first chunk arrives.
    QByteArray start();
    // Raw SSE bytes of the chat stream (any split) → Anthropic events.
    QByteArray feed(const QByteArray &bytes);
    // The stream ended: closes what is open if the chat stream did not finish properly.
    QByteArray finish();

private:
    QByteArray onChunk(const QByteArray &data);
    QByteArray closeBlock();
    QByteArray end();

    SseParser m_parser;
    QString m_id;
    QString m_model;
    int m_nextIndex = 0;
    enum class Block { None, Text, Tool } m_block = Block::None;
    int m_toolIndex = -1;             // the chat stream's index of the open tool call
    QString m_stopReason;
    std::optional<Usage> m_usage;
    bool m_ended = false;
};

// Wraps the client's responder on Anthropic routes: every error it is handed goes out in
// Anthropic's envelope; once translateAnswers() is called, a 200 chat answer becomes a
// Message and a chat stream becomes Anthropic's events.
class Responder final : public ForwardingResponder
{
public:
    explicit Responder(ResponderPtr inner) : ForwardingResponder(std::move(inner)) {}

    // `model`: the model name the client asked for (echoed in the Message); `notTranslated`:
    // the request's fields that were not sent (see ChatRequest), told in a header.
    void translateAnswers(const QString &model, const QStringList &notTranslated = {});

    void send(HttpResponse response) override;
    void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) override;
    void writeChunk(const QByteArray &data) override;
    void endStream() override;
    // A chat answer is translated through a DOM: held to MaxTranslatedAnswerBytes.
    [[nodiscard]] qint64 maxAnswerBytes() const override
    {
        return m_translate ? innerLimitOr(MaxTranslatedAnswerBytes) : ForwardingResponder::maxAnswerBytes();
    }

private:
    bool m_translate = false;
    QString m_model;
    HeaderList m_extraHeaders;
    std::optional<StreamTranslator> m_stream;
};

} // namespace Tollgate::Anthropic
