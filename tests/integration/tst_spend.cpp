// Integration tests of the spend API (/spend/logs, its CSV export, /global/spend and the
// daily report; api.md §6 "Spend"): a real gateway on its own thread, a real SQLite file,
// real HTTP on loopback. Expectations are computed here from the stored rows, independently
// of the SQL under test.
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

namespace {

using Response = HttpClient::Response;
using Params = QList<QPair<QString, QString>>;

const QByteArray Master = GatewayFixture::MasterKey;
const QStringList Columns{u"request_id"_s, u"call_type"_s, u"api_key"_s, u"spend"_s, u"prompt_tokens"_s,
                          u"completion_tokens"_s, u"total_tokens"_s, u"startTime"_s, u"endTime"_s, u"model"_s,
                          u"model_group"_s, u"model_id"_s, u"user"_s, u"end_user"_s, u"status"_s,
                          u"cost_estimated"_s, u"price_unknown"_s};

// Values that need quoting in CSV (and percent-encoding in a URL).
const QString WeirdEndUser = u"he said \"hi\", then\nleft"_s;
const QString WeirdGroup = u"group, \"quoted\"\nname"_s;
const QString WeirdModel = u"provider,\"x\"\r\nmodel"_s;

QString sha256(const QString &text)
{
    return QString::fromLatin1(QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QDateTime utc(const QString &iso)
{
    return QDateTime::fromString(iso, Qt::ISODateWithMs).toUTC();
}

// path?name=value&…, every value percent-encoded (commas, quotes, newlines, '+').
QByteArray url(const QByteArray &path, const Params &params)
{
    QByteArray result = path;
    for (qsizetype i = 0; i < params.size(); ++i) {
        result += (i == 0 ? '?' : '&') + QUrl::toPercentEncoding(params.at(i).first) + '='
                  + QUrl::toPercentEncoding(params.at(i).second);
    }
    return result;
}

Params paramsOf(const QVariantMap &map)
{
    Params params;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        params.append({it.key(), it.value().toString()});
    return params;
}

// The test's own reading of the filters (api_key: a raw sk- key is hashed).
bool matches(const SpendLogRow &row, const QVariantMap &params, const QDateTime &from, const QDateTime &until)
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
    }
    return (!from.isValid() || row.startTime >= from) && (!until.isValid() || row.startTime < until);
}

void sortNewestFirst(QList<SpendLogRow> &rows)
{
    std::sort(rows.begin(), rows.end(), [](const SpendLogRow &a, const SpendLogRow &b) {
        return a.startTime != b.startTime ? a.startTime > b.startTime : a.requestId > b.requestId;
    });
}

QStringList idsOf(const QList<SpendLogRow> &rows)
{
    QStringList ids;
    for (const SpendLogRow &row : rows)
        ids.append(row.requestId);
    return ids;
}

QStringList idsOf(const QJsonArray &rows)
{
    QStringList ids;
    for (const QJsonValue row : rows)
        ids.append(row.toObject().value(u"request_id"_s).toString());
    return ids;
}

QJsonArray jsonArray(const Response &response)
{
    return QJsonDocument::fromJson(response.body).array();
}

// Exact decimal USD, written independently of the code under test.
QString expectedUsd(NanoUsd nanos)
{
    QString text = u"%1.%2"_s.arg(nanos / NanosPerUsd).arg(nanos % NanosPerUsd, 9, 10, QChar(u'0'));
    while (text.endsWith(u'0'))
        text.chop(1);
    if (text.endsWith(u'.'))
        text.chop(1);
    return text;
}

QString isoZ(const QDateTime &time)
{
    return time.toUTC().toString(u"yyyy-MM-ddTHH:mm:ss.zzz"_s) + u'Z';
}

QStringList expectedRecord(const SpendLogRow &row)
{
    const auto flag = [](bool value) { return value ? u"true"_s : u"false"_s; };
    return {row.requestId, row.callType, row.apiKey, expectedUsd(row.spend), QString::number(row.promptTokens),
            QString::number(row.completionTokens), QString::number(row.totalTokens), isoZ(row.startTime),
            isoZ(row.endTime), row.model, row.modelGroup, row.modelId, row.userId, row.endUser, row.status,
            flag(row.costEstimated), flag(row.priceUnknown)};
}

// A strict RFC 4180 reader: every record ends in CRLF; a quoted field may hold anything,
// "" standing for a quote; a bare CR or LF outside quotes, a quote inside an unquoted field
// or text after a closing quote is an error.
struct Csv
{
    QList<QStringList> records;
    QString error;
};

Csv parseCsv(const QByteArray &bytes)
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

// "" when `response` is a 400/403… error envelope with `param`, else what differs.
QString errorMismatch(const Response &response, int status, const QString &type, const QJsonValue &param)
{
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    const QString body = QString::fromUtf8(response.body);
    if (response.status != status)
        return u"status %1, expected %2: %3"_s.arg(response.status).arg(status).arg(body);
    if (error.value(u"type"_s).toString() != type || error.value(u"code"_s).toString() != QString::number(status))
        return u"not a %1 envelope: %2"_s.arg(type, body);
    if (!param.isUndefined() && error.value(u"param"_s) != param)
        return u"param is not %1: %2"_s.arg(param.toString(), body);
    return {};
}

// "" when the JSON row shows `row` exactly (every field, right types, nothing more).
QString rowMismatch(const QJsonObject &json, const SpendLogRow &row)
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

Store::WriteJob insertAll(QList<SpendLogRow> rows)
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
SpendLogRow tinyRow(const QString &requestId, const QDateTime &start)
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

void captureSpendLog(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && qstrcmp(context.category, "tollgate.spend") == 0) {
        QMutexLocker lock(&logMutex);
        spendLog.append(message);
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

} // namespace

class TestSpend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void rowsShowEveryField();
    void filters_data();
    void filters();
    void paging();
    void badParameters_data();
    void badParameters();
    void adminOnly();
    void globalSpendIsTheSumOfAllRows();
    void report_data();
    void report();
    void reportDefaultsToTheLast30Days();
    void csvFormat();
    void globalSpendIsExact();
    void largeExportIsStreamed();
    void exportStopsWhenTheClientLeaves();

private:
    [[nodiscard]] Response chat(const QByteArray &key, const QString &endUser = {}) const;
    [[nodiscard]] QList<SpendLogRow> storedRows(GatewayFixture &fixture) const;
    GatewayFixture &bulk();   // 20,000 rows of 100 nano-dollars, made on first use

