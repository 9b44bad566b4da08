#pragma once

#include "../models/budgetleases.h"
#include "../models/identityregistry.h"
#include "../models/ledger.h"
#include "../models/pricing.h"
#include "../models/store/spendjournal.h"
#include "../models/store/store.h"
#include "httptypes.h"
#include "services.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <array>
#include <functional>
#include <memory>
#include <optional>

namespace Tollgate {

struct Caller;

// Header values: USD as QByteArray::number(usd, 'g', 12) writes it, milliseconds as
// QByteArray::number(ms, 'f', 3), without QLocale's formatting (~1.3k instructions each).
QByteArray usdHeaderValue(NanoUsd nanos);
QByteArray millisecondsHeaderValue(double ms);
// A whole number as QByteArray::number(value) writes it (the rate-limit headers).
QByteArray integerHeaderValue(qint64 value);

// What the chat-shaped body of a call does not show of its prompt (Accounting::admit).
// Texts longer than this many bytes are not tokenized on the gateway's thread (about 0.4 s a MiB
// of the worst text, and every other call waits meanwhile): their bytes count as their tokens,
// a bound (a byte is at most a token) — a strict budget or a tpm limit then sees the bytes.
inline constexpr qsizetype MaxTokenizedBytes = 1 << 20;
// A prompt whose bound is past this many tokens is counted exactly off the gateway's thread, when
// the caller asks so (PromptExtras::countOffThread): ~6 ms of tokenizing here, ~0.4 s a MiB.
inline constexpr qint64 InlineCountTokens = 16 * 1024;

struct PromptExtras
{
    qint64 hiddenTokens = 0;   // context the provider adds (a previous response's tokens)
    // The prompt may be written to the provider's cache (Anthropic's cache_control), at the
    // 5-minute or the 1-hour rate: the upper bound prices every prompt token so.
    enum class CacheWrites { None, FiveMinutes, OneHour } cacheWrites = CacheWrites::None;
    // A request passed through as the client wrote it, with nothing billed beyond its text:
    // its bytes bound its prompt (UTF-8 bytes ≥ tokens, and JSON only adds bytes), so the
    // chat-shaped body carries only what bounds the output; `exactPrompt` counts the prompt
    // when the ledger needs the exact figure.
    std::optional<qint64> promptBound;
    std::function<qint64()> exactPrompt;
    // The bytes `exactPrompt` tokenizes, where `promptBound` is not them (a plain chat body's
    // bound is twice its bytes): MaxTokenizedBytes applies to them. -1: the bound.
    qint64 promptBytes = -1;
    // Embeddings: the answer is vectors, no output token is billed (the bound held the
    // model's whole output limit, so a strict budget refused them).
    bool noOutput = false;
    // Server-side tools the request declares, one use of each (their fees are billed per use,
    // on top of the tokens): reserve mode holds their fees.
    ToolUses expectedTools;
    // The answer may be audio (chat's `audio` output options): its output is bounded and
    // estimated at the dearer of the audio and the text rates.
    bool audioOutput = false;
    // The exact count of a prompt past InlineCountTokens is not made on this thread: where the
    // bound refuses, admit() answers Decision::needsExactCount, and the caller counts elsewhere
    // and admits again with `exactPromptCount` (what exactPrompt, else the body's count, gave).
    bool countOffThread = false;
    std::optional<qint64> exactPromptCount;
};

class RequestScan;

// What is parsed of a plain request's top level, read without a DOM of the rest
// (RequestScan::objectOf): a value read from the request's QJsonObject on the way of such a
// request (checks, admission, the upstream call) must be named here. What is read only as a
// type or a string (the model, the end user, ...) comes from the scan itself (RequestFields)
// and is not parsed.
namespace ReadFields {
// Chat: admission's output bound, the upstream call's stream options, and what the prompt
// walk counts beside the messages (plainChatPromptBound).
inline constexpr std::array<QByteArrayView, 15> Chat{
    "stream", "stream_options", "max_tokens", "max_completion_tokens", "n", "best_of", "prediction", "tools",
    "functions", "tool_choice", "function_call", "response_format", "prompt", "input", "suffix"};
// Messages: Anthropic::outputBoundsError's max_tokens and stream (the model is checked from
// the scan, metadata.user_id read from its text), Anthropic::priceFactor's options and
// Anthropic::asksThinking's object.
inline constexpr std::array<QByteArrayView, 5> Messages{"max_tokens", "stream", "speed", "inference_geo", "thinking"};
// Responses: Responses::accountingBody's output bound and background flag, the upstream
// call's stream, and Responses::asksReasoning's object.
inline constexpr std::array<QByteArrayView, 4> Responses{"stream", "max_output_tokens", "background", "reasoning"};
} // namespace ReadFields

// Whether a chat request is read without its messages (RequestScan): valid, keys plain and
// unique, messages an array, every number written back no longer, only text content, and no
// mock_response (the mock answers from the whole request).
bool readableWithoutMessages(const RequestScan &scan, const QByteArray &raw);
// Whether the prompt walk counts anything of such a request beside its messages: its tools,
// functions, tool_choice, function_call, response_format, prompt, input or suffix.
bool promptWalkReadsBesideMessages(const RequestScan &scan);
// The prompt bound of such a request, never below boundRequestPromptTokens of the whole
// request: its messages are bounded by the body's bytes, the rest is walked as before in
// `fields`, what was read of it (`walked`: promptWalkReadsBesideMessages, else there is
// nothing to walk: the ~4k instructions of the walk's look-ups are skipped).
qint64 plainChatPromptBound(const QByteArray &raw, const QJsonObject &fields, const QString &model, bool walked);

// A prompt's exact count (tiktoken's): `exactPrompt`'s for a request whose `body` does not carry
// its prompt (PromptExtras::exactPrompt, RelayCall::Params::exactPrompt), else `body`'s. Any thread.
qint64 countPrompt(const std::function<qint64()> &exactPrompt, const QJsonObject &body, const QString &model);

// The ledger on the gateway: mirrors every key's, user's and end user's budget and limits
// into the Ledger (as an identity observer), plus the global budget of config.yaml; admits
// calls (reserving their estimated cost), settles them (spend into the registry and the
// store, in the same transaction as the spend-log row), and resets budgets on time with one
// timer on the earliest reset.
class Accounting final : public QObject, public IIdentityObserver
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Accounting)

