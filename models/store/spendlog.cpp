#include "spendlog.h"

#include "store.h"
#include "../money.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariantList>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <span>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The API's field names (LiteLLM's /spend/logs), shared by the JSON rows and the CSV header.
namespace Field {
const QString RequestId = u"request_id"_s;
const QString CallType = u"call_type"_s;
const QString ApiKey = u"api_key"_s;
const QString Spend = u"spend"_s;
const QString PromptTokens = u"prompt_tokens"_s;
const QString CompletionTokens = u"completion_tokens"_s;
const QString TotalTokens = u"total_tokens"_s;
const QString StartTime = u"startTime"_s;
const QString EndTime = u"endTime"_s;
const QString Model = u"model"_s;
const QString ModelGroup = u"model_group"_s;
const QString ModelId = u"model_id"_s;
const QString User = u"user"_s;
const QString EndUser = u"end_user"_s;
const QString Status = u"status"_s;
const QString CostEstimated = u"cost_estimated"_s;
const QString PriceUnknown = u"price_unknown"_s;
const QString CachedTokens = u"cached_tokens"_s;
const QString CacheWriteTokens = u"cache_write_tokens"_s;
const QString CacheWrite1hTokens = u"cache_write_1h_tokens"_s;
const QString Dialect = u"dialect"_s;
const QString SessionId = u"session_id"_s;
const QString HttpStatus = u"http_status"_s;
const QString Reason = u"reason"_s;
const QString KeyAlias = u"key_alias"_s;
} // namespace Field

// The columns every row query selects, in the order rowFrom() reads them.
const QString RowColumns = u"request_id, call_type, api_key, spend_nanousd, prompt_tokens, completion_tokens, "
                           "total_tokens, start_time, end_time, model, model_group, model_id, user_id, end_user, "
                           "status, cost_estimated, price_unknown, cached_tokens, cache_write_tokens, "
                           "cache_write_1h_tokens, dialect, session_id, http_status, reason, "
                           "(SELECT key_alias FROM keys WHERE keys.token = spend_logs.api_key)"_s;
constexpr int StartTimeColumn = 7;

// Newest first; request_id breaks ties so the order (and keyset paging) is total.
const QString NewestFirst = u" ORDER BY start_time DESC, request_id DESC"_s;

SpendLogRow rowFrom(const QSqlQuery &query)
{
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
    row.cachedTokens = query.value(17).toLongLong();
    row.cacheWriteTokens = query.value(18).toLongLong();
    row.cacheWrite1hTokens = query.value(19).toLongLong();
    row.dialect = query.value(20).toString();
    row.sessionId = query.value(21).toString();
    row.httpStatus = query.value(22).toInt();
    row.reason = query.value(23).toString();
    row.keyAlias = query.value(24).toString();
    return row;
}

// A WHERE clause (" WHERE …" or "") and its values, bound in order. Values are always
// bound, never spliced into the SQL.
struct Where
{
    QStringList terms;
    QVariantList values;

    void add(const QString &term, const QVariant &value)
    {
        terms.append(term);
        values.append(value);
    }
    [[nodiscard]] QString sql() const
    {
        return terms.isEmpty() ? QString() : QString(u" WHERE "_s + terms.join(u" AND "_s));
    }
};

Where whereOf(const SpendLogFilter &filter)
{
    Where where;
    if (!filter.apiKey.isEmpty())
        where.add(u"api_key = ?"_s, filter.apiKey);
    if (!filter.userId.isEmpty())
        where.add(u"user_id = ? AND user_id <> ''"_s, filter.userId);  // <> '': the partial index
    if (!filter.endUser.isEmpty())
        where.add(u"end_user = ? AND end_user <> ''"_s, filter.endUser);
    if (!filter.requestId.isEmpty())
        where.add(u"request_id = ?"_s, filter.requestId);
    if (!filter.modelGroup.isEmpty())
        where.add(u"model_group = ?"_s, filter.modelGroup);
    if (!filter.modelGroupContains.isEmpty()) {
        // A model name is full of '_' and sometimes '%': escaped, they match only themselves.
        QString pattern = filter.modelGroupContains;
        pattern.replace(u'\\', u"\\\\"_s).replace(u'%', u"\\%"_s).replace(u'_', u"\\_"_s);
        // Case-insensitive on both engines (SQLite's LIKE is for ASCII, PostgreSQL's is not at all).
        where.add(u"lower(model_group) LIKE lower(?) ESCAPE '\\'"_s, QString(u'%' + pattern + u'%'));
    }
    if (!filter.sessionId.isEmpty())
        where.add(u"session_id = ? AND session_id <> ''"_s, filter.sessionId);
    if (!filter.dialect.isEmpty())
        where.add(u"dialect = ?"_s, filter.dialect);
    if (!filter.status.isEmpty())
        where.add(filter.status == u"success"_s ? u"status = ?"_s : u"status = ? AND status <> 'success'"_s,
                  filter.status);
    // Stored times are ISO-8601 UTC with milliseconds and Z, so text order is time order.
    if (filter.from.isValid())
        where.add(u"start_time >= ?"_s, isoUtc(filter.from));
    if (filter.until.isValid())
        where.add(u"start_time < ?"_s, isoUtc(filter.until));
    return where;
}

