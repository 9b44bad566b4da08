#pragma once

#include "tests/support/httpclient.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace Tollgate::Test {

// "" when `response` is the expected OpenAI error envelope (status, type, code; param and
// message when given), else what differs — for QVERIFY2 messages.
inline QString errorMismatch(const HttpClient::Response &response, int status, const QString &type,
                             const QJsonValue &param = QJsonValue(QJsonValue::Undefined),
                             const QString &message = {})
{
    using namespace Qt::StringLiterals;
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    const QString body = QString::fromUtf8(response.body);
    if (response.status != status)
        return u"status %1, expected %2: %3"_s.arg(response.status).arg(status).arg(body);
    if (error.value(u"type"_s).toString() != type)
        return u"type is not %1: %2"_s.arg(type, body);
    if (error.value(u"code"_s).toString() != QString::number(status))
        return u"code is not \"%1\": %2"_s.arg(status).arg(body);
    if (!param.isUndefined() && error.value(u"param"_s) != param)
        return u"param is not %1: %2"_s.arg(param.toString(), body);
    if (!message.isEmpty() && error.value(u"message"_s).toString() != message)
        return u"message is not '%1': %2"_s.arg(message, body);
    return {};
}

} // namespace Tollgate::Test
