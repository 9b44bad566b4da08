// Shared by tst_spend and tst_spend_reports.
#pragma once

#include "tests/support/apierrors.h"
#include "models/money.h"
#include "models/store/spendlog.h"
#include "proxy/controllers/spendcontroller.h"
#include "tests/support/gatewayfixture.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMutex>
#include <QRegularExpression>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUrl>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace SpendTestSupport {

using Response = HttpClient::Response;
using Params = QList<QPair<QString, QString>>;

inline const QByteArray Master = GatewayFixture::MasterKey;
inline const QStringList Columns{
    u"request_id"_s, u"call_type"_s, u"api_key"_s, u"spend"_s, u"prompt_tokens"_s,
    u"completion_tokens"_s, u"total_tokens"_s, u"startTime"_s, u"endTime"_s, u"model"_s,
    u"model_group"_s, u"model_id"_s, u"user"_s, u"end_user"_s, u"status"_s,
    u"cost_estimated"_s, u"price_unknown"_s, u"cached_tokens"_s, u"cache_write_tokens"_s,
    u"cache_write_1h_tokens"_s, u"dialect"_s, u"session_id"_s, u"http_status"_s, u"reason"_s, u"key_alias"_s};

// Values that need quoting in CSV (and percent-encoding in a URL).
inline const QString WeirdEndUser = u"he said \"hi\", then\nleft"_s;
inline const QString WeirdGroup = u"group, \"quoted\"\nname"_s;
inline const QString WeirdModel = u"provider,\"x\"\r\nmodel"_s;
inline const QString WeirdSession = u"sess, \"q\"\nion"_s;

inline QString sha256(const QString &text)
{
    return QString::fromLatin1(QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex());
}

inline QDateTime utc(const QString &iso)
{
    return QDateTime::fromString(iso, Qt::ISODateWithMs).toUTC();
}

// path?name=value&…, every value percent-encoded (commas, quotes, newlines, '+').
inline QByteArray url(const QByteArray &path, const Params &params)
{
    QByteArray result = path;
    for (qsizetype i = 0; i < params.size(); ++i) {
        result += (i == 0 ? '?' : '&') + QUrl::toPercentEncoding(params.at(i).first) + '='
                  + QUrl::toPercentEncoding(params.at(i).second);
    }
    return result;
}

inline Params paramsOf(const QVariantMap &map)
{
    Params params;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        params.append({it.key(), it.value().toString()});
    return params;
}

// The test's own reading of the filters (api_key: a raw sk- key is hashed).
inline bool matches(const SpendLogRow &row, const QVariantMap &params, const QDateTime &from,
                    const QDateTime &until)
{
    for (auto it = params.cbegin(); it != params.cend(); ++it) {
        const QString value = it.value().toString();
        if (it.key() == u"api_key" && row.apiKey != (value.startsWith(u"sk-") ? sha256(value) : value))
            return false;
        if (it.key() == u"user_id" && row.userId != value)
            return false;
        if (it.key() == u"end_user" && row.endUser != value)
            return false;
        if (it.key() == u"request_id" && row.requestId != value)
            return false;
        if (it.key() == u"model" && row.modelGroup != value)
            return false;
        if (it.key() == u"model_contains" && !row.modelGroup.contains(value, Qt::CaseInsensitive))
            return false;
        if (it.key() == u"session_id" && row.sessionId != value)
            return false;
        if (it.key() == u"dialect" && row.dialect != value)
            return false;
    }
    return (!from.isValid() || row.startTime >= from) && (!until.isValid() || row.startTime < until);
}

inline void sortNewestFirst(QList<SpendLogRow> &rows)
{
    std::sort(rows.begin(), rows.end(), [](const SpendLogRow &a, const SpendLogRow &b) {
        return a.startTime != b.startTime ? a.startTime > b.startTime : a.requestId > b.requestId;
    });
}

inline QStringList idsOf(const QList<SpendLogRow> &rows)
{
    QStringList ids;
    for (const SpendLogRow &row : rows)
        ids.append(row.requestId);
    return ids;
}

inline QStringList idsOf(const QJsonArray &rows)
{
    QStringList ids;
    for (const QJsonValue row : rows)
        ids.append(row.toObject().value(u"request_id"_s).toString());
    return ids;
}

