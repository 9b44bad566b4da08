#include "provideradapter.h"

#include "../httptypes.h"
#include "../jsonscan.h"

#include <QJsonDocument>
#include <QUrl>
#include <QVarLengthArray>

#include <algorithm>
#include <array>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

QString callTypeName(CallType type)
{
    switch (type) {
    case CallType::ChatCompletion: return u"acompletion"_s;
    case CallType::Completion: return u"atext_completion"_s;
    case CallType::Embedding: return u"aembedding"_s;
    case CallType::Messages: return u"anthropic_messages"_s;
    case CallType::Responses: return u"aresponses"_s;
    }
    return {};
}

QString dialectName(CallType type)
{
    switch (type) {
    case CallType::ChatCompletion: return u"chat"_s;
    case CallType::Completion: return u"completions"_s;
    case CallType::Embedding: return u"embeddings"_s;
    case CallType::Messages: return u"messages"_s;
    case CallType::Responses: return u"responses"_s;
    }
    return {};
}

std::optional<CallType> callTypeOfPath(const QString &canonicalPath)
{
    if (canonicalPath == u"/chat/completions")
        return CallType::ChatCompletion;
    if (canonicalPath == u"/completions")
        return CallType::Completion;
    if (canonicalPath == u"/embeddings")
        return CallType::Embedding;
    if (canonicalPath == u"/messages")
        return CallType::Messages;
    if (canonicalPath == u"/responses")
        return CallType::Responses;
    return std::nullopt;
}

QByteArray endpointPath(CallType type)
{
    switch (type) {
    case CallType::ChatCompletion: return QByteArrayLiteral("chat/completions");
    case CallType::Completion: return QByteArrayLiteral("completions");
    case CallType::Embedding: return QByteArrayLiteral("embeddings");
    case CallType::Messages: return QByteArrayLiteral("v1/messages");
    case CallType::Responses: return QByteArrayLiteral("responses");
    }
    return {};
}

bool speaksNatively(const Deployment &deployment, CallType type)
{
    switch (deployment.provider) {
    case Provider::Mock: return true;
    case Provider::Anthropic: return type == CallType::Messages;
    case Provider::OpenAI:
    case Provider::Azure: return type != CallType::Messages;
    }
    return false;
}

HeaderList anthropicHeaders(const Deployment &deployment, const HeaderList &client)
{
    QByteArray version = deployment.apiVersion.toUtf8();
    HeaderList headers;
    for (const auto &[name, value] : client) {
        if (equalsIgnoringCase(name, "anthropic-version") && !value.trimmed().isEmpty())
            version = value;
        else if (equalsIgnoringCase(name, "anthropic-beta"))
            headers.append({QByteArrayLiteral("anthropic-beta"), value});
    }
    // Anthropic refuses a request without the header: a deployment not read from config.yaml
    // (built in code, as an embedding application does) has no default of its own.
    if (version.isEmpty())
        version = QByteArrayLiteral("2023-06-01");
    headers.prepend({QByteArrayLiteral("anthropic-version"), version});
    if (!deployment.apiKey.isEmpty())
        headers.prepend({QByteArrayLiteral("x-api-key"), deployment.apiKey.toUtf8()});
    return headers;
}

namespace {

// `text` as a JSON string at the end of `out`.
void appendJsonString(QByteArray &out, const QString &text)
{
    // A plain ASCII name (every model name seen so far) goes as it is, without a UTF-8 copy.
    const bool plain = std::all_of(text.begin(), text.end(), [](QChar c) {
        return c.unicode() >= 0x20 && c.unicode() < 0x80 && c != u'"' && c != u'\\';
    });
    if (plain) {
        const qsizetype at = out.size();
        out.resize(at + text.size() + 2);
        char *to = out.data() + at;
        *to++ = '"';
        for (const QChar c : text)
            *to++ = char(c.unicode());
        *to = '"';
        return;
    }
    const QByteArray utf8 = text.toUtf8();
    out.reserve(out.size() + utf8.size() + 2);
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
}

} // namespace

QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = -1;
    if (!scanJsonObject(raw, &members, &close))
        return {};
    const JsonMember *modelMember = nullptr;
    bool streamOptions = false;
    for (qsizetype i = 0; i < members.size(); ++i) {
        const JsonMember &member = members[i];
        if (member.keyEscaped || member.key == "mock_response")
            return {};
        for (qsizetype j = 0; j < i; ++j) {
            if (members[j].key == member.key)
                return {};
        }
        if (member.key == "model")
            modelMember = &member;
        streamOptions = streamOptions || member.key == "stream_options";
    }
    if (!modelMember)
        return {};
    // scanJsonObject allows only space after the closing brace: the site's splice finds it.
    const SpliceSite site{modelMember->valueFrom, modelMember->valueTo, streamOptions};
    return spliceRequestBody(raw, model, stream, site);
}

std::optional<SpliceSite> spliceSiteOf(const RequestScan &scan)
{
    if (!scan.ok() || scan.contains("mock_response"))
        return std::nullopt;
    const std::optional<std::pair<qsizetype, qsizetype>> model = scan.span("model");
    if (!model)
        return std::nullopt;
    return SpliceSite{model->first, model->second, scan.contains("stream_options")};
}

QByteArray spliceRequestBody(const QByteArray &raw, const QString &model, bool stream, const SpliceSite &site)
{
    if (stream && site.streamOptions)
        return {};
    const qsizetype close = raw.lastIndexOf('}');   // a scanned object: only space after it
    QByteArray out;
    out.reserve(raw.size() + model.size() + 48);
    out.append(raw.constData(), site.modelFrom);
    appendJsonString(out, model);
    out.append(raw.constData() + site.modelTo, close - site.modelTo);
    if (stream)
        out += QByteArrayLiteral(",\"stream_options\":{\"include_usage\":true}");
    out.append(raw.constData() + close, raw.size() - close);
    return out;
}