public:
    Accounting(GatewayServices &services, const IClock &clock, BudgetEnforcement mode, QObject *parent = nullptr);
    ~Accounting() override;

    // Start-up: the global budget (its limits as config.yaml or /user/update of
    // litellm-proxy-budget left them, none at all included; its spend and window from the
    // store) and every
    // identity already in the registry. Blocking store read: call before serving.
    void load(const Budget &globalLimits);
    // The global budget's limits changed at run time (a new period starts a fresh window;
    // otherwise the spend counted so far stays, also when the budget is removed).
    // `persistWindow` false: the instance that made the change wrote it (shared mode); writing this
    // instance's spend over the row would drop the others' calls.
    void setGlobalBudget(const Budget &globalLimits, bool persistWindow = true);
    // The global budget as the ledger has it (spend, window). Always there: without a
    // configured budget it has no max but still counts every call.
    [[nodiscard]] std::optional<BudgetState> globalBudget() const;
    // An admin's explicit spend edit ("spend" on /key/update, /user/update, /customer/update,
    // also of litellm-proxy-budget): the ledger counts on from `spend` in the same window.
    // The identity observer cannot tell: a changed budget keeps the ledger's spend. The
    // global scope's new spend is persisted here (the others' with their identity row).
    void setSpend(const LedgerScope &scope, NanoUsd spend);
    // Shared mode, a change another instance made (InstanceSync): `spend` is the budget's spend
    // as the store counts it over every instance (a key's, user's or end user's spend column, the
    // global spend row) in the window ending `window`. When that is the window this instance
    // counts in, the ledger (and the registry's mirror) take it, so that an admin's spend edit on
    // one instance reaches the others; in another window (one of them reset first) nothing changes.
    void adoptStoredSpend(const LedgerScope &scope, NanoUsd spend, const QDateTime &window);

    // Shared mode: `live` instances serve this database and this one is `rank` among them
    // (models/instanceshare.h). Every key's, user's and end user's rpm, tpm and
    // max_parallel_requests becomes this instance's share of it, now and on every later change;
    // windows and calls in flight stay. (1, 0), the default, is the whole limit.
    void setInstanceShare(int live, int rank);
    [[nodiscard]] int liveInstances() const { return m_live; }

    struct Decision
    {
        ReservationId reservation;          // invalid when nothing applies or refused
        std::optional<HttpResponse> refusal;
        HeaderList headers;                 // x-ratelimit-*, x-litellm-key-spend/max-budget
        // The output tokens the call was admitted for: strict mode's bound, reserve mode's
        // estimate. A call the provider does not answer in time is charged for them.
        qint64 heldOutputTokens = 0;
        // The most output the call can bring: what it may produce (max_tokens, the model's limit
        // or context window) times its completions. 0: no limit is known.
        qint64 outputLimit = 0;
        // Shared budgets: neither admitted nor refused yet; hand the call to waitForLeases().
        QVarLengthArray<LeaseNeed, 2> leaseNeeds;
        [[nodiscard]] bool waitsForLease() const { return !leaseNeeds.isEmpty(); }
        // Neither admitted nor refused: the bound refused, and the exact count may admit; it is
        // to be made off this thread (PromptExtras::countOffThread).
        bool needsExactCount = false;
    };

    // Several gateways on one database (Config::sharedBudgets(), docs/shared-budgets.md):
    // budgets with a max are admitted against leases on the shared rows. Call once, before
    // serving; without it nothing changes on the path of a call.
    void enableSharedBudgets(const BudgetLeases::Options &options);
    [[nodiscard]] BudgetLeases *sharedBudgets() const { return m_leases.get(); }
    // admit() answered waitsForLease(): `resume` runs (on this thread) once the store answered;
    // it calls admit() again, which then admits, refuses, or waits once more.
    void waitForLeases(const Decision &decision, std::function<void()> resume);

    using PromptExtras = Tollgate::PromptExtras;

    // Which budgets and limits apply to this call, and whether it may go (api.md §5).
    // `price` is the deployment's (nullopt: unknown), looked up once per call by the caller.
    // `body` is the request in chat-completions shape (other dialects are translated to count).
    Decision admit(const Caller &caller, const QString &endUser, const Deployment &deployment,
                   const QJsonObject &body, const std::optional<ModelPrice> &price,
                   const PromptExtras &extras = {});

    // The call ended with `cost` and `tokens`: returns the store jobs that add the cost to
    // each budget's spend (increments, to run in the spend-log row's transaction), and adds
    // what they add to `states` (for the spend journal, whose replay writes the same increments).
    QList<Store::WriteJob> settle(ReservationId reservation, NanoUsd cost, qint64 tokens,
                                  QList<JournalBudgetState> *states = nullptr);
    void release(ReservationId reservation);
    // A call in flight as the spend journal keeps it until it settles (RelayCall): what admission
    // held for it, and that cost added to each of its budgets' windows. Replayed after a crash
    // for a call that never settled, as a provider bills a call it got. nullopt when unknown.
    struct InFlight
    {
        NanoUsd cost = 0;
        qint64 promptTokens = 0;
        QList<JournalBudgetState> states;
    };
    [[nodiscard]] std::optional<InFlight> inFlight(ReservationId reservation) const;

    // A call to `deploymentId` answered `completionTokens` output tokens. Reserve mode holds, for a
    // call that sends no max_tokens, the largest answer that deployment gave within the last hour
    // or two (at least 4,096 tokens): holding a fixed 4,096 let parallel calls of 20k-token
    // answers overshoot a budget many times over.
    void noteAnswer(const QString &deploymentId, qint64 completionTokens);
    [[nodiscard]] qint64 typicalAnswer(const QString &deploymentId) const;

    [[nodiscard]] Ledger &ledger() { return m_ledger; }
    [[nodiscard]] static LedgerScope globalScope() { return LedgerScope::global(); }

    // IIdentityObserver
    void keyChanged(const VirtualKey &key) override;
    void keyRemoved(const QString &token) override;
    void keyReplaced(const QString &oldToken, const VirtualKey &key) override;
    void userChanged(const User &user) override;
    void userRemoved(const QString &userId) override;
    void endUserChanged(const EndUser &endUser) override;
    void endUserRemoved(const QString &userId) override;