inline QJsonArray jsonArray(const Response &response)
{
    return QJsonDocument::fromJson(response.body).array();
}

// Exact decimal USD, written independently of the code under test.
inline QString expectedUsd(NanoUsd nanos)
{
    QString text = u"%1.%2"_s.arg(nanos / NanosPerUsd).arg(nanos % NanosPerUsd, 9, 10, QChar(u'0'));
    while (text.endsWith(u'0'))
        text.chop(1);
    if (text.endsWith(u'.'))
        text.chop(1);
    return text;
}

inline QString isoZ(const QDateTime &time)
{
    return time.toUTC().toString(u"yyyy-MM-ddTHH:mm:ss.zzz"_s) + u'Z';
}

inline QStringList expectedRecord(const SpendLogRow &row)
{
    const auto flag = [](bool value) { return value ? u"true"_s : u"false"_s; };
    return {row.requestId, row.callType, row.apiKey, expectedUsd(row.spend), QString::number(row.promptTokens),
            QString::number(row.completionTokens), QString::number(row.totalTokens), isoZ(row.startTime),
            isoZ(row.endTime), row.model, row.modelGroup, row.modelId, row.userId, row.endUser, row.status,
            flag(row.costEstimated), flag(row.priceUnknown), QString::number(row.cachedTokens),
            QString::number(row.cacheWriteTokens), QString::number(row.cacheWrite1hTokens), row.dialect, row.sessionId,
            QString::number(row.httpStatus), row.reason, row.keyAlias};
}

// A strict RFC 4180 reader: every record ends in CRLF; a quoted field may hold anything,
// "" standing for a quote; a bare CR or LF outside quotes, a quote inside an unquoted field
// or text after a closing quote is an error.
struct Csv
{
    QList<QStringList> records;
    QString error;
};

inline Csv parseCsv(const QByteArray &bytes)
{
    const QString text = QString::fromUtf8(bytes);
    Csv csv;
    QStringList record;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        QString field;
        if (text.at(i) == u'"') {
            for (++i;; ++i) {
                if (i >= n)
                    return Csv{csv.records, u"unterminated quoted field"_s};
                if (text.at(i) == u'"') {
                    if (i + 1 < n && text.at(i + 1) == u'"') {
                        field += u'"';
                        ++i;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text.at(i);
            }
        } else {
            for (; i < n && text.at(i) != u',' && text.at(i) != u'\r' && text.at(i) != u'\n'; ++i) {
                if (text.at(i) == u'"')
                    return Csv{csv.records, u"quote inside an unquoted field at %1"_s.arg(i)};
                field += text.at(i);
            }
        }
        record.append(field);
        if (i >= n)
            return Csv{csv.records, u"the last record does not end in CRLF"_s};
        if (text.at(i) == u',') {
            ++i;
            continue;
        }
        if (text.at(i) == u'\r' && i + 1 < n && text.at(i + 1) == u'\n') {
            csv.records.append(record);
            record.clear();
            i += 2;
            continue;
        }
        return Csv{csv.records, u"bare CR/LF or text after a quote at %1"_s.arg(i)};
    }
    return csv;
}

// "" when the JSON row shows `row` exactly (every field, right types, nothing more).
inline QString rowMismatch(const QJsonObject &json, const SpendLogRow &row)
{
    QStringList keys = json.keys();
    QStringList expectedKeys = Columns;
    keys.sort();
    expectedKeys.sort();
    if (keys != expectedKeys)
        return u"fields %1"_s.arg(keys.join(u','));
    const QStringList expected = expectedRecord(row);
    for (qsizetype i = 0; i < Columns.size(); ++i) {
        const QJsonValue value = json.value(Columns.at(i));
        QString shown;
        if (Columns.at(i) == u"spend") {
            if (!value.isDouble() || value.toDouble() != nanosToUsd(row.spend))
                return u"spend %1, expected %2"_s.arg(value.toDouble()).arg(nanosToUsd(row.spend));
            continue;
        }
        if (value.isBool())
            shown = value.toBool() ? u"true"_s : u"false"_s;
        else if (value.isDouble())
            shown = QString::number(value.toInteger());
        else if (value.isString() && !Columns.at(i).endsWith(u"tokens"))
            shown = value.toString();
        else
            return u"%1 has the wrong type"_s.arg(Columns.at(i));
        if (shown != expected.at(i))
            return u"%1 is '%2', expected '%3'"_s.arg(Columns.at(i), shown, expected.at(i));
    }
    return {};
}

#define VERIFY_EMPTY(text)                                                                                             \
    do {                                                                                                               \
        const QString why_ = (text);                                                                                   \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                                    \
    } while (false)

inline Store::WriteJob insertAll(QList<SpendLogRow> rows)
{
    return [rows = std::move(rows)](QSqlDatabase &db) -> Result<void> {
        for (const SpendLogRow &row : rows) {
            if (auto done = SpendLogRepository::insert(row)(db); !done)
                return done;
        }
        return {};
    };
}

// A call of $0.0000001 (100 nano-dollars).
inline SpendLogRow tinyRow(const QString &requestId, const QDateTime &start)
{
    SpendLogRow row;
    row.requestId = requestId;
    row.callType = u"acompletion"_s;
    row.apiKey = sha256(u"sk-bulk"_s);
    row.spend = 100;
    row.startTime = row.endTime = start;
    row.model = row.modelGroup = u"gpt-a"_s;
    return row;
}

// Messages of the tollgate.spend category, from any thread.
QMutex logMutex;
QStringList spendLog;
QtMessageHandler previousHandler = nullptr;

inline void captureSpendLog(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && qstrcmp(context.category, "tollgate.spend") == 0) {
        QMutexLocker lock(&logMutex);
        spendLog.append(message);
    }
    if (previousHandler)
        previousHandler(type, context, message);
}



