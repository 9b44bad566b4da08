#pragma once

#include "../router.h"
#include "../services.h"

#include <functional>

namespace Tollgate {

// POST /gateway/pause, /gateway/resume and GET /gateway/status (admin). While paused the
// LLM routes answer 503 (OpenAIController checks GatewayServices::paused) and the management
// routes keep working, so the desktop app's "Pause gateway" stops spending without stopping
// the window. The state lives in memory: a restart serves again.
class GatewayController final
{
    Q_DISABLE_COPY_MOVE(GatewayController)

public:
    // `inFlight` counts the LLM calls being served (for the status).
    GatewayController(GatewayServices &services, std::function<int()> inFlight);

    void registerRoutes(Router &router);

    void pause(RequestContext &context, const ResponderPtr &responder);
    void resume(RequestContext &context, const ResponderPtr &responder);
    void status(RequestContext &context, const ResponderPtr &responder);

private:
    void setPaused(bool paused, const RequestContext &context, const ResponderPtr &responder);
    void sendStatus(const ResponderPtr &responder) const;

    GatewayServices &m_services;
    std::function<int()> m_inFlight;
};

} // namespace Tollgate