// find()'s statement for `where`, with its LIMIT and OFFSET values appended.
QString findSql(const Where &where, QVariantList *values, qint64 limit, qint64 offset)
{
    *values = where.values;
    *values << limit << offset;
    return u"SELECT "_s + RowColumns + u" FROM spend_logs"_s + where.sql() + NewestFirst + u" LIMIT ? OFFSET ?"_s;
}

bool run(QSqlQuery &query, const QString &sql, const QVariantList &values)
{
    return Store::execPrepared(query, sql, values, {}).ok();
}

QString groupColumn(SpendGroup group)
{
    switch (group) {
    case SpendGroup::ApiKey:
        return u"api_key"_s;
    case SpendGroup::User:
        return u"user_id"_s;
    case SpendGroup::EndUser:
        return u"end_user"_s;
    case SpendGroup::Session:
        return u"session_id"_s;
    case SpendGroup::Model:
        break;
    }
    return u"model_group"_s;
}

QByteArray boolField(bool value)
{
    return value ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
}

} // namespace

namespace SpendLogRepository {

namespace {

// The row's values as the insert binds them, in InsertSql's order: pointing into the row, and
// at the two times written here in ASCII (a time isoUtcAscii cannot write goes as isoUtc's text).
class RowArgs
{
public:
    explicit RowArgs(const SpendLogRow &row)
        : m_values{text(row.requestId), text(row.callType), text(row.apiKey), row.spend, row.promptTokens,
                   row.completionTokens, row.totalTokens, time(row.startTime, m_start, m_startText),
                   time(row.endTime, m_end, m_endText), text(row.model), text(row.modelGroup),
                   text(row.modelId), text(row.userId), text(row.endUser), text(row.status),
                   row.costEstimated ? 1 : 0, row.priceUnknown ? 1 : 0, row.cachedTokens, row.cacheWriteTokens,
                   row.cacheWrite1hTokens, text(row.dialect), text(row.sessionId), row.httpStatus, text(row.reason)}
    {}
    RowArgs(const RowArgs &) = delete;
    RowArgs &operator=(const RowArgs &) = delete;

    [[nodiscard]] std::span<const Store::SqlArg> values() const { return m_values; }

private:
    // A null QString would bind as NULL; the text columns are NOT NULL with '' for "none".
    static Store::SqlArg text(const QString &value)
    {
        return value.isNull() ? Store::SqlArg::utf8Bytes(QByteArrayView("", 0)) : Store::SqlArg(value);
    }
    static Store::SqlArg time(const QDateTime &value, char *ascii, QString &fallback)
    {
        if (const qsizetype length = isoUtcAscii(value, ascii))
            return Store::SqlArg::utf8Bytes(QByteArrayView(ascii, length));
        fallback = isoUtc(value);  // null for an invalid time: NULL, which the column refuses
        return Store::SqlArg(fallback);
    }

