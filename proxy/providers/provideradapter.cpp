#include "provideradapter.h"

#include "../jsonscan.h"

#include <QJsonDocument>
#include <QUrl>
#include <QVarLengthArray>

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

namespace {

QByteArray jsonString(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out += '"';
    for (const char c : utf8) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (uchar(c) < 0x20) {
            out += "\\u00";
            out += "0123456789abcdef"[(uchar(c) >> 4) & 0xf];
            out += "0123456789abcdef"[uchar(c) & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

} // namespace

QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = -1;
    if (!scanJsonObject(raw, &members, &close))
        return {};
    const JsonMember *modelMember = nullptr;
    for (qsizetype i = 0; i < members.size(); ++i) {
        const JsonMember &member = members[i];
        if (member.keyEscaped || member.key == "mock_response" || (stream && member.key == "stream_options"))
            return {};
        for (qsizetype j = 0; j < i; ++j) {
            if (members[j].key == member.key)
                return {};
        }
        if (member.key == "model")
            modelMember = &member;
    }
    if (!modelMember)
        return {};
    QByteArray out;
    out.reserve(raw.size() + model.size() + 48);
    out.append(raw.constData(), modelMember->valueFrom);
    out += jsonString(model);
    out.append(raw.constData() + modelMember->valueTo, close - modelMember->valueTo);
    if (stream)
        out += QByteArrayLiteral(",\"stream_options\":{\"include_usage\":true}");
    out.append(raw.constData() + close, raw.size() - close);
    return out;
}

PreparedCall prepareUpstreamCall(CallType type, const Deployment &deployment, QJsonObject body, const QByteArray &raw)
{
    PreparedCall call;
    call.stream = type != CallType::Embedding && body.value(u"stream"_s).toBool(false);
    if (call.stream)
        call.clientWantsUsage = body.value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(false);
    // The client's own bytes when they can be spliced: no serialising on the hot path.
    call.request.body = raw.isEmpty() ? QByteArray() : spliceRequestBody(raw, deployment.upstreamModel, call.stream);
    if (call.request.body.isEmpty()) {
        // Gateway-only fields never reach the provider.
        body.remove(u"mock_response"_s);
        body.insert(u"model"_s, deployment.upstreamModel);
        if (call.stream) {
            QJsonObject options = body.value(u"stream_options"_s).toObject();
            options.insert(u"include_usage"_s, true);
            body.insert(u"stream_options"_s, options);
        }
        call.request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
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
    call.request.timeout = std::chrono::milliseconds(
        qint64(std::llround(std::max(deployment.timeoutSeconds, 0.001) * 1000.0)));
    return call;
}

} // namespace Tollgate
