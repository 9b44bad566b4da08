#include "spendlog.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace Tollgate {

QString isoUtc(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

namespace SpendLogRepository {

namespace {

// A null QString binds as SQL NULL; the text columns are NOT NULL with '' for "none".
QString text(const QString &value)
{
    return value.isNull() ? QString(u""_s) : value;
}

} // namespace

Store::WriteJob insert(SpendLogRow row)
{
    return [row = std::move(row)](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"INSERT INTO spend_logs (request_id, call_type, api_key, spend_nanousd, "
                      "prompt_tokens, completion_tokens, total_tokens, start_time, end_time, model, "
                      "model_group, model_id, user_id, end_user, status, cost_estimated, price_unknown) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s);
        query.addBindValue(text(row.requestId));
        query.addBindValue(text(row.callType));
        query.addBindValue(text(row.apiKey));
        query.addBindValue(row.spend);
        query.addBindValue(row.promptTokens);
        query.addBindValue(row.completionTokens);
        query.addBindValue(row.totalTokens);
        query.addBindValue(isoUtc(row.startTime));
        query.addBindValue(isoUtc(row.endTime));
        query.addBindValue(text(row.model));
        query.addBindValue(text(row.modelGroup));
        query.addBindValue(text(row.modelId));
        query.addBindValue(text(row.userId));
        query.addBindValue(text(row.endUser));
        query.addBindValue(text(row.status));
        query.addBindValue(row.costEstimated ? 1 : 0);
        query.addBindValue(row.priceUnknown ? 1 : 0);
        if (!query.exec())
            return makeError(u"cannot record spend of call %1: %2"_s.arg(row.requestId, query.lastError().text()));
        return {};
    };
}

Result<QList<SpendLogRow>> all(QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT request_id, call_type, api_key, spend_nanousd, prompt_tokens, "
                    "completion_tokens, total_tokens, start_time, end_time, model, model_group, "
                    "model_id, user_id, end_user, status, cost_estimated, price_unknown "
                    "FROM spend_logs ORDER BY start_time, request_id"_s))
        return makeError(u"cannot read spend logs: %1"_s.arg(query.lastError().text()));
    QList<SpendLogRow> rows;
    while (query.next()) {
        SpendLogRow row;
        row.requestId = query.value(0).toString();
        row.callType = query.value(1).toString();
        row.apiKey = query.value(2).toString();
        row.spend = query.value(3).toLongLong();
        row.promptTokens = query.value(4).toLongLong();
        row.completionTokens = query.value(5).toLongLong();
        row.totalTokens = query.value(6).toLongLong();
        row.startTime = QDateTime::fromString(query.value(7).toString(), Qt::ISODateWithMs);
        row.endTime = QDateTime::fromString(query.value(8).toString(), Qt::ISODateWithMs);
        row.model = query.value(9).toString();
        row.modelGroup = query.value(10).toString();
        row.modelId = query.value(11).toString();
        row.userId = query.value(12).toString();
        row.endUser = query.value(13).toString();
        row.status = query.value(14).toString();
        row.costEstimated = query.value(15).toBool();
        row.priceUnknown = query.value(16).toBool();
        rows.append(row);
    }
    return rows;
}

} // namespace SpendLogRepository

} // namespace Tollgate
