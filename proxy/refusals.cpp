#include "refusals.h"

#include "apierror.h"
#include "auth.h"
#include "jsonscan.h"
#include "metrics.h"
#include "providers/provideradapter.h"

#include "../models/callid.h"
#include "../models/store/store.h"

#include <QLoggingCategory>
#include <QVarLengthArray>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcRefusals, "tollgate.refusals")

namespace Tollgate {

namespace {

// A top-level string member of a JSON object (the model, the end user) without parsing the rest.
QString topLevelString(const QByteArray &body, QByteArrayView key)
{
    QVarLengthArray<JsonMember, 24> members;
    qsizetype close = 0;
    if (!scanJsonObject(body, &members, &close))
        return {};
    for (const JsonMember &member : members) {
        if (member.key == key)
            return jsonStringValue(QByteArrayView(body).sliced(member.valueFrom, member.valueTo - member.valueFrom)).left(256);
    }
    return {};
}

} // namespace

ResponderPtr RefusalLog::wrap(const HttpRequest &request, const QString &canonicalPath, ResponderPtr responder)
{
    if (request.method != "POST")
        return responder;
    const std::optional<CallType> type = callTypeOfPath(canonicalPath);
    if (!type)
        return responder;
    return std::make_shared<RefusalRecorder>(
        std::move(responder), weak_from_this(),
        RefusalRecorder::Request{callTypeName(*type), dialectName(*type), request.body, sessionHeader(request),
                                 request.receivedAt});
}

void RefusalLog::record(SpendLogRow row)
{
    if (m_services.metrics)
        m_services.metrics->recordRefusal(row.httpStatus);
    const auto now = std::chrono::steady_clock::now();
    m_tokens = std::min<double>(Burst, m_tokens + std::chrono::duration<double>(now - m_refilled).count() * PerSecond);
    m_refilled = now;
    if (m_tokens < 1.0) {
        if (m_dropped++ % 1000 == 0)
            qCWarning(lcRefusals) << "refused calls arrive faster than" << PerSecond << "a second; not all are logged";
        return;
    }
    m_tokens -= 1.0;
    if (m_services.store)
        m_services.store->write(SpendLogRepository::insert(std::move(row)), m_services.context);
}

void RefusalRecorder::setCaller(const Caller &caller)
{
    m_apiKey = caller.tokenHashText;
    m_userId = caller.userId;
}

void RefusalRecorder::send(HttpResponse response)
{
    if (!m_relayed && response.status >= 400) {
        if (auto log = m_log.lock()) {
            SpendLogRow row;
            row.requestId = newCallId();
            row.callType = m_request.callType;
            row.dialect = m_request.dialect;
            row.status = u"refused"_s;
            row.endTime = QDateTime::currentDateTimeUtc();
            row.startTime = row.endTime.addMSecs(-std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      SteadyClock::now() - m_request.receivedAt).count());
            row.apiKey = m_apiKey;
            row.userId = m_userId;
            row.modelGroup = topLevelString(m_request.body, "model");
            row.endUser = topLevelString(m_request.body, "user");
            row.sessionId = sessionIdOf(m_request.session);
            row.httpStatus = response.status;
            row.reason = errorMessageOf(response.body);
            log->record(std::move(row));
        }
    }
    ForwardingResponder::send(std::move(response));
}

} // namespace Tollgate
