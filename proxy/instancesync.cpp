#include "instancesync.h"

#include "accounting.h"

#include "../models/identityregistry.h"
#include "../models/store/store.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QPointer>
#include <QSet>
#include <QUuid>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcInstances, "tollgate.instances")

namespace Tollgate {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// A record reloaded from the database keeps the spend this instance counted (the ledger keeps
// its own across a change anyway; the registry mirrors the ledger), and its budget window unless
// the change gave the budget another period.
template <typename Record>
Record keepingLocalSpend(Record record, const Record *local)
{
    if (!local)
        return record;
    record.budget.spend = local->budget.spend;
    const auto period = [](const Record &r) { return r.budget.duration ? r.budget.duration->toString() : QString(); };
    if (period(record) == period(*local))
        record.budget.resetAt = local->budget.resetAt;
    return record;
}

// What resync() reads: the feed's position and every row.
struct Everything
{
    qint64 seq = 0;
    IdentityRepository::Snapshot snapshot;
};

} // namespace

InstanceSync::InstanceSync(GatewayServices &services, Appliers appliers, const QString &instanceId, QObject *parent)
    : QObject(parent)
    , m_services(services)
    , m_appliers(std::move(appliers))
    , m_instanceId(instanceId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : instanceId)
{
    m_pollTimer.setInterval(PollIntervalMs);
    m_heartbeatTimer.setInterval(HeartbeatIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &InstanceSync::poll);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &InstanceSync::beat);
}

InstanceSync::~InstanceSync() = default;

Result<void> InstanceSync::prepare()
{
    Store *store = m_services.store;
    if (!store)
        return makeError(u"shared_database needs a database"_s);
    m_startedMs = nowMs();
    auto seq = store->readNow([](QSqlDatabase &db) -> QVariant {
        auto last = ChangeFeed::lastSeq(db);
        return last ? QVariant(*last) : QVariant::fromValue(last.error());
    });
    if (!seq)
        return seq.error();
    m_seq = seq->toLongLong();
    const qint64 now = nowMs();
    if (auto beaten = store->writeNow(
            ChangeFeed::heartbeat(m_instanceId, m_startedMs, now, ForgetInstanceAfterMs, now - KeepChangesMs));
        !beaten)
        return beaten.error();
    auto live = store->readNow([since = now - LiveWindowMs](QSqlDatabase &db) -> QVariant {
        auto ids = ChangeFeed::liveInstances(db, since);
        return ids ? QVariant(*ids) : QVariant::fromValue(ids.error());
    });
    if (!live)
        return live.error();
    m_live = live->toStringList();
    if (!m_live.contains(m_instanceId)) {
        m_live.append(m_instanceId);
        m_live.sort();
    }
    return {};
}

void InstanceSync::start()
{
    QStringList live = std::exchange(m_live, {});
    setLive(std::move(live));
    qCInfo(lcInstances).noquote() << "shared database: instance" << m_instanceId << "of" << m_live.size()
                                  << "live, following changes after" << m_seq;
    m_lastFollowMs = nowMs();
    m_pollTimer.start();
    m_heartbeatTimer.start();
    // PostgreSQL wakes the poll at once; the driver's signal is emitted on the store thread and
    // queued here. SQLite has no such thing: the timer alone follows.
    QPointer<InstanceSync> self(this);
    m_services.store->read(
        [self](QSqlDatabase &db) -> QVariant {
            if (!ChangeFeed::listen(db))
                return false;
            QObject::connect(db.driver(), &QSqlDriver::notification, self.data(),
                             [self](const QString &name) {
                                 if (self && name == ChangeFeed::NotifyChannel)
                                     self->poll();
                             });
            return true;
        },
        this, [](const Result<QVariant> &listening) {
            if (listening && listening->toBool())
                qCInfo(lcInstances) << "listening on" << ChangeFeed::NotifyChannel;
        });
}

void InstanceSync::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    m_pollTimer.stop();
    m_heartbeatTimer.stop();
    if (m_services.store)
        m_services.store->write(ChangeFeed::leave(m_instanceId), nullptr);
}

void InstanceSync::poll()
{
    if (m_stopped)
        return;
    if (m_polling) {
        // A NOTIFY during a poll: that poll may have read before the change committed.
        m_pollAgain = true;
        return;
    }
    m_polling = true;
    m_services.store->read(
        [seq = m_seq, self = m_instanceId](QSqlDatabase &db) -> QVariant {
            auto step = ChangeFeed::follow(db, seq, self);
            return step ? QVariant::fromValue(*step) : QVariant::fromValue(step.error());
        },
        this, [this](const Result<QVariant> &result) {
            m_polling = false;
            if (!result) {
                qCWarning(lcInstances).noquote() << "changes not read:" << result.error().message;
            } else if (const qint64 now = nowMs(); std::exchange(m_lastFollowMs, now) < now - ResyncAfterMs) {
                resync();
            } else {
                const auto step = result->value<ChangeFeed::Step>();
                if (step.nextSeq > m_seq) {
                    m_seq = step.nextSeq;
                    apply(step);
                }
            }
            if (std::exchange(m_pollAgain, false))
                poll();
        });
}

