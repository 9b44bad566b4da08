#include "gatewaystatus.h"

#include "apiclient.h"
#include "format.h"
#include "identitylists.h"
#include "models/identity.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// Enough to catch every threshold passed between two polls.
constexpr int EventsPerPoll = 50;

QString eventKey(const QJsonObject &event)
{
    return event.value(u"at"_s).toString() + u'|' + event.value(u"scope"_s).toString() + u'|'
           + event.value(u"id"_s).toString() + u'|' + event.value(u"threshold"_s).toString();
}

} // namespace

QString GatewayStatus::thresholdText(const QString &scope, const QString &id, const QString &threshold, double spend,
                                     double budget, const QString &name)
{
    QString who;
    if (scope == u"global")
        who = tr("The global budget");
    else if (scope == u"key")   // never the token: people know keys by alias or "sk-...abcd"
        who = name.isEmpty() ? tr("The budget of a deleted key") : tr("The budget of key %1").arg(name);
    else if (scope == u"user")
        who = tr("The budget of user %1").arg(id);
    else if (scope == u"end_user")
        who = tr("The budget of end user %1").arg(id);
    else if (scope == u"model")
        who = tr("A key's budget for model %1").arg(id);
    else
        who = tr("The budget of %1 %2").arg(scope, id);

    const QString amounts = tr("%1 of %2").arg(Format::usd(spend), Format::usd(budget));
    if (threshold == u"soft_budget")
        return tr("%1 passed its soft limit (%2).").arg(who, amounts);
    if (threshold == u"100%")
        return tr("%1 is used up (%2).").arg(who, amounts);
    return tr("%1 passed %2 (%3).").arg(who, threshold, amounts);
}

GatewayStatus::GatewayStatus(ApiClient *api, QObject *parent) : QObject(parent), m_api(api), m_timer(new QTimer(this))
{
    connect(m_timer, &QTimer::timeout, this, &GatewayStatus::poll);
    // Paused or resumed anywhere in the window (Settings, tray): show it at once.
    connect(m_api, &ApiClient::changed, this, [this](const QString &path) {
        if (path.startsWith(u"/gateway/"))
            poll();
    });
}

GatewayStatus::~GatewayStatus() = default;

void GatewayStatus::start(int intervalMs)
{
    m_timer->start(intervalMs);
    poll();
}

void GatewayStatus::stop()
{
    m_timer->stop();
}

void GatewayStatus::reset()
{
    m_known = false;
    m_reachable = false;
    m_paused = false;
    m_todaySpend = 0;
    m_inFlight = 0;
    m_eventsRead = false;
    m_seenEvents.clear();
    m_keyNames.clear();
    Q_EMIT statusChanged();
}

QString GatewayStatus::stateText() const
{
    if (!m_reachable)
        return tr("not reachable");
    return m_paused ? tr("paused") : tr("running");
}

void GatewayStatus::endCall()
{
    if (--m_pending == 0)
        Q_EMIT polled();
}

void GatewayStatus::poll()
{
    if (m_pending > 0)
        return;
    ++m_pending;   // held until every call is out, so a quick answer cannot end the round

    beginCall();
    m_api->get(u"/gateway/status"_s, {}, this, [this](const ApiReply &reply) {
        const bool wasPaused = m_paused;
        const bool wasReachable = m_reachable;
        const int wasInFlight = m_inFlight;
        m_reachable = reply.ok();
        // "Not answering" is known too: a remote gateway may be down from the start.
        const bool wasKnown = std::exchange(m_known, true);
        if (reply.ok()) {
            m_paused = reply.json.object().value(u"paused"_s).toBool();
            m_inFlight = reply.json.object().value(u"in_flight"_s).toInt();
        }
        if (!wasKnown || wasPaused != m_paused || wasReachable != m_reachable || wasInFlight != m_inFlight)
            Q_EMIT statusChanged();
        endCall();
    });

    // "Today" is the user's day, as on the dashboard: the report from local midnight on.
    const QDateTime midnight(QDate::currentDate(), QTime(0, 0));
    QUrlQuery report;
    report.addQueryItem(u"start_date"_s, isoUtc(midnight));
    beginCall();
    m_api->get(u"/global/spend/report"_s, report, this, [this](const ApiReply &reply) {
        if (reply.ok()) {
            double spend = 0;
            for (const QJsonValue &day : reply.json.array())
                spend += day.toObject().value(u"spend"_s).toDouble();
            if (spend != m_todaySpend) {
                m_todaySpend = spend;
                Q_EMIT statusChanged();
            }
        }
        endCall();
    });

    QUrlQuery events;
    events.addQueryItem(u"limit"_s, QString::number(EventsPerPoll));
    beginCall();
    m_api->get(u"/budget/events"_s, events, this, [this](const ApiReply &reply) {
        if (reply.ok())
            readEvents(reply.json.array());
        endCall();
    });
    endCall();
}

void GatewayStatus::readEvents(const QJsonArray &events)
{
    // Newest first from the API; notify oldest first.
    QList<QJsonObject> fresh;
    QSet<QString> seen;
    for (const QJsonValue &value : events) {
        const QJsonObject event = value.toObject();
        const QString key = eventKey(event);
        seen.insert(key);
        if (m_eventsRead && !m_seenEvents.contains(key) && event.value(u"event"_s).toString() == u"threshold")
            fresh.prepend(event);
    }
    // An event leaves the answer only by growing old, so the last answer is all we need.
    m_seenEvents = seen;
    m_eventsRead = true;
    const bool keyEvent = std::any_of(fresh.cbegin(), fresh.cend(), [](const QJsonObject &event) {
        return event.value(u"scope"_s).toString() == u"key";
    });
    if (!keyEvent) {
        announce(fresh);
        return;
    }
    // A key's event names the key as the window does (alias, else "sk-...abcd"): the names
    // are fetched first, within this round — events are rare, and an alias may have changed.
    beginCall();
    IdentityLists::fetchKeys(m_api, this, [this, fresh](const QList<KeyRecord> &keys, bool ok) {
        if (ok)
            m_keyNames = IdentityLists::keyNames(keys);
        announce(fresh);
        endCall();
    });
}

void GatewayStatus::announce(const QList<QJsonObject> &events)
{
    for (const QJsonObject &event : events) {
        const QString scope = event.value(u"scope"_s).toString();
        const QString id = event.value(u"id"_s).toString();
        const QString name = scope == u"key" ? m_keyNames.value(id) : QString();
        Q_EMIT thresholdPassed(scope, id,
                               thresholdText(scope, id, event.value(u"threshold"_s).toString(),
                                             event.value(u"spend"_s).toDouble(), event.value(u"budget"_s).toDouble(),
                                             name));
    }
}

void GatewayStatus::setPaused(bool paused)
{
    m_api->post(paused ? u"/gateway/pause"_s : u"/gateway/resume"_s, {}, this, [this](const ApiReply &reply) {
        if (!reply.ok())
            return;
        const bool now = reply.json.object().value(u"paused"_s).toBool();
        m_known = m_reachable = true;
        if (now != m_paused) {
            m_paused = now;
            Q_EMIT statusChanged();
        }
    });
}

} // namespace Tollgate
