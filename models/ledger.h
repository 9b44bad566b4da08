#pragma once

#include "clock.h"
#include "config.h"
#include "duration.h"
#include "identity.h"
#include "money.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QVarLengthArray>
#include <QtGlobal>

#include <functional>
#include <memory>
#include <optional>

namespace Tollgate {

// What a budget or a rate limit belongs to. The caller chooses the ids (a key's token hash,
// a user id, an end user id); they appear as written in refusal messages, so never pass a
// raw key. A per-model budget on a key is its own scope: id = token + '\n' + model name.
struct LedgerScope
{
    enum class Kind : quint8 { Global, User, Key, EndUser, KeyModel };

    Kind kind = Kind::Global;
    QString id;

    static LedgerScope global() { return {Kind::Global, QStringLiteral("proxy")}; }
    static LedgerScope key(const QString &token) { return {Kind::Key, token}; }
    static LedgerScope user(const QString &userId) { return {Kind::User, userId}; }
    static LedgerScope endUser(const QString &endUserId) { return {Kind::EndUser, endUserId}; }
    static LedgerScope keyModel(const QString &token, const QString &model)
    {
        return {Kind::KeyModel, token + u'\n' + model};
    }

    // The `param` of a 429 and the <scope> of a throttling message:
    // key, user, end_user, global, model.
    [[nodiscard]] QString paramName() const;
    // The <Scope> word of a budget_exceeded message: Key, User, EndUser, Global, Model.
    [[nodiscard]] QString budgetWord() const;
    // The id as shown to people: the model name for a KeyModel scope, else the id.
    [[nodiscard]] QString displayId() const;

    friend bool operator==(const LedgerScope &, const LedgerScope &) = default;
};

size_t qHash(const LedgerScope &scope, size_t seed = 0) noexcept;

// A budget as loaded from the store or written by the management API.
struct BudgetConfig
{
    std::optional<NanoUsd> max;          // absent = spend is tracked, never refused
    std::optional<NanoUsd> soft;         // warn only
    std::optional<Duration> duration;    // reset period
    QDateTime resetAt;                   // next reset; invalid = now + duration on first load
    NanoUsd spend = 0;                   // taken on first load only (see Ledger::setBudget)
};

// Whether a budget keeps its period (else Ledger::setBudget starts a fresh window): "weekly" and
// "1w" (or "7d") are one period, so re-saving a budget in other words does not; nor do two none.
[[nodiscard]] bool samePeriod(const std::optional<Duration> &a, const std::optional<Duration> &b);

struct BudgetState
{
    NanoUsd spend = 0;
    NanoUsd reserved = 0;                // held by calls in flight
    std::optional<NanoUsd> max;
    std::optional<NanoUsd> soft;
    std::optional<Duration> duration;
    QDateTime resetAt;
};

// Current use of a rate-limited scope (for the GUI and tests).
struct LimitState
{
    RateLimits limits;
    qint64 requestsInWindow = 0;         // admitted in the last 60 s
    qint64 tokensInWindow = 0;
    qint64 inFlight = 0;
};

// Identifies one admitted call until it is settled or released. 0 = none.
struct ReservationId
{
    quint64 value = 0;
    [[nodiscard]] bool isValid() const { return value != 0; }
    friend bool operator==(ReservationId, ReservationId) = default;
};

struct AdmissionRequest
{
    // Budgets in the order they are checked (api.md §5: key, user, end user, global,
    // per-model). Scopes with no budget in the ledger are skipped.
    QVarLengthArray<LedgerScope, 5> budgets;
    // Rate-limited scopes in the order they are checked (key, user, end user). Scopes with
    // no limits in the ledger are skipped.
    QVarLengthArray<LedgerScope, 3> limits;
    NanoUsd estimatedCost = 0;           // reserved in `reserve` mode
    NanoUsd upperBoundCost = 0;          // checked and reserved in `strict` mode
    qint64 estimatedTokens = 0;          // prompt tokens, counted against tpm at admission
    bool priceKnown = true;              // false: strict mode refuses if a budget has a max
    // When the estimates above are a cheap upper bound: lowers them to the exact figures. The
    // ledger calls it at most once, only where the bound would refuse or fill a limit (a strict
    // budget, a tpm limit), so the exact count is paid for only when it can change the answer.
    std::function<void(qint64 &tokens, NanoUsd &upperBoundCost, NanoUsd &estimatedCost)> refine;
};

enum class RateLimitType : quint8 { Requests, Tokens, MaxParallelRequests };

// Why a call was refused: everything a 429 needs.
struct Refusal
{
    enum class Kind : quint8 {
        Budget,          // budget_exceeded
        PriceUnknown,    // budget_exceeded: strict mode cannot bound an unpriced call
        RateLimit,       // throttling_error
    };

