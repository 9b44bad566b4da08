#include "healthcontroller.h"

#include "../metrics.h"
#include "../providers/provideradapter.h"

#include "../../models/store/store.h"
#include "../deployments.h"
#include "../upstream/upstreamclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <memory>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

HttpResponse json(const QJsonValue &value, int status = 200)
{
    HttpResponse response;
    response.status = status;
    response.body = value.isObject() ? QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact)
                                     : QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    return response;
}

QJsonObject endpointJson(const Deployment &deployment)
{
    QJsonObject entry{{u"model"_s, QString(deployment.providerName + u'/' + deployment.upstreamModel)},
                      {u"model_name"_s, deployment.modelName},
                      {u"model_id"_s, deployment.id}};
    if (!deployment.apiBase.isEmpty())
        entry.insert(u"api_base"_s, deployment.apiBase);
    return entry;
}

// Collects the probes of one /health call and answers when the last one is in.
struct HealthProbe
{
    ResponderPtr responder;
    QJsonArray healthy;
    QJsonArray unhealthy;
    int pending = 0;

    void answerIfDone()
    {
        if (pending > 0)
            return;
        responder->send(json(QJsonObject{{u"healthy_endpoints"_s, healthy},
                                         {u"unhealthy_endpoints"_s, unhealthy},
                                         {u"healthy_count"_s, healthy.size()},
                                         {u"unhealthy_count"_s, unhealthy.size()}}));
    }
};

} // namespace

HealthController::HealthController(GatewayServices &services) : m_services(services) {}

void HealthController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    router.add("GET", u"/health/liveliness"_s, Access::Public, u"Liveness probe"_s,
               [this](RequestContext &c, const ResponderPtr &r) { liveliness(c, r); });
    router.add("GET", u"/health/liveness"_s, Access::Public, u"Liveness probe (alias)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { liveliness(c, r); });
    router.add("GET", u"/health/readiness"_s, Access::Public, u"Readiness probe"_s,
               [this](RequestContext &c, const ResponderPtr &r) { readiness(c, r); });
    router.add("GET", u"/health"_s, Access::Admin, u"Probe every deployment"_s,
               [this](RequestContext &c, const ResponderPtr &r) { health(c, r); });
    // Spend per key is not for everyone: admin unless general_settings.metrics_public.
    const bool open = m_services.config && m_services.config->general.metricsPublic;
    router.add("GET", u"/metrics"_s, open ? Access::Public : Access::Admin, u"Prometheus metrics"_s,
               [this](RequestContext &c, const ResponderPtr &r) { metrics(c, r); });
}

void HealthController::metrics(RequestContext &, const ResponderPtr &responder)
{
    HttpResponse response;
    response.contentType = QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
    response.body = m_services.metrics ? m_services.metrics->render(m_services, m_inFlight ? m_inFlight() : 0)
                                       : QByteArray();
    responder->send(std::move(response));
}

void HealthController::liveliness(RequestContext &, const ResponderPtr &responder)
{
    responder->send(json(QJsonValue(u"I'm alive!"_s)));
}

void HealthController::readiness(RequestContext &, const ResponderPtr &responder)
{
    const bool dbOk = m_services.store && m_services.store->isOpen();
    const bool ready = dbOk && !m_services.shuttingDown;
    responder->send(json(QJsonObject{{u"status"_s, ready ? u"healthy"_s : u"unhealthy"_s},
                                     {u"db"_s, dbOk ? u"connected"_s : u"disconnected"_s},
                                     {u"version"_s, QStringLiteral(TOLLGATE_VERSION)}},
                         ready ? 200 : 503));
}

void HealthController::health(RequestContext &, const ResponderPtr &responder)
{
    auto probe = std::make_shared<HealthProbe>();
    probe->responder = responder;
    for (const Deployment &deployment : m_services.deployments->all()) {
        if (deployment.provider == Provider::Mock || deployment.mockResponse) {
            probe->healthy.append(endpointJson(deployment));
            continue;
        }
        UpstreamRequest request;
        request.method = QByteArrayLiteral("GET");
        request.timeout = std::chrono::milliseconds(qint64(std::min(deployment.timeoutSeconds, 10.0) * 1000));
        if (deployment.provider == Provider::Azure) {
            request.url = deployment.apiBase.toUtf8() + "/openai/models?api-version="
                          + QUrl::toPercentEncoding(deployment.apiVersion);
            if (!deployment.apiKey.isEmpty())
                request.headers.append({QByteArrayLiteral("api-key"), deployment.apiKey.toUtf8()});
        } else if (deployment.provider == Provider::Anthropic) {
            request.url = deployment.apiBase.toUtf8() + "/v1/models";
            request.headers = anthropicHeaders(deployment);
        } else {
            request.url = deployment.apiBase.toUtf8() + "/models";
            if (!deployment.apiKey.isEmpty())
                request.headers.append({QByteArrayLiteral("Authorization"), "Bearer " + deployment.apiKey.toUtf8()});
        }
        ++probe->pending;
        auto status = std::make_shared<int>(0);
        UpstreamHandlers handlers;
        handlers.onHead = [status](int code, const HeaderList &) { *status = code; };
        handlers.onData = [](const QByteArray &) {};
        handlers.onDone = [probe, status, entry = endpointJson(deployment)](const UpstreamResult &result) mutable {
            if (result.status == UpstreamResult::Status::Ok && *status >= 200 && *status < 300) {
                probe->healthy.append(entry);
            } else {
                entry.insert(u"error"_s, result.status == UpstreamResult::Status::Ok
                                             ? u"HTTP %1"_s.arg(*status)
                                             : result.message);
                probe->unhealthy.append(entry);
            }
            --probe->pending;
            probe->answerIfDone();
        };
        m_services.upstream->start(std::move(request), std::move(handlers));
    }
    probe->answerIfDone();
}

} // namespace Tollgate
