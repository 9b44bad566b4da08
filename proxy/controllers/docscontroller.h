#pragma once

#include "../router.h"
#include "../services.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

namespace Tollgate {

// GET /openapi.json (an OpenAPI 3.1 document of every route the router holds) and GET /docs
// (Swagger UI, its files embedded at build time from the pinned swagger-ui-dist package;
// a build made without npm answers /docs with a page saying so).
class DocsController final
{
    Q_DISABLE_COPY_MOVE(DocsController)

public:
    explicit DocsController(GatewayServices &services) : m_services(services) {}

    // Keeps `router`: the document is built from its table on the first request, so routes
    // registered after this call are described too.
    void registerRoutes(Router &router);

    // The OpenAPI document for a route table: every route under its canonical path, the
    // request and response schemas of the main ones, bearer auth on the non-public ones.
    static QJsonObject openApiDocument(const QList<Router::Route> &routes);

    // Whether this build embeds the Swagger UI files (false: npm was missing at build time).
    static bool swaggerUiBundled();

    void openApi(RequestContext &context, const ResponderPtr &responder);
    void docsPage(RequestContext &context, const ResponderPtr &responder);

private:
    void asset(const QString &name, const QByteArray &contentType, const ResponderPtr &responder);

    GatewayServices &m_services;
    const Router *m_router = nullptr;
    QByteArray m_document;  // built once: the route table does not change while serving
};

} // namespace Tollgate
