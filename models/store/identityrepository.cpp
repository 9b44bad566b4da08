#include "identityrepository.h"

#include "changefeed.h"
#include "databasetarget.h"
#include "leaserepository.h"
#include "spendlog.h"

#include "../money.h"

#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace IdentityRepository {

namespace {

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QJsonObject parse(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

Result<void> exec(QSqlQuery &query, const QString &what)
{
    if (!query.exec())
        return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
    return {};
}

QVariant textOrNull(const QString &value)
{
    return value.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(value);
}

QString now()
{
    return isoUtc(QDateTime::currentDateTimeUtc());
}

} // namespace

Result<QList<StoredSpend>> loadSpends(QSqlDatabase &db)
{
    const bool postgres = isPostgres(db);
    QList<StoredSpend> out;
    const struct
    {
        LedgerScope::Kind kind;
        const char *table;
        const char *id;
    } tables[] = {{LedgerScope::Kind::Key, "keys", "token"},
                  {LedgerScope::Kind::User, "users", "user_id"},
                  {LedgerScope::Kind::EndUser, "end_users", "user_id"}};
    for (const auto &table : tables) {
        const QString window = postgres ? u"data::jsonb ->> 'budget_reset_at'"_s
                                        : u"json_extract(data, '$.budget_reset_at')"_s;
        QSqlQuery query(db);
        query.setForwardOnly(true);
        if (!query.exec(u"SELECT %1, spend_nanousd, %2 FROM %3"_s.arg(QLatin1StringView(table.id), window,
                                                                      QLatin1StringView(table.table))))
            return makeError(u"cannot read the spend of %1: %2"_s.arg(QLatin1StringView(table.table),
                                                                      query.lastError().text()));
        while (query.next()) {
            out.append({LedgerScope{table.kind, query.value(0).toString()}, query.value(1).toLongLong(),
                        IdentityJson::parseTime(QJsonValue(query.value(2).toString()))});
        }
    }
    if (const QJsonObject global = loadGlobalSpend(db); !global.isEmpty()) {
        out.append({LedgerScope::global(), global.value(u"spend_nanousd"_s).toInteger(),
                    IdentityJson::parseTime(global.value(u"budget_reset_at"_s))});
    }
    return out;
}

Result<Snapshot> loadAll(QSqlDatabase &db)
{
    Snapshot snapshot;
    QSqlQuery query(db);
    if (!query.exec(u"SELECT data, spend_nanousd FROM users"_s))
        return makeError(u"cannot read users: %1"_s.arg(query.lastError().text()));
    while (query.next()) {
        auto user = IdentityJson::userFromJson(parse(query.value(0)));
        if (!user)
            return user.error();
        user->budget.spend = query.value(1).toLongLong();
        snapshot.users.append(*user);
    }
    if (!query.exec(u"SELECT data, spend_nanousd FROM keys"_s))
        return makeError(u"cannot read keys: %1"_s.arg(query.lastError().text()));
    while (query.next()) {
        auto key = IdentityJson::keyFromJson(parse(query.value(0)));
        if (!key)
            return key.error();
        key->budget.spend = query.value(1).toLongLong();
        snapshot.keys.append(*key);
    }
    if (!query.exec(u"SELECT data, spend_nanousd FROM end_users"_s))
        return makeError(u"cannot read end users: %1"_s.arg(query.lastError().text()));
    while (query.next()) {
        auto endUser = IdentityJson::endUserFromJson(parse(query.value(0)));
        if (!endUser)
            return endUser.error();
        endUser->budget.spend = query.value(1).toLongLong();
        snapshot.endUsers.append(*endUser);
    }
    if (!query.exec(u"SELECT model_id, model_name, data, created_at, updated_at FROM proxy_models ORDER BY created_at"_s))
        return makeError(u"cannot read models: %1"_s.arg(query.lastError().text()));
    while (query.next()) {
        StoredModel model;
        model.modelId = query.value(0).toString();
        model.modelName = query.value(1).toString();
        model.entry = parse(query.value(2));
        model.createdAt = IdentityJson::parseTime(query.value(3).toString());
        model.updatedAt = IdentityJson::parseTime(query.value(4).toString());
        snapshot.models.append(model);
    }
    return snapshot;
}

Store::WriteJob saveKey(const VirtualKey &key, SpendWrite spend)
{
    return [key, spend](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::Key, key.token);
        static const QString set
            = u"INSERT INTO keys (token, key_alias, user_id, data, spend_nanousd, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(token) DO UPDATE SET key_alias = excluded.key_alias, "
              "user_id = excluded.user_id, data = excluded.data, spend_nanousd = excluded.spend_nanousd, "
              "updated_at = excluded.updated_at"_s;
        static const QString keep
            = u"INSERT INTO keys (token, key_alias, user_id, data, spend_nanousd, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(token) DO UPDATE SET key_alias = excluded.key_alias, "
              "user_id = excluded.user_id, data = excluded.data, updated_at = excluded.updated_at"_s;
        return Store::execCached(db, spend == SpendWrite::Set ? set : keep,
                                 {key.token, textOrNull(key.keyAlias), textOrNull(key.userId),
                                  compact(IdentityJson::toJson(key)), key.budget.spend,
                                  isoUtc(key.createdAt.isValid() ? key.createdAt : QDateTime::currentDateTimeUtc()),
                                  now()},
                                 u"save key %1"_s.arg(key.keyName));
    };
}

