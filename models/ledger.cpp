#include "ledger.h"

#include <QHash>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <vector>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

constexpr qint64 kWindowMs = 60'000;
// Tokens one call may put into a rate window: far above any model's context, low enough that
// the window's sums cannot overflow whatever a provider reports.
constexpr qint64 kMaxCallTokens = qint64(1) << 40;

// Reservations are summed wider than int64: every hold is at most int64's largest amount (a
// saturated bound), so the sum of any number of calls in flight is exact and frees exactly.
__extension__ typedef __int128 WideNanos;

NanoUsd narrowed(WideNanos value)
{
    return value > WideNanos(MaxNanoUsd) ? MaxNanoUsd : value < WideNanos(MinNanoUsd) ? MinNanoUsd : NanoUsd(value);
}
// A parallel slot frees when some call ends, which nobody can foresee: ask for a retry soon.
constexpr qint64 kParallelRetryMs = 1'000;
// A limit of 0 never lets anything through until an admin changes it; one window is a
// sensible back-off that keeps the message's "Limit resets at" a real time.
constexpr qint64 kZeroLimitRetryMs = kWindowMs;

// Calls per minute and tokens per minute over a sliding 60-second window: a ring buffer of
// (time, requests, tokens) slots, oldest first, with running sums. Calls in the same
// millisecond share a slot, so the buffer holds at most one slot per call and per
// millisecond of the last minute (60,000), and stops allocating once it has grown to the
// busiest minute seen. Times are exact to the millisecond, and so is retry-after.
class SlidingWindow
{
public:
    struct Slot
    {
        qint64 timeMs = 0;
        qint64 requests = 0;
        qint64 tokens = 0;
    };

    void evict(qint64 nowMs)
    {
        while (m_size > 0 && front().timeMs + kWindowMs <= nowMs) {
            m_requests -= front().requests;
            m_tokens -= front().tokens;
            m_head = (m_head + 1) & (m_ring.size() - 1);
            --m_size;
            ++m_headSeq;
        }
    }

    [[nodiscard]] qint64 requests() const { return m_requests; }
    [[nodiscard]] qint64 tokens() const { return m_tokens; }

    // Adds to the window at nowMs and returns the slot's sequence number, by which the
    // amount can be taken back later while the slot is still in the window.
    qint64 add(qint64 nowMs, qint64 requests, qint64 tokens)
    {
        if (m_size > 0) {
            Slot &last = back();
            // A clock stepped backwards must not break the oldest-first order.
            if (last.timeMs >= nowMs) {
                last.requests += requests;
                last.tokens += tokens;
                m_requests += requests;
                m_tokens += tokens;
                return m_headSeq + qint64(m_size) - 1;
            }
        }
        if (m_size == m_ring.size())
            grow();
        m_ring[(m_head + m_size) & (m_ring.size() - 1)] = Slot{nowMs, requests, tokens};
        ++m_size;
        m_requests += requests;
        m_tokens += tokens;
        return m_headSeq + qint64(m_size) - 1;
    }

    // Takes `amount` tokens back from slot `seq` if it is still in the window (a slot that
    // has left it no longer counts anyway). Never takes more than the slot holds.
    void takeBackTokens(qint64 seq, qint64 amount)
    {
        if (seq < m_headSeq || seq >= m_headSeq + qint64(m_size))
            return;
        Slot &slot = m_ring[(m_head + size_t(seq - m_headSeq)) & (m_ring.size() - 1)];
        const qint64 taken = std::min(amount, slot.tokens);
        slot.tokens -= taken;
        m_tokens -= taken;
    }

    // Milliseconds from nowMs until the window's requests (or tokens) are at most `target`,
    // given that nothing more is added: when the slot that brings it there leaves.
    [[nodiscard]] qint64 msUntilRequestsAtMost(qint64 target, qint64 nowMs) const
    {
        return msUntil(target, nowMs, m_requests, &Slot::requests);
    }
    [[nodiscard]] qint64 msUntilTokensAtMost(qint64 target, qint64 nowMs) const
    {
        return msUntil(target, nowMs, m_tokens, &Slot::tokens);
    }

    // Sums as they would be at nowMs, without evicting (for const readers).
    [[nodiscard]] std::pair<qint64, qint64> sumsAt(qint64 nowMs) const
    {
        qint64 requests = m_requests;
        qint64 tokens = m_tokens;
        for (size_t i = 0; i < m_size; ++i) {
            const Slot &slot = at(i);
            if (slot.timeMs + kWindowMs > nowMs)
                break;
            requests -= slot.requests;
            tokens -= slot.tokens;
        }
        return {requests, tokens};
    }

private:
    [[nodiscard]] const Slot &at(size_t i) const { return m_ring[(m_head + i) & (m_ring.size() - 1)]; }
    Slot &front() { return m_ring[m_head]; }
    Slot &back() { return m_ring[(m_head + m_size - 1) & (m_ring.size() - 1)]; }

