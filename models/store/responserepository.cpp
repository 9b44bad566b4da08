#include "responserepository.h"

#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace Tollgate::ResponseRepository {

Store::WriteJob save(const StoredResponse &response)
{
    // One per relayed response, in the spend row's batch: prepared once.
    static const QString sql = u"INSERT INTO responses (response_id, deployment_id, model_group, api_key, "
                               "context_tokens, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)"_s;
    return [response](QSqlDatabase &db) -> Result<void> {
        const Store::SqlArg values[] = {response.responseId, response.deploymentId, response.modelGroup,
                                        response.apiKey, response.contextTokens,
                                        response.createdAt.toMSecsSinceEpoch()};
        return Store::execCachedArgs(db, sql, values, u"save a response"_s);
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
    query.prepare(u"SELECT response_id, deployment_id, model_group, api_key, context_tokens, created_at_ms, rowid "
                  "FROM responses ORDER BY rowid DESC"_s);
    query.setForwardOnly(true);
    if (!query.exec())
        return makeError(u"cannot read responses: %1"_s.arg(query.lastError().text()));
    QList<StoredResponse> rows;
    QSet<QString> seen;
    qint64 oldestKept = 0;
    while (rows.size() < limit && query.next()) {
        if (seen.contains(query.value(0).toString()))
            continue;   // an older row of a response saved again
        seen.insert(query.value(0).toString());
        oldestKept = query.value(6).toLongLong();
        StoredResponse row;
        row.responseId = query.value(0).toString();
        row.deploymentId = query.value(1).toString();
        row.modelGroup = query.value(2).toString();
        row.apiKey = query.value(3).toString();
        row.contextTokens = query.value(4).toLongLong();
        row.createdAt = QDateTime::fromMSecsSinceEpoch(query.value(5).toLongLong(), Qt::UTC);
        rows.prepend(row);
    }
    query.finish();
    if (rows.size() >= limit) {
        QSqlQuery prune(db);
        prune.prepare(u"DELETE FROM responses WHERE rowid < ?"_s);
        prune.addBindValue(oldestKept);
        if (!prune.exec())
            return makeError(u"cannot prune responses: %1"_s.arg(prune.lastError().text()));
    }
    return rows;
}

} // namespace Tollgate::ResponseRepository