// The fixture the test classes derive from (next to QObject).
class SpendTestBase
{
protected:
    [[nodiscard]] Response chat(const QByteArray &key, const QString &endUser = {}) const;
    [[nodiscard]] QList<SpendLogRow> storedRows(GatewayFixture &fixture) const;
    GatewayFixture &bulk();   // 20,000 rows of 100 nano-dollars, made on first use

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<GatewayFixture> m_bulk;
    QList<SpendLogRow> m_rows;                // every row of m_fixture, as stored
    QList<SpendLogRow> m_seeded;
    QStringList m_realCallIds;
    QByteArray m_internalKey;                 // an internal_user's key (not admin)
    void startFixture();
    void stopFixture();
};


inline Response SpendTestBase::chat(const QByteArray &key, const QString &endUser) const
{
    QJsonObject body{{u"model"_s, u"gpt-a"_s},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return m_fixture->post("/v1/chat/completions", body, key);
}

inline QList<SpendLogRow> SpendTestBase::storedRows(GatewayFixture &fixture) const
{
    const auto rows = fixture.store().readNow([](QSqlDatabase &db) {
        auto all = SpendLogRepository::all(db);
        return all ? QVariant::fromValue(*all) : QVariant();
    });
    return rows ? rows->value<QList<SpendLogRow>>() : QList<SpendLogRow>();
}

inline void SpendTestBase::startFixture()
{
    QLoggingCategory::setFilterRules(u"tollgate.spend.info=true"_s);
    previousHandler = qInstallMessageHandler(captureSpendLog);

    m_fixture = std::make_unique<GatewayFixture>();
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->lastError()));

    const Response key = m_fixture->post("/key/generate", QJsonObject{{u"user_id"_s, u"carol"_s}});
    QCOMPARE(key.status, 200);
    m_internalKey = key.json().value(u"key"_s).toString().toUtf8();

    // Real calls, so rows written by the relay are in the log too.
    for (int i = 0; i < 3; ++i) {
        const Response response = chat(Master, u"customer-1"_s);
        QCOMPARE(response.status, 200);
        m_realCallIds.append(QString::fromLatin1(response.header("x-litellm-call-id")));
    }
    QCOMPARE(chat(m_internalKey).status, 200);

    const QStringList keys{u"sk-alpha-key"_s, u"sk-beta-key"_s, u"sk-gamma-key"_s};
    const QStringList users{u"alice"_s, u"bob"_s, u"dave"_s, QString()};
    const QStringList endUsers{u"cust-1"_s, u"cust-2"_s, QString(), WeirdEndUser, u"customer-1"_s};
    const QStringList groups{u"gpt-a"_s, u"gpt-b"_s, WeirdGroup};
    const QStringList statuses{u"success"_s, u"failure"_s, u"client_disconnected"_s};
    const QStringList sessions{QString(), u"sess-a"_s, u"sess-b"_s, WeirdSession, u"sess-c"_s};
    const QDateTime firstDay = utc(u"2024-03-01T00:00:00.000Z"_s);
    for (int i = 0; i < 150; ++i) {
        SpendLogRow row;
        row.requestId = u"seed-%1"_s.arg(i, 3, 10, QChar(u'0'));
        row.callType = i % 2 ? u"acompletion"_s : u"aembedding"_s;
        row.apiKey = sha256(keys.at(i % 3));
        row.modelGroup = groups.at((i / 3) % 3);
        row.model = row.modelGroup == WeirdGroup ? WeirdModel : row.modelGroup;
        row.modelId = row.modelGroup + u"-1"_s;
        row.userId = users.at(i % 4);
        row.endUser = endUsers.at(i % 5);
        row.status = statuses.at((i / 2) % 3);
        row.spend = row.status == u"failure" ? 0 : NanoUsd(i + 1) * 1'234'567 + i % 7;
        row.promptTokens = 10 + i;
        row.completionTokens = 2 * i;
        row.totalTokens = row.promptTokens + row.completionTokens;
        row.cachedTokens = i % 3 == 0 ? i / 2 : 0;
        row.cacheWriteTokens = i % 4 == 1 ? i : 0;
        row.cacheWrite1hTokens = row.cacheWriteTokens / 3;
        row.dialect = i % 2 ? (i % 3 == 1 ? u"messages"_s : u"chat"_s) : u"embeddings"_s;
        // Sessions across days (i % 5) and model groups; one in five calls has none.
        row.sessionId = sessions.at((i / 5) % 5);
        row.startTime = firstDay.addDays(i % 5).addSecs((i * 7919) % 86400).addMSecs(i);
        row.endTime = row.startTime.addMSecs((i * 13) % 5000);
        row.costEstimated = row.status == u"client_disconnected";
        row.priceUnknown = i % 11 == 0;
        m_seeded.append(row);
    }
    // The last and first millisecond of a day, and an amount with many digits.
    SpendLogRow edge = m_seeded.at(0);
    edge.requestId = u"seed-edge-end"_s;
    edge.startTime = utc(u"2024-03-01T23:59:59.999Z"_s);
    m_seeded.append(edge);
    edge.requestId = u"seed-edge-start"_s;
    edge.startTime = utc(u"2024-03-02T00:00:00.000Z"_s);
    m_seeded.append(edge);
    edge.requestId = u"seed-big"_s;
    edge.spend = 123'456'789'012;
    edge.startTime = utc(u"2024-03-05T12:00:00.000Z"_s);
    m_seeded.append(edge);
    QVERIFY(m_fixture->store().writeNow(insertAll(m_seeded)));

    m_rows = storedRows(*m_fixture);
    QCOMPARE(m_rows.size(), m_seeded.size() + 4);
}

inline void SpendTestBase::stopFixture()
{
    m_bulk.reset();
    m_fixture.reset();
    qInstallMessageHandler(previousHandler);
}

inline GatewayFixture &SpendTestBase::bulk()
{
    if (m_bulk)
        return *m_bulk;
    m_bulk = std::make_unique<GatewayFixture>();
    if (!m_bulk->start())
        qFatal("bulk fixture: %s", qPrintable(m_bulk->lastError()));
    // Rows in threes with one start time, so ties cross the export's page boundaries.
    QList<SpendLogRow> rows;
    for (int i = 0; i < 20'000; ++i)
        rows.append(tinyRow(u"bulk-%1"_s.arg(i, 5, 10, QChar(u'0')), utc(u"2024-06-01T00:00:00Z"_s).addSecs(i / 3)));
    if (!m_bulk->store().writeNow(insertAll(rows)))
        qFatal("bulk fixture: rows not written");
    return *m_bulk;
}
} // namespace SpendTestSupport