Store::WriteJob saveSpend(SpendTable table, const QString &id, NanoUsd spend)
{
    return [table, id, spend](QSqlDatabase &db) -> Result<void> {
        static const QString keys = u"UPDATE keys SET spend_nanousd = ? WHERE token = ?"_s;
        static const QString users = u"UPDATE users SET spend_nanousd = ? WHERE user_id = ?"_s;
        static const QString endUsers = u"UPDATE end_users SET spend_nanousd = ? WHERE user_id = ?"_s;
        const QString &sql = table == SpendTable::Keys ? keys : table == SpendTable::Users ? users : endUsers;
        return Store::execCached(db, sql, {spend, id}, u"save the spend of %1"_s.arg(id.left(12)));
    };
}

namespace {
const QString GlobalSpendSetting = u"global_spend"_s;
}

QJsonObject loadGlobalSpend(QSqlDatabase &db)
{
    QSqlQuery query(db);
    query.prepare(u"SELECT value FROM settings WHERE key = ?"_s);
    query.addBindValue(GlobalSpendSetting);
    if (query.exec() && query.next())
        return parse(query.value(0));
    return {};
}

Store::WriteJob saveGlobalSpend(NanoUsd spend, const QDateTime &resetAt, const QString &duration)
{
    const QString text = compact({{u"spend_nanousd"_s, spend},
                                  {u"budget_reset_at"_s, IdentityJson::time(resetAt)},
                                  {u"budget_duration"_s, duration}});
    return [text](QSqlDatabase &db) -> Result<void> {
        static const QString sql = u"INSERT INTO settings (key, value) VALUES (?, ?) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s;
        return Store::execCached(db, sql, {GlobalSpendSetting, text}, u"save the global spend"_s);
    };
}

