#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

// GET /health/liveliness, /health/readiness (public) and /health (admin: probes every
// deployment with a cheap listing call — never a paid completion).
class HealthController final
{
    Q_DISABLE_COPY_MOVE(HealthController)

public:
    explicit HealthController(GatewayServices &services);

    void registerRoutes(Router &router);

    void liveliness(RequestContext &context, const ResponderPtr &responder);
    void readiness(RequestContext &context, const ResponderPtr &responder);
    void health(RequestContext &context, const ResponderPtr &responder);
    // GET /metrics (Prometheus text); `inFlight` tells the model calls being served.
    void metrics(RequestContext &context, const ResponderPtr &responder);
    void setInFlight(std::function<int()> inFlight) { m_inFlight = std::move(inFlight); }

private:
    GatewayServices &m_services;
    std::function<int()> m_inFlight;
};

} // namespace Tollgate
