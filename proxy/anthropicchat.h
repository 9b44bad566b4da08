#pragma once

#include "httptypes.h"
#include "sse.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace Tollgate::Anthropic {

// Chat completions served by Anthropic's Messages API (an `anthropic/<model>` deployment): the
// opposite direction of anthropic.h. An OpenAI client's request is translated into a Messages
// request, and the Message (or its event stream) back into a chat completion (or chunks).
// Pure translation: no networking. What has no Messages equivalent is refused with a 400 that
// names the field, never dropped silently.

struct MessagesRequest
{
    QJsonObject body;      // the Messages request (valid only when error is empty)
    QString error;         // non-empty: the request cannot be translated (400 text)
    QString errorParam;    // the field the error is about (OpenAI's error "param")
};

// A chat-completions request → a Messages request for `upstreamModel`. `defaultMaxTokens` is
// sent when the client gives neither max_completion_tokens nor max_tokens (Anthropic requires
// one). system/developer messages become the top-level `system`; consecutive messages of one
// role are merged (Anthropic requires alternating roles), tool results going first.
MessagesRequest toMessagesRequest(const QJsonObject &chat, const QString &upstreamModel, qint64 defaultMaxTokens);

// stop_reason → finish_reason (end_turn/stop_sequence/pause_turn → stop, max_tokens and
// model_context_window_exceeded → length, tool_use → tool_calls, refusal → content_filter).
QString finishReason(const QString &stopReason);

// A Message answer → a chat.completion answer with `id`, `model` (as the client asked) and
// usage; nullopt when `message` is not a Message object.
std::optional<QByteArray> chatCompletionFromMessage(const QByteArray &message, const QString &model,
                                                    const QString &id);

// Anthropic's event stream in, chat.completion.chunk events ("data: {…}\n\n") out.
//
// [DONE] is never part of feed()/finish(): the relay holds it back until the call is recorded
// (as it does for chat streams) and writes done() then — only when sawMessageStop(), since a
// chat stream that failed (an error event) or was cut ends without [DONE].
class ChatStreamTranslator
{
public:
    // `created`: the chunks' "created" (seconds); -1 = now.
    ChatStreamTranslator(QString id, QString model, bool includeUsage, qint64 created = -1);

    // Raw SSE bytes of the Messages stream (any split) → chunks. message_stop brings the
    // usage chunk ("choices": []) when includeUsage; an error event brings
    // data: {"error":{"message","type"}} and nothing after it.
    QByteArray feed(const QByteArray &bytes);
    // The upstream ended: translates a last event that lacked its blank line. Never invents a
    // finish_reason for a cut stream (see sawMessageStop()).
    QByteArray finish();
    // "data: [DONE]\n\n" the first time, empty afterwards.
    QByteArray done();

    // The counts so far (message_start's input and cache counts, message_delta's output);
    // nullopt before message_start.
    [[nodiscard]] std::optional<Usage> usage() const;
    [[nodiscard]] bool sawMessageStop() const { return m_stopped; }
    [[nodiscard]] bool sawError() const { return m_failed; }

private:
    QByteArray onEvent(const QByteArray &data);
    QByteArray chunk(const QJsonObject &delta, const QJsonValue &finishReason = QJsonValue::Null) const;
    QByteArray toolDelta(int toolIndex, const QJsonObject &call) const;

    SseParser m_parser;
    QString m_id;
    QString m_model;
    bool m_includeUsage = false;
    qint64 m_created = 0;
    // Content block index → tool call index (counting tool_use blocks from 0).
    QHash<int, int> m_toolIndexOfBlock;
    QHash<int, bool> m_toolHasArguments;
    int m_nextToolIndex = 0;
    bool m_started = false;
    bool m_stopped = false;
    bool m_failed = false;
    bool m_doneSent = false;
    bool m_sawUsage = false;
    qint64 m_inputTokens = 0;
    qint64 m_outputTokens = 0;
    qint64 m_cacheRead = 0;
    qint64 m_cacheCreation = 0;
};

// Wraps an OpenAI client's responder when an anthropic/ deployment answers its chat
// completion: the relay speaks Anthropic's wire to it (a Message, Messages events, Anthropic's
// error envelope), the client gets chat completions (chunks, [DONE] once the call is recorded
// — the relay holds message_stop back until then —, OpenAI's error envelope).
class ChatResponder final : public ForwardingResponder
{
public:
    // `model`: the name the client asked for; `includeUsage`: the client's
    // stream_options.include_usage.
    ChatResponder(ResponderPtr inner, QString model, bool includeUsage)
        : ForwardingResponder(std::move(inner)), m_model(std::move(model)), m_includeUsage(includeUsage)
    {
    }

    void send(HttpResponse response) override;
    void beginStream(int status, const QByteArray &contentType, const HeaderList &headers) override;
    void writeChunk(const QByteArray &data) override;
    void endStream() override;
    // A Message is translated through a DOM: held to MaxTranslatedAnswerBytes.
    [[nodiscard]] qint64 maxAnswerBytes() const override { return innerLimitOr(MaxTranslatedAnswerBytes); }

private:
    QString m_model;
    bool m_includeUsage = false;
    std::optional<ChatStreamTranslator> m_stream;
};

} // namespace Tollgate::Anthropic
