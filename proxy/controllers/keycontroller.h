#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

class KeyController final
{
    Q_DISABLE_COPY_MOVE(KeyController)

public:
    explicit KeyController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