namespace {

QVariant windowValue(const QDateTime &resetAt)
{
    return resetAt.isValid() ? QVariant(isoUtc(resetAt)) : QVariant(QMetaType::fromType<QString>());
}

// Whether a budget stored with the window ending `stored` moves to `resetAt` (spend from 0)
// before a call of that window is added: only ever forward, so a reset another process already
// wrote (or a newer window) is never undone.
bool windowMoves(const QDateTime &stored, const QDateTime &resetAt)
{
    return resetAt.isValid() && (!stored.isValid() || stored < resetAt);
}

// The statements of one table with a spend_nanousd column and the window in its JSON. The JSON
// is read and changed per engine (SQLite's json_extract/json_set, PostgreSQL's jsonb operators on
// the TEXT column); both take the values as numbered parameters, the same list on both.
struct SpendTableSql
{
    SpendTableSql(const QString &table, const QString &idColumn, bool postgres)
        : add(postgres ? u"UPDATE %1 SET spend_nanousd = spend_nanousd + $1 WHERE %2 = $2 "
                         "AND ($3::text IS NULL OR (data::jsonb ->> 'budget_reset_at') IS NOT DISTINCT FROM $3::text)"_s
                             .arg(table, idColumn)
                       : u"UPDATE %1 SET spend_nanousd = spend_nanousd + ?1 WHERE %2 = ?2 "
                         "AND (?3 IS NULL OR json_extract(data, '$.budget_reset_at') IS ?3)"_s.arg(table, idColumn))
        // PostgreSQL: FOR UPDATE, so that of two gateways meeting a new window only the first moves
        // it; the second waits for its commit, sees the new window and adds to it.
        , window(postgres ? u"SELECT data::jsonb ->> 'budget_reset_at', data::jsonb ->> 'budget_duration' FROM %1 "
                            "WHERE %2 = ? FOR UPDATE"_s.arg(table, idColumn)
                          : u"SELECT json_extract(data, '$.budget_reset_at'), json_extract(data, '$.budget_duration') "
                            "FROM %1 WHERE %2 = ?"_s.arg(table, idColumn))
        , move(postgres ? u"UPDATE %1 SET spend_nanousd = $1, data = jsonb_set(data::jsonb, '{budget_reset_at}', "
                          "to_jsonb($3::text))::text WHERE %2 = $2"_s.arg(table, idColumn)
                        : u"UPDATE %1 SET spend_nanousd = ?1, data = json_set(data, '$.budget_reset_at', ?3) WHERE %2 = ?2"_s
                              .arg(table, idColumn))
        , plainAdd(postgres ? u"UPDATE %1 SET spend_nanousd = spend_nanousd + $1 WHERE %2 = $2"_s.arg(table, idColumn)
                            : u"UPDATE %1 SET spend_nanousd = spend_nanousd + ?1 WHERE %2 = ?2"_s.arg(table, idColumn))
    {
    }
    QString add;       // the hot path: the row is in the call's window
    QString window;
    QString move;
    QString plainAdd;
};

Result<void> addRowSpend(QSqlDatabase &db, const SpendTableSql &sql, const QString &id, NanoUsd added,
                         const QDateTime &resetAt, const QString &duration)
{
    const QString what = u"add to the spend of %1"_s.arg(id.left(12));
    qint64 changed = 0;
    // Every call but the first of a window: one UPDATE, no read.
    if (auto done = Store::execCached(db, sql.add, {added, id, windowValue(resetAt)}, what, &changed);
        !done || changed > 0)
        return done;
    QDateTime stored;
    QString storedDuration;
    {
        QSqlQuery query(db);
        query.prepare(sql.window);
        query.addBindValue(id);
        if (!query.exec())
            return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
        if (!query.next())
            return {};  // the row is gone (deleted meanwhile): nothing to count in
        stored = IdentityJson::parseTime(QJsonValue(query.value(0).toString()));
        storedDuration = query.value(1).toString();
    }
    // A call admitted under another period (changed since, maybe on another instance) never
    // moves the new period's window: its window ends elsewhere, not later in the same sequence.
    const bool samePeriod = duration.isEmpty() || storedDuration.isEmpty() || storedDuration == duration;
    if (samePeriod && windowMoves(stored, resetAt))
        return Store::execCached(db, sql.move, {added, id, isoUtc(resetAt)}, what);
    return Store::execCached(db, sql.plainAdd, {added, id}, what);
}

Result<void> addGlobalSpend(QSqlDatabase &db, NanoUsd added, const QDateTime &resetAt, const QString &duration)
{
    static const QString sqliteAdd
        = u"UPDATE settings SET value = json_set(value, '$.spend_nanousd', "
          "coalesce(json_extract(value, '$.spend_nanousd'), 0) + ?1) WHERE key = ?2 "
          "AND (?3 IS NULL OR json_extract(value, '$.budget_reset_at') IS ?3)"_s;
    static const QString postgresAdd
        = u"UPDATE settings SET value = jsonb_set(value::jsonb, '{spend_nanousd}', "
          "to_jsonb(coalesce((value::jsonb ->> 'spend_nanousd')::numeric, 0) + $1::bigint))::text WHERE key = $2 "
          "AND ($3::text IS NULL OR (value::jsonb ->> 'budget_reset_at') IS NOT DISTINCT FROM $3::text)"_s;
    const QString &add = isPostgres(db) ? postgresAdd : sqliteAdd;
    qint64 changed = 0;
    if (auto done = Store::execCached(db, add, {added, GlobalSpendSetting, windowValue(resetAt)},
                                      u"add to the global spend"_s, &changed);
        !done || changed > 0)
        return done;
    if (isPostgres(db)) {
        // As for a row's window (SpendTableSql::window): another gateway's move commits first.
        QSqlQuery lock(db);
        lock.prepare(u"SELECT 1 FROM settings WHERE key = ? FOR UPDATE"_s);
        lock.addBindValue(GlobalSpendSetting);
        if (!lock.exec())
            return makeError(u"cannot lock the global spend: %1"_s.arg(lock.lastError().text()));
    }
    const QJsonObject stored = loadGlobalSpend(db);
    const QDateTime storedWindow = IdentityJson::parseTime(stored.value(u"budget_reset_at"_s));
    if (stored.isEmpty() || windowMoves(storedWindow, resetAt)) {
        const QString kept = duration.isEmpty() ? stored.value(u"budget_duration"_s).toString() : duration;
        return saveGlobalSpend(added, resetAt, kept)(db);
    }
    return saveGlobalSpend(stored.value(u"spend_nanousd"_s).toInteger() + added, storedWindow,
                           stored.value(u"budget_duration"_s).toString())(db);
}

// A key's per-model budget lives in the key's JSON (model_max_budget.<model>: spend in USD,
// budget_reset_at): read, changed and written back inside the batch's write transaction (the
// spend-log row before it took the write lock, so no other writer comes between).
Result<void> addKeyModelSpend(QSqlDatabase &db, const QString &token, const QString &model, NanoUsd added,
                              const QDateTime &resetAt)
{
    QJsonObject data;
    {
        QSqlQuery query(db);
        // Read, changed and written back: on PostgreSQL another gateway may do the same at once,
        // so the row stays locked until the commit.
        query.prepare(isPostgres(db) ? u"SELECT data FROM keys WHERE token = ? FOR UPDATE"_s
                                     : u"SELECT data FROM keys WHERE token = ?"_s);
        query.addBindValue(token);
        if (!query.exec())
            return makeError(u"cannot read key %1: %2"_s.arg(token.left(12), query.lastError().text()));
        if (!query.next())
            return {};
        data = parse(query.value(0));
    }
    QJsonObject budgets = data.value(u"model_max_budget"_s).toObject();
    if (!budgets.contains(model))
        return {};
    QJsonObject entry = budgets.value(model).toObject();
    if (windowMoves(IdentityJson::parseTime(entry.value(u"budget_reset_at"_s)), resetAt)) {
        entry.insert(u"spend"_s, nanosToUsd(added));
        entry.insert(u"budget_reset_at"_s, IdentityJson::time(resetAt));
    } else if (added != 0) {
        entry.insert(u"spend"_s, nanosToUsd(usdToNanos(entry.value(u"spend"_s).toDouble(0.0)) + added));
    } else {
        return {};
    }
    budgets.insert(model, entry);
    data.insert(u"model_max_budget"_s, budgets);
    static const QString sql = u"UPDATE keys SET data = ? WHERE token = ?"_s;
    return Store::execCached(db, sql, {compact(data), token}, u"save the model budget of %1"_s.arg(token.left(12)));
}

} // namespace

