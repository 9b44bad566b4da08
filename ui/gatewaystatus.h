#pragma once

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

class QJsonArray;
class QTimer;

namespace Tollgate {

class ApiClient;

// What the tray (or, without one, the window's banner) shows about the gateway, polled every
// few seconds through the management API: paused or running (GET /gateway/status), today's
// spend (GET /global/spend/report for the UTC day) and budget thresholds passed (GET
// /budget/events). The first poll only records the events already there, so starting the app
// does not replay old notifications.
class GatewayStatus final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayStatus)

public:
    static constexpr int DefaultIntervalMs = 3000;

    explicit GatewayStatus(ApiClient *api, QObject *parent = nullptr);
    ~GatewayStatus() override;

    // Polls now and then every `intervalMs`.
    void start(int intervalMs = DefaultIntervalMs);
    void stop();
    // Forgets what the last gateway said (the window switched gateways): the next poll is a
    // first poll again, so the new gateway's old budget events are not announced as new.
    void reset();
    // One round of calls now (skipped while the previous round is still answering).
    void poll();

    [[nodiscard]] bool isKnown() const { return m_known; }          // a status answer arrived
    [[nodiscard]] bool isReachable() const { return m_reachable; }  // the last status call answered
    [[nodiscard]] bool isPaused() const { return m_paused; }
    [[nodiscard]] double todaySpend() const { return m_todaySpend; }
    [[nodiscard]] int inFlight() const { return m_inFlight; }
    // "running", "paused" or "not reachable", for tooltips.
    [[nodiscard]] QString stateText() const;

    // POST /gateway/pause or /gateway/resume; the status follows the answer.
    void setPaused(bool paused);

    // The user-facing sentence for a threshold event of /budget/events. `name`: what the
    // window calls the object (a key's alias or "sk-...abcd"; empty: the id is shown, or
    // for a key that no longer exists, "a deleted key").
    [[nodiscard]] static QString thresholdText(const QString &scope, const QString &id, const QString &threshold,
                                               double spend, double budget, const QString &name = {});

Q_SIGNALS:
    void statusChanged();
    // A budget passed a threshold after the app started. `scope`: key, user, end_user,
    // model, global (as the API names it); `id` the object's id; `text` for the user.
    void thresholdPassed(const QString &scope, const QString &id, const QString &text);
    // A poll round finished (every call answered).
    void polled();

private:
    void beginCall() { ++m_pending; }
    void endCall();
    void readEvents(const QJsonArray &events);
    void announce(const QList<QJsonObject> &events);

    ApiClient *m_api;
    QTimer *m_timer;
    int m_pending = 0;
    bool m_known = false;
    bool m_reachable = false;
    bool m_paused = false;
    double m_todaySpend = 0;
    int m_inFlight = 0;
    bool m_eventsRead = false;     // the first answer of /budget/events was recorded
    QSet<QString> m_seenEvents;    // events of the last answer
    QHash<QString, QString> m_keyNames;   // token → alias or "sk-...abcd", as of the last key event
};

} // namespace Tollgate