    [[nodiscard]] qint64 msUntil(qint64 target, qint64 nowMs, qint64 total, qint64 Slot::*field) const
    {
        qint64 remaining = total;
        if (remaining <= target)
            return 0;
        for (size_t i = 0; i < m_size; ++i) {
            const Slot &slot = at(i);
            remaining -= slot.*field;
            if (remaining <= target)
                return std::max<qint64>(slot.timeMs + kWindowMs - nowMs, 1);
        }
        return kWindowMs;   // unreachable while the sums match the slots
    }

    // Capacity stays a power of two so that indices wrap with a mask.
    void grow()
    {
        std::vector<Slot> bigger(m_ring.empty() ? 8 : m_ring.size() * 2);
        for (size_t i = 0; i < m_size; ++i)
            bigger[i] = at(i);
        m_ring = std::move(bigger);
        m_head = 0;
    }

    std::vector<Slot> m_ring;
    size_t m_head = 0;
    size_t m_size = 0;
    qint64 m_headSeq = 0;   // sequence number of the oldest slot
    qint64 m_requests = 0;
    qint64 m_tokens = 0;
};

// ceil(value * num / den) without overflowing for any budget an int64 can hold.
NanoUsd ceilFraction(NanoUsd value, qint64 num, qint64 den)
{
    const NanoUsd whole = value / den * num;
    const NanoUsd rest = value % den * num;
    return whole + (rest + den - 1) / den;
}

enum ThresholdBit : quint8 {
    SoftBit = 1,
    Percent80Bit = 2,
    Percent95Bit = 4,
    Percent100Bit = 8,
};

QString limitTypeName(RateLimitType type)
{
    switch (type) {
    case RateLimitType::Requests: return u"requests"_s;
    case RateLimitType::Tokens: return u"tokens"_s;
    case RateLimitType::MaxParallelRequests: return u"max_parallel_requests"_s;
    }
    return u"requests"_s;
}

QString isoTime(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

} // namespace

QString LedgerScope::paramName() const
{
    switch (kind) {
    case Kind::Global: return u"global"_s;
    case Kind::User: return u"user"_s;
    case Kind::Key: return u"key"_s;
    case Kind::EndUser: return u"end_user"_s;
    case Kind::KeyModel: return u"model"_s;
    }
    return u"key"_s;
}

QString LedgerScope::budgetWord() const
{
    switch (kind) {
    case Kind::Global: return u"Global"_s;
    case Kind::User: return u"User"_s;
    case Kind::Key: return u"Key"_s;
    case Kind::EndUser: return u"EndUser"_s;
    case Kind::KeyModel: return u"Model"_s;
    }
    return u"Key"_s;
}

QString LedgerScope::displayId() const
{
    if (kind == Kind::KeyModel) {
        const qsizetype newline = id.indexOf(u'\n');
        if (newline >= 0)
            return id.mid(newline + 1);
    }
    return id;
}

size_t qHash(const LedgerScope &scope, size_t seed) noexcept
{
    return qHash(scope.id, seed) ^ (size_t(scope.kind) * size_t(0x9E3779B97F4A7C15ULL));
}

QString formatUsd(NanoUsd nanos)
{
    // Unsigned so that the most negative value has a magnitude too.
    const bool negative = nanos < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(nanos) : quint64(nanos);
    const quint64 whole = magnitude / quint64(NanosPerUsd);
    const quint64 fraction = magnitude % quint64(NanosPerUsd);
    QString text = (negative ? u"-"_s : QString()) + QString::number(whole) + u'.';
    if (fraction == 0)
        return text + u'0';
    QString digits = QString::number(fraction).rightJustified(9, u'0');
    while (digits.endsWith(u'0'))
        digits.chop(1);
    return text + digits;
}

struct Ledger::Private
{
    // Everything the ledger knows about one scope: its budget and its rate limits share an
    // entry, so an admission looks each scope up once (a key is usually in both lists).
    struct Entry
    {
        LedgerScope scope;

        bool hasBudget = false;
        std::optional<NanoUsd> max;
        std::optional<NanoUsd> soft;
        std::optional<Duration> duration;
        QDateTime resetAt;
        qint64 resetAtMs = 0;
        NanoUsd spend = 0;
        WideNanos reserved = 0;  // also while the budget is removed: calls still hold it
        quint8 reported = 0;     // ThresholdBits already reported in this window

        bool hasLimits = false;
        RateLimits limits;
        SlidingWindow window;
        qint64 inFlight = 0;

