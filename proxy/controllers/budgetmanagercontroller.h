#pragma once

#include "../router.h"
#include "../services.h"

#include <QHash>
#include <QJsonObject>

namespace Tollgate {

// The server side of LiteLLM's hosted BudgetManager (api.md §6 "BudgetManager hosted
// protocol"): POST /get_budget and POST /set_budget keep one opaque `user_dict` per project,
// durably in the store (BudgetProjectRepository). Admin only: the dicts hold every user's
// budget of the project. Reads and writes go through Store::read/write, so the gateway
// thread never waits on SQL; set_budget answers only after COMMIT.
class BudgetManagerController final
{
    Q_DISABLE_COPY_MOVE(BudgetManagerController)

public:
    explicit BudgetManagerController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    void getBudget(RequestContext &context, const ResponderPtr &responder);
    void setBudget(RequestContext &context, const ResponderPtr &responder);

    GatewayServices &m_services;
    // Only without a store (tests of a gateway with no database): the projects in memory.
    QHash<QString, QJsonObject> m_memory;
};

} // namespace Tollgate
