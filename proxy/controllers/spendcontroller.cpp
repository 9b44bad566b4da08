#include "spendcontroller.h"

namespace Tollgate {

void SpendController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

} // namespace Tollgate
