#pragma once

#include "../../models/config.h"
#include "../../models/store/identityrepository.h"
#include "../router.h"
#include "../services.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>

#include <functional>

namespace Tollgate {

// POST /model/new, /model/update, /model/delete (admin) and GET /model_group/info
// (api.md §6). Models added here live in the store as model_list entries, with provider
// secrets replaced by keychain/ references; config.yaml models are read-only.
class ModelController final
{
    Q_DISABLE_COPY_MOVE(ModelController)

public:
    explicit ModelController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

    // A stored model (POST /model/new) as a deployment. Its api_key may be the model's own
    // keychain entry (read through `secrets`); any other os.environ/ or keychain/ reference
    // is an error (never resolved: see ConfigLoader::deploymentFromJson).
    static Result<Deployment> deploymentFromStored(const StoredModel &model, ISecretStore *secrets);

    void newModel(RequestContext &context, const ResponderPtr &responder);
    void updateModel(RequestContext &context, const ResponderPtr &responder);
    void deleteModel(RequestContext &context, const ResponderPtr &responder);
    void modelGroupInfo(RequestContext &context, const ResponderPtr &responder);

    // Shared mode: another instance saved (`model`) or deleted (nullopt) the stored model `id`;
    // it is served (or no longer) from now on, as if changed here.
    void applyStoredChange(const QString &id, const std::optional<StoredModel> &model);

private:
    // Runs `then` once the stored models are known. They are read from the store on first
    // use rather than kept from start-up: the gateway loads them before this controller can
    // see them, and a stored model that failed to load must still be deletable.
    void withStoredModels(const ResponderPtr &responder, std::function<void()> then);
    [[nodiscard]] bool isConfigModel(const QString &id) const;
    // Answers 403 / 404 (naming `param`) and returns nullptr unless `id` is a stored model.
    const StoredModel *storedOrFail(const QString &id, const QString &param, const ResponderPtr &responder) const;

    GatewayServices &m_services;
    QHash<QString, StoredModel> m_stored;  // model id → entry as kept in the store
    QSet<QString> m_pendingIds;            // ids of /model/new calls not yet committed
    enum class LoadState { NotLoaded, Loading, Loaded };
    LoadState m_loadState = LoadState::NotLoaded;
    QList<std::function<void(bool loaded)>> m_waiting;
};

} // namespace Tollgate