    std::unique_ptr<GatewayFixture> m_fixture;
    std::unique_ptr<GatewayFixture> m_bulk;
    QList<SpendLogRow> m_rows;                // every row of m_fixture, as stored
    QList<SpendLogRow> m_seeded;
    QStringList m_realCallIds;
    QByteArray m_internalKey;                 // an internal_user's key (not admin)
};

Response TestSpend::chat(const QByteArray &key, const QString &endUser) const
{
    QJsonObject body{{u"model"_s, u"gpt-a"_s},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"Hi"_s}}}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return m_fixture->post("/v1/chat/completions", body, key);
}

QList<SpendLogRow> TestSpend::storedRows(GatewayFixture &fixture) const
{
    const auto rows = fixture.store().readNow([](QSqlDatabase &db) {
        auto all = SpendLogRepository::all(db);
        return all ? QVariant::fromValue(*all) : QVariant();
    });
    return rows ? rows->value<QList<SpendLogRow>>() : QList<SpendLogRow>();
}

void TestSpend::initTestCase()
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

void TestSpend::cleanupTestCase()
{
    m_bulk.reset();
    m_fixture.reset();
    qInstallMessageHandler(previousHandler);
}

void TestSpend::rowsShowEveryField()
{
    const SpendLogRow &seeded = m_seeded.at(7);
    Response response = m_fixture->get(url("/spend/logs", {{u"request_id"_s, seeded.requestId}}));
    QCOMPARE(response.status, 200);
    QJsonArray rows = jsonArray(response);
    QCOMPARE(rows.size(), 1);
    VERIFY_EMPTY(rowMismatch(rows.at(0).toObject(), seeded));

    // A row the relay wrote: the call id header names it, the token stands for the key.
    response = m_fixture->get(url("/v1/spend/logs", {{u"request_id"_s, m_realCallIds.at(0)}}));
    QCOMPARE(response.status, 200);
    rows = jsonArray(response);
    QCOMPARE(rows.size(), 1);
    const QJsonObject real = rows.at(0).toObject();
    QCOMPARE(real.value(u"api_key"_s).toString(), sha256(QString::fromLatin1(Master)));
    QCOMPARE(real.value(u"model_group"_s).toString(), u"gpt-a"_s);
    QCOMPARE(real.value(u"model_id"_s).toString(), u"gpt-a-1"_s);
    QCOMPARE(real.value(u"end_user"_s).toString(), u"customer-1"_s);
    QCOMPARE(real.value(u"status"_s).toString(), u"success"_s);
    QCOMPARE(real.value(u"call_type"_s).toString(), u"acompletion"_s);
    QVERIFY(real.value(u"spend"_s).toDouble() > 0);
    QVERIFY(real.value(u"total_tokens"_s).toInteger() > 0);
    QVERIFY(real.value(u"startTime"_s).toString().endsWith(u'Z'));
    QVERIFY(real.value(u"endTime"_s).toString().endsWith(u'Z'));
}

