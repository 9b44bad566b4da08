#include "responserepository.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace Tollgate::ResponseRepository {

Store::WriteJob save(const StoredResponse &response)
{
    // One per relayed response, in the spend row's batch: prepared once.
    static const QString sql = u"INSERT OR REPLACE INTO responses (response_id, deployment_id, model_group, api_key, "
                               "context_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?)"_s;
    return [response](QSqlDatabase &db) -> Result<void> {
        return Store::execCached(db, sql,
                                 {response.responseId, response.deploymentId, response.modelGroup, response.apiKey,
                                  response.contextTokens, response.createdAt.toUTC().toString(Qt::ISODateWithMs)},
                                 u"save response %1"_s.arg(response.responseId));
    };
}

Store::WriteJob remove(const QString &responseId)
{
    return [responseId](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"DELETE FROM responses WHERE response_id = ?"_s);
        query.addBindValue(responseId);
        if (!query.exec())
            return makeError(u"cannot delete response %1: %2"_s.arg(responseId, query.lastError().text()));
        return {};
    };
}

Result<QList<StoredResponse>> loadRecent(QSqlDatabase &db, qsizetype limit)
{
    QSqlQuery query(db);
    query.prepare(u"SELECT response_id, deployment_id, model_group, api_key, context_tokens, created_at "
                  "FROM responses ORDER BY created_at DESC, response_id DESC LIMIT ?"_s);
    query.addBindValue(qint64(limit));
    if (!query.exec())
        return makeError(u"cannot read responses: %1"_s.arg(query.lastError().text()));
    QList<StoredResponse> rows;
    while (query.next()) {
        StoredResponse row;
        row.responseId = query.value(0).toString();
        row.deploymentId = query.value(1).toString();
        row.modelGroup = query.value(2).toString();
        row.apiKey = query.value(3).toString();
        row.contextTokens = query.value(4).toLongLong();
        row.createdAt = QDateTime::fromString(query.value(5).toString(), Qt::ISODateWithMs);
        rows.prepend(row);
    }
    if (rows.size() >= limit && !rows.isEmpty()) {
        QSqlQuery prune(db);
        prune.prepare(u"DELETE FROM responses WHERE created_at < ?"_s);
        prune.addBindValue(rows.first().createdAt.toUTC().toString(Qt::ISODateWithMs));
        if (!prune.exec())
            return makeError(u"cannot prune responses: %1"_s.arg(prune.lastError().text()));
    }
    return rows;
}

} // namespace Tollgate::ResponseRepository
