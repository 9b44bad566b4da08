#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

class QEventLoop;

namespace Tollgate::Test {

using SteadyTime = std::chrono::steady_clock::time_point;
using RawHeaders = QList<QPair<QByteArray, QByteArray>>;

// One request as the fake provider received it (copied before the server reuses its request
// object for the next request on the connection).
struct RecordedRequest
{
    QByteArray method;      // "POST"
    QByteArray path;        // "/v1/chat/completions", percent-encoded as sent
    QByteArray query;       // "api-version=2024-02-01", without '?', empty if none
    RawHeaders headers;     // names lower-cased
    QByteArray body;
    SteadyTime receivedAt;
    int connectionId = 0;   // 1, 2, … per accepted TCP connection (unique for the fake's life)
    quint16 peerPort = 0;

    // First value of a header (name case-insensitive), empty if absent.
    [[nodiscard]] QByteArray header(const QByteArray &name) const;
    // The body parsed as a JSON object ({} if it is not one).
    [[nodiscard]] QJsonObject json() const;
};

// A fake OpenAI / Azure OpenAI provider speaking real HTTP/1.1 on 127.0.0.1 (port chosen by
// the OS), served from its own thread so a test may block its main thread on a client while
// the fake answers. All setters and getters are thread-safe; setters affect requests that
// arrive after the call.
//
// Routes (POST; anything else 404/405 with an OpenAI-style error body):
//   {/v1,}/chat/completions, {/v1,}/completions, {/v1,}/embeddings,
//   /openai/deployments/<deployment>/{chat/completions,completions,embeddings}?api-version=…
//   and GET {/v1,}/models.
// OpenAI's Responses API, at {/v1,}/responses and (Azure's v1 surface) /openai/v1/responses:
//   POST creates a Response (id "resp_<n>", unique across the process; one assistant message
//   with the content; usage from setUsage / setCachedTokens as input_tokens,
//   input_tokens_details.cached_tokens, output_tokens, output_tokens_details.reasoning_tokens,
//   total_tokens) and keeps it; a previous_response_id this fake did not create is a 404.
//   A stream is `event:`-named SSE with sequence_numbers: response.created, .in_progress,
//   .output_item.added, .content_part.added, .output_text.delta per chunk, .output_text.done,
//   .content_part.done, .output_item.done, .completed (with the usage). setStreamBreak cuts it
//   after N deltas: with an `error` event then response.failed (no usage), or a reset.
//   GET …/responses/{id} returns the kept Response, DELETE deletes it ({id, object:
//   "response.deleted", deleted: true}), POST …/{id}/cancel sets it "cancelled" and returns it,
//   GET …/{id}/input_items lists the request's input (a string input as one user message);
//   an unknown id is a 404.
// Every answer carries `x-request-id: req-<n>` and `x-fake-request-index: <n>` (the index
// into requests()). `"stream": true` answers SSE with real chunked encoding, one event per
// chunk: a role chunk, the content chunks (setStreamChunks), a finish chunk, a usage chunk
// (`"choices": []`) only if the request asked for `stream_options.include_usage`, then
// `data: [DONE]`. A request with `Connection: close` gets its answer and the connection closed.
//
// Anthropic's Messages API: POST /v1/messages answers a Message (text, or a tool_use block
// with stop_reason "tool_use" under setToolCall) with the request's model; streamed, as
// Anthropic does: message_start (usage with the input and cache counts, output_tokens 1),
// content_block_start, ping, content_block_delta × setStreamChunks (text_delta, or
// input_json_delta for a tool), content_block_stop, message_delta (stop_reason, usage
// output_tokens), message_stop, each `event: <type>` + `data:` in its own chunk.
// setStreamBreak cuts after N deltas with `event: error` (overloaded_error) or a reset.
// POST /v1/messages/count_tokens answers {"input_tokens": setAnthropicCountTokens}.
class FakeProvider final
{
public:
    FakeProvider();
    ~FakeProvider();  // stops the server and its thread
    Q_DISABLE_COPY_MOVE(FakeProvider)

    // Starts listening; returns the port, 0 on failure. Calling it again while running
    // returns the current port.
    quint16 start();
    void stop();
    [[nodiscard]] quint16 port() const;
    [[nodiscard]] QByteArray baseUrl() const;  // "http://127.0.0.1:PORT"

