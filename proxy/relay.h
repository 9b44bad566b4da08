#pragma once

#include "../models/ledger.h"
#include "../models/pricing.h"
#include "../models/store/spendlog.h"
#include "httptypes.h"
#include "providers/provideradapter.h"
#include "services.h"
#include "sse.h"

#include <QJsonObject>

#include <memory>

namespace Tollgate {

// One proxied call from admission to settlement: forwards to the provider (or answers
// with the mock), relays the answer — SSE chunk by chunk as it arrives — captures usage,
// and records the call in the store before the response (or the stream's [DONE]) completes,
// so a completed call survives a kill of the process.
// An end user made for a call and not stored yet (OpenAIController::createUnknownEndUser).
struct PendingEndUser;

class RelayCall final : public std::enable_shared_from_this<RelayCall>
{
public:
    struct Params
    {
        CallType type = CallType::ChatCompletion;   // what the provider is sent
        QString callTypeName;          // the spend log's call_type; empty: callTypeName(type)
        Deployment deployment;
        // The request in chat-completions shape: what admission counted, and what a stream
        // cut before its usage is estimated from.
        QJsonObject body;
        // The prompt's exact count when `body` does not carry the prompt (a pass-through
        // request admitted by its bytes): for a stream cut before its usage.
        std::function<qint64()> exactPrompt;
        // Prompt tokens the provider adds that the request does not show (a previous response's
        // context, PromptExtras::hiddenTokens): in every prompt the call is charged without the
        // provider's count of it.
        qint64 hiddenPromptTokens = 0;
        // The provider's request when it is not `body` (Messages, Responses: the client's
        // dialect, or a translation into the provider's); `rawBody` then holds its bytes.
        std::optional<QJsonObject> upstreamBody;
        QByteArray rawBody;                    // the body as received (parsed to `body`)
        // `body` and `upstreamBody` hold only the top-level fields the gateway reads, read from
        // `rawBody` without a DOM of the rest (RequestScan); `exactPrompt` counts the prompt,
        // and an upstream request that cannot be spliced is serialised from `rawBody`.
        bool partialBody = false;
        // Where `rawBody` is spliced for the provider, when a scan found it (spliceSiteOf).
        std::optional<SpliceSite> spliceSite;
        HeaderList clientHeaders;      // the client's anthropic-version / anthropic-beta
        QString dialect;               // the client's API: chat, completions, embeddings, messages, responses
        QString sessionId;             // the agent session the call belongs to (may be empty)
        QString apiKeyHash;
        QString endUser;
        // The end user, made for this call (or another one waiting): stored once a call naming
        // it is relayed, forgotten when the last such call was refused.
        std::shared_ptr<PendingEndUser> pendingEndUser;
        QString userId;                // the key's owner
        SteadyClock::time_point receivedAt;
        ReservationId reservation;     // the ledger's hold on this call (invalid: none)
        // The output tokens admission held for the call (Accounting::Decision): what a call the
        // provider did not answer in time is charged beside its prompt.
        qint64 heldOutputTokens = 0;
        // The most output the call can bring (Accounting::Decision::outputLimit; 0: unknown): a
        // count past it, told or counted, is no count of what the provider bills.
        qint64 outputLimit = 0;
        HeaderList admissionHeaders;   // x-ratelimit-*, x-litellm-key-spend, ...
        std::optional<ModelPrice> price;  // the deployment's price, looked up once (nullopt: unknown)
        // The service_tier the request asked for: billed when the answer does not say which tier
        // served it (OpenAI's answers do), and reserved at when it is the dearer one.
        ServiceTier requestedTier = ServiceTier::Standard;
        // The request left the tier to the provider (no service_tier, or "auto": OpenAI's project
        // setting decides, which may be priority): the tier its answer names is remembered for the
        // deployment (GatewayServices::providerTiers), and the next such call is reserved at it
        // (billed as its own answer says).
        bool tierLeftToProvider = false;
        // Every token rate of the call's price times this (Anthropic's fast mode, data residency):
        // applied to `price` as it is looked up, so reserved and billed alike.
        double priceFactor = 1.0;
        // What the request said of reasoning (reasoning_effort, reasoning, thinking; nullopt:
        // nothing), and whether the call may be billed output its answer does not show
        // (Deployment::reasonsUnseen): its output estimated without the answer's usage (a stream
        // left or broken before it) is then at least `heldOutputTokens`.
        std::optional<bool> reasoningAsked;
        bool reasonsUnseen = false;
        // The answer may be audio (PromptExtras::audioOutput): output charged without the
        // answer's usage is charged as audio, at least `heldOutputTokens` of it.
        bool audioOutput = false;
        // The request declared tools the provider runs (web search, file search, …): a Responses
        // answer's tool calls are counted and billed per use.
        bool hostedTools = false;
        // Chat completions' web_search_options (the search-preview models): one search a call.
        bool chatWebSearch = false;
        // One use of each fee-billed server-side tool the request declares (PromptExtras):
        // what a call charged without its answer's count of them (held, or estimated) is billed.
        ToolUses expectedTools;
        // A Responses call that succeeded: its response id and usage (follow-ups go to the
        // same deployment; its tokens bound the follow-up's prompt).
        // Its store write (if any) joins the spend row's transaction.
        std::function<std::optional<Store::WriteJob>(const QString &responseId, const Usage &usage)> onResponse;
    };

    RelayCall(GatewayServices &services, Params params, ResponderPtr responder);

