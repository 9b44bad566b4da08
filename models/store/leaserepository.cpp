#include "leaserepository.h"

#include "../identity.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <QLoggingCategory>

#include <atomic>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcLeaseStore, "tollgate.leases")

namespace Tollgate {

namespace LeaseRepository {

namespace {

std::atomic<bool> sharedSpendOn{false};

QString windowText(const QDateTime &window)
{
    return window.isValid() ? isoUtc(window) : QString(u""_s);
}

// Money is bound as qint64 (BIGINT on both engines), never as a double.
QVariant money(NanoUsd value)
{
    return QVariant::fromValue<qint64>(value);
}

// The scope's row, made when missing (a key's, user's or end user's seeded from its spend column,
// which every instance's calls add to; others from the ledger's spend), its window moved when
// the ask's is newer: spend starts from 0, the leases stay (the calls in flight hold them).
Result<void> ensureRow(QSqlDatabase &db, const LeaseAsk &ask, const QString &key, const QString &window)
{
    static const QString generic
        = u"INSERT INTO budget_shares (scope, window_end, spend_nanousd) VALUES (?, ?, ?) "
          "ON CONFLICT (scope) DO UPDATE SET window_end = excluded.window_end, spend_nanousd = 0 "
          "WHERE budget_shares.window_end < excluded.window_end"_s;
    const auto seeded = [](const char *table, const char *idColumn) {
        return u"INSERT INTO budget_shares (scope, window_end, spend_nanousd) VALUES (?, ?, "
               "COALESCE((SELECT spend_nanousd FROM %1 WHERE %2 = ?), ?)) "
               "ON CONFLICT (scope) DO UPDATE SET window_end = excluded.window_end, spend_nanousd = 0 "
               "WHERE budget_shares.window_end < excluded.window_end"_s.arg(QLatin1StringView(table),
                                                                           QLatin1StringView(idColumn));
    };
    static const QString keys = seeded("keys", "token");
    static const QString users = seeded("users", "user_id");
    static const QString endUsers = seeded("end_users", "user_id");
    QSqlQuery query(db);
    const QString what = u"open the shared budget %1"_s.arg(key.left(24));
    switch (ask.scope.kind) {
    case LedgerScope::Kind::Key:
        return Store::execPrepared(query, keys, {key, window, ask.scope.id, money(ask.spend)}, what);
    case LedgerScope::Kind::User:
        return Store::execPrepared(query, users, {key, window, ask.scope.id, money(ask.spend)}, what);
    case LedgerScope::Kind::EndUser:
        return Store::execPrepared(query, endUsers, {key, window, ask.scope.id, money(ask.spend)}, what);
    case LedgerScope::Kind::Global:
    case LedgerScope::Kind::KeyModel:
        break;
    }
    return Store::execPrepared(query, generic, {key, window, money(ask.spend)}, what);
}

// Money taken off budget_shares.leased (never below 0).
Result<void> unlease(QSqlDatabase &db, const QString &key, NanoUsd amount)
{
    QSqlQuery query(db);
    static const QString sql = u"UPDATE budget_shares SET leased_nanousd = CASE WHEN leased_nanousd > ? "
                               "THEN leased_nanousd - ? ELSE 0 END WHERE scope = ?"_s;
    return Store::execPrepared(query, sql, {money(amount), money(amount), key}, u"take back a lease"_s);
}

// Other instances' leases on `key` that expired (the instance was killed, or stuck for longer
// than a lease lives) are counted as spent, not handed out again: the provider may still bill
// the calls they backed, which only that instance (or the next process on its spend journal)
// can tell. Each is kept in budget_writeoffs until then (restoreWriteOffs, releaseStopped).
// Each row is deleted by one taker only (PostgreSQL: a second DELETE waits for the first and
// then finds nothing).
Result<void> writeOffExpired(QSqlDatabase &db, const QString &instance, const QString &key, qint64 nowMs)
{
    struct Expired
    {
        QString instance;
        QString journal;
        NanoUsd amount = 0;
    };
    QList<Expired> expired;
    {
        QSqlQuery query(db);
        static const QString sql = u"DELETE FROM budget_leases WHERE scope = ? AND instance <> ? AND expires_at_ms < ? "
                                   "RETURNING instance, journal, amount_nanousd"_s;
        if (auto done = Store::execPrepared(query, sql, {key, instance, QVariant::fromValue<qint64>(nowMs)}, u"take back expired leases"_s);
            !done)
            return done;
        while (query.next())
            expired.append({query.value(0).toString(), query.value(1).toString(), query.value(2).toLongLong()});
    }
    for (const Expired &lease : std::as_const(expired)) {
        if (lease.amount <= 0)
            continue;
        QSqlQuery query(db);
        static const QString spent = u"UPDATE budget_shares SET leased_nanousd = CASE WHEN leased_nanousd > ? "
                                     "THEN leased_nanousd - ? ELSE 0 END, spend_nanousd = spend_nanousd + ? WHERE scope = ?"_s;
        if (auto done = Store::execPrepared(query, spent, {money(lease.amount), money(lease.amount), money(lease.amount), key},
                            u"count an expired lease as spent"_s);
            !done)
            return done;
        static const QString kept
            = u"INSERT INTO budget_writeoffs (scope, instance, journal, window_end, amount_nanousd) "
              "SELECT scope, ?, ?, window_end, ? FROM budget_shares WHERE scope = ? "
              "ON CONFLICT (scope, instance) DO UPDATE SET amount_nanousd = CASE WHEN budget_writeoffs.window_end = "
              "excluded.window_end THEN budget_writeoffs.amount_nanousd + excluded.amount_nanousd "
              "ELSE excluded.amount_nanousd END, window_end = excluded.window_end, journal = excluded.journal"_s;
        if (auto done = Store::execPrepared(query, kept, {lease.instance, lease.journal, money(lease.amount), key},
                            u"count an expired lease as spent"_s);
            !done)
            return done;
        qCWarning(lcLeaseStore).noquote()
            << u"a lease of %1 USD on %2 expired (its gateway was stopped or stuck): counted as spent until that gateway "
               "or the next one on its spend journal starts"_s.arg(double(lease.amount) / double(NanosPerUsd))
                   .arg(key.left(24));
    }
    return {};
}

struct WriteOff
{
    QString key;
    QString window;
    NanoUsd amount = 0;
};

// Takes out of budget_writeoffs the rows `column` = `value` selects.
Result<QList<WriteOff>> takeWriteOffs(QSqlDatabase &db, const QString &column, const QString &value)
{
    QSqlQuery query(db);
    const QString sql = u"DELETE FROM budget_writeoffs WHERE %1 = ? RETURNING scope, window_end, amount_nanousd"_s.arg(column);
    if (auto done = Store::execPrepared(query, sql, {value}, u"settle expired leases"_s); !done)
        return done.error();
    QList<WriteOff> taken;
    while (query.next())
        taken.append({query.value(0).toString(), query.value(1).toString(), query.value(2).toLongLong()});
    return taken;
}

// What a write-off counted as spent comes off the scope's spend again, if the row is still in
// the window it was counted in (a newer window started from 0 without it); `asLease` puts it
// back on the leases instead. Says whether the row was still in that window.
Result<bool> undoWriteOff(QSqlDatabase &db, const WriteOff &writeOff, bool asLease)
{
    QSqlQuery query(db);
    static const QString refund = u"UPDATE budget_shares SET spend_nanousd = CASE WHEN spend_nanousd > ? "
                                  "THEN spend_nanousd - ? ELSE 0 END WHERE scope = ? AND window_end = ?"_s;
    static const QString release = u"UPDATE budget_shares SET spend_nanousd = CASE WHEN spend_nanousd > ? "
                                   "THEN spend_nanousd - ? ELSE 0 END, leased_nanousd = leased_nanousd + ? "
                                   "WHERE scope = ? AND window_end = ?"_s;
    const QVariant amount = money(writeOff.amount);
    const auto done = asLease ? Store::execPrepared(query, release, {amount, amount, amount, writeOff.key, writeOff.window},
                                                    u"take an expired lease back"_s)
                              : Store::execPrepared(query, refund, {amount, amount, writeOff.key, writeOff.window},
                                                    u"settle an expired lease"_s);
    if (!done)
        return done.error();
    return query.numRowsAffected() > 0;
}

Result<void> addToLeaseRow(QSqlDatabase &db, const QString &instance, const QString &journal, const QString &key,
                           NanoUsd amount, qint64 expiresAtMs)
{
    QSqlQuery query(db);
    static const QString sql
        = u"INSERT INTO budget_leases (scope, instance, journal, amount_nanousd, expires_at_ms) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (scope, instance) DO UPDATE SET amount_nanousd = budget_leases.amount_nanousd "
          "+ excluded.amount_nanousd, expires_at_ms = excluded.expires_at_ms"_s;
    // Never NULL (the column is NOT NULL): no journal is ''.
    const QString journalText = journal.isNull() ? QString(u""_s) : journal;
    return Store::execPrepared(query, sql, {key, instance, journalText, money(amount), QVariant::fromValue<qint64>(expiresAtMs)},
               u"record a lease"_s);
}

// Every write-off `column` = `value` selects comes off the spend again.
Result<void> refundWriteOffs(QSqlDatabase &db, const QString &column, const QString &value)
{
    const Result<QList<WriteOff>> writtenOff = takeWriteOffs(db, column, value);
    if (!writtenOff)
        return writtenOff.error();
    for (const WriteOff &writeOff : *writtenOff) {
        if (const Result<bool> undone = undoWriteOff(db, writeOff, false); !undone)
            return undone.error();
    }
    return {};
}

} // namespace

QString scopeKey(const LedgerScope &scope)
{
    switch (scope.kind) {
    case LedgerScope::Kind::Global: return u"global:"_s + scope.id;
    case LedgerScope::Kind::User: return u"user:"_s + scope.id;
    case LedgerScope::Kind::Key: return u"key:"_s + scope.id;
    case LedgerScope::Kind::EndUser: return u"end_user:"_s + scope.id;
    case LedgerScope::Kind::KeyModel: return u"model:"_s + scope.id;
    }
    return scope.id;
}

Store::WriteJob lease(const QString &instance, const QString &journal, const QList<LeaseAsk> &asks, qint64 nowMs,
                      qint64 expiresAtMs, std::shared_ptr<QList<LeaseAnswer>> answers)
{
    return [instance, journal, asks, nowMs, expiresAtMs, answers](QSqlDatabase &db) -> Result<void> {
        answers->clear();
        for (const LeaseAsk &ask : asks) {
            const QString key = scopeKey(ask.scope);
            if (auto done = ensureRow(db, ask, key, windowText(ask.window)); !done)
                return done;
            if (auto done = writeOffExpired(db, instance, key, nowMs); !done)
                return done;
            // The one place instances agree: the remainder (max - spend - leased) is read and
            // taken in one statement, under the row's write lock on both engines (PostgreSQL
            // evaluates the WHERE and SET again on the row another transaction just changed).
            // SET sees the row as it was, so granted_nanousd keeps what this UPDATE took.
            static const QString grant
                = u"UPDATE budget_shares SET "
                  "granted_nanousd = CASE WHEN ? - spend_nanousd - leased_nanousd >= ? THEN ? "
                  "ELSE ? - spend_nanousd - leased_nanousd END, "
                  "leased_nanousd = leased_nanousd + CASE WHEN ? - spend_nanousd - leased_nanousd >= ? THEN ? "
                  "ELSE ? - spend_nanousd - leased_nanousd END "
                  "WHERE scope = ? AND ? - spend_nanousd - leased_nanousd >= ? "
                  "RETURNING granted_nanousd, spend_nanousd, leased_nanousd"_s;
            const QVariant max = money(ask.max);
            const QVariant want = money(std::max(ask.want, ask.need));
            LeaseAnswer answer;
            answer.scope = ask.scope;
            {
                QSqlQuery query(db);
                if (auto done = Store::execPrepared(query, grant, {max, want, want, max, max, want, want, max, key, max, money(ask.need)},
                                    u"lease from the shared budget %1"_s.arg(key.left(24)));
                    !done)
                    return done;
                if (query.next()) {
                    answer.granted = true;
                    answer.amount = query.value(0).toLongLong();
                    answer.spend = query.value(1).toLongLong();
                    answer.leased = query.value(2).toLongLong();
                }
            }
            if (answer.granted) {
                if (auto done = addToLeaseRow(db, instance, journal, key, answer.amount, expiresAtMs); !done)
                    return done;
            } else {
                QSqlQuery query(db);
                if (auto done = Store::execPrepared(query, u"SELECT spend_nanousd, leased_nanousd FROM budget_shares WHERE scope = ?"_s,
                                    {key}, u"read the shared budget %1"_s.arg(key.left(24)));
                    !done)
                    return done;
                if (query.next()) {
                    answer.spend = query.value(0).toLongLong();
                    answer.leased = query.value(1).toLongLong();
                }
            }
            answers->append(answer);
        }
        return {};
    };
}

Store::WriteJob settle(const QString &instance, const LedgerScope &scope, NanoUsd used, qint64 expiresAtMs)
{
    return [instance, key = scopeKey(scope), used, expiresAtMs](QSqlDatabase &db) -> Result<void> {
        static const QString shrink = u"UPDATE budget_leases SET amount_nanousd = amount_nanousd - ?, expires_at_ms = ? "
                                      "WHERE scope = ? AND instance = ?"_s;
        qint64 changed = 0;
        if (auto done = Store::execCached(db, shrink, {money(used), QVariant::fromValue<qint64>(expiresAtMs), key, instance},
                                          u"spend from a lease"_s, &changed);
            !done || changed == 0)
            return done;
        static const QString shares = u"UPDATE budget_shares SET leased_nanousd = CASE WHEN leased_nanousd > ? "
                                      "THEN leased_nanousd - ? ELSE 0 END WHERE scope = ?"_s;
        return Store::execCached(db, shares, {money(used), money(used), key}, u"spend from a lease"_s);
    };
}

Store::WriteJob giveBack(const QString &instance, const LedgerScope &scope, NanoUsd amount)
{
    return [instance, key = scopeKey(scope), amount](QSqlDatabase &db) -> Result<void> {
        NanoUsd held = 0;
        {
            // Never more than the row holds: a lease the store already took back is not returned twice.
            QSqlQuery query(db);
            if (auto done = Store::execPrepared(query, u"SELECT amount_nanousd FROM budget_leases WHERE scope = ? AND instance = ?"_s,
                                {key, instance}, u"give a lease back"_s);
                !done)
                return done;
            if (!query.next())
                return {};
            held = query.value(0).toLongLong();
        }
        const NanoUsd back = std::clamp<NanoUsd>(amount, 0, std::max<NanoUsd>(held, 0));
        QSqlQuery query(db);
        if (held - back <= 0) {
            if (auto done = Store::execPrepared(query, u"DELETE FROM budget_leases WHERE scope = ? AND instance = ?"_s, {key, instance},
                                u"give a lease back"_s);
                !done)
                return done;
        } else if (auto done = Store::execPrepared(query, u"UPDATE budget_leases SET amount_nanousd = amount_nanousd - ? "
                                          "WHERE scope = ? AND instance = ?"_s,
                                   {money(back), key, instance}, u"give a lease back"_s);
                   !done) {
            return done;
        }
        if (back <= 0)
            return {};
        return unlease(db, key, back);
    };
}

Store::WriteJob renew(const QString &instance, const QString &journal, const QSet<QString> &ledgerHolds,
                      qint64 expiresAtMs, std::shared_ptr<QStringList> held)
{
    return [instance, journal, ledgerHolds, expiresAtMs, held](QSqlDatabase &db) -> Result<void> {
        held->clear();
        // Back from being stuck: what other instances counted as spent of this one's expired
        // leases is its own again. A lease it still holds goes back on the leases (its calls in
        // flight settle from it); one it let go meanwhile is only refunded (its calls settled).
        const Result<QList<WriteOff>> writtenOff = takeWriteOffs(db, u"instance"_s, instance);
        if (!writtenOff)
            return writtenOff.error();
        for (const WriteOff &writeOff : *writtenOff) {
            const bool holds = ledgerHolds.contains(writeOff.key);
            const Result<bool> undone = undoWriteOff(db, writeOff, holds);
            if (!undone)
                return undone.error();
            if (holds && *undone) {
                if (auto done = addToLeaseRow(db, instance, journal, writeOff.key, writeOff.amount, expiresAtMs); !done)
                    return done;
            }
        }
        QSqlQuery query(db);
        if (auto done = Store::execPrepared(query, u"UPDATE budget_leases SET expires_at_ms = ? WHERE instance = ? RETURNING scope"_s,
                            {QVariant::fromValue<qint64>(expiresAtMs), instance}, u"renew the leases"_s);
            !done)
            return done;
        while (query.next())
            held->append(query.value(0).toString());
        return {};
    };
}

Store::WriteJob releaseWriteOffs(const QString &instance)
{
    return [instance](QSqlDatabase &db) { return refundWriteOffs(db, u"instance"_s, instance); };
}

Result<void> releaseStopped(QSqlDatabase &db, const QString &journal)
{
    if (journal.isEmpty())
        return {};
    // Leases a stopped process of this journal still held (not expired yet): what they backed is
    // in the replay, the rest goes back.
    QList<std::pair<QString, NanoUsd>> leases;
    {
        QSqlQuery query(db);
        if (auto done = Store::execPrepared(query, u"DELETE FROM budget_leases WHERE journal = ? RETURNING scope, amount_nanousd"_s,
                            {journal}, u"take back a stopped gateway's leases"_s);
            !done)
            return done;
        while (query.next())
            leases.append({query.value(0).toString(), query.value(1).toLongLong()});
    }
    for (const auto &[key, amount] : std::as_const(leases)) {
        if (amount <= 0)
            continue;
        if (auto done = unlease(db, key, amount); !done)
            return done;
    }
    // Leases of it that expired and were counted as spent: the replay counted what they backed.
    return refundWriteOffs(db, u"journal"_s, journal);
}

Store::WriteJob setSpend(const LedgerScope &scope, NanoUsd spend)
{
    return [key = scopeKey(scope), spend](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        return Store::execPrepared(query, u"UPDATE budget_shares SET spend_nanousd = ? WHERE scope = ?"_s, {money(spend), key},
                   u"set the shared spend"_s);
    };
}

Store::WriteJob startWindow(const LedgerScope &scope, NanoUsd spend, const QDateTime &window)
{
    return [key = scopeKey(scope), spend, text = windowText(window)](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        return Store::execPrepared(query, u"UPDATE budget_shares SET spend_nanousd = ?, window_end = ? WHERE scope = ? AND window_end <> ?"_s,
                   {money(spend), text, key, text}, u"start a new shared budget window"_s);
    };
}

void setSharedSpend(bool on)
{
    sharedSpendOn.store(on, std::memory_order_relaxed);
}

bool sharedSpend()
{
    return sharedSpendOn.load(std::memory_order_relaxed);
}

Result<void> addSharedSpend(QSqlDatabase &db, const LedgerScope &scope, NanoUsd added, const QDateTime &window)
{
    // Within the row's window: add. A newer window (this instance reset first): it starts from the
    // call's cost. An older one (another instance reset first): the call counts in the newer, as
    // IdentityRepository::addSpend counts it. No window ('' sorts first): a plain add.
    static const QString sql = u"UPDATE budget_shares SET "
                               "spend_nanousd = CASE WHEN window_end < ? THEN ? ELSE spend_nanousd + ? END, "
                               "window_end = CASE WHEN window_end < ? THEN ? ELSE window_end END "
                               "WHERE scope = ?"_s;
    const QString text = windowText(window);
    return Store::execCached(db, sql, {text, money(added), money(added), text, text, scopeKey(scope)},
                             u"add to the shared spend"_s);
}

Result<std::optional<ShareRow>> share(QSqlDatabase &db, const LedgerScope &scope)
{
    QSqlQuery query(db);
    if (auto done = Store::execPrepared(query, u"SELECT spend_nanousd, leased_nanousd, window_end FROM budget_shares WHERE scope = ?"_s,
                        {scopeKey(scope)}, u"read the shared budget"_s);
        !done)
        return done.error();
    if (!query.next())
        return std::optional<ShareRow>();
    return std::optional<ShareRow>(ShareRow{query.value(0).toLongLong(), query.value(1).toLongLong(),
                                            query.value(2).toString()});
}

Result<NanoUsd> leasesHeld(QSqlDatabase &db, const LedgerScope &scope)
{
    QSqlQuery query(db);
    if (auto done = Store::execPrepared(query, u"SELECT COALESCE(SUM(amount_nanousd), 0) FROM budget_leases WHERE scope = ?"_s,
                        {scopeKey(scope)}, u"read the leases"_s);
        !done)
        return done.error();
    return query.next() ? NanoUsd(query.value(0).toLongLong()) : NanoUsd(0);
}

} // namespace LeaseRepository

} // namespace Tollgate