void InstanceSync::apply(const ChangeFeed::Step &step)
{
    if (step.isEmpty())
        return;
    IdentityRegistry &identities = *m_services.identities;
    Accounting *accounting = m_services.accounting;
    // The spend the store counts over every instance (an admin's spend edit on another instance
    // among it) reaches the ledger when it is of the window this instance counts in.
    const auto adopt = [accounting](const LedgerScope &scope, const Budget &stored) {
        if (accounting)
            accounting->adoptStoredSpend(scope, stored.spend, stored.resetAt);
    };
    const auto putKey = [&identities, &adopt](const VirtualKey &key) {
        identities.putKey(keepingLocalSpend(key, identities.keyByToken(key.token)));
        adopt(LedgerScope::key(key.token), key.budget);
    };
    const ChangeFeed::Reloaded &reloaded = step.reloaded;
    // Users before keys: a key names its user.
    for (const auto &[id, user] : reloaded.users) {
        if (user) {
            identities.putUser(keepingLocalSpend(*user, identities.user(id)));
            adopt(LedgerScope::user(id), user->budget);
        }
    }
    // A key regenerated on another instance moves here too, with the calls in flight under its
    // old token: they settle on it (else its spend would miss them, and a regeneration would
    // be a way past its budget).
    for (const auto &replaced : reloaded.replacedKeys) {
        if (replaced.key) {
            identities.replaceKey(replaced.oldToken,
                                  keepingLocalSpend(*replaced.key, identities.keyByToken(replaced.oldToken)));
            adopt(LedgerScope::key(replaced.newToken), replaced.key->budget);
        } else {
            identities.removeKey(replaced.oldToken);
            identities.removeKey(replaced.newToken);
        }
    }
    for (const auto &[token, key] : reloaded.keys) {
        if (key)
            putKey(*key);
        else
            identities.removeKey(token);
    }
    for (const auto &[userId, keys] : reloaded.userKeys) {
        for (const VirtualKey &key : keys)
            putKey(key);
    }
    // A deleted user's keys went with it (deleteUser). While the user exists, a key missing from
    // its reloaded keys is left alone: it may be one this instance is still committing, and a
    // key deleted by itself comes as a change of its own.
    for (const auto &[id, user] : reloaded.users) {
        if (user)
            continue;
        QStringList gone;
        for (const VirtualKey *key : identities.keysOfUser(id))
            gone.append(key->token);
        for (const QString &token : gone)
            identities.removeKey(token);
    }
    for (const auto &[id, user] : reloaded.users) {
        if (!user)
            identities.removeUser(id);
    }
    for (const auto &[id, endUser] : reloaded.endUsers) {
        if (endUser) {
            identities.putEndUser(keepingLocalSpend(*endUser, identities.endUser(id)));
            adopt(LedgerScope::endUser(id), endUser->budget);
        } else
            identities.removeEndUser(id);
    }
    for (const auto &[id, model] : reloaded.models) {
        if (m_appliers.model)
            m_appliers.model(id, model);
    }
    for (const auto &[key, value] : reloaded.settings) {
        if (m_appliers.setting)
            m_appliers.setting(key, value);
    }
    // A changed global budget (the only setting followed) may come with a spend edit: its spend
    // row is read after the change was applied (a window the change started is then the ledger's).
    if (!reloaded.settings.isEmpty() && accounting)
        adoptGlobalSpend();
    qCDebug(lcInstances) << "applied" << step.changes << "change(s) up to" << step.nextSeq;
}

void InstanceSync::adoptGlobalSpend()
{
    m_services.store->read([](QSqlDatabase &db) -> QVariant { return IdentityRepository::loadGlobalSpend(db); }, this,
                           [this](const Result<QVariant> &stored) {
                               const QJsonObject state = stored ? stored->toJsonObject() : QJsonObject();
                               if (state.isEmpty() || !m_services.accounting)
                                   return;
                               m_services.accounting->adoptStoredSpend(
                                   LedgerScope::global(), state.value(u"spend_nanousd"_s).toInteger(),
                                   IdentityJson::parseTime(state.value(u"budget_reset_at"_s)));
                           });
}

