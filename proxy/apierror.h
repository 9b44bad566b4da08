#pragma once

#include "httptypes.h"

#include <QString>

#include <optional>

namespace Tollgate {

// Every error the gateway itself produces (api.md §1). A provider's own error is passed
// through untouched instead.
enum class ApiError {
    BadRequest,
    AuthError,
    ExpiredKey,
    KeyModelAccessDenied,
    UserModelAccessDenied,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTooLarge,
    BudgetExceeded,
    Throttling,
    UpstreamError,
    Timeout,
    ServiceUnavailable,
    Internal,
    // The HTTP edge's own limits (httptransport) and the browser guard (router).
    RequestTimeout,        // 408: a head or body that does not arrive in time
    HeadersTooLarge,       // 431: request line + headers over the limit
    UnsupportedMediaType,  // 415: a management body that is not JSON
};

struct ApiErrorInfo
{
    int status;
    QString type;
};

ApiErrorInfo apiErrorInfo(ApiError error);

// {"error": {"message", "type", "param", "code": "<status>"}}, compact JSON.
QByteArray errorBody(int status, const QString &type, const QString &message,
                     const std::optional<QString> &param = std::nullopt);

// The one mapping from an error to status + OpenAI error envelope.
HttpResponse errorResponse(ApiError error, const QString &message,
                           const std::optional<QString> &param = std::nullopt,
                           HeaderList extraHeaders = {});

// Standard reason phrase for a status line ("Not Found"); "Unknown" if none.
QByteArrayView reasonPhrase(int status);

// The message of an error body in any envelope (OpenAI's error.message, Anthropic's
// error.message, a bare message or error string), else its first 500 bytes as text.
QString errorMessageOf(const QByteArray &body);

} // namespace Tollgate
