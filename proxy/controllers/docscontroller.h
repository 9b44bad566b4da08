#pragma once

#include "../router.h"
#include "../services.h"

namespace Tollgate {

class DocsController final
{
    Q_DISABLE_COPY_MOVE(DocsController)

public:
    explicit DocsController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

private:
    GatewayServices &m_services;
};

} // namespace Tollgate
