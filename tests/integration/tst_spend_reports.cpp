// Integration tests of /global/spend, the daily report and the CSV export of /spend/logs
// (api.md §6 "Spend"): a real gateway on its own thread, a real SQLite file, real HTTP on
// loopback. Expectations are computed here from the stored rows, independently of the SQL
// under test. /spend/logs itself is in tst_spend.cpp.
#include "tests/integration/spendtestsupport.h"

#include <set>

using namespace SpendTestSupport;

class TestSpendReports : public QObject, protected SpendTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void globalSpendIsTheSumOfAllRows();
    void report_data();
    void report();
    void reportDefaultsToTheLast30Days();
    void hourlyReportHasABucketPerUtcHour();
    void hourlyReportDefaultsToTheLast48Hours();
    void badGranularityIs400_data();
    void badGranularityIs400();
    void csvFormat();
    void csvNeutralisesFormulas();
    void globalSpendIsExact();
    void sumsPastInt64Saturate();
    void largeExportIsStreamed();
    void exportStopsWhenTheClientLeaves();
};

void TestSpendReports::initTestCase()
{
    startFixture();
}

void TestSpendReports::cleanupTestCase()
{
    stopFixture();
}

void TestSpendReports::globalSpendIsTheSumOfAllRows()
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

void TestSpendReports::report_data()
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
    QTest::newRow("by session") << u"session"_s << u"sessions"_s << march;
    QTest::newRow("one dialect by session")
        << u"session"_s << u"sessions"_s
        << QVariantMap{{u"start_date"_s, u"2024-03-01"_s}, {u"end_date"_s, u"2024-03-05"_s}, {u"dialect"_s, u"chat"_s}};
    QTest::newRow("one session by model")
        << u"model"_s << u"models"_s
        << QVariantMap{{u"start_date"_s, u"2024-03-01"_s}, {u"end_date"_s, u"2024-03-05"_s}, {u"session_id"_s, WeirdSession}};
    QTest::newRow("two days by user")
        << u"user"_s << u"users"_s << QVariantMap{{u"start_date"_s, u"2024-03-02"_s}, {u"end_date"_s, u"2024-03-03"_s}};
    QTest::newRow("one key by model")
        << u"model"_s << u"models"_s
        << QVariantMap{{u"start_date"_s, u"2024-03-01"_s}, {u"end_date"_s, u"2024-03-05"_s}, {u"api_key"_s, u"sk-beta-key"_s}};
}

void TestSpendReports::report()
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

    struct Sum
    {
        NanoUsd spend = 0;
        qint64 tokens = 0;
        qint64 requests = 0;
        QDateTime first;
        QDateTime last;
        std::set<QString> models;
    };
    std::map<QString, std::map<QString, Sum>> expected;   // day → group → sums
    for (const SpendLogRow &row : m_rows) {
        if (!matches(row, rowFilters, from, until))
            continue;
        const QString group = key == u"model" ? row.modelGroup
                            : key == u"api_key" ? row.apiKey
                            : key == u"user"    ? row.userId
                            : key == u"session" ? row.sessionId
                                                : row.endUser;
        if (key == u"session" && group.isEmpty())
            continue;   // calls outside a session are no session
        Sum &sum = expected[row.startTime.toUTC().date().toString(Qt::ISODate)][group];
        sum.spend += row.spend;
        sum.tokens += row.totalTokens;
        ++sum.requests;
        if (!sum.first.isValid() || row.startTime < sum.first)
            sum.first = row.startTime;
        if (!sum.last.isValid() || row.startTime > sum.last)
            sum.last = row.startTime;
        sum.models.insert(row.modelGroup);
    }
    QVERIFY(!expected.empty());

    Params query = paramsOf(filters);
    if (!groupBy.isEmpty())
        query.append({u"group_by"_s, groupBy});
    const Response response = m_fixture->get(url("/global/spend/report", query));
    QCOMPARE(response.status, 200);
    const QJsonArray days = jsonArray(response);
    QCOMPARE(days.size(), qsizetype(expected.size()));
    bool severalModels = false;   // a session cell summed over more than one model group
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
            if (key == u"session") {
                QCOMPARE(cell.value(u"first_call"_s).toString(), isoZ(group->second.first));
                QCOMPARE(cell.value(u"last_call"_s).toString(), isoZ(group->second.last));
                QStringList models;
                for (const QJsonValue model : cell.value(u"models"_s).toArray())
                    models.append(model.toString());
                QCOMPARE(models, QStringList(group->second.models.cbegin(), group->second.models.cend()));
                severalModels = severalModels || models.size() > 1;
            } else {
                QVERIFY(!cell.contains(u"models"_s));
            }
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
    if (key == u"session")
        QVERIFY(severalModels);
}

