#pragma once

#include "../ledger.h"
#include "store.h"

#include <QList>
#include <QSet>
#include <QString>

#include <memory>

namespace Tollgate {

// The SQL of budgets shared by several gateways on one database (docs/shared-budgets.md):
// budget_shares holds per budget scope the spend of its window as every instance settled it and
// the sum of the leases instances hold on its remainder; budget_leases holds each instance's
// lease with an expiry. Only SQL both SQLite (3.35+) and PostgreSQL run: UPDATE … RETURNING,
// INSERT … ON CONFLICT DO UPDATE, CASE (no min()/max()/GREATEST), integer money bound as qint64.
namespace LeaseRepository {

// The row key of a scope: "key:<token>", "user:<id>", "end_user:<id>", "global:proxy",
// "model:<token>\n<model>".
QString scopeKey(const LedgerScope &scope);

// One lease asked for. `spend` and `window` seed the scope's row when it has none yet (a key's,
// user's or end user's row takes its spend column instead, which counts every instance's calls);
// a window newer than the row's starts it afresh (spend 0, the leases stay: calls in flight hold them).
struct LeaseAsk
{
    LedgerScope scope;
    NanoUsd need = 0;       // granted at least this, or nothing
    NanoUsd want = 0;       // granted up to this (never beyond the remainder)
    NanoUsd max = 0;
    NanoUsd spend = 0;
    QDateTime window;       // the budget window's end (invalid: no period)
};

struct LeaseAnswer
{
    LedgerScope scope;
    bool granted = false;
    NanoUsd amount = 0;     // granted (0 when refused)
    NanoUsd spend = 0;      // the scope's spend in the store, after
    NanoUsd leased = 0;     // all instances' leases on it, after
};

// Asks for every lease in one write job: per scope, the row is made (or its window moved),
// other instances' expired leases are counted as spent (budget_writeoffs keeps them: the calls
// they backed may still be billed), and one conditional
//   UPDATE budget_shares SET leased = leased + grant WHERE max - spend - leased >= need RETURNING …
// grants min(want, remainder). A grant is added to this instance's budget_leases row, whose
// expiry moves to `expiresAtMs`; `journal` names the spend journal that replays this instance's
// calls after a kill (its SpendJournal::committedKey(), empty: none). The answers land in `answers` (a
// job may run twice: the last run's answers are the committed ones).
Store::WriteJob lease(const QString &instance, const QString &journal, const QList<LeaseAsk> &asks, qint64 nowMs,
                      qint64 expiresAtMs, std::shared_ptr<QList<LeaseAnswer>> answers);

// A settled call took `used` from this instance's lease: the lease shrinks by it (its spend is
// counted by IdentityRepository::addSpend, which also adds to budget_shares when shared spend is
// on). Nothing when the lease is no longer in the store (it expired and was taken back).
Store::WriteJob settle(const QString &instance, const LedgerScope &scope, NanoUsd used, qint64 expiresAtMs);

// Gives `amount` of this instance's lease back (idle, shutdown, budget removed).
Store::WriteJob giveBack(const QString &instance, const LedgerScope &scope, NanoUsd amount);

// Moves the expiry of every lease of this instance; `held` learns the scope keys it still holds.
// First, leases of this instance that expired while it was stuck and were counted as spent come
// back: on its leases where the instance still holds them (`ledgerHolds`, scope keys), as a
// refund of the spend where it let them go meanwhile (their calls settled with their costs).
Store::WriteJob renew(const QString &instance, const QString &journal, const QSet<QString> &ledgerHolds,
                      qint64 expiresAtMs, std::shared_ptr<QStringList> held);

// Shutdown: what other instances counted as spent of this instance's expired leases comes off
// the spend (every call of it settled with its cost by then).
Store::WriteJob releaseWriteOffs(const QString &instance);

// Runs where a process replays the spend journal `journal` (SpendJournal::recover, inside its
// transaction): the process before it on that journal stopped, and the replay counts what its
// calls cost. Its leases still in the store go back, and those that expired and were counted as
// spent come off the spend (in the window they were counted in). Nothing for an empty journal.
Result<void> releaseStopped(QSqlDatabase &db, const QString &journal);

// An admin set a budget's spend: the shared row takes it too (if the scope has one).
Store::WriteJob setSpend(const LedgerScope &scope, NanoUsd spend);

// An admin gave a budget another period: the ledger started a fresh window ending `window` with
// `spend` (0). The shared row moves to it unless it is there already: the instance that made the
// change writes it first, and the others, following the change, find it done (so no spend the
// new window already counted is lost), also when the new window ends before the old one (a
// shorter period), which a lease or an increment would never move the row back to.
Store::WriteJob startWindow(const LedgerScope &scope, NanoUsd spend, const QDateTime &window);

// Shared spend: while on (process-wide; the gateway turns it on in shared mode), every budget
// increment IdentityRepository::addSpend writes (settled calls, journal replay, resets with 0)
// is also added to the scope's budget_shares row, in the same transaction.
void setSharedSpend(bool on);
[[nodiscard]] bool sharedSpend();
Result<void> addSharedSpend(QSqlDatabase &db, const LedgerScope &scope, NanoUsd added, const QDateTime &window);

// Test and report hooks: the scope's row ({spend, leased}; nullopt when none) and the leases
// held on it.
struct ShareRow
{
    NanoUsd spend = 0;
    NanoUsd leased = 0;
    QString window;
};
Result<std::optional<ShareRow>> share(QSqlDatabase &db, const LedgerScope &scope);
Result<NanoUsd> leasesHeld(QSqlDatabase &db, const LedgerScope &scope);

} // namespace LeaseRepository

} // namespace Tollgate