namespace {

Result<void> writeScopeSpend(QSqlDatabase &db, const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt,
                             const QString &duration)
{
    static const SpendTableSql keys[2]{{u"keys"_s, u"token"_s, false}, {u"keys"_s, u"token"_s, true}};
    static const SpendTableSql users[2]{{u"users"_s, u"user_id"_s, false}, {u"users"_s, u"user_id"_s, true}};
    static const SpendTableSql endUsers[2]{{u"end_users"_s, u"user_id"_s, false}, {u"end_users"_s, u"user_id"_s, true}};
    const int engine = isPostgres(db) ? 1 : 0;
    switch (scope.kind) {
    case LedgerScope::Kind::Key:
        return addRowSpend(db, keys[engine], scope.id, added, resetAt, duration);
    case LedgerScope::Kind::User:
        return addRowSpend(db, users[engine], scope.id, added, resetAt, duration);
    case LedgerScope::Kind::EndUser:
        return addRowSpend(db, endUsers[engine], scope.id, added, resetAt, duration);
    case LedgerScope::Kind::Global:
        return addGlobalSpend(db, added, resetAt, duration);
    case LedgerScope::Kind::KeyModel: {
        const qsizetype split = scope.id.indexOf(u'\n');
        if (split <= 0)
            return {};
        return addKeyModelSpend(db, scope.id.left(split), scope.id.mid(split + 1), added, resetAt);
    }
    }
    return {};
}

// Shared budgets (docs/shared-budgets.md): the same increment counts in the scope's shared row,
// in the same transaction, so that the journal's replay of a call counts there too.
Result<void> writeSpend(QSqlDatabase &db, const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt,
                        const QString &duration)
{
    if (auto done = writeScopeSpend(db, scope, added, resetAt, duration); !done || !LeaseRepository::sharedSpend())
        return done;
    return LeaseRepository::addSharedSpend(db, scope, added, resetAt);
}

thread_local SpendAccumulator *currentAccumulator = nullptr;

} // namespace

