#include "spendcontroller.h"

#include "../../models/store/identityrepository.h"
#include "../accounting.h"

#include "../../models/identityregistry.h"
#include "../../models/store/spendlog.h"
#include "../../models/store/store.h"
#include "../apierror.h"
#include "management.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QUrl>

#include <functional>
#include <optional>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcSpend, "tollgate.spend")

namespace Tollgate {

namespace {

constexpr qint64 DefaultPageSize = 100;
constexpr qint64 MaxPageSize = 1000;
// Keeps (page - 1) * page_size far from overflowing.
constexpr qint64 MaxPage = 1'000'000'000;
// The report's range when start_date is not given: 30 days up to its end (day buckets),
// 48 hours up to its end (hour buckets).
constexpr int DefaultReportDays = 30;
constexpr int DefaultReportHours = 48;

QString queryValue(const QUrlQuery &query, const QString &name)
{
    return query.queryItemValue(name, QUrl::FullyDecoded).trimmed();
}

enum class Bound { Start, End };

// `YYYY-MM-DD` is a whole UTC day; otherwise an ISO-8601 timestamp (without a zone it is
// UTC; a space for the `T` is accepted, as dashboards send it). Both bounds are inclusive
// for the caller; for the SQL the end becomes exclusive — the next day, or one millisecond
// (the stored precision) after the timestamp. nullopt: not a date; an invalid QDateTime:
// an end past year 9999, i.e. no end (its text would sort before every stored time).
std::optional<QDateTime> parseBound(const QString &text, Bound bound)
{
    static const QRegularExpression dateOnly(u"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"_s);
    QDateTime time;
    if (dateOnly.match(text).hasMatch()) {
        const QDate date = QDate::fromString(text, Qt::ISODate);
        if (!date.isValid())
            return std::nullopt;
        time = QDateTime(bound == Bound::Start ? date : date.addDays(1), QTime(0, 0), Qt::UTC);
    } else {
        QString normalized = text;
        if (normalized.size() > 10 && normalized.at(10) == u' ')
            normalized[10] = u'T';
        time = QDateTime::fromString(normalized, Qt::ISODateWithMs);
        if (!time.isValid())
            return std::nullopt;
        if (time.timeSpec() == Qt::LocalTime)
            time.setTimeSpec(Qt::UTC);
        time = time.toUTC();
        if (bound == Bound::End)
            time = time.addMSecs(1);
    }
    if (time.date().year() < 1)
        return std::nullopt;
    if (time.date().year() > 9999)
        return bound == Bound::End ? std::optional<QDateTime>(QDateTime()) : std::nullopt;
    return time;
}

// The filters /spend/logs, its CSV export and the report share. On a bad value a 400
// naming the parameter has been sent and nullopt is returned.
std::optional<SpendLogFilter> readFilter(const QUrlQuery &query, const ResponderPtr &responder)
{
    SpendLogFilter filter;
    // A raw sk- key is hashed: only tokens are stored, and a key is never compared raw.
    if (const QString key = queryValue(query, u"api_key"_s); !key.isEmpty())
        filter.apiKey = IdentityRegistry::tokenOf(key);
    filter.userId = queryValue(query, u"user_id"_s);
    filter.endUser = queryValue(query, u"end_user"_s);
    filter.requestId = queryValue(query, u"request_id"_s);
    filter.modelGroup = queryValue(query, u"model"_s);
    filter.modelGroupContains = queryValue(query, u"model_contains"_s);
    filter.sessionId = queryValue(query, u"session_id"_s);
    filter.dialect = queryValue(query, u"dialect"_s);
    // A misspelt dialect would match nothing and look like "no calls": say so instead.
    if (!filter.dialect.isEmpty() && !SpendDialects.contains(filter.dialect)) {
        Management::fail(responder, ApiError::BadRequest,
                         u"Invalid dialect '%1': use %2."_s.arg(filter.dialect, SpendDialects.join(u", "_s)),
                         u"dialect"_s);
        return std::nullopt;
    }
    filter.status = queryValue(query, u"status"_s);
    static const QStringList statuses{u"success"_s, u"failure"_s, u"client_disconnected"_s,
                                      u"refused"_s, u"timeout"_s, u"interrupted"_s};
    if (!filter.status.isEmpty() && !statuses.contains(filter.status)) {
        Management::fail(responder, ApiError::BadRequest,
                         u"Invalid status '%1': use %2."_s.arg(filter.status, statuses.join(u", "_s)), u"status"_s);
        return std::nullopt;
    }
    for (const auto &[name, bound] : {std::pair{u"start_date"_s, Bound::Start}, std::pair{u"end_date"_s, Bound::End}}) {
        const QString text = queryValue(query, name);
        if (text.isEmpty())
            continue;
        const auto time = parseBound(text, bound);
        if (!time) {
            Management::fail(responder, ApiError::BadRequest,
                             u"Invalid %1 '%2': use a date (YYYY-MM-DD, a whole UTC day) or an ISO-8601 "
                             "timestamp."_s.arg(name, text),
                             name);
            return std::nullopt;
        }
        (bound == Bound::Start ? filter.from : filter.until) = *time;
    }
    if (filter.from.isValid() && filter.until.isValid() && filter.until <= filter.from) {
        Management::fail(responder, ApiError::BadRequest, u"end_date is before start_date."_s, u"end_date"_s);
        return std::nullopt;
    }
    return filter;
}

// A whole number in [min, max], or `fallback` when absent; else a 400 naming it.
std::optional<qint64> readCount(const QUrlQuery &query, const QString &name, qint64 fallback, qint64 min,
                                qint64 max, const ResponderPtr &responder)
{
    const QString text = queryValue(query, name);
    if (text.isEmpty())
        return fallback;
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < min || value > max) {
        Management::fail(responder, ApiError::BadRequest,
                         u"%1 must be a whole number from %2 to %3, not '%4'."_s.arg(name).arg(min).arg(max).arg(text),
                         name);
        return std::nullopt;
    }
    return value;
}

struct GroupNames
{
    SpendGroup group;
    QString list;    // the day's array of groups
    QString key;     // a group's name field (= the group_by value)
};

std::optional<GroupNames> groupNames(const QString &groupBy)
{
    if (groupBy == u"model")
        return GroupNames{SpendGroup::Model, u"models"_s, u"model"_s};
    if (groupBy == u"api_key")
        return GroupNames{SpendGroup::ApiKey, u"api_keys"_s, u"api_key"_s};
    if (groupBy == u"user")
        return GroupNames{SpendGroup::User, u"users"_s, u"user"_s};
    if (groupBy == u"end_user")
        return GroupNames{SpendGroup::EndUser, u"end_users"_s, u"end_user"_s};
    if (groupBy == u"session")
        return GroupNames{SpendGroup::Session, u"sessions"_s, u"session"_s};
    return std::nullopt;
}

// The report's shape, one object per UTC day (or hour) with logged calls, ascending:
//   {"date": "2024-05-01", ["hour": "2024-05-01T13",] "spend": <USD>, "total_tokens": n,
//    "requests": n, "<models|api_keys|users|end_users>": [{"<group_by>": "<value>",
//    "spend": <USD>, "total_tokens": n, "requests": n}, ...]}
// group_by=session lists only calls with a session id ("sessions": [{"session": …}]), and
// each session adds "first_call" and "last_call" (its calls' first and last start time in
// the bucket) and "models" (the model groups it called, sorted).
// "hour" is there for hour buckets only; "date" always, so a day-based client still reads
// an hourly report. Groups are sorted by name ("" = calls without one, e.g. no end user).
// A bucket's spend is the integer sum of its groups', converted to USD once, so it matches
// them exactly.
QJsonArray reportJson(const QList<SpendReportCell> &cells, const GroupNames &names, SpendBucket bucket)
{
    QJsonArray periods;
    qsizetype i = 0;
    while (i < cells.size()) {
        const QString period = cells.at(i).period;
        NanoUsd spend = 0;
        qint64 tokens = 0;
        qint64 requests = 0;
        QJsonArray groups;
        for (; i < cells.size() && cells.at(i).period == period; ++i) {
            const SpendReportCell &cell = cells.at(i);
            spend = addSaturated(spend, cell.spend);
            tokens = addSaturated(tokens, cell.totalTokens);
            requests += cell.requests;
            QJsonObject group{{names.key, cell.group},
                              {u"spend"_s, nanosToUsd(cell.spend)},
                              {u"total_tokens"_s, cell.totalTokens},
                              {u"requests"_s, cell.requests}};
            if (names.group == SpendGroup::Session) {
                group.insert(u"first_call"_s, isoUtc(cell.firstCall));
                group.insert(u"last_call"_s, isoUtc(cell.lastCall));
                group.insert(u"models"_s, QJsonArray::fromStringList(cell.models));
            }
            groups.append(group);
        }
        QJsonObject object{{u"date"_s, period.left(10)},
                           {u"spend"_s, nanosToUsd(spend)},
                           {u"total_tokens"_s, tokens},
                           {u"requests"_s, requests},
                           {names.list, groups}};
        if (bucket == SpendBucket::Hour)
            object.insert(u"hour"_s, period);
        periods.append(object);
    }
    return periods;
}

QByteArray csvContentType()
{
    return QByteArrayLiteral("text/csv; charset=utf-8");
}

HeaderList csvHeaders()
{
    return {{QByteArrayLiteral("Content-Disposition"), QByteArrayLiteral("attachment; filename=\"tollgate-spend.csv\"")}};
}

// A read job's answer: the value, or the error for Store to report.
template<typename T>
QVariant variantOf(const Result<T> &result, const std::function<QVariant(const T &)> &convert)
{
    return result ? convert(*result) : QVariant::fromValue(result.error());
}

void storeFailed(const ResponderPtr &responder, const QString &what, const Error &error)
{
    qCWarning(lcSpend).noquote() << what << "failed:" << error.message;
    Management::fail(responder, ApiError::ServiceUnavailable,
                     u"The spend logs could not be read: %1"_s.arg(error.message));
}

} // namespace