        // Reservations that point here. A scope whose budget and limits are both gone
        // stays until the last of them lets go.
        qint32 holds = 0;

        // Shared mode: the lease this instance holds on the shared remainder (an entry holding
        // one stays until it is taken), and the store's last refusal.
        NanoUsd lease = 0;
        qint64 lastLeaseUseMs = 0;
        qint64 deniedUntilMs = 0;
        NanoUsd deniedRemainder = 0;
    };

    struct LimitHold
    {
        Entry *entry = nullptr;
        qint64 seq = 0;          // the window slot that holds this call's tokens
    };

    // Reservations live in reusable slots, so admission allocates nothing once the
    // gateway has seen its peak of calls in flight. Ids carry a generation so that a
    // stale id (settled twice) is recognised instead of hitting a newer call.
    struct Reservation
    {
        quint32 generation = 0;
        bool inUse = false;
        NanoUsd hold = 0;
        qint64 estimatedTokens = 0;
        QVarLengthArray<Entry *, 5> budgets;
        QVarLengthArray<LimitHold, 3> limits;
    };

    Private(const IClock &c, BudgetEnforcement m) : clock(c), mode(m) {}

    const IClock &clock;
    BudgetEnforcement mode;
    bool shared = false;
    int sliceDivisor = 20;
    // Entries on the heap keep their address while the table grows, so reservations can
    // point at them; QHash keeps lookups to one hash and a short probe.
    QHash<LedgerScope, std::shared_ptr<Entry>> entries;
    // Budgets with a period, by next reset: the earliest is begin(), so the check at
    // admission costs one comparison when nothing is due.
    std::set<std::pair<qint64, Entry *>> resetQueue;
    // Shared mode: the entries holding a lease (leases() must not walk every key).
    std::set<Entry *> leaseHolders;
    std::vector<Reservation> pool;
    std::vector<quint32> freeIndexes;
    qsizetype inFlight = 0;

    [[nodiscard]] Entry *find(const LedgerScope &scope) const
    {
        const auto it = entries.constFind(scope);
        return it == entries.cend() ? nullptr : it->get();
    }

    Entry &findOrCreate(const LedgerScope &scope)
    {
        std::shared_ptr<Entry> &entry = entries[scope];
        if (!entry) {
            entry = std::make_shared<Entry>();
            entry->scope = scope;
        }
        return *entry;
    }

    // Drops an entry nothing needs any more. Called last: it may destroy `entry`.
    void eraseIfUnused(Entry &entry)
    {
        if (entry.hasBudget || entry.hasLimits || entry.holds > 0 || entry.lease > 0)
            return;
        const LedgerScope scope = entry.scope;   // remove() must not read a key it destroys
        entries.remove(scope);
    }

    void unschedule(Entry &entry)
    {
        if (entry.resetAt.isValid())
            resetQueue.erase({entry.resetAtMs, &entry});
    }
    void schedule(Entry &entry, const QDateTime &resetAt)
    {
        unschedule(entry);
        entry.resetAt = resetAt;
        if (resetAt.isValid()) {
            entry.resetAtMs = resetAt.toMSecsSinceEpoch();
            resetQueue.insert({entry.resetAtMs, &entry});
        }
    }

    static quint8 thresholdsMet(const Entry &entry)
    {
        quint8 met = 0;
        if (entry.soft && entry.spend >= *entry.soft)
            met |= SoftBit;
        if (entry.max) {
            if (entry.spend >= ceilFraction(*entry.max, 4, 5))
                met |= Percent80Bit;
            if (entry.spend >= ceilFraction(*entry.max, 19, 20))
                met |= Percent95Bit;
            if (entry.spend >= *entry.max)
                met |= Percent100Bit;
        }
        return met;
    }

    // The reset after `due` that lies strictly after `now`, stepping by whole periods
    // from the reset that fell due. Months step one at a time from the previous reset,
    // exactly as a gateway that never stopped would have (Jan 31 → Feb 28 → Mar 28).
    static QDateTime nextReset(const Duration &duration, const QDateTime &due, const QDateTime &now)
    {
        if (duration.count <= 0)   // parse() never makes one; do not loop forever on it
            return now.addSecs(1);
        if (duration.unit == Duration::Unit::Months) {
            QDateTime next = due;
            do {
                next = duration.addTo(next);
            } while (next <= now);
            return next;
        }
        const qint64 periodMs = duration.seconds(due) * 1000;
        const qint64 behindMs = due.msecsTo(now);
        const qint64 periods = behindMs / periodMs + 1;
        return due.addMSecs(periods * periodMs);
    }