void TestSpend::filters_data()
{
    QTest::addColumn<QVariantMap>("params");
    QTest::addColumn<QDateTime>("from");    // the window the test expects, [from, until)
    QTest::addColumn<QDateTime>("until");
    const QString alpha = sha256(u"sk-alpha-key"_s);
    const auto t = utc;
    const QDateTime open;

    QTest::newRow("no filter") << QVariantMap{} << open << open;
    QTest::newRow("api_key as a token") << QVariantMap{{u"api_key"_s, alpha}} << open << open;
    QTest::newRow("api_key as a raw key") << QVariantMap{{u"api_key"_s, u"sk-beta-key"_s}} << open << open;
    QTest::newRow("api_key of the real calls") << QVariantMap{{u"api_key"_s, QString::fromLatin1(Master)}} << open
                                               << open;
    QTest::newRow("user_id") << QVariantMap{{u"user_id"_s, u"alice"_s}} << open << open;
    QTest::newRow("end_user") << QVariantMap{{u"end_user"_s, u"cust-2"_s}} << open << open;
    QTest::newRow("end_user with comma, quote and newline") << QVariantMap{{u"end_user"_s, WeirdEndUser}} << open
                                                            << open;
    QTest::newRow("end_user of real and seeded calls") << QVariantMap{{u"end_user"_s, u"customer-1"_s}} << open
                                                       << open;
    QTest::newRow("request_id") << QVariantMap{{u"request_id"_s, u"seed-042"_s}} << open << open;
    QTest::newRow("model group") << QVariantMap{{u"model"_s, u"gpt-b"_s}} << open << open;
    QTest::newRow("model group with comma, quote and newline") << QVariantMap{{u"model"_s, WeirdGroup}} << open
                                                               << open;
    QTest::newRow("start_date only") << QVariantMap{{u"start_date"_s, u"2024-03-04"_s}}
                                     << t(u"2024-03-04T00:00:00Z"_s) << open;
    QTest::newRow("end_date only, its whole day") << QVariantMap{{u"end_date"_s, u"2024-03-01"_s}} << open
                                                  << t(u"2024-03-02T00:00:00Z"_s);
    QTest::newRow("end_date 9999-12-31") << QVariantMap{{u"start_date"_s, u"2024-03-05"_s}, {u"end_date"_s, u"9999-12-31"_s}}
                                         << t(u"2024-03-05T00:00:00Z"_s) << open;
    QTest::newRow("one day") << QVariantMap{{u"start_date"_s, u"2024-03-02"_s}, {u"end_date"_s, u"2024-03-02"_s}}
                             << t(u"2024-03-02T00:00:00Z"_s) << t(u"2024-03-03T00:00:00Z"_s);
    QTest::newRow("one instant, end inclusive")
        << QVariantMap{{u"start_date"_s, u"2024-03-01T23:59:59.999Z"_s}, {u"end_date"_s, u"2024-03-01T23:59:59.999Z"_s}}
        << t(u"2024-03-01T23:59:59.999Z"_s) << t(u"2024-03-02T00:00:00Z"_s);
    QTest::newRow("timestamps over two days")
        << QVariantMap{{u"start_date"_s, u"2024-03-01T23:59:59.999Z"_s}, {u"end_date"_s, u"2024-03-03T12:00:00.500Z"_s}}
        << t(u"2024-03-01T23:59:59.999Z"_s) << t(u"2024-03-03T12:00:00.501Z"_s);
    QTest::newRow("timestamps with offsets")
        << QVariantMap{{u"start_date"_s, u"2024-03-02T02:00:00+02:00"_s}, {u"end_date"_s, u"2024-03-02T10:00:00+02:00"_s}}
        << t(u"2024-03-02T00:00:00Z"_s) << t(u"2024-03-02T08:00:00.001Z"_s);
    QTest::newRow("timestamps without a zone are UTC")
        << QVariantMap{{u"start_date"_s, u"2024-03-03T00:00:00"_s}, {u"end_date"_s, u"2024-03-03 12:00:00"_s}}
        << t(u"2024-03-03T00:00:00Z"_s) << t(u"2024-03-03T12:00:00.001Z"_s);
    QTest::newRow("key and model") << QVariantMap{{u"api_key"_s, u"sk-gamma-key"_s}, {u"model"_s, u"gpt-a"_s}} << open
                                   << open;
    QTest::newRow("user, end user and dates")
        << QVariantMap{{u"user_id"_s, u"bob"_s}, {u"end_user"_s, u"cust-2"_s}, {u"start_date"_s, u"2024-03-02"_s},
                       {u"end_date"_s, u"2024-03-04"_s}}
        << t(u"2024-03-02T00:00:00Z"_s) << t(u"2024-03-05T00:00:00Z"_s);
    const SpendLogRow &row = m_seeded.at(33);
    QTest::newRow("every filter on one row")
        << QVariantMap{{u"api_key"_s, row.apiKey}, {u"user_id"_s, row.userId}, {u"end_user"_s, row.endUser},
                       {u"request_id"_s, row.requestId}, {u"model"_s, row.modelGroup},
                       {u"start_date"_s, row.startTime.date().toString(Qt::ISODate)},
                       {u"end_date"_s, row.startTime.date().toString(Qt::ISODate)}}
        << QDateTime(row.startTime.date(), QTime(0, 0), Qt::UTC)
        << QDateTime(row.startTime.date().addDays(1), QTime(0, 0), Qt::UTC);
    QTest::newRow("request_id of another key") << QVariantMap{{u"request_id"_s, u"seed-001"_s}, {u"api_key"_s, alpha}}
                                               << open << open;
    QTest::newRow("no match") << QVariantMap{{u"user_id"_s, u"nobody"_s}} << open << open;
}

