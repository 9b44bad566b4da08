#include "gatewaycontroller.h"

#include "management.h"

#include <QJsonObject>
#include <QLoggingCategory>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcGatewayState, "tollgate.gateway.state")

namespace Tollgate {

GatewayController::GatewayController(GatewayServices &services, std::function<int()> inFlight)
    : m_services(services), m_inFlight(std::move(inFlight))
{
}

void GatewayController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    router.add("POST", u"/gateway/pause"_s, Access::Admin,
               u"Pause the gateway: LLM routes answer 503 until resumed; management routes keep working"_s,
               [this](RequestContext &c, const ResponderPtr &r) { pause(c, r); });
    router.add("POST", u"/gateway/resume"_s, Access::Admin, u"Resume serving LLM routes after a pause"_s,
               [this](RequestContext &c, const ResponderPtr &r) { resume(c, r); });
    router.add("GET", u"/gateway/status"_s, Access::Admin,
               u"Whether the gateway is paused, its version and the LLM calls in flight"_s,
               [this](RequestContext &c, const ResponderPtr &r) { status(c, r); });
}

void GatewayController::pause(RequestContext &context, const ResponderPtr &responder)
{
    setPaused(true, context, responder);
}

void GatewayController::resume(RequestContext &context, const ResponderPtr &responder)
{
    setPaused(false, context, responder);
}

void GatewayController::setPaused(bool paused, const RequestContext &context, const ResponderPtr &responder)
{
    if (m_services.paused != paused) {
        m_services.paused = paused;
        // Calls already admitted finish normally; only new ones are refused.
        qCInfo(lcGatewayState).noquote() << (paused ? "paused" : "resumed") << "by" << context.caller.actor();
    }
    sendStatus(responder);
}

void GatewayController::status(RequestContext &, const ResponderPtr &responder)
{
    sendStatus(responder);
}

void GatewayController::sendStatus(const ResponderPtr &responder) const
{
    Management::sendJson(responder, QJsonObject{{u"paused"_s, m_services.paused},
                                                {u"version"_s, QStringLiteral(TOLLGATE_VERSION)},
                                                {u"in_flight"_s, m_inFlight ? m_inFlight() : 0}});
}

} // namespace Tollgate
