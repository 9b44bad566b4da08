#include "apierror.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace Tollgate {

ApiErrorInfo apiErrorInfo(ApiError error)
{
    switch (error) {
    case ApiError::BadRequest: return {400, u"bad_request_error"_s};
    case ApiError::AuthError: return {401, u"auth_error"_s};
    case ApiError::ExpiredKey: return {401, u"expired_key"_s};
    case ApiError::KeyModelAccessDenied: return {403, u"key_model_access_denied"_s};
    case ApiError::UserModelAccessDenied: return {403, u"user_model_access_denied"_s};
    case ApiError::Forbidden: return {403, u"forbidden"_s};
    case ApiError::NotFound: return {404, u"not_found_error"_s};
    case ApiError::MethodNotAllowed: return {405, u"method_not_allowed"_s};
    case ApiError::RequestTooLarge: return {413, u"request_too_large"_s};
    case ApiError::BudgetExceeded: return {429, u"budget_exceeded"_s};
    case ApiError::Throttling: return {429, u"throttling_error"_s};
    case ApiError::UpstreamError: return {502, u"upstream_error"_s};
    case ApiError::Timeout: return {504, u"timeout"_s};
    case ApiError::ServiceUnavailable: return {503, u"service_unavailable"_s};
    case ApiError::Internal: return {500, u"internal_server_error"_s};
    case ApiError::RequestTimeout: return {408, u"request_timeout"_s};
    case ApiError::HeadersTooLarge: return {431, u"request_header_fields_too_large"_s};
    case ApiError::UnsupportedMediaType: return {415, u"unsupported_media_type"_s};
    }
    return {500, u"internal_server_error"_s};
}

QByteArray errorBody(int status, const QString &type, const QString &message,
                     const std::optional<QString> &param)
{
    QJsonObject inner{
        {u"message"_s, message},
        {u"type"_s, type},
        {u"param"_s, param ? QJsonValue(*param) : QJsonValue(QJsonValue::Null)},
        {u"code"_s, QString::number(status)},
    };
    return QJsonDocument(QJsonObject{{u"error"_s, inner}}).toJson(QJsonDocument::Compact);
}

HttpResponse errorResponse(ApiError error, const QString &message,
                           const std::optional<QString> &param, HeaderList extraHeaders)
{
    const ApiErrorInfo info = apiErrorInfo(error);
    HttpResponse response;
    response.status = info.status;
    response.headers = std::move(extraHeaders);
    response.body = errorBody(info.status, info.type, message, param);
    return response;
}

QByteArrayView reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

QString errorMessageOf(const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    const QJsonValue error = object.value(u"error"_s);
    QString message;
    if (error.isObject())
        message = error.toObject().value(u"message"_s).toString();
    else if (error.isString())
        message = error.toString();
    else if (object.value(u"message"_s).isString())
        message = object.value(u"message"_s).toString();
    if (message.isEmpty())
        message = QString::fromUtf8(body.left(500)).trimmed();
    return message.left(500);
}

} // namespace Tollgate
