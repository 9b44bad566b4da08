#include "provideradapter.h"

#include <QJsonDocument>
#include <QUrl>

#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

QString callTypeName(CallType type)
{
    switch (type) {
    case CallType::ChatCompletion: return u"acompletion"_s;
    case CallType::Completion: return u"atext_completion"_s;
    case CallType::Embedding: return u"aembedding"_s;
    }
    return {};
}

QByteArray endpointPath(CallType type)
{
    switch (type) {
    case CallType::ChatCompletion: return QByteArrayLiteral("chat/completions");
    case CallType::Completion: return QByteArrayLiteral("completions");
    case CallType::Embedding: return QByteArrayLiteral("embeddings");
    }
    return {};
}

PreparedCall prepareUpstreamCall(CallType type, const Deployment &deployment, QJsonObject body)
{
    PreparedCall call;
    call.stream = type != CallType::Embedding && body.value(u"stream"_s).toBool(false);
    // Gateway-only fields never reach the provider.
    body.remove(u"mock_response"_s);
    body.insert(u"model"_s, deployment.upstreamModel);
    if (call.stream) {
        QJsonObject options = body.value(u"stream_options"_s).toObject();
        call.clientWantsUsage = options.value(u"include_usage"_s).toBool(false);
        options.insert(u"include_usage"_s, true);
        body.insert(u"stream_options"_s, options);
    }

    const QByteArray base = deployment.apiBase.toUtf8();
    HeaderList headers{{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")},
                       {QByteArrayLiteral("Accept"), call.stream ? QByteArrayLiteral("text/event-stream")
                                                                 : QByteArrayLiteral("application/json")}};
    if (deployment.provider == Provider::Azure) {
        const QByteArray deploymentName = QUrl::toPercentEncoding(deployment.upstreamModel);
        call.request.url = base + "/openai/deployments/" + deploymentName + '/' + endpointPath(type)
                           + "?api-version=" + QUrl::toPercentEncoding(deployment.apiVersion);
        if (!deployment.apiKey.isEmpty())
            headers.append({QByteArrayLiteral("api-key"), deployment.apiKey.toUtf8()});
    } else {
        call.request.url = base + '/' + endpointPath(type);
        if (!deployment.apiKey.isEmpty())
            headers.append({QByteArrayLiteral("Authorization"), "Bearer " + deployment.apiKey.toUtf8()});
    }
    call.request.headers = std::move(headers);
    call.request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    call.request.timeout = std::chrono::milliseconds(
        qint64(std::llround(std::max(deployment.timeoutSeconds, 0.001) * 1000.0)));
    return call;
}

} // namespace Tollgate
