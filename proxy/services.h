#pragma once

#include "../models/config.h"
#include "heldanswers.h"

#include <QDateTime>

namespace Tollgate {

class Accounting;
class DeploymentTable;
class IClock;
class IdentityRegistry;
class Metrics;
class ISecretStore;
class PriceCatalogue;
class Store;
class UpstreamClient;

// What the controllers share, all owned by the Gateway on the gateway thread.
struct GatewayServices
{
    const Config *config = nullptr;
    DeploymentTable *deployments = nullptr;
    UpstreamClient *upstream = nullptr;
    Store *store = nullptr;           // may be null (no persistence, tests)
    QObject *context = nullptr;       // a gateway-thread object: store answers arrive there
    IdentityRegistry *identities = nullptr;  // keys, users, end users (in memory)
    const IClock *clock = nullptr;
    ISecretStore *secrets = nullptr;  // provider secrets of store-added models (may be null)
    const PriceCatalogue *prices = nullptr;  // catalogue prices (config prices win)
    Accounting *accounting = nullptr;        // budgets and rate limits (the ledger)
    Metrics *metrics = nullptr;              // GET /metrics counters (may be null)
    QDateTime startedAt;
    bool shuttingDown = false;
    bool paused = false;              // POST /gateway/pause: LLM routes answer 503
    // Non-streamed answers, held whole until they are recorded, under a limit each and a total.
    HeldAnswers answers;
    // Per deployment id, the tier its provider last served a call that left the tier to it
    // (RelayCall::Params::tierLeftToProvider): an OpenAI project may make priority its default.
    // Gateway thread only.
    QHash<QString, ServiceTier> providerTiers;
    // Shared mode (general_settings.shared_database): this process's id in the changes and
    // instances tables; management writes record their changes for the other instances.
    // Empty: the only instance (nothing recorded).
    QString instanceId;
};

} // namespace Tollgate