// The state of one CSV export between its page reads.
struct SpendController::CsvExport
{
    ResponderPtr responder;
    SpendLogFilter filter;
    std::optional<SpendLogCursor> cursor;
    bool started = false;     // the head and the header record are out
    bool cancelled = false;   // the client left
    qint64 rows = 0;

    [[nodiscard]] bool clientGone() const { return cancelled || !responder->isConnected(); }
};

void SpendController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    const auto bind = [this](void (SpendController::*method)(RequestContext &, const ResponderPtr &)) {
        return [this, method](RequestContext &c, const ResponderPtr &r) { (this->*method)(c, r); };
    };
    router.add("GET", u"/spend/logs"_s, Access::Admin, u"Spend log rows, newest first, a page at a time"_s,
               bind(&SpendController::logs));
    router.add("GET", u"/spend/logs/export.csv"_s, Access::Admin, u"The spend log as CSV (streamed)"_s,
               bind(&SpendController::exportCsv));
    router.add("GET", u"/global/spend"_s, Access::Admin, u"Total spend and the global budget"_s,
               bind(&SpendController::globalSpend));
    router.add("GET", u"/global/spend/report"_s, Access::Admin, u"Spend per UTC day or hour (granularity=day|hour), grouped by key, user, end user, model "
                 "or agent session, for charts"_s,
               bind(&SpendController::report));
    router.add("GET", u"/budget/events"_s, Access::Admin,
               u"Budget thresholds passed (soft, 80/95/100 %) and resets, newest first"_s,
               bind(&SpendController::budgetEvents));
}

