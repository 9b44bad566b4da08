// Integration tests of /spend/logs (api.md §6 "Spend"): a real gateway on its own thread,
// a real SQLite file, real HTTP on loopback. Expectations are computed here from the stored
// rows, independently of the SQL under test. /global/spend, the daily report and the CSV
// export are in tst_spend_reports.cpp.
#include "tests/integration/spendtestsupport.h"

using namespace SpendTestSupport;

class TestSpend : public QObject, protected SpendTestBase
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
};

void TestSpend::initTestCase()
{
    startFixture();
}

void TestSpend::cleanupTestCase()
{
    stopFixture();
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
    // A part of the model group, case-insensitive; '_' and '%' are no wildcards ("gpt_a" would
    // match "gpt-a" as a LIKE pattern).
    QTest::newRow("model_contains") << QVariantMap{{u"model_contains"_s, u"PT-"_s}} << open << open;
    QTest::newRow("model_contains a quote") << QVariantMap{{u"model_contains"_s, u"\"quoted\""_s}} << open << open;
    QTest::newRow("model_contains '_' is no wildcard") << QVariantMap{{u"model_contains"_s, u"gpt_a"_s}} << open
                                                       << open;
    QTest::newRow("model_contains '%' is no wildcard") << QVariantMap{{u"model_contains"_s, u"%"_s}} << open << open;
    QTest::newRow("model_contains and a key")
        << QVariantMap{{u"model_contains"_s, u"-b"_s}, {u"api_key"_s, u"sk-gamma-key"_s}} << open << open;
    QTest::newRow("session_id") << QVariantMap{{u"session_id"_s, u"sess-b"_s}} << open << open;
    QTest::newRow("session_id with comma, quote and newline") << QVariantMap{{u"session_id"_s, WeirdSession}}
                                                              << open << open;
    QTest::newRow("dialect") << QVariantMap{{u"dialect"_s, u"messages"_s}} << open << open;
    QTest::newRow("dialect no call spoke") << QVariantMap{{u"dialect"_s, u"responses"_s}} << open << open;
    QTest::newRow("session, dialect and a day")
        << QVariantMap{{u"session_id"_s, u"sess-a"_s}, {u"dialect"_s, u"embeddings"_s},
                       {u"start_date"_s, u"2024-03-02"_s}, {u"end_date"_s, u"2024-03-02"_s}}
        << t(u"2024-03-02T00:00:00Z"_s) << t(u"2024-03-03T00:00:00Z"_s);
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
    // The filters on the new columns must pick some rows but not all (else they test nothing).
    if (params.contains(u"session_id"_s) || params.value(u"dialect"_s).toString() == u"messages")
        QVERIFY(!expected.isEmpty() && expected.size() < m_rows.size());
    const QString contains = params.value(u"model_contains"_s).toString();
    if (contains == u"PT-" || contains.contains(u'"'))
        QVERIFY(!expected.isEmpty() && expected.size() < m_rows.size());

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

    // /global/spend sums the same rows (the spend log page's "spent in all matching rows").
    if (!contains.isEmpty()) {
        NanoUsd total = 0;
        for (const SpendLogRow &row : expected)
            total += row.spend;
        const Response spend = m_fixture->get(url("/global/spend", paramsOf(params)));
        QCOMPARE(spend.status, 200);
        QCOMPARE(spend.json().value(u"spend"_s).toDouble(), nanosToUsd(total));
    }
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
        add("unknown dialect", {{u"dialect"_s, u"anthropic"_s}}, u"dialect"_s);
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

QTEST_GUILESS_MAIN(TestSpend)
#include "tst_spend.moc"
