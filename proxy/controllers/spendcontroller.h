#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

class SpendController final
{
    Q_DISABLE_COPY_MOVE(SpendController)

public:
    explicit SpendController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
