#pragma once

#include "../money.h"
#include "store.h"

#include <QDateTime>
#include <QString>

namespace Tollgate {

// One row of spend_logs: one proxied call (api.md §6 "Spend").
struct SpendLogRow
{
    QString requestId;
    QString callType;           // acompletion, atext_completion, aembedding
    QString apiKey;             // SHA-256 of the caller's key, never the key
    NanoUsd spend = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 totalTokens = 0;
    QDateTime startTime;
    QDateTime endTime;
    QString model;              // the provider model that answered
    QString modelGroup;         // the model_name the client asked for
    QString modelId;            // deployment id
    QString userId;
    QString endUser;
    QString status = QStringLiteral("success");  // success | failure | client_disconnected
    bool costEstimated = false;
    bool priceUnknown = false;
};

// SQL of the spend_logs table (the only place it is written).
namespace SpendLogRepository {

// A store write job inserting `row`.
Store::WriteJob insert(SpendLogRow row);

// Rows and the spend total, for tests and (later) the spend API.
Result<QList<SpendLogRow>> all(QSqlDatabase &db);

} // namespace SpendLogRepository

QString isoUtc(const QDateTime &time);

} // namespace Tollgate
