#include "keycontroller.h"

namespace Tollgate {

void KeyController::registerRoutes(Router &router)
{
    Q_UNUSED(router);
    Q_UNUSED(m_services);
}

} // namespace Tollgate
