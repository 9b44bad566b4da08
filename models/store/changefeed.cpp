#include "changefeed.h"

#include "databasetarget.h"
#include "store.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate::ChangeFeed {

namespace {

QJsonObject parse(const QVariant &value)
{
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

// The objects noted by the write job running on this thread inside recorded(), in order.
struct Capture
{
    QList<std::pair<QString, QString>> notes;
    QSet<QString> seen;   // kind + '\n' + id
};
thread_local Capture *currentCapture = nullptr;

Result<QSqlQuery> run(QSqlDatabase &db, const QString &sql, const QVariantList &values, const QString &what)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (auto done = Store::execPrepared(query, sql, values, what); !done)
        return done.error();
    return query;
}

template <typename T, typename FromJson>
Result<QList<T>> rows(QSqlDatabase &db, const QString &sql, const QString &id, const QString &what, FromJson fromJson)
{
    auto query = run(db, sql, {id}, what);
    if (!query)
        return query.error();
    QList<T> found;
    while (query->next()) {
        auto item = fromJson(parse(query->value(0)));
        if (!item)
            return item.error();
        item->budget.spend = query->value(1).toLongLong();
        found.append(*item);
    }
    return found;
}

template <typename T>
std::optional<T> first(const QList<T> &list)
{
    return list.isEmpty() ? std::nullopt : std::optional<T>(list.constFirst());
}

} // namespace

void note(const QString &kind, const QString &objectId)
{
    Capture *capture = currentCapture;
    if (!capture)
        return;
    const QString key = kind + u'\n' + objectId;
    if (capture->seen.contains(key))
        return;
    capture->seen.insert(key);
    capture->notes.append({kind, objectId});
}

Store::WriteJob recorded(Store::WriteJob job, const QString &instanceId)
{
    return [job = std::move(job), instanceId](QSqlDatabase &db) -> Result<void> {
        const bool postgres = isPostgres(db);
        if (postgres) {
            // Held until COMMIT: the next writer's seq comes after this one's commit.
            if (auto locked = run(db, u"SELECT pg_advisory_xact_lock(7424018)"_s, {}, u"order the changes"_s);
                !locked)
                return locked.error();
        }
        Capture capture;
        Capture *previous = std::exchange(currentCapture, &capture);
        const Result<void> done = job(db);
        currentCapture = previous;
        if (!done)
            return done;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (const auto &[kind, id] : std::as_const(capture.notes)) {
            static const QString insert
                = u"INSERT INTO changes (kind, object_id, origin, at_ms) VALUES (?, ?, ?, ?)"_s;
            if (auto written = Store::execCached(db, insert, {kind, id, instanceId, now}, u"record a change"_s);
                !written)
                return written;
        }
        if (postgres && !capture.notes.isEmpty()) {
            // Delivered at COMMIT (dropped with a rollback), once per transaction and payload.
            if (auto notified = run(db, u"SELECT pg_notify(?, ?)"_s, {NotifyChannel, instanceId},
                                    u"notify the other instances"_s);
                !notified)
                return notified.error();
        }
        return {};
    };
}

Result<qint64> lastSeq(QSqlDatabase &db)
{
    auto query = run(db, u"SELECT MAX(seq) FROM changes"_s, {}, u"read the last change"_s);
    if (!query)
        return query.error();
    return query->next() ? query->value(0).toLongLong() : 0;
}

Result<QList<Change>> since(QSqlDatabase &db, qint64 seq, int limit)
{
    static const QString sql
        = u"SELECT seq, kind, object_id, origin FROM changes WHERE seq > ? ORDER BY seq LIMIT ?"_s;
    auto query = run(db, sql, {seq, limit}, u"read the changes"_s);
    if (!query)
        return query.error();
    QList<Change> changes;
    while (query->next()) {
        changes.append(Change{query->value(0).toLongLong(), query->value(1).toString(), query->value(2).toString(),
                              query->value(3).toString()});
    }
    return changes;
}

bool Step::isEmpty() const
{
    return reloaded.replacedKeys.isEmpty() && reloaded.keys.isEmpty() && reloaded.users.isEmpty()
           && reloaded.endUsers.isEmpty() && reloaded.models.isEmpty() && reloaded.settings.isEmpty();
}

