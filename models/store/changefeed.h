#pragma once

#include "../identity.h"
#include "identityrepository.h"
#include "store.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace Tollgate {

// The SQL of several gateway instances on one database (general_settings.shared_database,
// docs/shared-instances.md): the `changes` feed that carries management changes from the
// instance that made them to the others, and the `instances` heartbeat table from which rate
// limits are split. Only SQL both engines run (SQLite, PostgreSQL), every value bound; the
// PostgreSQL-only parts (NOTIFY, the commit-order lock) are chosen by the connection's driver.
namespace ChangeFeed {

// What a change names: the rows the other instances reload.
namespace Kind {
inline const QString Key = QStringLiteral("key");            // object id: the token
// A regenerated key (object id: the old token, a space, the new one). Its old token's deletion
// and new token's row come as Key changes too; a follower takes the three as one replacement.
inline const QString KeyReplaced = QStringLiteral("key_replaced");
inline const QString User = QStringLiteral("user");          // the user id (and the user's keys)
inline const QString EndUser = QStringLiteral("end_user");   // the end user id
inline const QString Model = QStringLiteral("model");        // a store-added model's id
inline const QString Setting = QStringLiteral("setting");    // a settings row's key (the global budget)
} // namespace Kind

// The PostgreSQL channel a change wakes the followers on (LISTEN/NOTIFY).
inline const QString NotifyChannel = QStringLiteral("tollgate_changes");

struct Change
{
    qint64 seq = 0;
    QString kind;
    QString objectId;
    QString origin;   // the instance that made it
};

// Notes that the running write job changes (kind, id). The repository's save and delete jobs call
// it; it records only inside recorded() (a management write in shared mode), on the store thread,
// and costs one thread-local read otherwise.
void note(const QString &kind, const QString &objectId);

// `job` plus, in the same transaction, one `changes` row per distinct object its steps noted
// (origin `instanceId`, time `nowMs`); on PostgreSQL also a NOTIFY on NotifyChannel, delivered at
// COMMIT. PostgreSQL hands out seq values before COMMIT, so a transaction could commit a lower seq
// after a follower has read a higher one: the writers take a transaction lock there first, so seq
// order is commit order (SQLite has one writer at a time already).
Store::WriteJob recorded(Store::WriteJob job, const QString &instanceId);

// The highest seq written so far (0: none): where a starting instance begins to follow.
Result<qint64> lastSeq(QSqlDatabase &db);

// Changes after `seq`, in order, at most `limit` (an indexed range read: empty almost always).
Result<QList<Change>> since(QSqlDatabase &db, qint64 seq, int limit = 500);

// What a follower reloads for its changes (the rows as they are now; absent = deleted).
struct Reloaded
{
    // A key regenerated (once or more) since the last step: its old token and the key now
    // (absent = deleted since). Its tokens are in no other list.
    struct Replaced
    {
        QString oldToken;
        QString newToken;
        std::optional<VirtualKey> key;
    };
    QList<Replaced> replacedKeys;
    QList<std::pair<QString, std::optional<VirtualKey>>> keys;          // token → key
    QList<std::pair<QString, std::optional<User>>> users;               // user id → user
    QList<std::pair<QString, QList<VirtualKey>>> userKeys;              // user id → its keys now
    QList<std::pair<QString, std::optional<EndUser>>> endUsers;
    QList<std::pair<QString, std::optional<StoredModel>>> models;
    QList<std::pair<QString, QJsonObject>> settings;                    // key → value ({} when gone)
};

// One follower step on the store thread: the changes after `seq` made by others than `self`, and
// their objects reloaded. `nextSeq` is where the next step starts (past every change read, own ones
// included).
struct Step
{
    qint64 nextSeq = 0;
    qsizetype changes = 0;   // read, own included
    Reloaded reloaded;
    [[nodiscard]] bool isEmpty() const;
};
Result<Step> follow(QSqlDatabase &db, qint64 seq, const QString &self);

// Starts following on PostgreSQL: LISTEN on NotifyChannel through the store connection's driver
// (its notification signal then fires on the store thread). False on SQLite, or when the driver
// refused; polling alone carries the changes then.
bool listen(QSqlDatabase &db);

// This instance is alive at `nowMs` (its row is created with `startedMs` the first time). Rows of
// instances unseen for `forgetAfterMs` and changes older than `pruneChangesBeforeMs` are deleted.
Store::WriteJob heartbeat(const QString &instanceId, qint64 startedMs, qint64 nowMs, qint64 forgetAfterMs,
                          qint64 pruneChangesBeforeMs);
// The instances seen at or after `sinceMs`, ordered by id (a stable rank for the share split).
Result<QStringList> liveInstances(QSqlDatabase &db, qint64 sinceMs);
// The instance's row goes (a clean stop: the others take its share at their next heartbeat).
Store::WriteJob leave(const QString &instanceId);

} // namespace ChangeFeed

} // namespace Tollgate