void SpendController::budgetEvents(RequestContext &context, const ResponderPtr &responder)
{
    const auto limit = readCount(context.request.query, u"limit"_s, 100, 1, 1000, responder);
    if (!limit)
        return;
    if (!m_services.store) {
        Management::sendJson(responder, QJsonArray{});
        return;
    }
    m_services.store->read(
        [limit = *limit](QSqlDatabase &db) {
            auto events = IdentityRepository::auditRecords(db, {u"budget.threshold"_s, u"budget.reset"_s}, int(limit));
            return events ? QVariant::fromValue(*events) : QVariant::fromValue(events.error());
        },
        m_services.context,
        [responder](const Result<QVariant> &result) {
            if (!result)
                return storeFailed(responder, u"/budget/events"_s, result.error());
            if (result->canConvert<Error>())
                return storeFailed(responder, u"/budget/events"_s, result->value<Error>());
            QJsonArray events;
            for (const AuditRecord &record : result->value<QList<AuditRecord>>()) {
                const AuditEntry &entry = record.entry;
                QJsonObject event = entry.details;
                event.insert(u"at"_s, IdentityJson::time(record.at));
                event.insert(u"event"_s, entry.action == u"budget.reset" ? u"reset"_s : u"threshold"_s);
                event.insert(u"scope"_s, entry.objectType);
                event.insert(u"id"_s, entry.objectId);
                events.append(event);
            }
            Management::sendJson(responder, events);
        });
}