void TestSpend::filters()
{
    QFETCH(QVariantMap, params);
    QFETCH(QDateTime, from);
    QFETCH(QDateTime, until);
    QList<SpendLogRow> expected;
    for (const SpendLogRow &row : m_rows) {
        if (matches(row, params, from, until))
            expected.append(row);
    }
    sortNewestFirst(expected);

    Params query = paramsOf(params);
    query.append({u"page_size"_s, u"1000"_s});
    const Response response = m_fixture->get(url("/spend/logs", query));
    QCOMPARE(response.status, 200);
    QCOMPARE(idsOf(jsonArray(response)), idsOf(expected));

    // The export takes the same filters and has the same rows, in the same order.
    const Response csv = m_fixture->get(url("/spend/logs/export.csv", paramsOf(params)));
    QCOMPARE(csv.status, 200);
    const Csv parsed = parseCsv(csv.body);
    VERIFY_EMPTY(parsed.error);
    QCOMPARE(parsed.records.size(), expected.size() + 1);
    for (qsizetype i = 0; i < expected.size(); ++i)
        QCOMPARE(parsed.records.at(i + 1), expectedRecord(expected.at(i)));
}

void TestSpend::paging()
{
    QList<SpendLogRow> expected = m_rows;
    sortNewestFirst(expected);
    QVERIFY(expected.size() > 100);

    // Default: the first 100.
    Response response = m_fixture->get("/spend/logs");
    QCOMPARE(response.status, 200);
    QCOMPARE(idsOf(jsonArray(response)), idsOf(expected.mid(0, 100)));

    QStringList walked;
    for (int page = 1;; ++page) {
        response = m_fixture->get(
            url("/spend/logs", {{u"page"_s, QString::number(page)}, {u"page_size"_s, u"7"_s}}));
        QCOMPARE(response.status, 200);
        const QJsonArray rows = jsonArray(response);
        QVERIFY(rows.size() <= 7);
        walked += idsOf(rows);
        if (rows.size() < 7)
            break;
    }
    QCOMPARE(walked, idsOf(expected));

    response = m_fixture->get(url("/spend/logs", {{u"page"_s, u"3"_s}, {u"page_size"_s, u"100"_s}}));
    QCOMPARE(response.status, 200);
    QCOMPARE(jsonArray(response).size(), 0);

    response = m_fixture->get(
        url("/spend/logs", {{u"model"_s, u"gpt-b"_s}, {u"page"_s, u"2"_s}, {u"page_size"_s, u"5"_s}}));
    QList<SpendLogRow> gptB;
    std::copy_if(expected.cbegin(), expected.cend(), std::back_inserter(gptB),
                 [](const SpendLogRow &row) { return row.modelGroup == u"gpt-b"; });
    QCOMPARE(idsOf(jsonArray(response)), idsOf(gptB.mid(5, 5)));
}

