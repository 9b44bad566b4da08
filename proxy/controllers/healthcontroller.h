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

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