    QList<ResetEvent> applyResets(const QDateTime &now, qint64 nowMs)
    {
        QList<ResetEvent> events;
        while (!resetQueue.empty() && resetQueue.begin()->first <= nowMs) {
            Entry &entry = *resetQueue.begin()->second;
            resetQueue.erase(resetQueue.begin());
            const QDateTime due = entry.resetAt;
            entry.resetAt = QDateTime();   // already out of the queue
            ResetEvent event{entry.scope, entry.spend, due, nextReset(*entry.duration, due, now)};
            entry.spend = 0;
            entry.reported = thresholdsMet(entry);
            schedule(entry, event.nextResetAt);
            events.append(std::move(event));
        }
        return events;
    }

    static Refusal budgetRefusal(const Entry &entry, Refusal::Kind kind, const QDateTime &now)
    {
        Refusal refusal;
        refusal.kind = kind;
        refusal.scope = entry.scope;
        refusal.param = entry.scope.paramName();
        refusal.spend = entry.spend;
        refusal.max = *entry.max;
        const QString tail = entry.scope.budgetWord() + u'=' + entry.scope.displayId()
                             + u" Current cost: "_s + formatUsd(entry.spend)
                             + u", Max budget: "_s + formatUsd(*entry.max);
        if (kind == Refusal::Kind::PriceUnknown) {
            refusal.message = u"Budget cannot be enforced: the price of this model is unknown "
                              "and budget_enforcement is strict. "_s + tail;
        } else {
            refusal.message = u"Budget has been exceeded! "_s + tail;
        }
        // Only a reset is certain to let the call through; settlements might sooner.
        if (entry.resetAt.isValid()) {
            refusal.retryAfterMs = std::max<qint64>(now.msecsTo(entry.resetAt), 1);
            refusal.resetsAt = entry.resetAt;
        }
        return refusal;
    }

    static Refusal rateRefusal(const Entry &entry, RateLimitType type, qint64 limit,
                               qint64 remaining, qint64 retryAfterMs, const QDateTime &now)
    {
        Refusal refusal;
        refusal.kind = Refusal::Kind::RateLimit;
        refusal.scope = entry.scope;
        refusal.param = entry.scope.paramName();
        refusal.limitType = type;
        refusal.limit = limit;
        refusal.retryAfterMs = retryAfterMs;
        refusal.resetsAt = now.addMSecs(retryAfterMs);
        refusal.message = u"Rate limit exceeded for "_s + entry.scope.paramName() + u": "_s
                          + entry.scope.displayId() + u". Limit type: "_s + limitTypeName(type)
                          + u". Current limit: "_s + QString::number(limit)
                          + u", Remaining: "_s + QString::number(std::max<qint64>(remaining, 0))
                          + u". Limit resets at: "_s + isoTime(refusal.resetsAt);
        return refusal;
    }

    // Checks one limited scope; the window is brought up to date first.
    std::optional<Refusal> checkLimits(Entry &entry, qint64 tokens, const QDateTime &now, qint64 nowMs)
    {
        entry.window.evict(nowMs);
        const RateLimits &l = entry.limits;
        if (l.rpm) {
            const qint64 used = entry.window.requests();
            if (used >= *l.rpm) {
                const qint64 wait = *l.rpm <= 0 ? kZeroLimitRetryMs
                                                : entry.window.msUntilRequestsAtMost(*l.rpm - 1, nowMs);
                return rateRefusal(entry, RateLimitType::Requests, *l.rpm, *l.rpm - used, wait, now);
            }
        }
        if (l.tpm) {
            // The call's prompt tokens must fit. One call larger than the whole limit
            // still passes on an empty window, or it could never pass at all.
            const qint64 used = entry.window.tokens();
            const bool fits = *l.tpm > 0 && (addSaturated(used, tokens) <= *l.tpm || used <= 0);
            if (!fits) {
                const qint64 room = std::max<qint64>(*l.tpm - tokens, 0);
                const qint64 wait = *l.tpm <= 0 ? kZeroLimitRetryMs
                                                : entry.window.msUntilTokensAtMost(room, nowMs);
                return rateRefusal(entry, RateLimitType::Tokens, *l.tpm, *l.tpm - used, wait, now);
            }
        }
        if (l.maxParallel && entry.inFlight >= *l.maxParallel) {
            const qint64 wait = *l.maxParallel <= 0 ? kZeroLimitRetryMs : kParallelRetryMs;
            return rateRefusal(entry, RateLimitType::MaxParallelRequests, *l.maxParallel,
                               *l.maxParallel - entry.inFlight, wait, now);
        }
        return std::nullopt;
    }

    Reservation *find(ReservationId id)
    {
        const quint64 index = id.value & 0xFFFF'FFFFULL;
        const auto generation = quint32(id.value >> 32);
        if (!id.isValid() || index >= pool.size())
            return nullptr;
        Reservation &slot = pool[index];
        return slot.inUse && slot.generation == generation ? &slot : nullptr;
    }

