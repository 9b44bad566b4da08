#pragma once

#include "../identity.h"
#include "../ledger.h"
#include "store.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <memory>
#include <vector>

namespace Tollgate {

// One management action for the audit log: who did what to which object. Never a raw key.
struct AuditEntry
{
    QString actor;        // "master_key", or the acting key's user id / token prefix
    QString action;       // "key.generate", "user.delete", …
    QString objectType;   // "key", "user", "end_user", "model", "budget"
    QString objectId;     // token, user id, model id
    QJsonObject details;  // changed fields (secrets removed)
};

// An audit row as read back, with its time.
struct AuditRecord
{
    AuditEntry entry;
    QDateTime at;
};

// A store-added model deployment (POST /model/new): config.yaml's model_list entry shape,
// with provider secrets replaced by keychain references.
struct StoredModel
{
    QString modelId;
    QString modelName;
    QJsonObject entry;    // {"model_name", "litellm_params", "model_info"}
    QDateTime createdAt;
    QDateTime updatedAt;
};

// The SQL of keys, users, end users, models and the audit log.
namespace IdentityRepository {

struct Snapshot
{
    QList<VirtualKey> keys;
    QList<User> users;
    QList<EndUser> endUsers;
    QList<StoredModel> models;
};

// Everything, for the gateway's start-up (blocking read through Store::readNow).
Result<Snapshot> loadAll(QSqlDatabase &db);

// The stored spend of every key, user and end user with its budget window (invalid: none), and
// the global budget's: what every gateway on a shared database settled, for the instances to show.
struct StoredSpend
{
    LedgerScope scope;
    NanoUsd spend = 0;
    QDateTime resetAt;
};
Result<QList<StoredSpend>> loadSpends(QSqlDatabase &db);

// Whether a row's upsert writes its spend column. A management change that leaves the spend as
// it was (block, limits, alias, …) keeps the stored column, so it never undoes what calls settled
// in the meantime — by this process's lazy batches or by another process on the same database.
enum class SpendWrite { Set, Keep };
// The spend write that `after` needs, given the row as it was (`before`): Set only when the
// spend itself changed (an admin's explicit edit, or a new budget window).
template <typename Identity>
SpendWrite spendWriteFor(const Identity &before, const Identity &after)
{
    return before.budget.spend == after.budget.spend ? SpendWrite::Keep : SpendWrite::Set;
}

Store::WriteJob saveKey(const VirtualKey &key, SpendWrite spend = SpendWrite::Set);
// Only the spend column of a key, user or end user: what a settled call changes while the
// budget window stays the same (the column is authoritative; loadAll reads spend from it).
enum class SpendTable { Keys, Users, EndUsers };
Store::WriteJob saveSpend(SpendTable table, const QString &id, NanoUsd spend);
// What a settled call (or a budget reset, with `added` 0) does to one budget's row: its spend
// grows by `added` (`spend = spend + ?`, so a second process on the same database adds its own
// calls instead of overwriting them) within the budget window ending `resetAt`. When the row is
// still in an older window (or none), the window moves to `resetAt` first and the spend starts
// from 0 — the reset this process made is implied by its next call, whatever became of the reset's
// own write and whichever process wrote first. A call from an older window than the row's (another
// process reset first) counts in the newer one — unless the stored budget has another period
// than `duration` (the call's): an admin changed the period after the call was admitted (on any
// instance), and the stored window is the new period's, so the call's older window does not move
// it; it is added plainly. The global budget keeps `duration` with a window it writes. The same job replays a journaled call, so replay and the live path agree.
// While a SpendAccumulator is current on the calling thread, the job adds to it instead of writing.
Store::WriteJob addSpend(const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt,
                         const QString &duration = {});

// The budget increments of a store batch, gathered instead of written one UPDATE per call and
// scope (issue #16), and written by flush(): one addSpend per scope and window, in the order they
// came. That equals the increments one by one: addSpend(a, W) then addSpend(b, W) leave a row as
// addSpend(a + b, W) does (row in W: both add; in an older window: it moves to W once, then adds;
// in a newer one: both add plainly; row gone: neither), and different scopes touch different rows
// (a key and its per-model budgets different parts of one, each read when written). An increment
// of another window than the scope's last one starts a new entry, so windows apply in order.
// The store makes one current while it runs a batch's settled calls, and flushes it before any
// other write job of the batch (a management write's absolute values never land before the
// increments of the calls before it) and before COMMIT. Store thread only; not thread-safe.
class SpendAccumulator
{
    Q_DISABLE_COPY_MOVE(SpendAccumulator)

public:
    SpendAccumulator() = default;