    Kind kind = Kind::Budget;
    LedgerScope scope;
    RateLimitType limitType = RateLimitType::Requests;   // RateLimit only
    QString message;                     // api.md §1 text
    QString param;                       // key, user, end_user, global, model
    // Milliseconds until the call would pass, or -1 when nothing but a change of the
    // configuration or a settlement can let it through (a budget without a reset period).
    qint64 retryAfterMs = -1;
    QDateTime resetsAt;                  // now + retryAfterMs (x-ratelimit-reset-at), if known
    qint64 limit = 0;                    // the limit N (RateLimit)
    NanoUsd spend = 0;                   // Budget / PriceUnknown
    NanoUsd max = 0;

    // For the retry-after header: whole seconds, rounded up so that a retry passes.
    [[nodiscard]] qint64 retryAfterSeconds() const
    {
        return retryAfterMs < 0 ? -1 : (retryAfterMs + 999) / 1000;
    }
};

// Remaining capacity of one limited scope after an admitted call (x-ratelimit-* headers).
struct LimitStatus
{
    LedgerScope scope;
    std::optional<qint64> requestLimit;
    qint64 remainingRequests = 0;
    std::optional<qint64> tokenLimit;
    qint64 remainingTokens = 0;
};

struct ResetEvent
{
    LedgerScope scope;
    NanoUsd spendBefore = 0;             // what the window ended with (the logs keep it all)
    QDateTime windowEnd;                 // the reset time that passed
    QDateTime nextResetAt;               // always in the future
};

struct ThresholdEvent
{
    enum class Kind : quint8 { SoftBudget, Percent80, Percent95, Percent100 };

    LedgerScope scope;
    Kind kind = Kind::SoftBudget;
    NanoUsd spend = 0;
    NanoUsd budget = 0;                  // the soft budget or the max budget
};

// Shared mode (docs/shared-budgets.md): what a budget's lease on the shared remainder must
// grow by before a call can be admitted against it. The store grants at least `need` (else the
// budget refuses), up to `want` (a slice, so that the next calls need no round trip).
struct LeaseNeed
{
    LedgerScope scope;
    NanoUsd need = 0;
    NanoUsd want = 0;
    NanoUsd max = 0;                     // the budget's max, as this instance knows it
};

// One budget's lease as this instance holds it (shared mode).
struct LeaseState
{
    LedgerScope scope;
    NanoUsd lease = 0;                   // granted by the store, not yet spent
    NanoUsd reserved = 0;                // held by this instance's calls in flight
    qint64 lastUseMs = 0;                // the last admission that used it
};

struct Admission
{
    [[nodiscard]] bool admitted() const { return reservation.isValid(); }
    // Shared mode: nothing refused, but a lease must grow first (no slot was taken).
    [[nodiscard]] bool waitsForLease() const { return !leaseNeeds.isEmpty(); }

    ReservationId reservation;
    std::optional<Refusal> refusal;
    QVarLengthArray<LimitStatus, 3> limits;        // admitted calls only
    std::optional<NanoUsd> keySpend;               // before this call (x-litellm-key-spend)
    std::optional<NanoUsd> keyMaxBudget;
    QList<ResetEvent> resets;                      // resets that fell due and were applied
    QVarLengthArray<LeaseNeed, 2> leaseNeeds;      // shared mode: leases to ask for first
};

struct SpendUpdate
{
    LedgerScope scope;
    NanoUsd spend = 0;                   // new total, for persistence
    NanoUsd leaseUsed = 0;               // shared mode: the part of the cost taken from the lease
};

// What a call in flight holds (Ledger::held): the cost reserved on each of its budgets and the
// prompt tokens counted at admission.
struct Held
{
    NanoUsd cost = 0;
    qint64 tokens = 0;
    QVarLengthArray<LedgerScope, 5> budgets;
};

struct Settlement
{
    QVarLengthArray<SpendUpdate, 5> spends;
    QList<ThresholdEvent> events;
};

// The in-memory authority over spend, reservations, rate windows and calls in flight
// (design.md "Ledger"). It lives on the gateway thread and is used only from there, so it
// has no locks; it never blocks, never touches SQL or sockets, and takes time from an
// injected clock so that windows and resets are tested without sleeping.
class Ledger final
{
public:
    explicit Ledger(const IClock &clock, BudgetEnforcement mode = BudgetEnforcement::Reserve);
    ~Ledger();
    Q_DISABLE_COPY_MOVE(Ledger)

    [[nodiscard]] BudgetEnforcement enforcement() const;
    void setEnforcement(BudgetEnforcement mode);