    std::pair<Reservation *, ReservationId> allocate()
    {
        quint32 index = 0;
        if (!freeIndexes.empty()) {
            index = freeIndexes.back();
            freeIndexes.pop_back();
        } else {
            index = quint32(pool.size());
            pool.emplace_back();
        }
        Reservation &slot = pool[index];
        // Generation 0 is never used, so no id is 0.
        slot.generation = slot.generation == 0xFFFF'FFFFU ? 1 : slot.generation + 1;
        slot.inUse = true;
        slot.budgets.clear();
        slot.limits.clear();
        ++inFlight;
        return {&slot, ReservationId{(quint64(slot.generation) << 32) | index}};
    }

    void recycle(Reservation &slot)
    {
        slot.inUse = false;
        slot.budgets.clear();
        slot.limits.clear();
        freeIndexes.push_back(quint32(&slot - pool.data()));
        --inFlight;
    }

    // Frees the parallel slot and corrects the tokens of one limited scope.
    void dropLimitHold(const LimitHold &hold, qint64 estimatedTokens, qint64 actualTokens, qint64 nowMs)
    {
        Entry &entry = *hold.entry;
        --entry.inFlight;
        --entry.holds;
        if (entry.hasLimits) {
            // Fewer tokens than estimated: take them back from the admission's slot. More:
            // they were produced up to now, so they count from now.
            if (actualTokens < estimatedTokens) {
                entry.window.takeBackTokens(hold.seq, estimatedTokens - actualTokens);
            } else if (actualTokens > estimatedTokens) {
                entry.window.evict(nowMs);
                entry.window.add(nowMs, 0, actualTokens - estimatedTokens);
            }
        }
        eraseIfUnused(entry);
    }
};

Ledger::Ledger(const IClock &clock, BudgetEnforcement mode) : m_d(std::make_unique<Private>(clock, mode)) {}

Ledger::~Ledger() = default;

BudgetEnforcement Ledger::enforcement() const
{
    return m_d->mode;
}

void Ledger::setEnforcement(BudgetEnforcement mode)
{
    m_d->mode = mode;
}

bool samePeriod(const std::optional<Duration> &a, const std::optional<Duration> &b)
{
    if (!a || !b)
        return !a && !b;
    const bool months = a->unit == Duration::Unit::Months;
    if (months != (b->unit == Duration::Unit::Months))
        return false;
    return months ? a->count == b->count : a->seconds({}) == b->seconds({});
}

BudgetState Ledger::setBudget(const LedgerScope &scope, const BudgetConfig &config)
{
    const QDateTime now = m_d->clock.now().toUTC();
    Private::Entry &entry = m_d->findOrCreate(scope);
    const bool load = !entry.hasBudget;
    const bool durationChanged = !samePeriod(config.duration, entry.duration);

    // Shared mode: a refusal the store gave under the old max (or in the old window) no longer
    // stands; the next call that needs a lease asks again.
    if (entry.max != config.max || durationChanged) {
        entry.deniedUntilMs = 0;
        entry.deniedRemainder = 0;
    }
    entry.hasBudget = true;
    entry.max = config.max;
    entry.soft = config.soft;
    entry.duration = config.duration;
    if (load) {
        entry.spend = config.spend;
        QDateTime resetAt;
        if (config.duration)
            resetAt = config.resetAt.isValid() ? config.resetAt.toUTC() : config.duration->addTo(now);
        m_d->schedule(entry, resetAt);
    } else if (!config.duration) {
        m_d->schedule(entry, QDateTime());
    } else if (durationChanged) {
        // api.md §3: a new period starts a fresh window from now — the one the caller already
        // started (and answered with) if it gives one, so both agree to the millisecond.
        entry.spend = 0;
        const bool given = config.resetAt.isValid() && config.resetAt > now;
        m_d->schedule(entry, given ? config.resetAt.toUTC() : config.duration->addTo(now));
    }
    entry.reported = Private::thresholdsMet(entry);
    return *budget(scope);
}

void Ledger::setSpend(const LedgerScope &scope, NanoUsd spend)
{
    Private::Entry *entry = m_d->find(scope);
    if (entry && entry->hasBudget) {
        entry->spend = spend;
        entry->reported = Private::thresholdsMet(*entry);
        // Shared mode: the store's last refusal was measured against the old spend.
        entry->deniedUntilMs = 0;
        entry->deniedRemainder = 0;
    }
}

void Ledger::removeBudget(const LedgerScope &scope)
{
    Private::Entry *entry = m_d->find(scope);
    if (!entry || !entry->hasBudget)
        return;
    m_d->schedule(*entry, QDateTime());
    entry->hasBudget = false;
    entry->max.reset();
    entry->soft.reset();
    entry->duration.reset();
    entry->spend = 0;
    m_d->eraseIfUnused(*entry);
}

