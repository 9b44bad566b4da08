#pragma once

#include "clock.h"
#include "ledger.h"
#include "store/leaserepository.h"
#include "store/store.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <vector>

namespace Tollgate {

// Shared budgets (docs/shared-budgets.md): the gateway thread's side of the lease protocol.
// The Ledger admits calls against the leases this instance holds; when one must grow, the call
// is parked here (never blocking the thread) while one store write asks for every scope it
// lacks, and resumed when the store answered. Calls that arrive while a scope's request is out
// wait for that answer instead of asking again, so a burst costs one round trip per scope. Idle
// leases go back after `idleMs`; every lease is renewed in the store well before its expiry; a
// lease the store lost (it expired while this instance was stuck) is dropped. Everything
// returns to the store when this object goes (Store::close() finishes those writes).
class BudgetLeases final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BudgetLeases)

public:
    struct Options
    {
        qint64 ttlMs = 30'000;          // a lease not renewed for this long comes back
        qint64 idleMs = 1'000;          // a lease no call used for this long goes back
        qint64 denyMs = 250;            // a refusal is believed this long (no new round trip)
        qint64 answerTimeoutMs = 5'000; // no answer by then: waiting calls get 503
        int sliceDivisor = 20;          // a lease asks for at least max / this
    };

    BudgetLeases(Ledger &ledger, Store *store, const IClock &clock, Options options, QObject *parent = nullptr);
    ~BudgetLeases() override;

    [[nodiscard]] const QString &instance() const { return m_instance; }
    [[nodiscard]] const Options &options() const { return m_options; }

    // Asks the store for what `needs` lack (a scope already asked for waits for that answer) and
    // runs `resume` on this object's thread once each of them was answered, refused or timed out.
    void request(const QVarLengthArray<LeaseNeed, 2> &needs, std::function<void()> resume);
    // The store did not answer a lease (an error, or nothing within answerTimeoutMs) lately:
    // a call that needs one is refused with 503 rather than parked.
    [[nodiscard]] bool unavailable() const;
    // Calls waiting for an answer (shutdown waits for them as for calls in flight).
    [[nodiscard]] qsizetype parkedCalls() const { return qsizetype(m_parked.size()); }
    // A settled call took `used` from the lease on `scope`: the store job that records it (to run
    // with the call's spend).
    [[nodiscard]] Store::WriteJob settled(const LedgerScope &scope, NanoUsd used) const;
    // Gives the lease on `scope` back now (its budget was removed, or its max lowered), but for
    // what its calls in flight reserved: they settle from that, and the rest goes back once it
    // is idle. Given back whole, it was leased by another instance while those calls still spent
    // (a max lowered from $0.20 to $0.09 mid-load ended at $0.16).
    void giveBack(const LedgerScope &scope);
    // Gives back idle leases, renews the others; run by a timer (public for tests).
    void tick();

    // Counters for the cost per call (docs/shared-budgets.md).
    struct Counters
    {
        qint64 requests = 0;            // store round trips asking for leases
        qint64 asks = 0;                // scopes asked for (a request may ask several)
        qint64 granted = 0;
        qint64 refused = 0;
        qint64 returned = 0;            // idle or removed leases given back
        qint64 parked = 0;              // calls that waited for an answer
    };
    [[nodiscard]] const Counters &counters() const { return m_counters; }

private:
    struct Parked
    {
        QSet<QString> waiting;          // scope keys
        std::function<void()> resume;
    };

    void apply(const QList<LeaseRepository::LeaseAnswer> &answers);
    void finishTicket(quint64 ticket, bool failed);
    void resumeReady();
    [[nodiscard]] qint64 nowMs() const;

    Ledger &m_ledger;
    Store *m_store;
    const IClock &m_clock;
    Options m_options;
    QString m_instance;
    QString m_journal;   // the spend journal that replays this instance's calls ('' none)
    QHash<QString, quint64> m_pending;  // scope key → the request asking for it
    std::vector<Parked> m_parked;
    quint64 m_nextTicket = 1;
    qint64 m_unavailableUntilMs = 0;
    qint64 m_lastRenewMs = 0;
    QTimer m_timer;
    Counters m_counters;
};

} // namespace Tollgate