void SpendAccumulator::add(const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt,
                           const QString &duration)
{
    if (const auto last = m_last.constFind(scope); last != m_last.cend()) {
        Pending &pending = m_pending[*last];
        if (pending.resetAt == resetAt && pending.duration == duration) {
            pending.added += added;
            return;
        }
    }
    m_last.insert(scope, m_pending.size());
    m_pending.push_back({scope, resetAt, duration, added});
}

Result<void> SpendAccumulator::flush(QSqlDatabase &db)
{
    const std::vector<Pending> pending = std::exchange(m_pending, {});
    m_last.clear();
    for (const Pending &entry : pending) {
        if (auto done = writeSpend(db, entry.scope, entry.added, entry.resetAt, entry.duration); !done)
            return done;
    }
    return {};
}

SpendAccumulator::Current::Current(SpendAccumulator *accumulator)
    : m_previous(std::exchange(currentAccumulator, accumulator))
{
}

SpendAccumulator::Current::~Current()
{
    currentAccumulator = m_previous;
}

SpendAccumulator *SpendAccumulator::current()
{
    return currentAccumulator;
}

Store::WriteJob addSpend(const LedgerScope &scope, NanoUsd added, const QDateTime &resetAt, const QString &duration)
{
    return [scope, added, resetAt, duration](QSqlDatabase &db) -> Result<void> {
        if (SpendAccumulator *accumulator = SpendAccumulator::current()) {
            accumulator->add(scope, added, resetAt, duration);
            return {};
        }
        return writeSpend(db, scope, added, resetAt, duration);
    };
}

Store::WriteJob deleteKeys(const QStringList &tokens)
{
    return [tokens](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"DELETE FROM keys WHERE token = ?"_s);
        for (const QString &token : tokens) {
            ChangeFeed::note(ChangeFeed::Kind::Key, token);
            query.addBindValue(token);
            if (auto done = exec(query, u"delete a key"_s); !done)
                return done;
        }
        return {};
    };
}

Store::WriteJob replaceKeyRow(const QString &oldToken, const VirtualKey &key)
{
    return [oldToken, key](QSqlDatabase &db) -> Result<void> {
        // Deleted first (the alias is UNIQUE in the table and moves to the new row), its spend read
        // by the DELETE: a write as the first statement takes SQLite's write lock at once (waiting
        // for another instance's), where a read first could not upgrade to it after another
        // instance wrote ("database is locked").
        NanoUsd stored = 0;
        {
            ChangeFeed::note(ChangeFeed::Kind::Key, oldToken);
            QSqlQuery query(db);
            query.prepare(u"DELETE FROM keys WHERE token = ? RETURNING spend_nanousd"_s);
            query.addBindValue(oldToken);
            if (auto done = exec(query, u"delete a regenerated key"_s); !done)
                return done;
            if (query.next())
                stored = query.value(0).toLongLong();
        }
        if (auto done = saveKey(key)(db); !done)
            return done;
        if (stored <= key.budget.spend)
            return {};
        return saveSpend(SpendTable::Keys, key.token, stored)(db);
    };
}

Store::WriteJob moveKeySpendLogs(const QString &oldToken, const QString &newToken)
{
    return [oldToken, newToken](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::KeyReplaced, oldToken + u' ' + newToken);
        QSqlQuery query(db);
        query.prepare(u"UPDATE spend_logs SET api_key = ? WHERE api_key = ?"_s);
        query.addBindValue(newToken);
        query.addBindValue(oldToken);
        return exec(query, u"move a regenerated key's spend logs"_s);
    };
}

