#pragma once

#include "../providers/provideradapter.h"
#include "../accounting.h"
#include "../relay.h"
#include "../responsedirectory.h"
#include "../router.h"
#include "../services.h"

#include <QHash>
#include <QThreadPool>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>

namespace Tollgate {

struct Caller;
class RefusalRecorder;

// The OpenAI-compatible routes (api.md §4): completions relayed to providers, and the
// model listings.
class OpenAIController final
{
    Q_DISABLE_COPY_MOVE(OpenAIController)

public:
    explicit OpenAIController(GatewayServices &services);
    ~OpenAIController();

    void registerRoutes(Router &router);

    void relay(CallType type, RequestContext &context, const ResponderPtr &responder);
    // Anthropic's Messages API on the same pipeline: translated to a chat completion and back
    // (proxy/anthropic.h); the router hands these routes an Anthropic::Responder.
    void messages(RequestContext &context, const ResponderPtr &responder);
    void countTokens(RequestContext &context, const ResponderPtr &responder);
    // OpenAI's Responses API (Codex): passed through to deployments that serve it, answered by
    // the mock; the stored-response routes go to the deployment that created the response.
    void responses(RequestContext &context, const ResponderPtr &responder);
    void storedResponse(const QByteArray &method, const QString &tail, RequestContext &context,
                        const ResponderPtr &responder);
    // A provider call whose answer goes to the client as it is (count_tokens, stored responses);
    // `answered` hears its status first.
    void forwardAnswer(UpstreamRequest request, const QString &base, const ResponderPtr &responder,
                       std::function<void(int status)> answered = {});
    void listModels(RequestContext &context, const ResponderPtr &responder);
    void modelInfo(RequestContext &context, const ResponderPtr &responder);

    // Start-up: the responses relayed before (which deployment keeps each). Blocking store read.
    Result<void> loadStoredResponses();

    [[nodiscard]] int activeCalls() const { return int(m_active.size()); }
    // Shutdown: ends every call still waiting for its provider.
    void abortAll(const QString &reason);

private:
    // Paused or shutting down → 503. False when an answer was sent.
    bool checkAvailable(const ResponderPtr &responder);
    // Budgets are strict (general_settings.budget_enforcement): a call is admitted only if its
    // cost is bounded before it runs.
    [[nodiscard]] bool strictBudgets() const;
    // The parsed request body (a JSON object) or a 400 sent.
    std::optional<QJsonObject> parseBody(const RequestContext &context, const ResponderPtr &responder);
    // How a call is sent once its deployment is picked: fills the params' type, bodies and
    // call type name (and may wrap the responder to translate answers); false when it
    // answered (a 400: this deployment cannot serve the request).
    using Shaper = std::function<bool(const Deployment &deployment, RelayCall::Params &params,
                                      ResponderPtr &responder, PromptExtras &extras)>;
    // Every model call, whatever dialect the client speaks, from the end-user check to the
    // relay. `pinned`: the deployment that must answer (a previous response's), else one of
    // the model group's; `extras`: what the chat-shaped body does not show of the prompt.
    void relayCall(RequestContext &context, const QString &requestedModel, const QString &endUser,
                   const Shaper &shape, ResponderPtr responder, const QString &pinned = {},
                   const PromptExtras &extras = {});
    // The part of relayCall after the checks: admission (parked while a shared budget's lease is
    // asked for), then the relay.
    void admitAndRelay(const Caller &caller, RelayCall::Params params, const PromptExtras &extras,
                       ResponderPtr responder, const std::shared_ptr<RefusalRecorder> &recorder);
    // Accounting answered needsExactCount: the prompt is counted on m_counting's thread (a large
    // prompt's count held every other call here), then the call is admitted again.
    void countThenAdmit(const Caller &caller, RelayCall::Params params, const PromptExtras &extras,
                        ResponderPtr responder, const std::shared_ptr<RefusalRecorder> &recorder);
    // Runs `work` on m_counting's thread, then `then` with its result on this one, unless the
    // controller is gone by then. False (nothing runs) when MaxQueuedCounts wait already.
    template <typename Result>
    bool offThread(std::function<Result()> work, std::function<void(Result)> then);
    static constexpr int MaxQueuedCounts = 8;
    // The 503 when MaxQueuedCounts wait on the counting thread already.
    [[nodiscard]] static HttpResponse countingBusy();
    // A count_tokens body past this many bytes is counted on m_counting's thread.
    static constexpr qsizetype InlineCountBytes = 64 * 1024;
    // The model group a request may use (aliases resolved): 400 unknown, 403 not allowed.
    std::optional<QString> resolveModel(const RequestContext &context, const QString &requested,
                                        const ResponderPtr &responder);
    // An id over Management::MaxEndUserIdLength → 400; a blocked end user → 401. False when
    // an answer was sent.
    bool checkEndUser(const QString &endUserId, const ResponderPtr &responder);
    // Creates the end user on first use (after every check of the call passed), in memory: the
    // ledger checks its default budget. It is stored once a call naming it is relayed
    // (storeNewEndUser); when every call that named it meanwhile was refused (a budget, a rate
    // limit), it is forgotten: a key with nothing left to spend made 50,000 end users (rows,
    // audit rows, memory) in 12 s, each call refused. Returns the pending end user, if it is one.
    std::shared_ptr<PendingEndUser> createUnknownEndUser(const QString &endUserId);
    void storeNewEndUser(PendingEndUser &pending);
    // Shared mode: an end user this instance does not know yet may have been made by another
    // one (mustClaimEndUser). Its row is read from the store (its window and spend) into the
    // registry; if there is none, it is made in memory (createUnknownEndUser) and claimed in the
    // store when a call naming it is relayed (made if still absent). Then `then` runs, with the
    // pending end user if it is one.
    [[nodiscard]] bool mustClaimEndUser(const QString &endUserId) const;
    void claimUnknownEndUser(const QString &endUserId, std::function<void(std::shared_ptr<PendingEndUser>)> then);
    [[nodiscard]] EndUser newEndUser(const QString &endUserId) const;

    // Calls that went to a provider, in start order, until they are noted in flight (the spend
    // journal keeps their hold: RelayCall::noteInFlight) or settle. A call still waiting
    // InFlightNoteDelay after its start is noted by the timer: a quick call costs nothing.
    void watchInFlight(const std::shared_ptr<RelayCall> &call);
    void noteCallsInFlight();
    static constexpr std::chrono::milliseconds InFlightNoteDelay{10};

    GatewayServices &m_services;
    QHash<RelayCall *, std::shared_ptr<RelayCall>> m_active;
    QHash<QString, std::weak_ptr<PendingEndUser>> m_pendingEndUsers;   // made, not stored yet
    std::deque<std::pair<SteadyClock::time_point, std::weak_ptr<RelayCall>>> m_unnoted;
    std::unique_ptr<QTimer> m_noteTimer;   // made on first use, on the gateway thread
    ResponseDirectory m_responses;
    static constexpr qsizetype ResponsesKept = 100'000;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);   // a count's answer finds it gone
    std::unique_ptr<QThreadPool> m_counting;   // one thread, made on first use
    std::shared_ptr<std::atomic<int>> m_queuedCounts = std::make_shared<std::atomic<int>>(0);
};

} // namespace Tollgate
