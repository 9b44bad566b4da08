#include "leaserepository.h"

#include "../identity.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <atomic>

using namespace Qt::StringLiterals;

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

// Other instances' leases on `key` that expired (the instance died, or lost the database for
// longer than the lease lives) go back to the remainder. Each row is deleted by one taker only
// (PostgreSQL: a second DELETE waits for the first and then finds nothing).
Result<void> reclaimExpired(QSqlDatabase &db, const QString &instance, const QString &key, qint64 nowMs)
{
    NanoUsd reclaimed = 0;
    {
        QSqlQuery query(db);
        static const QString sql = u"DELETE FROM budget_leases WHERE scope = ? AND instance <> ? AND expires_at_ms < ? "
                                   "RETURNING amount_nanousd"_s;
        if (auto done = Store::execPrepared(query, sql, {key, instance, QVariant::fromValue<qint64>(nowMs)}, u"take back expired leases"_s);
            !done)
            return done;
        while (query.next())
            reclaimed = addSaturated(reclaimed, query.value(0).toLongLong());
    }
    if (reclaimed <= 0)
        return {};
    QSqlQuery query(db);
    static const QString sql = u"UPDATE budget_shares SET leased_nanousd = CASE WHEN leased_nanousd > ? "
                               "THEN leased_nanousd - ? ELSE 0 END WHERE scope = ?"_s;
    return Store::execPrepared(query, sql, {money(reclaimed), money(reclaimed), key}, u"take back expired leases"_s);
}

Result<void> addToLeaseRow(QSqlDatabase &db, const QString &instance, const QString &key, NanoUsd amount,
                           qint64 expiresAtMs)
{
    QSqlQuery query(db);
    static const QString sql
        = u"INSERT INTO budget_leases (scope, instance, amount_nanousd, expires_at_ms) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (scope, instance) DO UPDATE SET amount_nanousd = budget_leases.amount_nanousd "
          "+ excluded.amount_nanousd, expires_at_ms = excluded.expires_at_ms"_s;
    return Store::execPrepared(query, sql, {key, instance, money(amount), QVariant::fromValue<qint64>(expiresAtMs)},
               u"record a lease"_s);
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

Store::WriteJob lease(const QString &instance, const QList<LeaseAsk> &asks, qint64 nowMs, qint64 expiresAtMs,
                      std::shared_ptr<QList<LeaseAnswer>> answers)
{
    return [instance, asks, nowMs, expiresAtMs, answers](QSqlDatabase &db) -> Result<void> {
        answers->clear();
        for (const LeaseAsk &ask : asks) {
            const QString key = scopeKey(ask.scope);
            if (auto done = ensureRow(db, ask, key, windowText(ask.window)); !done)
                return done;
            if (auto done = reclaimExpired(db, instance, key, nowMs); !done)
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
                if (auto done = addToLeaseRow(db, instance, key, answer.amount, expiresAtMs); !done)
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
        return Store::execPrepared(query, u"UPDATE budget_shares SET leased_nanousd = CASE WHEN leased_nanousd > ? "
                          "THEN leased_nanousd - ? ELSE 0 END WHERE scope = ?"_s,
                   {money(back), money(back), key}, u"give a lease back"_s);
    };
}

Store::WriteJob renew(const QString &instance, qint64 expiresAtMs, std::shared_ptr<QStringList> held)
{
    return [instance, expiresAtMs, held](QSqlDatabase &db) -> Result<void> {
        held->clear();
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