void TestSpend::badParameters_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("param");
    const QList<QByteArray> routes{"/spend/logs", "/spend/logs/export.csv", "/global/spend/report"};
    for (const QByteArray &route : routes) {
        const auto add = [&route](const char *name, const Params &params, const QString &param) {
            QTest::addRow("%s: %s", route.constData(), name) << url(route, params) << param;
        };
        add("month 13", {{u"start_date"_s, u"2024-13-01"_s}}, u"start_date"_s);
        add("a word", {{u"start_date"_s, u"yesterday"_s}}, u"start_date"_s);
        add("February 30", {{u"end_date"_s, u"2024-02-30"_s}}, u"end_date"_s);
        add("hour 25", {{u"end_date"_s, u"2024-03-01T25:00:00Z"_s}}, u"end_date"_s);
        add("end before start", {{u"start_date"_s, u"2024-03-02"_s}, {u"end_date"_s, u"2024-03-01"_s}}, u"end_date"_s);
    }
    const auto logs = [](const char *name, const Params &params, const QString &param) {
        QTest::addRow("/spend/logs: %s", name) << url("/spend/logs", params) << param;
    };
    logs("page 0", {{u"page"_s, u"0"_s}}, u"page"_s);
    logs("negative page", {{u"page"_s, u"-1"_s}}, u"page"_s);
    logs("page not a number", {{u"page"_s, u"two"_s}}, u"page"_s);
    logs("page_size 0", {{u"page_size"_s, u"0"_s}}, u"page_size"_s);
    logs("page_size over 1000", {{u"page_size"_s, u"1001"_s}}, u"page_size"_s);
    logs("page_size a fraction", {{u"page_size"_s, u"1.5"_s}}, u"page_size"_s);
    QTest::newRow("report: unknown group_by")
        << url("/global/spend/report", {{u"group_by"_s, u"team"_s}}) << u"group_by"_s;
}

void TestSpend::badParameters()
{
    QFETCH(QByteArray, path);
    QFETCH(QString, param);
    VERIFY_EMPTY(errorMismatch(m_fixture->get(path), 400, u"bad_request_error"_s, param));
}

void TestSpend::adminOnly()
{
    for (const QByteArray path : {"/spend/logs", "/spend/logs/export.csv", "/global/spend", "/global/spend/report"}) {
        VERIFY_EMPTY(errorMismatch(m_fixture->get(path, m_internalKey), 403, u"forbidden"_s, QJsonValue::Undefined));
        VERIFY_EMPTY(errorMismatch(m_fixture->get(path, {}), 401, u"auth_error"_s, QJsonValue::Undefined));
    }
}