void TestSpendReports::reportDefaultsToTheLast30Days()
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

void TestSpendReports::hourlyReportHasABucketPerUtcHour()
{
    const QDateTime from = utc(u"2024-03-01T00:00:00Z"_s);
    const QDateTime until = utc(u"2024-03-03T00:00:00Z"_s);
    std::map<QString, std::map<QString, NanoUsd>> expected;   // hour → user → spend
    for (const SpendLogRow &row : m_rows) {
        if (matches(row, {}, from, until))
            expected[row.startTime.toUTC().toString(u"yyyy-MM-ddTHH"_s)][row.userId] += row.spend;
    }
    QVERIFY(expected.size() > 2);   // the seeded rows spread over many hours

    const Response response = m_fixture->get(url("/global/spend/report", {{u"start_date"_s, u"2024-03-01"_s},
                                                                          {u"end_date"_s, u"2024-03-02"_s},
                                                                          {u"group_by"_s, u"user"_s},
                                                                          {u"granularity"_s, u"hour"_s}}));
    QCOMPARE(response.status, 200);
    const QJsonArray hours = jsonArray(response);
    QCOMPARE(hours.size(), qsizetype(expected.size()));
    auto hour = expected.cbegin();
    for (const QJsonValue value : hours) {
        const QJsonObject object = value.toObject();
        QCOMPARE(object.value(u"hour"_s).toString(), hour->first);
        QCOMPARE(object.value(u"date"_s).toString(), hour->first.left(10));
        const QJsonArray users = object.value(u"users"_s).toArray();
        QCOMPARE(users.size(), qsizetype(hour->second.size()));
        NanoUsd total = 0;
        auto user = hour->second.cbegin();
        for (const QJsonValue entry : users) {
            QCOMPARE(entry.toObject().value(u"user"_s).toString(), user->first);
            QVERIFY(entry.toObject().value(u"spend"_s).toDouble() == nanosToUsd(user->second));
            total += user->second;
            ++user;
        }
        QVERIFY(object.value(u"spend"_s).toDouble() == nanosToUsd(total));
        ++hour;
    }

    // The last millisecond of a day and the first of the next are in different hours.
    const QString edgeHours = QString::fromUtf8(response.body);
    QVERIFY(edgeHours.contains(u"\"2024-03-01T23\""_s));
    QVERIFY(edgeHours.contains(u"\"2024-03-02T00\""_s));

    // Day buckets (the default) carry no "hour".
    const Response daily = m_fixture->get(url("/global/spend/report", {{u"start_date"_s, u"2024-03-01"_s},
                                                                       {u"end_date"_s, u"2024-03-02"_s},
                                                                       {u"granularity"_s, u"day"_s}}));
    QCOMPARE(daily.status, 200);
    QCOMPARE(jsonArray(daily).size(), 2);
    QVERIFY(!jsonArray(daily).at(0).toObject().contains(u"hour"_s));
}

void TestSpendReports::hourlyReportDefaultsToTheLast48Hours()
{
    // Only the four real calls of this run are within the last 48 hours (the seeded rows
    // are from 2024); they fall in this hour, or the one before if the hour just turned.
    const QDateTime before = QDateTime::currentDateTimeUtc();
    const Response response = m_fixture->get("/global/spend/report?granularity=hour&group_by=end_user");
    QCOMPARE(response.status, 200);
    const QJsonArray hours = jsonArray(response);
    QVERIFY2(hours.size() == 1 || hours.size() == 2, response.body.constData());
    qint64 requests = 0;
    for (const QJsonValue value : hours) {
        const QJsonObject object = value.toObject();
        const QDateTime hour = QDateTime::fromString(object.value(u"hour"_s).toString() + u":00:00Z"_s, Qt::ISODate);
        QVERIFY2(hour.isValid(), qPrintable(object.value(u"hour"_s).toString()));
        QVERIFY(hour <= before && hour > before.addSecs(-2 * 3600));
        QCOMPARE(object.value(u"date"_s).toString(), hour.date().toString(Qt::ISODate));
        requests += object.value(u"requests"_s).toInteger();
    }
    QCOMPARE(requests, 4);
}

