#pragma once

#include "../identity.h"   // isoUtc
#include "../money.h"
#include "store.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Tollgate {

// One row of spend_logs: one proxied call (api.md §6 "Spend").
struct SpendLogRow
{
    QString requestId;
    QString callType;           // acompletion, atext_completion, aembedding, anthropic_messages
    QString apiKey;             // SHA-256 of the caller's key, never the key
    NanoUsd spend = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 totalTokens = 0;
    qint64 cachedTokens = 0;    // prompt tokens read from the provider's cache (part of promptTokens)
    qint64 cacheWriteTokens = 0;    // prompt tokens written to the provider's cache (Anthropic's
                                    // cache_creation_input_tokens; part of promptTokens)
    qint64 cacheWrite1hTokens = 0;  // the part of cacheWriteTokens written with the 1-hour TTL
    QDateTime startTime;
    QDateTime endTime;
    QString model;              // the provider model that answered
    QString modelGroup;         // the model_name the client asked for
    QString modelId;            // deployment id
    QString userId;
    QString endUser;
    // success | failure | client_disconnected | refused (the gateway said no before any
    // provider was called: a bad key, a model not allowed, a budget or rate limit; $0)
    QString status = QStringLiteral("success");
    bool costEstimated = false;
    bool priceUnknown = false;
    QString dialect;            // the API the client spoke: chat, completions, embeddings, messages,
                                // responses ("" for none known)
    QString sessionId;          // the coding agent's session (its session header), "" for none
    int httpStatus = 0;         // the status the client got when it was not a success (0: none)
    QString reason;             // refused and failed calls: the error message the client got
    QString keyAlias;           // read only: the key's alias when read (empty: none, or deleted)
};

// The values of SpendLogRow::dialect (besides "" for a call logged before dialects were).
inline const QStringList SpendDialects{QStringLiteral("chat"), QStringLiteral("completions"),
                                       QStringLiteral("embeddings"), QStringLiteral("messages"),
                                       QStringLiteral("responses")};

// Which rows a spend query covers; an empty field or an invalid time matches everything.
struct SpendLogFilter
{
    QString apiKey;       // token (SHA-256 hex), never a raw key
    QString userId;
    QString endUser;
    QString requestId;
    QString modelGroup;
    QString modelGroupContains;   // a part of the model group, case-insensitive (the window's search)
    QString sessionId;
    QString dialect;
    QString status;       // success, failure, client_disconnected, refused
    QDateTime from;       // start_time >= from
    QDateTime until;      // start_time < until (exclusive, so whole days chain without gaps)
};

// Where the next page of a newest-first walk starts: strictly older than this row.
// Keyset paging, not OFFSET: rows written during an export neither repeat nor shift it.
struct SpendLogCursor
{
    QString startTime;    // the stored text, compared as stored
    QString requestId;
};

// One page of a walk, already formatted as CSV records on the store thread.
struct SpendCsvPage
{
    QByteArray csv;
    int rows = 0;
    std::optional<SpendLogCursor> next;   // absent: the walk is over
};

// What /global/spend/report groups a day's spend by.
// Session: calls with a session id only (an agent session), each cell with its first and
// last call and the model groups it used.
enum class SpendGroup { ApiKey, User, EndUser, Model, Session };

// How long one bucket of /global/spend/report is (a UTC day or a UTC hour).
enum class SpendBucket { Day, Hour };

// One (bucket, group) cell of the report. Sums are exact: integers summed in SQL.
struct SpendReportCell
{
    QString period;       // YYYY-MM-DD (day buckets) or YYYY-MM-DDTHH (hour buckets), UTC
    QString group;        // the api_key token, user_id, end_user or model_group
    NanoUsd spend = 0;
    qint64 totalTokens = 0;
    qint64 requests = 0;
    // SpendGroup::Session only: the first and last start_time in the cell, and the model
    // groups called, sorted.
    QDateTime firstCall;
    QDateTime lastCall;
    QStringList models;
};

// SQL of the spend_logs table (the only place it is written).
namespace SpendLogRepository {

// A store write job inserting `row`.
Store::WriteJob insert(SpendLogRow row);
// Inserts `row` unless a row with its request id is there already; `inserted` says which.
// What makes a settled call's write idempotent: a retried batch that did commit after all, or
// a replayed record, finds its row and adds nothing twice.
Result<void> insertOnce(QSqlDatabase &db, const SpendLogRow &row, bool *inserted);

// Every row, oldest first (tests).
Result<QList<SpendLogRow>> all(QSqlDatabase &db);

// Matching rows, newest first (start_time, then request_id, descending).
Result<QList<SpendLogRow>> find(QSqlDatabase &db, const SpendLogFilter &filter, qint64 limit, qint64 offset);

// SQLite's plan for find()'s query, one step a line ("SEARCH spend_logs USING INDEX ..."; tests).
QStringList findPlan(QSqlDatabase &db, const SpendLogFilter &filter);

// Up to `limit` matching rows older than `after` (from the newest when absent), as CSV.
Result<SpendCsvPage> csvPage(QSqlDatabase &db, const SpendLogFilter &filter,
                             const std::optional<SpendLogCursor> &after, int limit);

// SUM(spend_nanousd) of the matching rows: exact, whatever the row count.
Result<NanoUsd> totalSpend(QSqlDatabase &db, const SpendLogFilter &filter = {});

// Matching rows summed per UTC day or hour (of start_time) and group: ascending by period,
// then group.
Result<QList<SpendReportCell>> report(QSqlDatabase &db, const SpendLogFilter &filter, SpendGroup group,
                                      SpendBucket bucket = SpendBucket::Day);

} // namespace SpendLogRepository


// The API form of a row (api.md §6 "Spend"): the field names LiteLLM's /spend/logs uses.
QJsonObject toJson(const SpendLogRow &row);

// RFC 4180: the header record and one record per row, each ending in CRLF. The columns
// are the JSON fields in the same order; money is a plain decimal USD string.
QByteArray spendCsvHeader();
QByteArray toCsvRecord(const SpendLogRow &row);
// One field, quoted (and its quotes doubled) when it holds a comma, quote, CR or LF.
QByteArray csvField(const QString &value);

// Exact decimal USD of `nanos`, no exponent and no trailing zeros: 100 → "0.0000001".
QString usdDecimal(NanoUsd nanos);

} // namespace Tollgate