void TestSpend::globalSpendIsTheSumOfAllRows()
{
    NanoUsd total = 0;
    for (const SpendLogRow &row : m_rows)
        total += row.spend;
    const Response response = m_fixture->get("/global/spend");
    QCOMPARE(response.status, 200);
    const QJsonObject body = response.json();
    QVERIFY2(body.value(u"spend"_s).toDouble() == nanosToUsd(total), response.body.constData());
    QVERIFY(body.contains(u"max_budget"_s));
    QVERIFY(body.value(u"max_budget"_s).isNull());   // the default config has none
}

void TestSpend::report_data()
{
    QTest::addColumn<QString>("groupBy");
    QTest::addColumn<QString>("listName");
    QTest::addColumn<QVariantMap>("filters");
    const QVariantMap march{{u"start_date"_s, u"2024-03-01"_s}, {u"end_date"_s, u"2024-03-05"_s}};
    QTest::newRow("by model (the default)") << QString() << u"models"_s << march;
    QTest::newRow("by model") << u"model"_s << u"models"_s << march;
    QTest::newRow("by api_key") << u"api_key"_s << u"api_keys"_s << march;
    QTest::newRow("by user") << u"user"_s << u"users"_s << march;
    QTest::newRow("by end_user") << u"end_user"_s << u"end_users"_s << march;
    QTest::newRow("two days by user")
        << u"user"_s << u"users"_s << QVariantMap{{u"start_date"_s, u"2024-03-02"_s}, {u"end_date"_s, u"2024-03-03"_s}};
    QTest::newRow("one key by model")
        << u"model"_s << u"models"_s
        << QVariantMap{{u"start_date"_s, u"2024-03-01"_s}, {u"end_date"_s, u"2024-03-05"_s}, {u"api_key"_s, u"sk-beta-key"_s}};
}

void TestSpend::report()
{
    QFETCH(QString, groupBy);
    QFETCH(QString, listName);
    QFETCH(QVariantMap, filters);
    const QString key = groupBy.isEmpty() ? u"model"_s : groupBy;
    const QDateTime from = utc(filters.value(u"start_date"_s).toString() + u"T00:00:00Z"_s);
    const QDateTime until = utc(filters.value(u"end_date"_s).toString() + u"T00:00:00Z"_s).addDays(1);
    QVariantMap rowFilters = filters;
    rowFilters.remove(u"start_date"_s);
    rowFilters.remove(u"end_date"_s);

    struct Sum { NanoUsd spend = 0; qint64 tokens = 0; qint64 requests = 0; };
    std::map<QString, std::map<QString, Sum>> expected;   // day → group → sums
    for (const SpendLogRow &row : m_rows) {
        if (!matches(row, rowFilters, from, until))
            continue;
        const QString group = key == u"model" ? row.modelGroup
                            : key == u"api_key" ? row.apiKey
                            : key == u"user"    ? row.userId
                                                : row.endUser;
        Sum &sum = expected[row.startTime.toUTC().date().toString(Qt::ISODate)][group];
        sum.spend += row.spend;
        sum.tokens += row.totalTokens;
        ++sum.requests;
    }
    QVERIFY(!expected.empty());

    Params query = paramsOf(filters);
    if (!groupBy.isEmpty())
        query.append({u"group_by"_s, groupBy});
    const Response response = m_fixture->get(url("/global/spend/report", query));
    QCOMPARE(response.status, 200);
    const QJsonArray days = jsonArray(response);
    QCOMPARE(days.size(), qsizetype(expected.size()));
    auto day = expected.cbegin();
    for (const QJsonValue value : days) {
        const QJsonObject object = value.toObject();
        QCOMPARE(object.value(u"date"_s).toString(), day->first);
        const QJsonArray groups = object.value(listName).toArray();
        QCOMPARE(groups.size(), qsizetype(day->second.size()));
        Sum total;
        auto group = day->second.cbegin();
        for (const QJsonValue entry : groups) {
            const QJsonObject cell = entry.toObject();
            QCOMPARE(cell.value(key).toString(), group->first);
            QVERIFY(cell.value(u"spend"_s).toDouble() == nanosToUsd(group->second.spend));
            QCOMPARE(cell.value(u"total_tokens"_s).toInteger(), group->second.tokens);
            QCOMPARE(cell.value(u"requests"_s).toInteger(), group->second.requests);
            total.spend += group->second.spend;
            total.tokens += group->second.tokens;
            total.requests += group->second.requests;
            ++group;
        }
        QVERIFY(object.value(u"spend"_s).toDouble() == nanosToUsd(total.spend));
        QCOMPARE(object.value(u"total_tokens"_s).toInteger(), total.tokens);
        QCOMPARE(object.value(u"requests"_s).toInteger(), total.requests);
        ++day;
    }
}

