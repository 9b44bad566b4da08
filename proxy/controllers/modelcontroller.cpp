#include "modelcontroller.h"

namespace Tollgate {

void ModelController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

Result<Deployment> ModelController::deploymentFromStored(const StoredModel &model, ISecretStore *secrets)
{
    Q_UNUSED(model);
    Q_UNUSED(secrets);
    return makeError(QStringLiteral("stored models are not supported yet"));
}

} // namespace Tollgate
