#pragma once

#include "../../models/identity.h"
#include "../../models/result.h"
#include "../router.h"
#include "../services.h"

#include <QJsonObject>

#include <functional>

namespace Tollgate {

class JsonReader;

// LiteLLM's /user/* (api.md §6 "Users"): internal users, each with an optional first key,
// and the pseudo user `litellm-proxy-budget` that reads and sets the global budget.
class UserController final
{
    Q_DISABLE_COPY_MOVE(UserController)

public:
    explicit UserController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

    // Start-up hook (gateway thread, before serving; it blocks on the store): reads the
    // global budget last set through /user/update (settings key "global_budget") over the
    // config's litellm_settings. Without it, the stored value is read on the first
    // litellm-proxy-budget request instead.
    Result<void> loadSettings();

    // The global budget in force: config (read in registerRoutes(), when the services are
    // complete), overridden by what /user/update stored.
    [[nodiscard]] Budget globalBudget() const;

    // Shared mode: another instance wrote the settings row `key` (`value`, {} when gone). The
    // global budget's limits (max_budget, budget_duration) follow it.
    void applyStoredSetting(const QString &key, const QJsonObject &value);

    void newUser(RequestContext &context, const ResponderPtr &responder);
    void info(RequestContext &context, const ResponderPtr &responder);
    void update(RequestContext &context, const ResponderPtr &responder);
    void remove(RequestContext &context, const ResponderPtr &responder);
    void list(RequestContext &context, const ResponderPtr &responder);

private:
    void globalBudgetInfo(const ResponderPtr &responder);
    void globalBudgetUpdate(const RequestContext &context, JsonReader &reader, const ResponderPtr &responder);
    // Runs `then` once the stored global budget is known (reads it first if needed).
    void withGlobalBudget(const ResponderPtr &responder, std::function<void()> then);
    void applyStoredGlobalBudget(const QJsonObject &stored);
    [[nodiscard]] QJsonObject globalBudgetJson() const;

    GatewayServices &m_services;
    Budget m_globalBudget;
    bool m_globalBudgetLoaded = false;
};

} // namespace Tollgate
