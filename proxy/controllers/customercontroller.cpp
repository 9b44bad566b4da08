#include "customercontroller.h"

namespace Tollgate {

void CustomerController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

} // namespace Tollgate
