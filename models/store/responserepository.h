#pragma once

#include "../result.h"
#include "store.h"

#include <QDateTime>
#include <QList>
#include <QString>

class QSqlDatabase;

namespace Tollgate {

// The Responses API responses the gateway relayed (table `responses`): which deployment keeps
// each one and for which key, so stored-response routes and previous_response_id follow-ups
// still find them after a restart. No money here: a row lost to a crash only means a 404.
struct StoredResponse
{
    QString responseId;
    QString deploymentId;
    QString modelGroup;
    QString apiKey;            // SHA-256 token of the creating key; empty: master key / open access
    qint64 contextTokens = 0;  // input + output of the response
    QDateTime createdAt;
};

namespace ResponseRepository {

// Appends a row (a repeated id: the newest row wins when read).
[[nodiscard]] Store::WriteJob save(const StoredResponse &response);
[[nodiscard]] Store::WriteJob remove(const QString &responseId);
// The newest `limit` responses, oldest first; older rows are deleted (the directory keeps as many).
Result<QList<StoredResponse>> loadRecent(QSqlDatabase &db, qsizetype limit);

} // namespace ResponseRepository

} // namespace Tollgate
