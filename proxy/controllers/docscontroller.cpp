#include "docscontroller.h"

namespace Tollgate {

void DocsController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

} // namespace Tollgate