void TestSpend::reportDefaultsToTheLast30Days()
{
    // The seeded rows are from 2024; only today's real calls are in the default range.
    const Response response = m_fixture->get("/global/spend/report?group_by=end_user");
    QCOMPARE(response.status, 200);
    const QJsonArray days = jsonArray(response);
    QCOMPARE(days.size(), 1);
    const QJsonObject today = days.at(0).toObject();
    QCOMPARE(today.value(u"date"_s).toString(), QDateTime::currentDateTimeUtc().date().toString(Qt::ISODate));
    QCOMPARE(today.value(u"requests"_s).toInteger(), 4);
    const QJsonArray groups = today.value(u"end_users"_s).toArray();
    QCOMPARE(groups.size(), 2);   // the call without a user, and customer-1
    QCOMPARE(groups.at(0).toObject().value(u"end_user"_s).toString(), QString());
    QCOMPARE(groups.at(1).toObject().value(u"end_user"_s).toString(), u"customer-1"_s);
    QCOMPARE(groups.at(1).toObject().value(u"requests"_s).toInteger(), 3);
}

void TestSpend::csvFormat()
{
    const Response response = m_fixture->get("/spend/logs/export.csv");
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    QVERIFY(response.chunked);
    QCOMPARE(response.header("content-type"), QByteArray("text/csv; charset=utf-8"));
    QCOMPARE(response.header("content-disposition"), QByteArray("attachment; filename=\"tollgate-spend.csv\""));
    QVERIFY(response.body.endsWith("\r\n"));
    QCOMPARE(response.body.left(response.body.indexOf("\r\n")), Columns.join(u',').toUtf8());

    const Csv csv = parseCsv(response.body);
    VERIFY_EMPTY(csv.error);
    QCOMPARE(csv.records.first(), Columns);
    QList<SpendLogRow> expected = m_rows;
    sortNewestFirst(expected);
    QCOMPARE(csv.records.size(), expected.size() + 1);
    for (qsizetype i = 0; i < expected.size(); ++i)
        QCOMPARE(csv.records.at(i + 1), expectedRecord(expected.at(i)));

    // The awkward values came back whole, and money has no exponent.
    QSet<QString> models;
    QSet<QString> endUsers;
    for (const QStringList &record : csv.records.mid(1)) {
        models.insert(record.at(9));
        endUsers.insert(record.at(13));
        QVERIFY2(QRegularExpression(u"^[0-9]+(\\.[0-9]+)?$"_s).match(record.at(3)).hasMatch(),
                 qPrintable(record.at(3)));
    }
    QVERIFY(models.contains(WeirdModel));
    QVERIFY(endUsers.contains(WeirdEndUser));
    const auto big = std::find_if(csv.records.cbegin(), csv.records.cend(),
                                  [](const QStringList &record) { return record.at(0) == u"seed-big"; });
    QVERIFY(big != csv.records.cend());
    QCOMPARE(big->at(3), u"123.456789012"_s);
}

