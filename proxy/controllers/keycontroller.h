#pragma once

#include "../router.h"
#include "../services.h"

#include <QJsonObject>

namespace Tollgate {

struct VirtualKey;

// LiteLLM's `/key/*` (api.md §6): virtual keys are generated, changed, blocked, regenerated
// and deleted here. Every write changes the IdentityRegistry first — on the one gateway
// thread, so alias and token uniqueness checks are exact however many requests race — then
// persists through Management::commit and answers only after COMMIT (undoing the in-memory
// change if the write fails). Raw keys are shown once, in the answer; only tokens are kept.
class KeyController final
{
    Q_DISABLE_COPY_MOVE(KeyController)

public:
    explicit KeyController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    void generate(RequestContext &context, const ResponderPtr &responder);
    void update(RequestContext &context, const ResponderPtr &responder);
    void remove(RequestContext &context, const ResponderPtr &responder);
    void info(RequestContext &context, const ResponderPtr &responder);
    void list(RequestContext &context, const ResponderPtr &responder);
    void setBlocked(RequestContext &context, const ResponderPtr &responder, bool blocked);
    void regenerate(RequestContext &context, const ResponderPtr &responder);

    // The key named by the body's `key` (raw or token); on failure a 400/404 has been sent.
    [[nodiscard]] const VirtualKey *targetKey(const QJsonObject &body, const ResponderPtr &responder) const;

    GatewayServices &m_services;
};

} // namespace Tollgate
