#include "provideradapter.h"

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

// Skips JSON whitespace from `at`.
qsizetype skipSpace(const QByteArray &raw, qsizetype at)
{
    while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\n' || raw[at] == '\r' || raw[at] == '\t'))
        ++at;
    return at;
}

// `at` is on the opening quote: returns the index after the closing one (or -1), and whether
// the string holds an escape.
qsizetype skipString(const QByteArray &raw, qsizetype at, bool *escaped)
{
    *escaped = false;
    for (++at; at < raw.size(); ++at) {
        const char c = raw[at];
        if (c == '"')
            return at + 1;
        if (c == '\\') {
            *escaped = true;
            ++at;
        }
    }
    return -1;
}

// Skips one value (the text is valid JSON): a string, an object or array (nested strings
// skipped whole), or a number or literal.
qsizetype skipValue(const QByteArray &raw, qsizetype at)
{
    if (at >= raw.size())
        return -1;
    bool escaped = false;
    const char first = raw[at];
    if (first == '"')
        return skipString(raw, at, &escaped);
    if (first == '{' || first == '[') {
        int depth = 0;
        while (at < raw.size()) {
            const char c = raw[at];
            if (c == '"') {
                at = skipString(raw, at, &escaped);
                if (at < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return at + 1;
            ++at;
        }
        return -1;
    }
    while (at < raw.size() && raw[at] != ',' && raw[at] != '}' && raw[at] != ' ' && raw[at] != '\n'
           && raw[at] != '\r' && raw[at] != '\t')
        ++at;
    return at;
}

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
    qsizetype at = skipSpace(raw, 0);
    if (at >= raw.size() || raw[at] != '{')
        return {};
    ++at;
    QVarLengthArray<QByteArrayView, 24> keys;
    qsizetype modelFrom = -1;
    qsizetype modelTo = -1;
    qsizetype close = -1;
    while (true) {
        at = skipSpace(raw, at);
        if (at >= raw.size())
            return {};
        if (raw[at] == '}') {
            close = at;
            break;
        }
        if (raw[at] != '"')
            return {};
        bool escaped = false;
        const qsizetype keyEnd = skipString(raw, at, &escaped);
        if (keyEnd < 0 || escaped)
            return {};
        const QByteArrayView key(raw.constData() + at + 1, keyEnd - at - 2);
        if (keys.contains(key) || key == "mock_response" || (stream && key == "stream_options"))
            return {};
        keys.append(key);
        at = skipSpace(raw, keyEnd);
        if (at >= raw.size() || raw[at] != ':')
            return {};
        const qsizetype valueFrom = skipSpace(raw, at + 1);
        const qsizetype valueTo = skipValue(raw, valueFrom);
        if (valueTo < 0)
            return {};
        if (key == "model") {
            modelFrom = valueFrom;
            modelTo = valueTo;
        }
        at = skipSpace(raw, valueTo);
        if (at < raw.size() && raw[at] == ',') {
            ++at;
            continue;
        }
        if (at < raw.size() && raw[at] == '}') {
            close = at;
            break;
        }
        return {};
    }
    if (modelFrom < 0 || skipSpace(raw, close + 1) != raw.size())
        return {};
    QByteArray out;
    out.reserve(raw.size() + model.size() + 48);
    out.append(raw.constData(), modelFrom);
    out += jsonString(model);
    out.append(raw.constData() + modelTo, close - modelTo);
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
