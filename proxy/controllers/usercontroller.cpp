#include "usercontroller.h"

namespace Tollgate {

void UserController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

} // namespace Tollgate