PreparedCall prepareUpstreamCall(CallType type, const Deployment &deployment, QJsonObject body, const QByteArray &raw,
                                 const HeaderList &clientHeaders, bool partial, const std::optional<SpliceSite> &site)
{
    PreparedCall call;
    call.stream = type != CallType::Embedding && body.value(u"stream"_s).toBool(false);
    // Only chat and completion streams need asking for their usage.
    const bool askUsage = call.stream && (type == CallType::ChatCompletion || type == CallType::Completion);
    if (askUsage)
        call.clientWantsUsage = body.value(u"stream_options"_s).toObject().value(u"include_usage"_s).toBool(false);
    // model_info.max_tokens bounds the call's cost (Accounting): a larger output limit sent is
    // lowered to it on the way up, so the provider cannot write past what was admitted (rare:
    // that request is serialised, not spliced).
    static constexpr std::array<QStringView, 3> OutputLimits{u"max_tokens", u"max_completion_tokens",
                                                             u"max_output_tokens"};
    const auto overLimit = [&deployment](const QJsonValue &value) {
        return deployment.maxTokens && value.isDouble() && value.toDouble() > double(*deployment.maxTokens);
    };
    const bool lowerLimit = deployment.maxTokens && std::any_of(OutputLimits.begin(), OutputLimits.end(), [&](QStringView field) {
        return overLimit(body.value(field));
    });
    // A request that names no output limit was bounded by model_info.max_tokens: the limit is sent,
    // or the provider writes up to its own (a $0.003 strict budget spent $0.010). Chat sends
    // max_completion_tokens (the o-series refuse max_tokens), a completion max_tokens, the
    // Responses API max_output_tokens; an Anthropic deployment's request carries its max_tokens.
    QString insertedLimit;
    if (deployment.maxTokens && deployment.provider != Provider::Anthropic
        && std::none_of(OutputLimits.begin(), OutputLimits.end(), [&](QStringView field) {
               const QJsonValue value = body.value(field);
               return !value.isUndefined() && !value.isNull();
           })) {
        if (type == CallType::ChatCompletion)
            insertedLimit = u"max_completion_tokens"_s;
        else if (type == CallType::Completion)
            insertedLimit = u"max_tokens"_s;
        else if (type == CallType::Responses)
            insertedLimit = u"max_output_tokens"_s;
    }
    // The client's own bytes when they can be spliced: no serialising on the hot path.
    if (raw.isEmpty() || lowerLimit || !insertedLimit.isEmpty())
        call.request.body = QByteArray();
    else if (site)
        call.request.body = spliceRequestBody(raw, deployment.upstreamModel, askUsage, *site);
    else
        call.request.body = spliceRequestBody(raw, deployment.upstreamModel, askUsage);
    if (call.request.body.isEmpty()) {
        if (partial && !raw.isEmpty())
            body = QJsonDocument::fromJson(raw).object();
        // Gateway-only fields never reach the provider.
        body.remove(u"mock_response"_s);
        for (const QStringView field : OutputLimits) {
            if (overLimit(body.value(field)))
                body.insert(field.toString(), *deployment.maxTokens);
        }
        if (!insertedLimit.isEmpty())
            body.insert(insertedLimit, *deployment.maxTokens);
        body.insert(u"model"_s, deployment.upstreamModel);
        if (askUsage) {
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
    if (deployment.provider == Provider::Anthropic) {
        call.request.url = base + '/' + endpointPath(type);
        headers += anthropicHeaders(deployment, clientHeaders);
    } else if (deployment.provider == Provider::Azure && type == CallType::Responses) {
        // Azure serves the Responses API on its v1 surface, by model (deployment) name.
        call.request.url = base + "/openai/v1/responses";
        if (!deployment.apiKey.isEmpty())
            headers.append({QByteArrayLiteral("api-key"), deployment.apiKey.toUtf8()});
    } else if (deployment.provider == Provider::Azure) {
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

UpstreamRequest prepareResponsesRequest(const Deployment &deployment, const QByteArray &method,
                                        const QByteArray &subpath)
{
    UpstreamRequest request;
    request.method = method;
    const QByteArray base = deployment.apiBase.toUtf8();
    if (deployment.provider == Provider::Azure) {
        request.url = base + "/openai/v1/responses/" + subpath;
        if (!deployment.apiKey.isEmpty())
            request.headers.append({QByteArrayLiteral("api-key"), deployment.apiKey.toUtf8()});
    } else {
        request.url = base + "/responses/" + subpath;
        if (!deployment.apiKey.isEmpty())
            request.headers.append({QByteArrayLiteral("Authorization"), "Bearer " + deployment.apiKey.toUtf8()});
    }
    request.headers.append({QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")});
    if (method == "POST") {
        request.headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
        request.body = QByteArrayLiteral("{}");
    }
    request.timeout = std::chrono::milliseconds(
        qint64(std::llround(std::max(std::min(deployment.timeoutSeconds, 60.0), 0.001) * 1000.0)));
    return request;
}

UpstreamRequest prepareCountTokensRequest(const Deployment &deployment, const QByteArray &body,
                                          const HeaderList &clientHeaders)
{
    UpstreamRequest request;
    request.url = deployment.apiBase.toUtf8() + "/v1/messages/count_tokens";
    request.headers = {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")},
                       {QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json")}};
    request.headers += anthropicHeaders(deployment, clientHeaders);
    request.body = body;
    request.timeout = std::chrono::milliseconds(
        qint64(std::llround(std::max(std::min(deployment.timeoutSeconds, 60.0), 0.001) * 1000.0)));
    return request;
}

} // namespace Tollgate