    char m_start[IsoUtcLength];
    char m_end[IsoUtcLength];
    QString m_startText;
    QString m_endText;
    std::array<Store::SqlArg, 24> m_values;
};

const QString InsertSql = u"INSERT INTO spend_logs (request_id, call_type, api_key, spend_nanousd, "
                          "prompt_tokens, completion_tokens, total_tokens, start_time, end_time, model, "
                          "model_group, model_id, user_id, end_user, status, cost_estimated, price_unknown, "
                          "cached_tokens, cache_write_tokens, cache_write_1h_tokens, dialect, session_id, "
                          "http_status, reason) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_s;

} // namespace

Store::WriteJob insert(SpendLogRow row)
{
    return [row = std::move(row)](QSqlDatabase &db) -> Result<void> {
        const RowArgs args(row);
        return Store::execCachedArgs(db, InsertSql, args.values(), u"record spend of call %1"_s.arg(row.requestId));
    };
}

Result<void> insertOnce(QSqlDatabase &db, const SpendLogRow &row, bool *inserted)
{
    static const QString sql = InsertSql + u" ON CONFLICT(request_id) DO NOTHING"_s;
    qint64 changes = 0;
    // The call's id goes into the message only when there is one (formatting it costs a call ~1k
    // instructions on the store thread).
    const RowArgs args(row);
    auto done = Store::execCachedArgs(db, sql, args.values(), {}, &changes);
    *inserted = false;
    if (!done)
        return makeError(u"cannot record spend of call %1: %2"_s.arg(row.requestId, done.error().message));
    *inserted = changes > 0;
    return done;
}

Result<QList<SpendLogRow>> all(QSqlDatabase &db)
{
    QSqlQuery query(db);
    if (!query.exec(u"SELECT "_s + RowColumns + u" FROM spend_logs ORDER BY start_time, request_id"_s))
        return makeError(u"cannot read spend logs: %1"_s.arg(query.lastError().text()));
    QList<SpendLogRow> rows;
    while (query.next())
        rows.append(rowFrom(query));
    return rows;
}

Result<QList<SpendLogRow>> find(QSqlDatabase &db, const SpendLogFilter &filter, qint64 limit, qint64 offset)
{
    QVariantList values;
    const QString sql = findSql(whereOf(filter), &values, limit, offset);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!run(query, sql, values))
        return makeError(u"cannot read spend logs: %1"_s.arg(query.lastError().text()));
    QList<SpendLogRow> rows;
    while (query.next())
        rows.append(rowFrom(query));
    return rows;
}

QStringList findPlan(QSqlDatabase &db, const SpendLogFilter &filter)
{
    QVariantList values;
    const QString sql = findSql(whereOf(filter), &values, 10, 0);
    QSqlQuery query(db);
    QStringList steps;
    if (!run(query, u"EXPLAIN QUERY PLAN "_s + sql, values))
        return steps;
    while (query.next())
        steps.append(query.value(3).toString());
    return steps;
}

Result<SpendCsvPage> csvPage(QSqlDatabase &db, const SpendLogFilter &filter,
                             const std::optional<SpendLogCursor> &after, int limit)
{
    Where where = whereOf(filter);
    if (after) {
        // The plain `start_time <= ?` lets SQLite walk the start_time index from the cursor
        // instead of skipping every row already exported.
        where.terms.append(u"start_time <= ? AND (start_time < ? OR (start_time = ? AND request_id < ?))"_s);
        where.values << after->startTime << after->startTime << after->startTime << after->requestId;
    }
    QVariantList values = where.values;
    values << limit;
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!run(query, u"SELECT "_s + RowColumns + u" FROM spend_logs"_s + where.sql() + NewestFirst + u" LIMIT ?"_s,
             values))
        return makeError(u"cannot read spend logs: %1"_s.arg(query.lastError().text()));
    SpendCsvPage page;
    SpendLogCursor last;
    while (query.next()) {
        const SpendLogRow row = rowFrom(query);
        page.csv += toCsvRecord(row);
        ++page.rows;
        // The cursor keeps the stored text, so the next page compares like with like.
        last = SpendLogCursor{query.value(StartTimeColumn).toString(), row.requestId};
    }
    if (page.rows == limit)
        page.next = last;
    return page;
}

namespace {

// SUM of a column as doubles: SQLite's SUM over INTEGER fails with "integer overflow" past
// int64 (one saturated spend row and one more do that), PostgreSQL's gives a numeric.
// Sums up to 2^53 (9 million USD in nano-dollars) are still exact.
QString safeSum(const QString &column)
{
    return u"COALESCE(SUM(CAST(%1 AS DOUBLE PRECISION)), 0)"_s.arg(column);
}

// Such a sum back as an integer, saturated at int64's ends.
qint64 saturatedSum(const QVariant &value)
{
    const double sum = value.toDouble();
    if (!(sum < 9.2e18))  // also NaN
        return sum > 0 ? std::numeric_limits<qint64>::max() : 0;
    if (sum <= -9.2e18)
        return std::numeric_limits<qint64>::min();
    return qint64(std::llround(sum));
}

} // namespace

