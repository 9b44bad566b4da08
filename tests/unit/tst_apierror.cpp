#include "proxy/apierror.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Tollgate;
using namespace Qt::StringLiterals;

class TestApiError : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mapsEveryErrorToStatusAndType_data()
    {
        QTest::addColumn<ApiError>("error");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");

        QTest::newRow("bad request") << ApiError::BadRequest << 400 << u"bad_request_error"_s;
        QTest::newRow("auth") << ApiError::AuthError << 401 << u"auth_error"_s;
        QTest::newRow("expired key") << ApiError::ExpiredKey << 401 << u"expired_key"_s;
        QTest::newRow("key model access") << ApiError::KeyModelAccessDenied << 403 << u"key_model_access_denied"_s;
        QTest::newRow("user model access") << ApiError::UserModelAccessDenied << 403 << u"user_model_access_denied"_s;
        QTest::newRow("forbidden") << ApiError::Forbidden << 403 << u"forbidden"_s;
        QTest::newRow("not found") << ApiError::NotFound << 404 << u"not_found_error"_s;
        QTest::newRow("method") << ApiError::MethodNotAllowed << 405 << u"method_not_allowed"_s;
        QTest::newRow("too large") << ApiError::RequestTooLarge << 413 << u"request_too_large"_s;
        QTest::newRow("budget") << ApiError::BudgetExceeded << 429 << u"budget_exceeded"_s;
        QTest::newRow("throttling") << ApiError::Throttling << 429 << u"throttling_error"_s;
        QTest::newRow("upstream") << ApiError::UpstreamError << 502 << u"upstream_error"_s;
        QTest::newRow("timeout") << ApiError::Timeout << 504 << u"timeout"_s;
        QTest::newRow("unavailable") << ApiError::ServiceUnavailable << 503 << u"service_unavailable"_s;
        QTest::newRow("internal") << ApiError::Internal << 500 << u"internal_server_error"_s;
        QTest::newRow("request timeout") << ApiError::RequestTimeout << 408 << u"request_timeout"_s;
        QTest::newRow("headers too large") << ApiError::HeadersTooLarge << 431 << u"request_header_fields_too_large"_s;
        QTest::newRow("media type") << ApiError::UnsupportedMediaType << 415 << u"unsupported_media_type"_s;
    }

    void mapsEveryErrorToStatusAndType()
    {
        QFETCH(ApiError, error);
        QFETCH(int, status);
        QFETCH(QString, type);
        const HttpResponse response = errorResponse(error, u"something went wrong"_s, u"model"_s);
        QCOMPARE(response.status, status);
        QCOMPARE(response.contentType, QByteArray("application/json"));
        const QJsonObject body = QJsonDocument::fromJson(response.body).object().value(u"error"_s).toObject();
        QCOMPARE(body.value(u"type"_s).toString(), type);
        QCOMPARE(body.value(u"code"_s).toString(), QString::number(status));
        QCOMPARE(body.value(u"message"_s).toString(), u"something went wrong"_s);
        QCOMPARE(body.value(u"param"_s).toString(), u"model"_s);
    }

    void envelopeHasNullParamAndIsCompact()
    {
        const HttpResponse response = errorResponse(ApiError::NotFound, u"no such route"_s);
        QCOMPARE(response.body,
                 QByteArray(R"({"error":{"code":"404","message":"no such route","param":null,"type":"not_found_error"}})"));
    }

    void reasonPhrases()
    {
        QCOMPARE(reasonPhrase(200), QByteArray("OK"));
        QCOMPARE(reasonPhrase(413), QByteArray("Payload Too Large"));
        QCOMPARE(reasonPhrase(504), QByteArray("Gateway Timeout"));
        QCOMPARE(reasonPhrase(299), QByteArray("Unknown"));
    }
};

QTEST_GUILESS_MAIN(TestApiError)
#include "tst_apierror.moc"
