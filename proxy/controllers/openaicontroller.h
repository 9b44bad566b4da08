#pragma once

#include "../providers/provideradapter.h"
#include "../router.h"
#include "../services.h"

#include <QHash>

#include <memory>

namespace Tollgate {

class RelayCall;

// The OpenAI-compatible routes (api.md §4): completions relayed to providers, and the
// model listings.
class OpenAIController final
{
    Q_DISABLE_COPY_MOVE(OpenAIController)

public:
    explicit OpenAIController(GatewayServices &services);
    ~OpenAIController();

    void registerRoutes(Router &router);

    void relay(CallType type, RequestContext &context, const ResponderPtr &responder);
    void listModels(RequestContext &context, const ResponderPtr &responder);
    void modelInfo(RequestContext &context, const ResponderPtr &responder);

    [[nodiscard]] int activeCalls() const { return int(m_active.size()); }
    // Shutdown: ends every call still waiting for its provider.
    void abortAll(const QString &reason);

private:
    // An id over Management::MaxEndUserIdLength → 400; a blocked end user → 401. False when
    // an answer was sent.
    bool checkEndUser(const QString &endUserId, const ResponderPtr &responder);
    // Creates the end user on first use (after every check of the call passed).
    void createUnknownEndUser(const QString &endUserId);

    GatewayServices &m_services;
    QHash<RelayCall *, std::shared_ptr<RelayCall>> m_active;
};

} // namespace Tollgate