Result<NanoUsd> totalSpend(QSqlDatabase &db, const SpendLogFilter &filter)
{
    const Where where = whereOf(filter);
    QSqlQuery query(db);
    if (!run(query, u"SELECT "_s + safeSum(u"spend_nanousd"_s) + u" FROM spend_logs"_s + where.sql(), where.values)
        || !query.next())
        return makeError(u"cannot sum spend logs: %1"_s.arg(query.lastError().text()));
    return NanoUsd(saturatedSum(query.value(0)));
}

Result<QList<SpendReportCell>> report(QSqlDatabase &db, const SpendLogFilter &filter, SpendGroup group,
                                      SpendBucket bucket)
{
    Where where = whereOf(filter);
    const QString column = groupColumn(group);   // from a fixed list, never from the request
    // A session report is about agent sessions: calls without one are no session.
    const bool sessions = group == SpendGroup::Session;
    if (sessions)
        where.terms.append(u"session_id <> ''"_s);
    // Reports count calls that ran: a refused one reached no provider (unless asked for).
    if (filter.status.isEmpty())
        where.terms.append(u"status <> 'refused'"_s);
    // start_time is stored as ISO-8601 UTC text ("2024-05-01T13:45:00.000Z"): its first 10
    // characters are the day, its first 13 the hour, so buckets need no date functions and
    // the range condition still uses the index.
    const int length = bucket == SpendBucket::Hour ? 13 : 10;
    // Sessions are summed per model group as well, then folded below: that gives the models
    // used without GROUP_CONCAT, whose separator a model name could contain.
    const QString perModel = sessions ? u", model_group, MIN(start_time), MAX(start_time)"_s : QString();
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!run(query,
             u"SELECT substr(start_time, 1, %1) AS period, "_s.arg(length) + column
                 + u" AS grp, "_s + safeSum(u"spend_nanousd"_s) + u", "_s + safeSum(u"total_tokens"_s)
                 + u", COUNT(*)"_s + perModel
                 + u" FROM spend_logs"_s + where.sql() + u" GROUP BY period, grp"_s
                 + (sessions ? u", model_group"_s : QString()) + u" ORDER BY period, grp"_s
                 + (sessions ? u", model_group"_s : QString()),
             where.values))
        return makeError(u"cannot sum spend logs per %1: %2"_s.arg(bucket == SpendBucket::Hour ? u"hour"_s : u"day"_s,
                                                                   query.lastError().text()));
    QList<SpendReportCell> cells;
    while (query.next()) {
        SpendReportCell cell{query.value(0).toString(), query.value(1).toString(),
                             NanoUsd(saturatedSum(query.value(2))), saturatedSum(query.value(3)),
                             query.value(4).toLongLong(), {}, {}, {}};
        if (sessions) {
            cell.models = {query.value(5).toString()};
            cell.firstCall = QDateTime::fromString(query.value(6).toString(), Qt::ISODateWithMs);
            cell.lastCall = QDateTime::fromString(query.value(7).toString(), Qt::ISODateWithMs);
            if (!cells.isEmpty() && cells.constLast().period == cell.period && cells.constLast().group == cell.group) {
                // The same session, another model group (they come in order).
                SpendReportCell &into = cells.last();
                into.spend = addSaturated(into.spend, cell.spend);
                into.totalTokens = addSaturated(into.totalTokens, cell.totalTokens);
                into.requests += cell.requests;
                into.models.append(cell.models);
                into.firstCall = std::min(into.firstCall, cell.firstCall);
                into.lastCall = std::max(into.lastCall, cell.lastCall);
                continue;
            }
        }
        cells.append(cell);
    }
    return cells;
}

} // namespace SpendLogRepository

