#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

struct EndUser;

// LiteLLM's /customer/* with the /end_user/* aliases (api.md §6 "End users"): the `user`
// of a request — a customer of the team's own product — with its budget, limits and a
// blocked flag. All routes are admin routes.
class CustomerController final
{
    Q_DISABLE_COPY_MOVE(CustomerController)

public:
    explicit CustomerController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

    void newCustomer(RequestContext &context, const ResponderPtr &responder);
    void info(RequestContext &context, const ResponderPtr &responder);
    void update(RequestContext &context, const ResponderPtr &responder);
    void remove(RequestContext &context, const ResponderPtr &responder);
    void setBlocked(bool blocked, RequestContext &context, const ResponderPtr &responder);
    void list(RequestContext &context, const ResponderPtr &responder);

private:
    // An end user as first seen: the config's default end-user budget applies.
    [[nodiscard]] EndUser fresh(const QString &userId) const;

    GatewayServices &m_services;
};

} // namespace Tollgate