Result<Step> follow(QSqlDatabase &db, qint64 seq, const QString &self)
{
    Step step;
    step.nextSeq = seq;
    const auto changes = since(db, seq);
    if (!changes)
        return changes.error();
    step.changes = changes->size();
    if (changes->isEmpty())
        return step;
    QSet<QString> done;
    Reloaded &out = step.reloaded;
    // Regenerations first: a key regenerated twice folds into one replacement (old → newest),
    // and none of its tokens is reloaded on its own (the old one would read as deleted).
    QList<std::pair<QString, QString>> replaced;
    for (const Change &change : *changes) {
        if (change.origin == self || change.kind != Kind::KeyReplaced)
            continue;
        const qsizetype space = change.objectId.indexOf(u' ');
        if (space <= 0)
            continue;
        const QString from = change.objectId.left(space);
        const QString to = change.objectId.mid(space + 1);
        auto chain = std::find_if(replaced.begin(), replaced.end(), [&from](const auto &r) { return r.second == from; });
        if (chain != replaced.end())
            chain->second = to;
        else
            replaced.append({from, to});
        done.insert(Kind::Key + u'\n' + from);
        done.insert(Kind::Key + u'\n' + to);
    }
    for (const auto &[from, to] : std::as_const(replaced)) {
        auto keys = rows<VirtualKey>(db, u"SELECT data, spend_nanousd FROM keys WHERE token = ?"_s, to,
                                     u"reload a regenerated key"_s, IdentityJson::keyFromJson);
        if (!keys)
            return keys.error();
        out.replacedKeys.append({from, to, first(*keys)});
    }
    for (const Change &change : *changes) {
        step.nextSeq = std::max(step.nextSeq, change.seq);
        // This instance applied its own changes when it made them.
        if (change.origin == self || done.contains(change.kind + u'\n' + change.objectId))
            continue;
        done.insert(change.kind + u'\n' + change.objectId);
        const QString &id = change.objectId;
        if (change.kind == Kind::Key) {
            auto keys = rows<VirtualKey>(db, u"SELECT data, spend_nanousd FROM keys WHERE token = ?"_s, id,
                                         u"reload a key"_s, IdentityJson::keyFromJson);
            if (!keys)
                return keys.error();
            out.keys.append({id, first(*keys)});
        } else if (change.kind == Kind::User) {
            auto users = rows<User>(db, u"SELECT data, spend_nanousd FROM users WHERE user_id = ?"_s, id,
                                    u"reload a user"_s, IdentityJson::userFromJson);
            if (!users)
                return users.error();
            auto keys = rows<VirtualKey>(db, u"SELECT data, spend_nanousd FROM keys WHERE user_id = ?"_s, id,
                                         u"reload a user's keys"_s, IdentityJson::keyFromJson);
            if (!keys)
                return keys.error();
            out.users.append({id, first(*users)});
            out.userKeys.append({id, *keys});
        } else if (change.kind == Kind::EndUser) {
            auto endUsers = rows<EndUser>(db, u"SELECT data, spend_nanousd FROM end_users WHERE user_id = ?"_s, id,
                                          u"reload an end user"_s, IdentityJson::endUserFromJson);
            if (!endUsers)
                return endUsers.error();
            out.endUsers.append({id, first(*endUsers)});
        } else if (change.kind == Kind::Model) {
            auto query = run(db,
                             u"SELECT model_id, model_name, data, created_at, updated_at FROM proxy_models "
                             "WHERE model_id = ?"_s,
                             {id}, u"reload a model"_s);
            if (!query)
                return query.error();
            std::optional<StoredModel> model;
            if (query->next()) {
                model = StoredModel{query->value(0).toString(), query->value(1).toString(), parse(query->value(2)),
                                    IdentityJson::parseTime(query->value(3).toString()),
                                    IdentityJson::parseTime(query->value(4).toString())};
            }
            out.models.append({id, model});
        } else if (change.kind == Kind::Setting) {
            auto query = run(db, u"SELECT value FROM settings WHERE key = ?"_s, {id}, u"reload a setting"_s);
            if (!query)
                return query.error();
            out.settings.append({id, query->next() ? parse(query->value(0)) : QJsonObject()});
        }
        // An unknown kind (a newer instance's) is skipped: its objects reload at the next start.
    }
    return step;
}

bool listen(QSqlDatabase &db)
{
    if (!isPostgres(db) || !db.driver())
        return false;
    return db.driver()->subscribeToNotification(NotifyChannel);
}

Store::WriteJob heartbeat(const QString &instanceId, qint64 startedMs, qint64 nowMs, qint64 forgetAfterMs,
                          qint64 pruneChangesBeforeMs)
{
    return [=](QSqlDatabase &db) -> Result<void> {
        static const QString beat
            = u"INSERT INTO instances (instance_id, started_ms, last_seen_ms) VALUES (?, ?, ?) "
              "ON CONFLICT(instance_id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms"_s;
        if (auto done = Store::execCached(db, beat, {instanceId, startedMs, nowMs}, u"record the heartbeat"_s); !done)
            return done;
        static const QString forget = u"DELETE FROM instances WHERE last_seen_ms < ?"_s;
        if (auto done = Store::execCached(db, forget, {nowMs - forgetAfterMs}, u"forget stopped instances"_s); !done)
            return done;
        static const QString prune = u"DELETE FROM changes WHERE at_ms < ?"_s;
        return Store::execCached(db, prune, {pruneChangesBeforeMs}, u"prune the changes"_s);
    };
}

Result<QStringList> liveInstances(QSqlDatabase &db, qint64 sinceMs)
{
    static const QString sql = u"SELECT instance_id FROM instances WHERE last_seen_ms >= ? ORDER BY instance_id"_s;
    auto query = run(db, sql, {sinceMs}, u"read the live instances"_s);
    if (!query)
        return query.error();
    QStringList ids;
    while (query->next())
        ids.append(query->value(0).toString());
    return ids;
}

Store::WriteJob leave(const QString &instanceId)
{
    return [instanceId](QSqlDatabase &db) -> Result<void> {
        static const QString sql = u"DELETE FROM instances WHERE instance_id = ?"_s;
        return Store::execCached(db, sql, {instanceId}, u"leave the instances"_s);
    };
}

} // namespace Tollgate::ChangeFeed