    // Loads (first call for a scope) or changes a budget, and returns what the ledger now
    // holds, which the caller persists. On first load, spend and resetAt are taken as given
    // (resetAt = now + duration when invalid; a past resetAt is reset on the next admission
    // or applyResets()). On a change, spend and resetAt stay, unless the duration was added
    // or changed: that starts a fresh window (spend 0, resetAt = now + duration). The same
    // period in other words ("weekly", "1w", "7d") is no change.
    // Thresholds already reached are treated as reported, so loading or editing a budget
    // never raises an event by itself.
    BudgetState setBudget(const LedgerScope &scope, const BudgetConfig &config);
    // An admin's explicit spend edit (e.g. /key/update with "spend"), or the spend the store
    // counted over every instance (shared mode); keeps the window. Forgets a lease refusal
    // (denyLease), as setBudget does when the max or the period changes.
    void setSpend(const LedgerScope &scope, NanoUsd spend);
    // The scope is gone (key deleted, ...). Calls in flight settle without it; loading it
    // again later starts from the given config.
    void removeBudget(const LedgerScope &scope);
    [[nodiscard]] std::optional<BudgetState> budget(const LedgerScope &scope) const;
    // The same budget and limits under another id (a key regenerated: its token changed).
    // Spend, window, rate windows, the lease and the calls in flight move with it: those
    // calls settle on `to`. False (nothing moved) when `from` is unknown or `to` is taken.
    bool renameScope(const LedgerScope &from, const LedgerScope &to);

    // Absent fields are unlimited; windows and in-flight counts survive a change of limits.
    void setLimits(const LedgerScope &scope, const RateLimits &limits);
    void removeLimits(const LedgerScope &scope);
    [[nodiscard]] std::optional<LimitState> limits(const LedgerScope &scope) const;

    // Resets due first, then every budget in request order, then rpm, tpm and parallel per
    // limited scope. All or nothing: a refused call takes no slot and reserves nothing.
    [[nodiscard]] Admission admit(const AdmissionRequest &request);
    // The call completed (or a stream was cut after some cost): the reservation becomes the
    // real cost on every budget it held, tpm is corrected, the parallel slot is freed.
    // nullopt for an unknown or already finished reservation.
    [[nodiscard]] std::optional<Settlement> settle(ReservationId id, NanoUsd actualCost, qint64 actualTokens);
    // The call failed before any cost: frees its reservation, parallel slot and estimated
    // tokens; it still counts as a request in rpm (it was admitted). False if unknown.
    bool release(ReservationId id);
    [[nodiscard]] qsizetype reservationsInFlight() const;
    // What reservation `id` holds (nullopt when unknown or finished). Budgets removed while the
    // call runs are left out.
    [[nodiscard]] std::optional<Held> held(ReservationId id) const;

    // Shared mode (several gateways on one database, docs/shared-budgets.md): a budget with a
    // max admits against the lease this instance holds on the shared remainder instead of
    // against spend and max. Reserve mode: a call passes while the lease is not all reserved
    // (reserved < lease), as a single instance passes while spend + reserved < max. Strict mode:
    // reserved + upper bound <= lease. When the lease does not cover the call, admit() answers
    // with leaseNeeds; the caller asks the store and calls addLease() (or denyLease()) and then
    // admit() again. A settled call's cost is taken from the lease (at most all of it:
    // SpendUpdate::leaseUsed); what its reservation did not use stays leased. Off by default:
    // the single-instance path is untouched. `sliceDivisor`: a lease asks for at least
    // max / sliceDivisor, so that most calls find it covered.
    void setShared(bool shared, int sliceDivisor = 20);
    [[nodiscard]] bool isShared() const;
    // The store granted `amount` more on `scope`'s remainder (also for a removed budget: its
    // lease must still be given back). Clears a denial.
    void addLease(const LedgerScope &scope, NanoUsd amount);
    // The store could not grant: only `remainder` is left. Until `untilMs` (clock time), calls
    // needing more than that are refused here without asking the store again.
    void denyLease(const LedgerScope &scope, NanoUsd remainder, qint64 untilMs);
    // Takes the lease away (to give it back to the store, or because the store lost it):
    // returns what was held. Calls in flight keep their reservations and settle with no lease.
    NanoUsd takeLease(const LedgerScope &scope);
    // Takes what calls in flight did not reserve of the lease (its budget was lowered or
    // removed): they settle from the rest, which goes back once it is idle. Returns what was taken.
    NanoUsd takeUnreservedLease(const LedgerScope &scope);
    [[nodiscard]] NanoUsd lease(const LedgerScope &scope) const;
    // Every scope holding a lease.
    [[nodiscard]] QList<LeaseState> leases() const;

    // The earliest reset over all budgets (invalid when none has a period): the gateway
    // arms one timer on it and calls applyResets() when it fires.
    [[nodiscard]] QDateTime nextResetAt() const;
    // Applies every reset that is due: spend 0, resetAt moved by whole periods until it is
    // in the future. One event per budget however many periods were missed.
    QList<ResetEvent> applyResets();

private:
    struct Private;
    std::unique_ptr<Private> m_d;
};

// Plain decimal USD, as Python prints a float that has no exponent: "10.0", "0.1",
// "0.0000001", "-1.5". Exact: every digit comes from the integer nano-dollars.
QString formatUsd(NanoUsd nanos);

} // namespace Tollgate