Store::WriteJob saveUser(const User &user, SpendWrite spend)
{
    return [user, spend](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::User, user.userId);
        static const QString set
            = u"INSERT INTO users (user_id, data, spend_nanousd, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, spend_nanousd = excluded.spend_nanousd, "
              "updated_at = excluded.updated_at"_s;
        static const QString keep
            = u"INSERT INTO users (user_id, data, spend_nanousd, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"_s;
        return Store::execCached(db, spend == SpendWrite::Set ? set : keep,
                                 {user.userId, compact(IdentityJson::toJson(user)), user.budget.spend,
                                  isoUtc(user.createdAt.isValid() ? user.createdAt : QDateTime::currentDateTimeUtc()),
                                  now()},
                                 u"save user %1"_s.arg(user.userId));
    };
}

Store::WriteJob deleteUser(const QString &userId)
{
    return [userId](QSqlDatabase &db) -> Result<void> {
        // The others reload the user and the user's keys (gone with it).
        ChangeFeed::note(ChangeFeed::Kind::User, userId);
        QSqlQuery query(db);
        query.prepare(u"DELETE FROM keys WHERE user_id = ?"_s);
        query.addBindValue(userId);
        if (auto done = exec(query, u"delete the keys of user %1"_s.arg(userId)); !done)
            return done;
        query.prepare(u"DELETE FROM users WHERE user_id = ?"_s);
        query.addBindValue(userId);
        return exec(query, u"delete user %1"_s.arg(userId));
    };
}

namespace {

// An end user's row for INSERT INTO end_users (user_id, data, spend_nanousd, created_at, updated_at).
QVariantList endUserRow(const EndUser &endUser)
{
    return {endUser.userId, compact(IdentityJson::toJson(endUser)), endUser.budget.spend,
            isoUtc(endUser.createdAt.isValid() ? endUser.createdAt : QDateTime::currentDateTimeUtc()), now()};
}

} // namespace

Store::WriteJob saveEndUser(const EndUser &endUser, SpendWrite spend)
{
    return [endUser, spend](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::EndUser, endUser.userId);
        static const QString set
            = u"INSERT INTO end_users (user_id, data, spend_nanousd, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, spend_nanousd = excluded.spend_nanousd, "
              "updated_at = excluded.updated_at"_s;
        static const QString keep
            = u"INSERT INTO end_users (user_id, data, spend_nanousd, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
              "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"_s;
        return Store::execCached(
            db, spend == SpendWrite::Set ? set : keep,
            endUserRow(endUser),
            u"save end user %1"_s.arg(endUser.userId));
    };
}

namespace {

// The stored row of end user `userId` (its spend included), or nullopt when there is none.
Result<std::optional<EndUser>> readEndUserRow(QSqlDatabase &db, const QString &userId)
{
    QSqlQuery query(db);
    if (auto done = Store::execPrepared(query, u"SELECT data, spend_nanousd FROM end_users WHERE user_id = ?"_s,
                                        {userId}, u"read end user %1"_s.arg(userId));
        !done)
        return done.error();
    if (!query.next())
        return std::optional<EndUser>();
    auto existing = IdentityJson::endUserFromJson(parse(query.value(0)));
    if (!existing)
        return existing.error();
    existing->budget.spend = query.value(1).toLongLong();
    return std::optional<EndUser>(std::move(*existing));
}

} // namespace

Store::WriteJob claimEndUser(const EndUser &endUser, std::shared_ptr<EndUser> stored, std::shared_ptr<bool> created)
{
    return [endUser, stored, created](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        if (auto done = Store::execPrepared(
                query,
                u"INSERT INTO end_users (user_id, data, spend_nanousd, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(user_id) DO NOTHING"_s,
                endUserRow(endUser),
                u"create end user %1"_s.arg(endUser.userId));
            !done)
            return done;
        *created = query.numRowsAffected() > 0;
        if (*created) {
            ChangeFeed::note(ChangeFeed::Kind::EndUser, endUser.userId);
            *stored = endUser;
            return {};
        }
        auto existing = readEndUserRow(db, endUser.userId);
        if (!existing)
            return existing.error();
        if (!*existing)
            return makeError(u"end user %1 is neither new nor stored"_s.arg(endUser.userId));
        *stored = std::move(**existing);
        return {};
    };
}