QJsonObject toJson(const SpendLogRow &row)
{
    return QJsonObject{
        {Field::RequestId, row.requestId},
        {Field::CallType, row.callType},
        {Field::ApiKey, row.apiKey},
        {Field::Spend, nanosToUsd(row.spend)},
        {Field::PromptTokens, row.promptTokens},
        {Field::CompletionTokens, row.completionTokens},
        {Field::TotalTokens, row.totalTokens},
        {Field::StartTime, isoUtc(row.startTime)},
        {Field::EndTime, isoUtc(row.endTime)},
        {Field::Model, row.model},
        {Field::ModelGroup, row.modelGroup},
        {Field::ModelId, row.modelId},
        {Field::User, row.userId},
        {Field::EndUser, row.endUser},
        {Field::Status, row.status},
        {Field::CostEstimated, row.costEstimated},
        {Field::PriceUnknown, row.priceUnknown},
        {Field::CachedTokens, row.cachedTokens},
        {Field::CacheWriteTokens, row.cacheWriteTokens},
        {Field::CacheWrite1hTokens, row.cacheWrite1hTokens},
        {Field::Dialect, row.dialect},
        {Field::SessionId, row.sessionId},
        {Field::HttpStatus, row.httpStatus},
        {Field::Reason, row.reason},
        {Field::KeyAlias, row.keyAlias},
    };
}

QByteArray csvField(const QString &value)
{
    QByteArray bytes = value.toUtf8();
    // End users, users and model names come from callers: a value that a spreadsheet would
    // run as a formula (=, +, -, @, tab, CR first) is exported with a leading apostrophe,
    // as OWASP advises for CSV injection. The JSON API returns values unchanged.
    if (!bytes.isEmpty() && QByteArrayView("=+-@\t\r").contains(bytes.front()))
        bytes.prepend('\'');
    if (!bytes.contains(',') && !bytes.contains('"') && !bytes.contains('\r') && !bytes.contains('\n'))
        return bytes;
    bytes.replace('"', QByteArrayLiteral("\"\""));
    return '"' + bytes + '"';
}

QByteArray spendCsvHeader()
{
    const QStringList names{Field::RequestId, Field::CallType, Field::ApiKey, Field::Spend,
                            Field::PromptTokens, Field::CompletionTokens, Field::TotalTokens,
                            Field::StartTime, Field::EndTime, Field::Model, Field::ModelGroup,
                            Field::ModelId, Field::User, Field::EndUser, Field::Status,
                            Field::CostEstimated, Field::PriceUnknown, Field::CachedTokens,
                            Field::CacheWriteTokens, Field::CacheWrite1hTokens, Field::Dialect,
                            Field::SessionId, Field::HttpStatus, Field::Reason, Field::KeyAlias};
    return names.join(u',').toUtf8() + "\r\n";
}

QByteArray toCsvRecord(const SpendLogRow &row)
{
    const QList<QByteArray> fields{
        csvField(row.requestId),
        csvField(row.callType),
        csvField(row.apiKey),
        usdDecimal(row.spend).toLatin1(),
        QByteArray::number(row.promptTokens),
        QByteArray::number(row.completionTokens),
        QByteArray::number(row.totalTokens),
        isoUtc(row.startTime).toLatin1(),
        isoUtc(row.endTime).toLatin1(),
        csvField(row.model),
        csvField(row.modelGroup),
        csvField(row.modelId),
        csvField(row.userId),
        csvField(row.endUser),
        csvField(row.status),
        boolField(row.costEstimated),
        boolField(row.priceUnknown),
        QByteArray::number(row.cachedTokens),
        QByteArray::number(row.cacheWriteTokens),
        QByteArray::number(row.cacheWrite1hTokens),
        csvField(row.dialect),
        csvField(row.sessionId),
        QByteArray::number(row.httpStatus),
        csvField(row.reason),
        csvField(row.keyAlias),
    };
    QByteArray record = fields.join(',');
    record += "\r\n";
    return record;
}

QString usdDecimal(NanoUsd nanos)
{
    // Through the unsigned magnitude, so even INT64_MIN has one.
    const quint64 magnitude = nanos < 0 ? quint64(0) - quint64(nanos) : quint64(nanos);
    const quint64 whole = magnitude / quint64(NanosPerUsd);
    const quint64 fraction = magnitude % quint64(NanosPerUsd);
    QString decimal = QString::number(whole);
    if (fraction != 0) {
        QString digits = QString::number(fraction).rightJustified(9, u'0');
        while (digits.endsWith(u'0'))
            digits.chop(1);
        decimal += u'.' + digits;
    }
    return nanos < 0 ? QString(u'-' + decimal) : decimal;
}

} // namespace Tollgate