void InstanceSync::resync()
{
    if (m_resyncing || m_stopped)
        return;
    m_resyncing = true;
    qCWarning(lcInstances) << "no changes read for" << ResyncAfterMs / 1000 << "s: reloading everything";
    m_services.store->read(
        [](QSqlDatabase &db) -> QVariant {
            // The feed's position first: a change committed during the load is applied again after.
            auto seq = ChangeFeed::lastSeq(db);
            if (!seq)
                return QVariant::fromValue(seq.error());
            auto snapshot = IdentityRepository::loadAll(db);
            if (!snapshot)
                return QVariant::fromValue(snapshot.error());
            return QVariant::fromValue(Everything{*seq, *snapshot});
        },
        this, [this](const Result<QVariant> &result) {
            m_resyncing = false;
            if (!result || result->metaType() != QMetaType::fromType<Everything>()) {
                m_lastFollowMs = 0;   // try again at the next poll
                return;
            }
            const auto everything = result->value<Everything>();
            // As apply() does with every object changed: what is there is put, what is not removed.
            ChangeFeed::Step step;
            step.nextSeq = everything.seq;
            QSet<QString> keys, users, endUsers;
            for (const User &user : everything.snapshot.users) {
                users.insert(user.userId);
                step.reloaded.users.append({user.userId, user});
            }
            for (const VirtualKey &key : everything.snapshot.keys) {
                keys.insert(key.token);
                step.reloaded.keys.append({key.token, key});
            }
            for (const EndUser &endUser : everything.snapshot.endUsers) {
                endUsers.insert(endUser.userId);
                step.reloaded.endUsers.append({endUser.userId, endUser});
            }
            for (const StoredModel &model : everything.snapshot.models)
                step.reloaded.models.append({model.modelId, model});
            const IdentityRegistry &identities = *m_services.identities;
            for (const VirtualKey *key : identities.keys()) {
                if (!keys.contains(key->token))
                    step.reloaded.keys.append({key->token, std::nullopt});
            }
            for (const User *user : identities.users()) {
                if (!users.contains(user->userId))
                    step.reloaded.users.append({user->userId, std::nullopt});
            }
            for (const EndUser *endUser : identities.endUsers()) {
                if (!endUsers.contains(endUser->userId))
                    step.reloaded.endUsers.append({endUser->userId, std::nullopt});
            }
            m_seq = std::max(m_seq, everything.seq);
            apply(step);
        });
}

void InstanceSync::beat()
{
    if (m_stopped || m_beating)
        return;
    m_beating = true;
    const qint64 now = nowMs();
    m_services.store->write(
        ChangeFeed::heartbeat(m_instanceId, m_startedMs, now, ForgetInstanceAfterMs, now - KeepChangesMs), this,
        [](const Result<void> &done) {
            if (!done)
                qCWarning(lcInstances).noquote() << "heartbeat not written:" << done.error().message;
        });
    // Submitted after the heartbeat, so it sees it.
    m_services.store->read(
        [since = now - LiveWindowMs](QSqlDatabase &db) -> QVariant {
            auto ids = ChangeFeed::liveInstances(db, since);
            return ids ? QVariant(*ids) : QVariant::fromValue(ids.error());
        },
        this, [this](const Result<QVariant> &result) {
            m_beating = false;
            if (!result) {
                qCWarning(lcInstances).noquote() << "live instances not read:" << result.error().message;
                return;
            }
            if (!m_stopped)
                setLive(result->toStringList());
        });
    // What every instance settled, shown here too (/key/info, the window's pages, headers): each
    // instance counts its own calls in memory and folds them into the shared rows; the others'
    // arrive with this read, once a second (the ledger keeps a spend only in the window it is in).
    m_services.store->read(
        [](QSqlDatabase &db) -> QVariant {
            auto spends = IdentityRepository::loadSpends(db);
            return spends ? QVariant::fromValue(*spends) : QVariant::fromValue(spends.error());
        },
        this, [this](const Result<QVariant> &result) {
            if (!result || result->canConvert<Error>() || m_stopped || !m_services.accounting)
                return;
            for (const IdentityRepository::StoredSpend &stored :
                 result->value<QList<IdentityRepository::StoredSpend>>())
                m_services.accounting->adoptStoredSpend(stored.scope, stored.spend, stored.resetAt);
        });
}

void InstanceSync::setLive(QStringList live)
{
    // A heartbeat that failed to land still leaves this instance serving: it counts itself.
    if (!live.contains(m_instanceId)) {
        live.append(m_instanceId);
        live.sort();
    }
    if (live == m_live)
        return;
    if (!m_live.isEmpty())
        qCInfo(lcInstances) << "live instances:" << m_live.size() << "→" << live.size();
    m_live = std::move(live);
    if (m_services.accounting)
        m_services.accounting->setInstanceShare(int(m_live.size()), int(m_live.indexOf(m_instanceId)));
}

} // namespace Tollgate