bool Ledger::renameScope(const LedgerScope &from, const LedgerScope &to)
{
    if (from == to)
        return m_d->find(from) != nullptr;
    const auto found = m_d->entries.find(from);
    if (found == m_d->entries.end() || m_d->entries.contains(to))
        return false;
    // Reservations, the reset queue and the lease holders point at the entry itself: only
    // its key in the table and the scope it reports change.
    std::shared_ptr<Private::Entry> entry = std::move(found.value());
    m_d->entries.erase(found);
    entry->scope = to;
    m_d->entries.insert(to, std::move(entry));
    return true;
}

std::optional<BudgetState> Ledger::budget(const LedgerScope &scope) const
{
    const Private::Entry *entry = m_d->find(scope);
    if (!entry || !entry->hasBudget)
        return std::nullopt;
    return BudgetState{entry->spend, narrowed(entry->reserved), entry->max,
                       entry->soft, entry->duration, entry->resetAt};
}

void Ledger::setLimits(const LedgerScope &scope, const RateLimits &limits)
{
    Private::Entry &entry = m_d->findOrCreate(scope);
    entry.hasLimits = true;
    entry.limits = limits;
}

void Ledger::removeLimits(const LedgerScope &scope)
{
    Private::Entry *entry = m_d->find(scope);
    if (!entry || !entry->hasLimits)
        return;
    // The window stays: calls in flight still point at its slots by sequence number.
    entry->hasLimits = false;
    entry->limits = RateLimits{};
    m_d->eraseIfUnused(*entry);
}

std::optional<LimitState> Ledger::limits(const LedgerScope &scope) const
{
    const Private::Entry *entry = m_d->find(scope);
    if (!entry || !entry->hasLimits)
        return std::nullopt;
    const auto [requests, tokens] = entry->window.sumsAt(m_d->clock.now().toMSecsSinceEpoch());
    return LimitState{entry->limits, requests, tokens, entry->inFlight};
}