Store::WriteJob readEndUser(const QString &userId, std::shared_ptr<EndUser> stored)
{
    return [userId, stored](QSqlDatabase &db) -> Result<void> {
        auto existing = readEndUserRow(db, userId);
        if (!existing)
            return existing.error();
        if (*existing)
            *stored = std::move(**existing);
        return {};
    };
}

Store::WriteJob deleteEndUsers(const QStringList &userIds)
{
    return [userIds](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"DELETE FROM end_users WHERE user_id = ?"_s);
        for (const QString &userId : userIds) {
            ChangeFeed::note(ChangeFeed::Kind::EndUser, userId);
            query.addBindValue(userId);
            if (auto done = exec(query, u"delete end user %1"_s.arg(userId)); !done)
                return done;
        }
        return {};
    };
}

Store::WriteJob saveModel(const StoredModel &model)
{
    return [model](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::Model, model.modelId);
        QSqlQuery query(db);
        query.prepare(u"INSERT INTO proxy_models (model_id, model_name, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                      "ON CONFLICT(model_id) DO UPDATE SET model_name = excluded.model_name, data = excluded.data, "
                      "updated_at = excluded.updated_at"_s);
        query.addBindValue(model.modelId);
        query.addBindValue(model.modelName);
        query.addBindValue(compact(model.entry));
        query.addBindValue(isoUtc(model.createdAt.isValid() ? model.createdAt : QDateTime::currentDateTimeUtc()));
        query.addBindValue(now());
        return exec(query, u"save model %1"_s.arg(model.modelId));
    };
}

Store::WriteJob deleteModel(const QString &modelId)
{
    return [modelId](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::Model, modelId);
        QSqlQuery query(db);
        query.prepare(u"DELETE FROM proxy_models WHERE model_id = ?"_s);
        query.addBindValue(modelId);
        return exec(query, u"delete model %1"_s.arg(modelId));
    };
}

Store::WriteJob audit(const AuditEntry &entry)
{
    return [entry](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"INSERT INTO audit_log (at, actor, action, object_type, object_id, details) "
                      "VALUES (?, ?, ?, ?, ?, ?)"_s);
        query.addBindValue(now());
        query.addBindValue(entry.actor);
        query.addBindValue(entry.action);
        query.addBindValue(entry.objectType);
        query.addBindValue(entry.objectId);
        query.addBindValue(compact(entry.details));
        return exec(query, u"write the audit log"_s);
    };
}

Store::WriteJob all(QList<Store::WriteJob> jobs)
{
    return [jobs = std::move(jobs)](QSqlDatabase &db) -> Result<void> {
        for (const auto &job : jobs) {
            if (auto done = job(db); !done)
                return done;
        }
        return {};
    };
}

Result<QList<AuditRecord>> auditRecords(QSqlDatabase &db, const QStringList &actions, int limit)
{
    QSqlQuery query(db);
    QString sql = u"SELECT actor, action, object_type, object_id, details, at FROM audit_log"_s;
    if (!actions.isEmpty()) {
        QStringList marks;
        for (qsizetype i = 0; i < actions.size(); ++i)
            marks.append(u"?"_s);
        sql += u" WHERE action IN ("_s + marks.join(u", "_s) + u")"_s;
    }
    sql += u" ORDER BY id DESC LIMIT ?"_s;
    query.prepare(sql);
    for (const QString &action : actions)
        query.addBindValue(action);
    query.addBindValue(limit);
    if (!query.exec())
        return makeError(u"cannot read the audit log: %1"_s.arg(query.lastError().text()));
    QList<AuditRecord> records;
    while (query.next()) {
        records.append(AuditRecord{AuditEntry{query.value(0).toString(), query.value(1).toString(),
                                              query.value(2).toString(), query.value(3).toString(),
                                              parse(query.value(4))},
                                   IdentityJson::parseTime(query.value(5).toString())});
    }
    return records;
}

Result<QList<AuditEntry>> auditLog(QSqlDatabase &db, int limit)
{
    auto records = auditRecords(db, {}, limit);
    if (!records)
        return records.error();
    QList<AuditEntry> entries;
    for (const AuditRecord &record : *records)
        entries.append(record.entry);
    return entries;
}

} // namespace IdentityRepository

} // namespace Tollgate
