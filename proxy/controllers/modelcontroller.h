#pragma once

#include "../../models/config.h"
#include "../../models/store/identityrepository.h"
#include "../router.h"
#include "../services.h"

namespace Tollgate {

class ModelController final
{
    Q_DISABLE_COPY_MOVE(ModelController)

public:
    explicit ModelController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

    // A stored model (POST /model/new) as a deployment; keychain references in its
    // litellm_params are resolved through `secrets`.
    static Result<Deployment> deploymentFromStored(const StoredModel &model, ISecretStore *secrets);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
