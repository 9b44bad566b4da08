#pragma once

#include "../models/result.h"
#include "../models/store/changefeed.h"
#include "services.h"

#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <optional>

namespace Tollgate {

// Several gateway instances on one database (general_settings.shared_database,
// docs/shared-instances.md), the gateway-thread half; the SQL is ChangeFeed's, run on the store
// thread through Store::read/write, so the gateway thread never waits on it.
//
// - Propagation: every PollIntervalMs (and at once on a PostgreSQL NOTIFY) the changes the other
//   instances committed are read with their objects reloaded, and put into the registry (keys,
//   users, end users: the ledger follows as the registry's observer), the deployment table
//   (stored models) and the global budget — so a key blocked, deleted or re-limited on one
//   instance is refused by this one within PollIntervalMs plus a store round trip.
// - Shared rate limits: a heartbeat every HeartbeatIntervalMs; the instances seen in the last
//   LiveWindowMs are the live ones, and Accounting enforces this instance's share of every limit
//   (instanceShare), recomputed when the membership changes.
// Nothing of this exists in single-instance mode (the default): no timer, no table is read.
class InstanceSync final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceSync)

public:
    static constexpr int PollIntervalMs = 250;
    static constexpr int HeartbeatIntervalMs = 1000;
    static constexpr qint64 LiveWindowMs = 3000;
    // Rows of instances unseen this long are deleted; changes older than this are pruned.
    static constexpr qint64 ForgetInstanceAfterMs = 60'000;
    static constexpr qint64 KeepChangesMs = 10 * 60'000;
    // Without a successful poll for this long (the database out of reach, the machine asleep),
    // changes may have been pruned unread: everything is reloaded instead.
    static constexpr qint64 ResyncAfterMs = KeepChangesMs / 2;

    // What the registry does not hold: applied through the controllers that own them.
    struct Appliers
    {
        std::function<void(const QString &id, const std::optional<StoredModel> &model)> model;
        std::function<void(const QString &key, const QJsonObject &value)> setting;
    };

    // `instanceId` empty: a random one (a UUID).
    InstanceSync(GatewayServices &services, Appliers appliers, const QString &instanceId = {},
                 QObject *parent = nullptr);
    ~InstanceSync() override;

    [[nodiscard]] const QString &instanceId() const { return m_instanceId; }

    // Start-up, blocking (before the identities are loaded): notes where the feed stands (every
    // change after it is followed, so none committed during the load is missed) and joins the
    // live instances.
    Result<void> prepare();
    // Serving starts (after Accounting exists): this instance's share applies, the timers run and,
    // on PostgreSQL, LISTEN starts.
    void start();
    // A clean stop: the instance's row goes, so the others take its share at once.
    void stop();

    // The live instances as last read (this one included), sorted; for tests and /health.
    [[nodiscard]] QStringList liveInstances() const { return m_live; }
    [[nodiscard]] qint64 followedSeq() const { return m_seq; }

private:
    void poll();
    void apply(const ChangeFeed::Step &step);
    void resync();
    void adoptGlobalSpend();
    void beat();
    void setLive(QStringList live);

    GatewayServices &m_services;
    Appliers m_appliers;
    QString m_instanceId;
    qint64 m_startedMs = 0;
    qint64 m_seq = 0;
    qint64 m_lastFollowMs = 0;   // the last successful poll
    QStringList m_live;
    QTimer m_pollTimer;
    QTimer m_heartbeatTimer;
    bool m_polling = false;
    bool m_pollAgain = false;
    bool m_resyncing = false;
    bool m_beating = false;
    bool m_stopped = false;
};

} // namespace Tollgate