void TestSpend::globalSpendIsExact()
{
    Config config = GatewayFixture::defaultConfig();
    config.litellm.maxBudget = 100.0;
    GatewayFixture fixture(config);
    QVERIFY2(fixture.start(), qPrintable(fixture.lastError()));

    QList<SpendLogRow> rows;
    for (int i = 0; i < 1000; ++i)
        rows.append(tinyRow(u"tiny-%1"_s.arg(i), utc(u"2024-06-01T00:00:00Z"_s).addMSecs(i)));
    QVERIFY(fixture.store().writeNow(insertAll(rows)));
    Response response = fixture.get("/global/spend");
    QCOMPARE(response.status, 200);
    // 1,000 × $1e-7 is exactly $0.0001; a running double sum gives 0.00010000000000000159.
    QVERIFY2(response.json().value(u"spend"_s).toDouble() == 0.0001, response.body.constData());
    QCOMPARE(response.json().value(u"max_budget"_s).toDouble(), 100.0);

    // api.md §1: 10^6 calls of $1e-7 add up to exactly $0.10. Written in one statement,
    // as a million insert() calls would take too long for a unit test.
    QVERIFY(fixture.store().writeNow([](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        if (!query.exec(u"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999000) "
                        "INSERT INTO spend_logs (request_id, call_type, spend_nanousd, start_time, end_time) "
                        "SELECT 'many-' || i, 'acompletion', 100, '2024-06-02T00:00:00.000Z', "
                        "'2024-06-02T00:00:00.000Z' FROM n"_s))
            return makeError(query.lastError().text());
        return {};
    }));
    response = fixture.get("/global/spend");
    QVERIFY2(response.json().value(u"spend"_s).toDouble() == 0.1, response.body.constData());
}

GatewayFixture &TestSpend::bulk()
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

void TestSpend::largeExportIsStreamed()
{
    auto client = bulk().client();
    client->setTimeout(std::chrono::seconds(30));
    const Response response = client->get("/spend/logs/export.csv");
    QCOMPARE(response.status, 200);
    QVERIFY(response.complete);
    QVERIFY(response.chunked);
    // A chunk per page of a few hundred rows, not one body.
    constexpr int PageRows = SpendController::ExportPageRows;
    QVERIFY2(response.chunks.size() >= 20'000 / PageRows, qPrintable(QString::number(response.chunks.size())));
    for (const HttpClient::Chunk &chunk : response.chunks)
        QVERIFY(chunk.data.count("\r\n") <= PageRows + 1);   // + the header

    const Csv csv = parseCsv(response.body);
    VERIFY_EMPTY(csv.error);
    QCOMPARE(csv.records.size(), 20'001);
    QStringList ids;
    for (const QStringList &record : csv.records.mid(1))
        ids.append(record.at(0));
    QStringList newestFirst = ids;
    std::sort(newestFirst.begin(), newestFirst.end(), std::greater<>());   // ids grow with time
    QCOMPARE(ids, newestFirst);
    QCOMPARE(QSet<QString>(ids.cbegin(), ids.cend()).size(), 20'000);
    const Response total = bulk().get("/global/spend");
    QVERIFY2(total.json().value(u"spend"_s).toDouble() == 0.002, total.body.constData());
}

void TestSpend::exportStopsWhenTheClientLeaves()
{
    GatewayFixture &fixture = bulk();
    {
        QMutexLocker lock(&logMutex);
        spendLog.clear();
    }
    auto client = fixture.client();
    const Response first = client->requestAndAbort("GET", "/spend/logs/export.csv", {}, {}, 1);
    QCOMPARE(first.status, 200);
    QVERIFY(!first.chunks.isEmpty());

    const auto stopped = [] {
        QMutexLocker lock(&logMutex);
        return spendLog.filter(u"CSV export stopped"_s).value(0);
    };
    QTRY_VERIFY_WITH_TIMEOUT(!stopped().isEmpty(), 5000);
    const QRegularExpression rows(u"after (\\d+) row"_s);
    const auto match = rows.match(stopped());
    QVERIFY2(match.hasMatch(), qPrintable(stopped()));
    QVERIFY2(match.captured(1).toInt() < 20'000, qPrintable(stopped()));

    // The gateway serves on.
    QCOMPARE(fixture.get("/global/spend").status, 200);
}

QTEST_GUILESS_MAIN(TestSpend)
#include "tst_spend.moc"