void SpendController::logs(RequestContext &context, const ResponderPtr &responder)
{
    const QUrlQuery &query = context.request.query;
    const auto filter = readFilter(query, responder);
    if (!filter)
        return;
    const auto page = readCount(query, u"page"_s, 1, 1, MaxPage, responder);
    if (!page)
        return;
    const auto pageSize = readCount(query, u"page_size"_s, DefaultPageSize, 1, MaxPageSize, responder);
    if (!pageSize)
        return;
    if (!m_services.store) {
        Management::sendJson(responder, QJsonArray());   // nothing is logged without a store
        return;
    }
    const qint64 limit = *pageSize;
    const qint64 offset = (*page - 1) * *pageSize;
    m_services.store->read(
        [filter = *filter, limit, offset](QSqlDatabase &db) {
            return variantOf<QList<SpendLogRow>>(SpendLogRepository::find(db, filter, limit, offset),
                                                 [](const QList<SpendLogRow> &rows) {
                                                     QJsonArray array;
                                                     for (const SpendLogRow &row : rows)
                                                         array.append(toJson(row));
                                                     return QVariant(array);
                                                 });
        },
        m_services.context,
        [responder](const Result<QVariant> &result) {
            if (!result)
                return storeFailed(responder, u"/spend/logs"_s, result.error());
            Management::sendJson(responder, result->toJsonArray());
        });
}

void SpendController::globalSpend(RequestContext &context, const ResponderPtr &responder)
{
    // The spend log's filters narrow the total (the window's "total of the rows shown").
    const std::optional<SpendLogFilter> filter = readFilter(context.request.query, responder);
    if (!filter)
        return;
    std::optional<double> maxBudget = m_services.config ? m_services.config->litellm.maxBudget : std::nullopt;
    // The ledger has the limit as it stands (config.yaml, or /user/update of litellm-proxy-budget).
    if (m_services.accounting) {
        const auto global = m_services.accounting->globalBudget();
        maxBudget = global && global->max ? std::optional<double>(nanosToUsd(*global->max)) : std::nullopt;
    }
    const auto answer = [responder, maxBudget](NanoUsd spend) {
        Management::sendJson(responder, QJsonObject{{u"spend"_s, nanosToUsd(spend)},
                                                    {u"max_budget"_s, maxBudget ? QJsonValue(*maxBudget)
                                                                                : QJsonValue(QJsonValue::Null)}});
    };
    if (!m_services.store) {
        answer(0);
        return;
    }
    m_services.store->read(
        [filter = *filter](QSqlDatabase &db) {
            return variantOf<NanoUsd>(SpendLogRepository::totalSpend(db, filter),
                                      [](const NanoUsd &spend) { return QVariant(spend); });
        },
        m_services.context,
        [responder, answer](const Result<QVariant> &result) {
            if (!result)
                return storeFailed(responder, u"/global/spend"_s, result.error());
            answer(result->toLongLong());
        });
}