Admission Ledger::admit(const AdmissionRequest &request)
{
    Private &d = *m_d;
    const QDateTime now = d.clock.now();
    const qint64 nowMs = now.toMSecsSinceEpoch();
    Admission admission;

    // Resets first, so that no call is refused on a budget whose window has ended.
    if (!d.resetQueue.empty() && d.resetQueue.begin()->first <= nowMs)
        admission.resets = d.applyResets(now.toUTC(), nowMs);

    const bool strict = d.mode == BudgetEnforcement::Strict;
    qint64 tokens = request.estimatedTokens;
    NanoUsd upperBound = request.upperBoundCost;
    NanoUsd estimated = request.estimatedCost;
    bool refined = !request.refine;
    const auto refine = [&] {
        if (refined)
            return false;
        refined = true;
        request.refine(tokens, upperBound, estimated);
        return true;
    };

    QVarLengthArray<Private::Entry *, 5> budgets;
    for (const LedgerScope &scope : request.budgets) {
        Private::Entry *entry = d.find(scope);
        if (!entry || !entry->hasBudget || budgets.contains(entry))
            continue;
        if (scope.kind == LedgerScope::Kind::Key && !admission.keySpend) {
            admission.keySpend = entry->spend;
            admission.keyMaxBudget = entry->max;
        }
        if (entry->max) {
            if (strict && !request.priceKnown) {
                admission.refusal = Private::budgetRefusal(*entry, Refusal::Kind::PriceUnknown, now);
                return admission;
            }
            if (d.shared) {
                // Against this instance's lease (docs/shared-budgets.md), not spend and max.
                // Some lease must be left (as spend + reserved < max on one instance, so a free
                // call does not pass an exhausted budget either); strict mode needs the bound too.
                const auto shortBy = [&]() -> WideNanos {
                    const WideNanos forAny = entry->reserved < entry->lease ? 0 : entry->reserved - entry->lease + 1;
                    if (!strict)
                        return forAny;
                    return std::max(forAny, entry->reserved + std::max<NanoUsd>(upperBound, 0) - entry->lease);
                };
                WideNanos need = shortBy();
                if (need > 0 && strict && refine())
                    need = shortBy();
                entry->lastLeaseUseMs = nowMs;
                if (need > 0) {
                    if (nowMs < entry->deniedUntilMs && need > entry->deniedRemainder) {
                        admission.refusal = Private::budgetRefusal(*entry, Refusal::Kind::Budget, now);
                        return admission;
                    }
                    // Reserve mode asks for the whole estimate too; both ask for a slice.
                    WideNanos want = strict ? need : need - 1 + std::max<NanoUsd>(estimated, 1);
                    want = std::max<WideNanos>(want, ceilFraction(*entry->max, 1, std::max(d.sliceDivisor, 1)));
                    admission.leaseNeeds.append({entry->scope, narrowed(need), narrowed(want), *entry->max});
                }
                budgets.append(entry);
                continue;
            }
            // api.md §5: spend + reserved < max always; strict mode also needs the
            // upper bound to fit, so a free call does not pass a budget of 0 either.
            // Summed wide: a saturated bound of a huge request must refuse, never wrap.
            const WideNanos committed = WideNanos(entry->spend) + entry->reserved;
            const auto fits = [&] {
                return committed < *entry->max
                    && (!strict || committed + std::max<NanoUsd>(upperBound, 0) <= *entry->max);
            };
            if (!fits() && !(strict && committed < *entry->max && refine() && fits())) {
                admission.refusal = Private::budgetRefusal(*entry, Refusal::Kind::Budget, now);
                return admission;
            }
        }
        budgets.append(entry);
    }

    QVarLengthArray<Private::Entry *, 3> limited;
    for (const LedgerScope &scope : request.limits) {
        // The key is usually a budget scope too: reuse that lookup.
        Private::Entry *entry = nullptr;
        for (Private::Entry *seen : std::as_const(budgets)) {
            if (seen->scope == scope) {
                entry = seen;
                break;
            }
        }
        if (!entry)
            entry = d.find(scope);
        if (!entry || !entry->hasLimits || limited.contains(entry))
            continue;
        // A bound that does not fit with room to spare is refined first: it would refuse, or
        // fill the limit for calls after this one.
        if (entry->limits.tpm && addSaturated(entry->window.tokens(), tokens) >= *entry->limits.tpm)
            refine();
        if (auto refusal = d.checkLimits(*entry, tokens, now, nowMs)) {
            admission.refusal = std::move(refusal);
            return admission;
        }
        limited.append(entry);
    }
    // Shared mode: every check passed but a lease must grow first; nothing is taken yet.
    if (!admission.leaseNeeds.isEmpty())
        return admission;

    // Every check passed: take everything at once.
    const NanoUsd hold = std::max<NanoUsd>(strict ? upperBound : estimated, 0);
    tokens = std::clamp<qint64>(tokens, 0, kMaxCallTokens);
    auto [slot, id] = d.allocate();
    slot->hold = hold;
    slot->estimatedTokens = tokens;
    for (Private::Entry *entry : budgets) {
        entry->reserved += hold;
        ++entry->holds;
        slot->budgets.append(entry);
    }
    for (Private::Entry *entry : limited) {
        const qint64 seq = entry->window.add(nowMs, 1, tokens);
        ++entry->inFlight;
        ++entry->holds;
        slot->limits.append({entry, seq});
        const RateLimits &l = entry->limits;
        LimitStatus status{entry->scope, l.rpm, 0, l.tpm, 0};
        if (l.rpm)
            status.remainingRequests = std::max<qint64>(*l.rpm - entry->window.requests(), 0);
        if (l.tpm)
            status.remainingTokens = std::max<qint64>(*l.tpm - entry->window.tokens(), 0);
        admission.limits.append(std::move(status));
    }
    admission.reservation = id;
    return admission;
}

std::optional<Settlement> Ledger::settle(ReservationId id, NanoUsd actualCost, qint64 actualTokens)
{
    Private &d = *m_d;
    Private::Reservation *slot = d.find(id);
    if (!slot)
        return std::nullopt;
    const NanoUsd cost = std::max<NanoUsd>(actualCost, 0);
    const qint64 tokens = std::clamp<qint64>(actualTokens, 0, kMaxCallTokens);

    Settlement settlement;
    for (Private::Entry *entry : std::as_const(slot->budgets)) {
        entry->reserved -= slot->hold;
        --entry->holds;
        if (!entry->hasBudget) {   // removed while the call ran
            d.eraseIfUnused(*entry);
            continue;
        }
        entry->spend = addSaturated(entry->spend, cost);
        // Shared mode: the cost comes out of the lease (what the hold did not use stays leased);
        // a reserve-mode call that cost more than the lease had left overshoots by the rest.
        NanoUsd leaseUsed = 0;
        if (entry->lease > 0) {
            leaseUsed = std::min(cost, entry->lease);
            entry->lease -= leaseUsed;
            if (entry->lease == 0)
                d.leaseHolders.erase(entry);
        }
        settlement.spends.append({entry->scope, entry->spend, leaseUsed});
        const quint8 met = Private::thresholdsMet(*entry);
        const quint8 crossed = met & ~entry->reported;
        entry->reported |= met;
        if (crossed == 0)
            continue;
        const auto report = [&](quint8 bit, ThresholdEvent::Kind kind, NanoUsd budget) {
            if (crossed & bit)
                settlement.events.append(ThresholdEvent{entry->scope, kind, entry->spend, budget});
        };
        report(SoftBit, ThresholdEvent::Kind::SoftBudget, entry->soft.value_or(0));
        report(Percent80Bit, ThresholdEvent::Kind::Percent80, entry->max.value_or(0));
        report(Percent95Bit, ThresholdEvent::Kind::Percent95, entry->max.value_or(0));
        report(Percent100Bit, ThresholdEvent::Kind::Percent100, entry->max.value_or(0));
    }
    const qint64 nowMs = slot->limits.isEmpty() ? 0 : d.clock.now().toMSecsSinceEpoch();
    for (const Private::LimitHold &hold : std::as_const(slot->limits))
        d.dropLimitHold(hold, slot->estimatedTokens, tokens, nowMs);
    d.recycle(*slot);
    return settlement;
}

