#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

class CustomerController final
{
    Q_DISABLE_COPY_MOVE(CustomerController)

public:
    explicit CustomerController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