    // --- behaviour (defaults in brackets) ---
    void setLatency(std::chrono::milliseconds latency);  // before the response head [0]
    // Content chunks of a stream and the pause before each [5, 10 ms].
    void setStreamChunks(int count, std::chrono::milliseconds interval);
    // Every request gets this status and JSON body (status 0 turns it off) [off].
    void setErrorResponse(int status, const QByteArray &body);
    void setHang(bool hang);                    // accept and read, never answer [false]
    void setContentOverride(const QString &content);  // the assistant's text [a fixed sentence]
    void setUsage(qint64 promptTokens, qint64 completionTokens);  // [10, 20]
    // usage.prompt_tokens_details.cached_tokens (part of the prompt tokens; 0: not sent) [0].
    void setCachedTokens(qint64 cachedTokens);
    // Chat answers call this tool (finish_reason "tool_calls"; streamed: id and name, then
    // the arguments in pieces) instead of answering text; an empty name turns it off [off].
    void setToolCall(const QString &name, const QString &arguments);
    void setStreamUsageAlways(bool always);     // usage chunk even when not asked [false]
    void setStreamUsageNever(bool never);       // no usage chunk even when asked [false]
    // Streams stop after `afterChunks` content chunks (-1: never [-1]): with an error event
    // and a proper end, or (withErrorEvent false) by resetting the connection mid-stream.
    void setStreamBreak(int afterChunks, bool withErrorEvent = false);
    // Anthropic's Messages API (POST /v1/messages; see the class comment): usage's
    // cache_read_input_tokens and cache_creation (5 min / 1 h; cache_creation_input_tokens is
    // their sum), apart from input_tokens (setUsage's prompt tokens) as Anthropic counts [0, 0, 0].
    void setAnthropicCache(qint64 readTokens, qint64 write5mTokens, qint64 write1hTokens);
    // What POST /v1/messages/count_tokens answers as input_tokens [42].
    void setAnthropicCountTokens(qint64 inputTokens);
    // The answers' service_tier (chat completions: the answer and every stream chunk; the
    // Responses API: the Response); empty: not sent [empty].
    void setServiceTier(const QString &tier);
    // Server-side tools that "ran": Anthropic's usage.server_tool_use.web_search_requests (the
    // Message's usage and message_delta's), and for the Responses API that many web_search_call
    // and file_search_call items before the message in the Response's output [0, 0].
    void setServerToolUse(qint64 webSearches, qint64 fileSearches);
    // The Responses API's output: that many code_interpreter_call items, in `containers` distinct
    // containers (container_id cntr_0, cntr_1, … in turn), and image_generation_call items,
    // before the message [0, 1, 0].
    void setResponsesToolItems(qint64 codeInterpreterCalls, qint64 containers, qint64 imageGenerations);
    void resetBehaviour();                      // all of the above back to defaults
    void clearRecords();                        // requests, emit times and counters
    void reset();                               // resetBehaviour() + clearRecords()

    // The text a non-stream answer carries and a stream's content chunks add up to.
    [[nodiscard]] QString content() const;

    // --- recording ---
    [[nodiscard]] QList<RecordedRequest> requests() const;
    [[nodiscard]] int requestCount() const;
    [[nodiscard]] int activeRequests() const;        // received, answer not finished
    [[nodiscard]] int maxConcurrentRequests() const; // highest activeRequests() seen
    // When each SSE event (role, content…, finish, usage, [DONE]) of that request was written.
    [[nodiscard]] QList<SteadyTime> emitTimes(int requestIndex) const;
    // Requests whose connection the client closed before their answer was complete
    // (a cancelled stream, a client timeout against setHang, …).
    [[nodiscard]] int clientDisconnects() const;
    [[nodiscard]] int connectionCount() const;       // TCP connections accepted
    // A Responses API response this fake keeps (nullopt: never created, or deleted).
    [[nodiscard]] std::optional<QJsonObject> storedResponse(const QString &id) const;

    struct State;  // shared with the server thread; defined in the .cpp

private:
    std::shared_ptr<State> m_state;
    // A joinable thread, not a QThread: QThread::wait() returns before the thread's exit
    // handlers have run, so they could still be running when the process exits.
    std::thread m_thread;
    QEventLoop *m_loop = nullptr;  // the server thread's loop; the server lives until it returns
    quint16 m_port = 0;
};

} // namespace Tollgate::Test
