// What the spend tests read back from a store: its spend-log rows and a key's spend counter.
#pragma once

#include "models/store/spendlog.h"
#include "models/store/store.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariant>

namespace Tollgate::Test {

// Every spend-log row (empty when the read fails).
inline QList<SpendLogRow> rowsIn(Store &store)
{
    const auto rows = store.readNow([](QSqlDatabase &db) {
        auto all = SpendLogRepository::all(db);
        return all ? QVariant::fromValue(*all) : QVariant();
    });
    return rows ? rows->value<QList<SpendLogRow>>() : QList<SpendLogRow>{};
}

// The spend counter of the key with `token`, -1 when there is none.
inline qint64 keySpend(Store &store, const QString &token)
{
    const auto spend = store.readNow([token](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.prepare(QStringLiteral("SELECT spend_nanousd FROM keys WHERE token = ?"));
        query.addBindValue(token);
        return query.exec() && query.next() ? query.value(0) : QVariant();
    });
    return spend ? spend->toLongLong() : -1;
}

} // namespace Tollgate::Test