void SpendController::report(RequestContext &context, const ResponderPtr &responder)
{
    const QUrlQuery &query = context.request.query;
    const QString groupBy = queryValue(query, u"group_by"_s);
    const auto names = groupNames(groupBy.isEmpty() ? u"model"_s : groupBy);
    if (!names) {
        Management::fail(responder, ApiError::BadRequest,
                         u"Invalid group_by '%1': use api_key, user, end_user, model or session."_s.arg(groupBy),
                         u"group_by"_s);
        return;
    }
    const QString granularity = queryValue(query, u"granularity"_s);
    if (!granularity.isEmpty() && granularity != u"day" && granularity != u"hour") {
        Management::fail(responder, ApiError::BadRequest,
                         u"Invalid granularity '%1': use day or hour."_s.arg(granularity), u"granularity"_s);
        return;
    }
    const SpendBucket bucket = granularity == u"hour" ? SpendBucket::Hour : SpendBucket::Day;
    auto filter = readFilter(query, responder);
    if (!filter)
        return;
    // Defaults: up to the end of the current UTC day (hour), from 30 days (48 hours) before
    // the end.
    const QDateTime now = Management::now(m_services).toUTC();
    if (!filter->until.isValid()) {
        filter->until = bucket == SpendBucket::Hour
                            ? QDateTime(now.date(), QTime(now.time().hour(), 0), Qt::UTC).addSecs(3600)
                            : QDateTime(now.date().addDays(1), QTime(0, 0), Qt::UTC);
    }
    if (!filter->from.isValid()) {
        filter->from = bucket == SpendBucket::Hour ? filter->until.addSecs(-3600 * DefaultReportHours)
                                                   : filter->until.addDays(-DefaultReportDays);
    }
    if (!m_services.store) {
        Management::sendJson(responder, QJsonArray());
        return;
    }
    m_services.store->read(
        [filter = *filter, names = *names, bucket](QSqlDatabase &db) {
            return variantOf<QList<SpendReportCell>>(
                SpendLogRepository::report(db, filter, names.group, bucket),
                [&names, bucket](const QList<SpendReportCell> &cells) {
                    return QVariant(reportJson(cells, names, bucket));
                });
        },
        m_services.context,
        [responder](const Result<QVariant> &result) {
            if (!result)
                return storeFailed(responder, u"/global/spend/report"_s, result.error());
            Management::sendJson(responder, result->toJsonArray());
        });
}

void SpendController::exportCsv(RequestContext &context, const ResponderPtr &responder)
{
    const auto filter = readFilter(context.request.query, responder);
    if (!filter)
        return;
    auto job = std::make_shared<CsvExport>();
    job->responder = responder;
    job->filter = *filter;
    // Weak: the responder keeps the handler, and the job keeps the responder.
    responder->setDisconnectHandler([weak = std::weak_ptr<CsvExport>(job)] {
        if (const auto alive = weak.lock())
            alive->cancelled = true;
    });
    readNextPage(job);
}

void SpendController::readNextPage(const std::shared_ptr<CsvExport> &job)
{
    if (job->clientGone()) {
        qCInfo(lcSpend) << "CSV export stopped after" << job->rows << "row(s): the client left";
        return;
    }
    if (!m_services.store) {
        // Nothing is logged without a store: the header alone.
        job->responder->beginStream(200, csvContentType(), csvHeaders());
        job->responder->writeChunk(spendCsvHeader());
        job->responder->endStream();
        return;
    }
    m_services.store->read(
        [filter = job->filter, cursor = job->cursor](QSqlDatabase &db) {
            return variantOf<SpendCsvPage>(SpendLogRepository::csvPage(db, filter, cursor, ExportPageRows),
                                           [](const SpendCsvPage &page) { return QVariant::fromValue(page); });
        },
        m_services.context,
        [this, job](const Result<QVariant> &result) {
            if (job->clientGone()) {
                qCInfo(lcSpend) << "CSV export stopped after" << job->rows << "row(s): the client left";
                return;
            }
            if (!result) {
                if (!job->started)
                    return storeFailed(job->responder, u"CSV export"_s, result.error());
                // The status is out already; IResponder cannot abort a stream, so the
                // export ends short and the log says why.
                qCWarning(lcSpend).noquote() << "CSV export cut short after" << job->rows
                                             << "row(s):" << result.error().message;
                job->responder->endStream();
                return;
            }
            const auto page = result->value<SpendCsvPage>();
            QByteArray chunk;
            if (!job->started) {
                job->started = true;
                job->responder->beginStream(200, csvContentType(), csvHeaders());
                chunk = spendCsvHeader();
            }
            chunk += page.csv;
            job->responder->writeChunk(chunk);
            job->rows += page.rows;
            if (!page.next) {
                job->responder->endStream();
                return;
            }
            job->cursor = page.next;
            readNextPage(job);
        });
}

} // namespace Tollgate