    void add(const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt, const QString &duration);
    // Writes what was gathered (and forgets it, written or not); the first error wins.
    Result<void> flush(QSqlDatabase &db);
    [[nodiscard]] bool isEmpty() const { return m_pending.empty(); }
    // Writes flush() would run.
    [[nodiscard]] qsizetype size() const { return qsizetype(m_pending.size()); }

    // Makes `accumulator` the calling thread's current one for its lifetime (nullptr: none).
    class Current
    {
        Q_DISABLE_COPY_MOVE(Current)

    public:
        explicit Current(SpendAccumulator *accumulator);
        ~Current();

    private:
        SpendAccumulator *m_previous;
    };
    [[nodiscard]] static SpendAccumulator *current();

private:
    struct Pending
    {
        LedgerScope scope;
        QDateTime resetAt;
        QString duration;
        NanoUsd added = 0;
    };
    std::vector<Pending> m_pending;
    QHash<LedgerScope, std::size_t> m_last;  // a scope's last entry in m_pending
};
Store::WriteJob deleteKeys(const QStringList &tokens);
// A regenerated key: the row of `oldToken` gives way to `key`'s, whose spend is the larger of
// the stored one (which holds what other instances on the database settled, up to a second
// newer than this instance read) and `key`'s (this instance's calls not committed yet).
Store::WriteJob replaceKeyRow(const QString &oldToken, const VirtualKey &key);
// A regenerated key's spend log rows: those of `oldToken` are the key's under `newToken`. Notes
// the replacement for the other instances (ChangeFeed::Kind::KeyReplaced).
Store::WriteJob moveKeySpendLogs(const QString &oldToken, const QString &newToken);
// The global budget's spend and window (a settings row): {"spend_nanousd", "budget_reset_at",
// "budget_duration"}; empty when none was kept.
QJsonObject loadGlobalSpend(QSqlDatabase &db);
Store::WriteJob saveGlobalSpend(NanoUsd spend, const QDateTime &resetAt, const QString &duration);
Store::WriteJob saveUser(const User &user, SpendWrite spend = SpendWrite::Set);
Store::WriteJob deleteUser(const QString &userId);     // and the user's keys
Store::WriteJob saveEndUser(const EndUser &endUser, SpendWrite spend = SpendWrite::Set);
// An end user created on first use where several instances share the database: inserted only
// if no instance made it first. `stored` gets the row as it is then (this one, or the first
// instance's, with its window and spend); `created` whether this job inserted it.
Store::WriteJob claimEndUser(const EndUser &endUser, std::shared_ptr<EndUser> stored, std::shared_ptr<bool> created);
// The stored row of end user `userId` (its window and spend) into `stored`, which stays empty (no
// user_id) when no instance made it.
Store::WriteJob readEndUser(const QString &userId, std::shared_ptr<EndUser> stored);
Store::WriteJob deleteEndUsers(const QStringList &userIds);
Store::WriteJob saveModel(const StoredModel &model);
Store::WriteJob deleteModel(const QString &modelId);
Store::WriteJob audit(const AuditEntry &entry);

// Runs `jobs` in order in one transaction step; the first error wins.
Store::WriteJob all(QList<Store::WriteJob> jobs);

// Audit rows, newest first (for tests and, later, the window).
Result<QList<AuditEntry>> auditLog(QSqlDatabase &db, int limit = 1000);
// Rows of the given actions with their times, newest first.
Result<QList<AuditRecord>> auditRecords(QSqlDatabase &db, const QStringList &actions, int limit);

} // namespace IdentityRepository

} // namespace Tollgate