    void start();
    // Shutdown: stop waiting for the provider and end the exchange.
    void abort(const QString &reason);
    [[nodiscard]] bool isFinished() const { return m_finished; }
    // The provider has the call and it has not settled, nor been noted in flight.
    [[nodiscard]] bool awaitsProvider() const
    {
        return m_upstreamId != 0 && !m_settling && !m_finished && m_inFlightSeq == 0;
    }
    // Keeps what admission held for the call in the spend journal until it settles, so that a
    // crash meanwhile still charges it (the provider bills it). Staged: written with the next
    // journal write (Store::writeJournal).
    void noteInFlight();

    // Called when the call is over (answered, failed, client gone), after settlement.
    std::function<void(RelayCall *)> onFinished;

private:
    void startMock();
    void startUpstream();
    void onHead(int status, const HeaderList &headers);
    void onData(const QByteArray &chunk);
    // Anthropic's and the Responses API's stream events (onData's chat path is the OpenAI one).
    QByteArray relayDialectEvents();
    // The complete chat events the parser holds, usage noted: what goes to the client.
    QByteArray relayChatEvents();
    [[nodiscard]] bool isDialectStream() const
    {
        return m_params.type == CallType::Messages || m_params.type == CallType::Responses;
    }
    void onDone(const UpstreamResult &result);
    void onClientGone();
    // Stream bytes go to the client; past MaxUnsentBytes the client does not keep up, and the
    // provider's answer is not read until it has taken most of them (backpressure).
    void relayToClient(const QByteArray &bytes);
    // Stops reading the provider's answer and sets `paused`; the function returned reads on (if
    // `paused` is still set then, and the call goes on).
    [[nodiscard]] std::function<void()> pauseUpstream(bool RelayCall::*paused);
    // A part of a non-streamed answer, held until it is whole (GatewayServices::answers): past
    // its limit the call fails, charged as held; while the answers held fill the total, the
    // provider's answer is not read.
    void holdAnswerPart(const QByteArray &chunk);
    void releaseHeldAnswer();

    void failBeforeAnswer(const HttpResponse &response, const QString &status);
    void failMidStream(int status, const QString &type, const QString &message);
    // Records the call, then runs `complete` (which writes the last bytes).
    void settle(const QString &status, std::function<void()> complete);
    void finish();
    // Stream content reached the client: a failure after it is charged for what was delivered.
    [[nodiscard]] bool deliveredPart() const { return m_streaming && m_streamedEvents > 0; }
    // The spend-log row of this call with `status`, its identity and times filled in.
    [[nodiscard]] SpendLogRow logRow(const QString &status) const;

    HeaderList gatewayHeaders(bool withCost) const;
    // The time so far that was the gateway's own (the provider's time left out).
    double overheadMs() const;
    NanoUsd cost(bool *priceUnknown) const;
    // `tokens` of `usage`'s output no usage block split (held, counted from the text, a floor):
    // at the dearest rate they may be billed at: audio for an answer that may be audio, else
    // reasoning where the price makes it dearer than text.
    void addUntoldOutput(Usage &usage, qint64 tokens) const;

    GatewayServices &m_services;
    Params m_params;
    ResponderPtr m_responder;
    QString m_callId;
    QDateTime m_startTime;
    UpstreamCallId m_upstreamId = 0;
    bool m_stream = false;
    bool m_clientWantsUsage = false;
    bool m_streaming = false;        // the client got a 200 stream head
    bool m_upstreamPaused = false;   // the provider's answer is not read (relayToClient)
    bool m_sawDone = false;          // the end of the stream arrived: m_terminal holds it back
    QByteArray m_terminal;           // written after the call is recorded
    bool m_streamError = false;      // the provider sent an error event in the stream
    qint64 m_streamedEvents = 0;     // content events relayed
    QList<QByteArray> m_streamedPayloads;  // kept until usage arrives: counted if it never does
    qsizetype m_streamedBytes = 0;
    bool m_settling = false;
    qint64 m_inFlightSeq = 0;        // the journal's record of this call in flight (0: none)
    // A non-streamed call whose client left: the provider still answers (and bills) it, so the
    // gateway waits for that answer and records it instead of cancelling.
    bool m_clientGone = false;
    // The provider got the request but its answer never came (timeout, shutdown) and no stream
    // content was delivered: the call is charged its prompt and the output admission held for it.
    bool m_chargeHeld = false;
    // The provider was still writing the stream when it was cut (its time ran out, or an event
    // grew past MaxStreamEventBytes): its output is charged at least the output held for it.
    bool m_cutWhileWriting = false;
    bool m_finished = false;
    int m_status = 0;
    int m_failStatus = 0;            // the call failed: the status the client got, and why
    QString m_failReason;
    QByteArray m_contentType;
    QByteArray m_body;               // non-streamed answer, or a provider error body
    HeldAnswers::Share m_held;       // m_body's bytes, counted in GatewayServices::answers
    bool m_waitingForRoom = false;   // the provider's answer is not read (holdAnswerPart)
    SseParser m_parser;
    std::optional<Usage> m_usage;
    std::optional<Usage> m_startUsage;  // Anthropic's message_start: the exact prompt, no output yet
    bool m_finalUsageUnusable = false;  // message_delta's usage could not be billed: count the output
    QString m_responseId;            // Responses: the provider's response id
    QString m_answerTier;            // the answer's service_tier (empty: it named none)
    SteadyClock::time_point m_upstreamStarted;
    SteadyClock::time_point m_upstreamDone;
};

} // namespace Tollgate