void TestSpendReports::badGranularityIs400_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("a week") << QByteArray("/global/spend/report?granularity=week");
    QTest::newRow("upper case") << QByteArray("/global/spend/report?granularity=HOUR");
    QTest::newRow("a number") << QByteArray("/global/spend/report?granularity=3600&group_by=user");
}

void TestSpendReports::badGranularityIs400()
{
    QFETCH(QByteArray, path);
    VERIFY_EMPTY(errorMismatch(m_fixture->get(path), 400, u"bad_request_error"_s, u"granularity"_s));
}

void TestSpendReports::csvFormat()
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

void TestSpendReports::csvNeutralisesFormulas()
{
    GatewayFixture fixture;
    QVERIFY2(fixture.start(), qPrintable(fixture.lastError()));
    SpendLogRow row = tinyRow(u"formula-row"_s, utc(u"2024-06-01T00:00:00Z"_s));
    row.endUser = u"=HYPERLINK(\"http://example.com\")"_s;
    row.userId = u"@SUM(A1)"_s;
    row.model = u"+cmd"_s;
    row.modelGroup = u"-2"_s;
    row.sessionId = u"=cmd|' /C calc'!A0"_s;
    QVERIFY(fixture.store().writeNow(insertAll({row})));

    const Csv csv = parseCsv(fixture.get("/spend/logs/export.csv").body);
    VERIFY_EMPTY(csv.error);
    QCOMPARE(csv.records.size(), 2);
    const QStringList &record = csv.records.at(1);
    QCOMPARE(record.at(9), u"'+cmd"_s);
    QCOMPARE(record.at(10), u"'-2"_s);
    QCOMPARE(record.at(12), u"'@SUM(A1)"_s);
    QCOMPARE(record.at(13), u"'=HYPERLINK(\"http://example.com\")"_s);
    QCOMPARE(record.size(), Columns.size());
    QCOMPARE(record.at(Columns.indexOf(u"session_id"_s)), u"'=cmd|' /C calc'!A0"_s);
    // The JSON rows are the values as logged.
    const QJsonArray rows = QJsonDocument::fromJson(fixture.get("/spend/logs").body).array();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).toObject().value(u"end_user"_s).toString(), row.endUser);
}

void TestSpendReports::globalSpendIsExact()
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

void TestSpendReports::sumsPastInt64Saturate()
{
    // A row at the most a call can cost (saturated money) and one more: SQLite's SUM over
    // INTEGER fails there and int64 sums wrap. The totals stop at the maximum instead.
    GatewayFixture fixture(GatewayFixture::defaultConfig());
    QVERIFY2(fixture.start(), qPrintable(fixture.lastError()));
    SpendLogRow huge = tinyRow(u"huge"_s, utc(u"2024-07-01T10:00:00Z"_s));
    huge.spend = MaxNanoUsd;
    huge.totalTokens = std::numeric_limits<qint64>::max();
    SpendLogRow next = tinyRow(u"next"_s, utc(u"2024-07-01T11:00:00Z"_s));
    next.spend = 5'000'000'000;
    next.totalTokens = 10;
    next.modelGroup = u"gpt-b"_s;
    QVERIFY(fixture.store().writeNow(insertAll({huge, next})));

    const double most = nanosToUsd(MaxNanoUsd);
    Response response = fixture.get("/global/spend");
    QVERIFY2(response.status == 200, response.body.constData());
    QCOMPARE(response.json().value(u"spend"_s).toDouble(), most);
    for (const QByteArray &groupBy : {QByteArray("model"), QByteArray("api_key"), QByteArray("end_user")}) {
        response = fixture.get("/global/spend/report?start_date=2024-07-01&end_date=2024-07-01&group_by=" + groupBy);
        QVERIFY2(response.status == 200, response.body.constData());
        const QJsonArray days = QJsonDocument::fromJson(response.body).array();
        QCOMPARE(days.size(), 1);
        const QJsonObject day = days.first().toObject();
        QVERIFY2(day.value(u"spend"_s).toDouble() == most, response.body.constData());
        QVERIFY2(day.value(u"total_tokens"_s).toDouble() > 0, response.body.constData());
    }
}

void TestSpendReports::largeExportIsStreamed()
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

void TestSpendReports::exportStopsWhenTheClientLeaves()
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

QTEST_GUILESS_MAIN(TestSpendReports)
#include "tst_spend_reports.moc"
