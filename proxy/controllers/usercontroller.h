#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

class UserController final
{
    Q_DISABLE_COPY_MOVE(UserController)

public:
    explicit UserController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