private:
    void applyResets();
    void persistResets(const QList<ResetEvent> &resets);
    void rearmResetTimer();
    // `spend` and `resetAt` are the budget's new state (kept in the registry); the store gets
    // `added` as an increment (IdentityRepository::addSpend: a settled call, or a reset with 0).
    // `duration` is the period of that window: a stored window of another period (an admin changed
    // it meanwhile, on any instance) is not moved by it.
    // The increment's job (none for a scope the registry does not know) goes onto `jobs`.
    void persistSpend(const LedgerScope &scope, NanoUsd spend, const QDateTime &resetAt, const QString &duration,
                      NanoUsd added, QList<Store::WriteJob> &jobs);
    void recordEvents(const QList<ThresholdEvent> &events);
    void giveLeaseBack(const LedgerScope &scope);
    // Shared mode: a budget's limits changed (`before`: the ledger's state until then, nullopt on
    // the first load). A new period moves the shared row to the ledger's fresh window; a lowered
    // (or removed) max gives this instance's lease back, so that no call is admitted against
    // money the new max no longer has.
    void sharedBudgetChanged(const LedgerScope &scope, const std::optional<BudgetState> &before,
                             const BudgetState &after);
    BudgetState setBudget(const LedgerScope &scope, const BudgetConfig &config);
    void syncKeyModelBudgets(const VirtualKey &key);

    GatewayServices &m_services;
    const IClock &m_clock;
    Ledger m_ledger;
    QTimer m_resetTimer;
    QHash<QString, QStringList> m_keyModels;   // token → models with a model_max_budget
    std::unique_ptr<BudgetLeases> m_leases;    // shared budgets only
    // noteAnswer(): the largest answer of each deployment in this hour and in the one before.
    struct AnswerSizes
    {
        qint64 current = 0;
        qint64 previous = 0;
        qint64 hour = 0;   // steady-clock hours of `current`
    };
    QHash<QString, AnswerSizes> m_answerSizes;
    int m_live = 1;                            // setInstanceShare
    int m_rank = 0;

    [[nodiscard]] RateLimits localLimits(const RateLimits &limits) const;
};

} // namespace Tollgate