bool Ledger::release(ReservationId id)
{
    Private &d = *m_d;
    Private::Reservation *slot = d.find(id);
    if (!slot)
        return false;
    for (Private::Entry *entry : std::as_const(slot->budgets)) {
        entry->reserved -= slot->hold;
        --entry->holds;
        d.eraseIfUnused(*entry);
    }
    // The call still counts as a request in the rpm window (it was admitted; failing
    // calls must not dodge rpm), but its tokens were never used.
    for (const Private::LimitHold &hold : std::as_const(slot->limits))
        d.dropLimitHold(hold, slot->estimatedTokens, 0, 0);
    d.recycle(*slot);
    return true;
}

void Ledger::setShared(bool shared, int sliceDivisor)
{
    m_d->shared = shared;
    m_d->sliceDivisor = std::max(sliceDivisor, 1);
}

bool Ledger::isShared() const
{
    return m_d->shared;
}

void Ledger::addLease(const LedgerScope &scope, NanoUsd amount)
{
    if (amount <= 0)
        return;
    Private::Entry &entry = m_d->findOrCreate(scope);
    entry.lease = addSaturated(entry.lease, amount);
    m_d->leaseHolders.insert(&entry);
    entry.deniedUntilMs = 0;
    entry.deniedRemainder = 0;
}

void Ledger::denyLease(const LedgerScope &scope, NanoUsd remainder, qint64 untilMs)
{
    if (Private::Entry *entry = m_d->find(scope)) {
        entry->deniedUntilMs = untilMs;
        entry->deniedRemainder = std::max<NanoUsd>(remainder, 0);
    }
}

NanoUsd Ledger::takeLease(const LedgerScope &scope)
{
    Private::Entry *entry = m_d->find(scope);
    if (!entry)
        return 0;
    const NanoUsd held = std::exchange(entry->lease, 0);
    m_d->leaseHolders.erase(entry);
    m_d->eraseIfUnused(*entry);
    return held;
}

NanoUsd Ledger::takeUnreservedLease(const LedgerScope &scope)
{
    Private::Entry *entry = m_d->find(scope);
    if (!entry)
        return 0;
    const NanoUsd kept = entry->reserved > 0 ? std::min(entry->lease, narrowed(entry->reserved)) : 0;
    if (kept == 0)
        return takeLease(scope);
    return std::exchange(entry->lease, kept) - kept;
}

NanoUsd Ledger::lease(const LedgerScope &scope) const
{
    const Private::Entry *entry = m_d->find(scope);
    return entry ? entry->lease : 0;
}

QList<LeaseState> Ledger::leases() const
{
    QList<LeaseState> held;
    for (const Private::Entry *entry : m_d->leaseHolders)
        held.append({entry->scope, entry->lease, narrowed(entry->reserved), entry->lastLeaseUseMs});
    return held;
}

qsizetype Ledger::reservationsInFlight() const
{
    return m_d->inFlight;
}

std::optional<Held> Ledger::held(ReservationId id) const
{
    const Private::Reservation *slot = m_d->find(id);
    if (!slot)
        return std::nullopt;
    Held held;
    held.cost = slot->hold;
    held.tokens = slot->estimatedTokens;
    for (const Private::Entry *entry : slot->budgets) {
        if (entry->hasBudget)
            held.budgets.append(entry->scope);
    }
    return held;
}

QDateTime Ledger::nextResetAt() const
{
    if (m_d->resetQueue.empty())
        return {};
    return m_d->resetQueue.begin()->second->resetAt;
}

QList<ResetEvent> Ledger::applyResets()
{
    const QDateTime now = m_d->clock.now().toUTC();
    return m_d->applyResets(now, now.toMSecsSinceEpoch());
}

} // namespace Tollgate
