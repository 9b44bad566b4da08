#include "budgetleases.h"

#include "store/spendjournal.h"

#include <QLoggingCategory>
#include <QUuid>

#include <algorithm>
#include <memory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcLeases, "tollgate.leases")

namespace Tollgate {

BudgetLeases::BudgetLeases(Ledger &ledger, Store *store, const IClock &clock, Options options, QObject *parent)
    : QObject(parent)
    , m_ledger(ledger)
    , m_store(store)
    , m_clock(clock)
    , m_options(options)
    , m_instance(QUuid::createUuid().toString(QUuid::WithoutBraces))
    , m_journal(store && store->spendJournal() ? store->spendJournal()->committedKey() : QString())
{
    // Often enough to give an idle lease back on time and to renew every lease several times
    // within its life; nothing but a few comparisons when no lease is held.
    const qint64 period = std::clamp<qint64>(std::min(m_options.idleMs / 2, m_options.ttlMs / 6), 50, 5'000);
    m_timer.setInterval(int(period));
    connect(&m_timer, &QTimer::timeout, this, &BudgetLeases::tick);
    m_timer.start();
    m_lastRenewMs = nowMs();
}

BudgetLeases::~BudgetLeases()
{
    // Shutdown: every lease back to the remainder, for the other instances. Queued writes:
    // Store::close() finishes them.
    for (const LeaseState &held : m_ledger.leases()) {
        const NanoUsd amount = m_ledger.takeLease(held.scope);
        if (m_store && amount > 0)
            m_store->write(LeaseRepository::giveBack(m_instance, held.scope, amount), nullptr);
    }
    if (m_store)
        m_store->write(LeaseRepository::releaseWriteOffs(m_instance), nullptr);
    qCInfo(lcLeases).noquote() << u"shared budgets: %1 lease request(s) for %2 scope(s), %3 granted, %4 refused, "
                                  "%5 given back, %6 call(s) waited"_s.arg(m_counters.requests)
                                      .arg(m_counters.asks)
                                      .arg(m_counters.granted)
                                      .arg(m_counters.refused)
                                      .arg(m_counters.returned)
                                      .arg(m_counters.parked);
}

qint64 BudgetLeases::nowMs() const
{
    return m_clock.now().toMSecsSinceEpoch();
}

bool BudgetLeases::unavailable() const
{
    return m_unavailableUntilMs > 0 && nowMs() < m_unavailableUntilMs;
}

void BudgetLeases::request(const QVarLengthArray<LeaseNeed, 2> &needs, std::function<void()> resume)
{
    ++m_counters.parked;
    Parked parked{{}, std::move(resume)};
    QList<LeaseRepository::LeaseAsk> asks;
    const quint64 ticket = m_nextTicket++;
    for (const LeaseNeed &need : needs) {
        const QString key = LeaseRepository::scopeKey(need.scope);
        parked.waiting.insert(key);
        if (m_pending.contains(key))
            continue;
        m_pending.insert(key, ticket);
        const std::optional<BudgetState> state = m_ledger.budget(need.scope);
        asks.append({need.scope, need.need, need.want, need.max, state ? state->spend : 0,
                     state ? state->resetAt : QDateTime()});
    }
    m_parked.push_back(std::move(parked));
    if (asks.isEmpty())
        return;
    if (!m_store) {
        finishTicket(ticket, true);
        return;
    }
    ++m_counters.requests;
    m_counters.asks += asks.size();
    auto answers = std::make_shared<QList<LeaseRepository::LeaseAnswer>>();
    const qint64 now = nowMs();
    m_store->write(LeaseRepository::lease(m_instance, m_journal, asks, now, now + m_options.ttlMs, answers), this,
                   [this, ticket, answers](const Result<void> &done) {
                       if (done) {
                           apply(*answers);
                       } else {
                           qCWarning(lcLeases).noquote() << "cannot lease from a shared budget:" << done.error().message;
                       }
                       finishTicket(ticket, !done);
                   });
    QTimer::singleShot(std::chrono::milliseconds(m_options.answerTimeoutMs), this, [this, ticket] {
        // Still unanswered (the store is stuck behind a write it retries): give up on it. A late
        // grant still counts (apply() takes it whenever it comes).
        for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
            if (*it == ticket) {
                qCWarning(lcLeases) << "no answer to a lease request within" << m_options.answerTimeoutMs << "ms";
                finishTicket(ticket, true);
                return;
            }
        }
    });
}

void BudgetLeases::apply(const QList<LeaseRepository::LeaseAnswer> &answers)
{
    const qint64 now = nowMs();
    for (const LeaseRepository::LeaseAnswer &answer : answers) {
        // What every instance settled so far: the spend this one shows (headers, /key/info).
        if (m_ledger.budget(answer.scope))
            m_ledger.setSpend(answer.scope, answer.spend);
        if (answer.granted) {
            ++m_counters.granted;
            m_ledger.addLease(answer.scope, answer.amount);
            continue;
        }
        ++m_counters.refused;
        const std::optional<BudgetState> state = m_ledger.budget(answer.scope);
        const NanoUsd max = state && state->max ? *state->max : 0;
        m_ledger.denyLease(answer.scope, max - answer.spend - answer.leased, now + m_options.denyMs);
    }
}

void BudgetLeases::finishTicket(quint64 ticket, bool failed)
{
    bool any = false;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (*it == ticket) {
            it = m_pending.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    if (!any)
        return;   // timed out before, and resumed then
    if (failed)
        m_unavailableUntilMs = nowMs() + std::max<qint64>(m_options.denyMs, 1'000);
    resumeReady();
}

void BudgetLeases::resumeReady()
{
    // Taken out first: a resumed call may park again (its lease was taken by the calls before it).
    std::vector<std::function<void()>> ready;
    for (auto it = m_parked.begin(); it != m_parked.end();) {
        const bool waits = std::any_of(it->waiting.cbegin(), it->waiting.cend(),
                                       [this](const QString &key) { return m_pending.contains(key); });
        if (waits) {
            ++it;
            continue;
        }
        ready.push_back(std::move(it->resume));
        it = m_parked.erase(it);
    }
    for (const auto &resume : ready)
        resume();
}

Store::WriteJob BudgetLeases::settled(const LedgerScope &scope, NanoUsd used) const
{
    return LeaseRepository::settle(m_instance, scope, used, nowMs() + m_options.ttlMs);
}

void BudgetLeases::giveBack(const LedgerScope &scope)
{
    const NanoUsd amount = m_ledger.takeUnreservedLease(scope);
    if (amount <= 0 || !m_store)
        return;
    ++m_counters.returned;
    m_store->write(LeaseRepository::giveBack(m_instance, scope, amount), nullptr);
}

void BudgetLeases::tick()
{
    const QList<LeaseState> held = m_ledger.leases();
    if (held.isEmpty())
        return;
    const qint64 now = nowMs();
    for (const LeaseState &lease : held) {
        if (lease.reserved == 0 && now - lease.lastUseMs >= m_options.idleMs
            && !m_pending.contains(LeaseRepository::scopeKey(lease.scope)))
            giveBack(lease.scope);
    }
    if (now - m_lastRenewMs < m_options.ttlMs / 3 || !m_store)
        return;
    m_lastRenewMs = now;
    auto stillHeld = std::make_shared<QStringList>();
    QSet<QString> holds;
    for (const LeaseState &lease : held)
        holds.insert(LeaseRepository::scopeKey(lease.scope));
    m_store->write(LeaseRepository::renew(m_instance, m_journal, holds, now + m_options.ttlMs, stillHeld), this,
                   [this, stillHeld](const Result<void> &done) {
                       if (!done)
                           return;
                       // A lease the store no longer has was taken back while this instance
                       // could not renew it (stuck longer than the ttl): it is gone.
                       const QSet<QString> keys(stillHeld->cbegin(), stillHeld->cend());
                       for (const LeaseState &lease : m_ledger.leases()) {
                           const QString key = LeaseRepository::scopeKey(lease.scope);
                           if (!keys.contains(key) && !m_pending.contains(key)) {
                               qCWarning(lcLeases).noquote() << "lease lost (expired in the store):" << key.left(24);
                               m_ledger.takeLease(lease.scope);
                           }
                       }
                   });
}

} // namespace Tollgate
