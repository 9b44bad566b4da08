// Integration tests of /customer/* (/end_user/*): a real gateway on its own thread with a
// real SQLite file, called over loopback HTTP. /user/* is in tst_users.cpp.
#include "tests/integration/userstestsupport.h"

using namespace UsersTestSupport;

class TestCustomers : public QObject, protected UsersTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    // End users
    void customerLifecycle();
    void customerRejectsBadInput_data();
    void customerRejectsBadInput();
    void endUserAliasesServeTheSameData();
    void blockingUnknownEndUserCreatesItBlocked();
    void blockedEndUserIsRefusedEndToEnd();
    void endUserIdsAreCapped();
    void unknownEndUserIsCreatedOnFirstUse();

    void auditRowsHaveNoRawKeys();
};

void TestCustomers::initTestCase()
{
    startFixture();
}

void TestCustomers::cleanupTestCase()
{
    stopFixture();
}

// --- end users ---

void TestCustomers::customerLifecycle()
{
    const Response created
        = m_fixture->post("/customer/new",
                          obj("{'user_id': 'cust-a', 'alias': 'Acme', 'max_budget': 3, 'soft_budget': 2,"
                              " 'budget_duration': '1d', 'tpm_limit': 100, 'rpm_limit': 10}"));
    QCOMPARE(created.status, 200);
    const QJsonObject endUser = created.json();
    EXPECT_FIELDS(endUser,
                  "{'user_id': 'cust-a', 'alias': 'Acme', 'blocked': false, 'max_budget': 3,"
                  " 'soft_budget': 2, 'tpm_limit': 100, 'rpm_limit': 10, 'spend': 0}");
    QVERIFY(secondsOff(endUser.value(u"budget_reset_at"_s), 86400) < 60);
    EXPECT_ERROR(m_fixture->post("/customer/new", obj("{'user_id': 'cust-a'}")), 400, u"bad_request_error"_s,
                 u"user_id"_s);
    QCOMPARE(endUserInfo("cust-a"), endUser);

    const Response updated = m_fixture->post(
        "/customer/update", obj("{'user_id': 'cust-a', 'alias': 'Acme Ltd', 'rpm_limit': 20}"));
    QCOMPARE(updated.status, 200);
    EXPECT_FIELDS(updated.json(), "{'alias': 'Acme Ltd', 'rpm_limit': 20, 'max_budget': 3}"); // others stay
    QCOMPARE(endUserInfo("cust-a"), updated.json());
    QVERIFY(idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(u"cust-a"_s));

    // Delete: all or nothing.
    QCOMPARE(m_fixture->post("/customer/new", obj("{'user_id': 'cust-b'}")).status, 200);
    EXPECT_ERROR(m_fixture->post("/customer/delete", ids({u"cust-a"_s, u"ghost"_s})), 404,
                 u"not_found_error"_s, u"user_ids"_s);
    QCOMPARE(m_fixture->get("/customer/info?end_user_id=cust-a").status, 200);
    const Response deleted = m_fixture->post("/customer/delete", ids({u"cust-a"_s, u"cust-b"_s}));
    QCOMPARE(deleted.status, 200);
    QCOMPARE(deleted.json().value(u"deleted_customers"_s).toArray(), list({u"cust-a"_s, u"cust-b"_s}));
    EXPECT_ERROR(m_fixture->get("/customer/info?end_user_id=cust-a"), 404, u"not_found_error"_s);
    QVERIFY(!idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(u"cust-b"_s));
    EXPECT_ERROR(m_fixture->post("/customer/delete", ids({u"cust-a"_s})), 404, u"not_found_error"_s);
}

void TestCustomers::customerRejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("param");
    const struct
    {
        const char *name, *method, *path, *body;
        int status;
        const char *param;
    } rows[] = {
        {"new without user_id", "POST", "/customer/new", "{}", 400, "user_id"},
        {"new with numeric user_id", "POST", "/customer/new", "{'user_id': 5}", 400, "user_id"},
        {"new with numeric alias", "POST", "/customer/new", "{'user_id': 'c-x', 'alias': 5}", 400, "alias"},
        {"new with blocked a string", "POST", "/customer/new", "{'user_id': 'c-x', 'blocked': 'yes'}", 400,
         "blocked"},
        {"new with max_budget a string", "POST", "/customer/new", "{'user_id': 'c-x', 'max_budget': '1'}",
         400, "max_budget"},
        {"new with bad budget_duration", "POST", "/customer/new",
         "{'user_id': 'c-x', 'budget_duration': '2x'}", 400, "budget_duration"},
        {"new with fractional tpm_limit", "POST", "/customer/new", "{'user_id': 'c-x', 'tpm_limit': 1.5}",
         400, "tpm_limit"},
        {"new with invalid JSON", "POST", "/customer/new", "{", 400, ""},
        {"update without user_id", "POST", "/customer/update", "{'alias': 'x'}", 400, "user_id"},
        {"update of unknown", "POST", "/customer/update", "{'user_id': 'ghost'}", 404, "user_id"},
        {"info without end_user_id", "GET", "/customer/info", "", 400, "end_user_id"},
        {"info of unknown", "GET", "/customer/info?end_user_id=ghost", "", 404, "end_user_id"},
        {"delete without user_ids", "POST", "/customer/delete", "{}", 400, "user_ids"},
        {"delete with user_ids a string", "POST", "/customer/delete", "{'user_ids': 'a'}", 400, "user_ids"},
        {"block with numeric ids", "POST", "/customer/block", "{'user_ids': [1]}", 400, "user_ids"},
        {"unblock of unknown", "POST", "/customer/unblock", "{'user_ids': ['ghost']}", 404, "user_ids"},
    };
    for (const auto &row : rows) {
        QTest::newRow(row.name) << QByteArray(row.method) << QByteArray(row.path)
                                << QByteArray(row.body).replace('\'', '"') << row.status
                                << QString::fromLatin1(row.param);
    }
}

void TestCustomers::customerRejectsBadInput()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, param);
    const QJsonArray before = jsonArray(m_fixture->get("/customer/list"));
    const Response response
        = m_fixture->client()->request(method, path, {{"Content-Type", "application/json"}}, body);
    EXPECT_ERROR(response, status, status == 404 ? u"not_found_error"_s : u"bad_request_error"_s, param);
    QCOMPARE(jsonArray(m_fixture->get("/customer/list")), before);
}

void TestCustomers::endUserAliasesServeTheSameData()
{
    QCOMPARE(m_fixture->post("/end_user/new", obj("{'user_id': 'alias-cust'}")).status, 200);
    QCOMPARE(m_fixture->get("/customer/info?end_user_id=alias-cust").status, 200);
    const Response blocked = m_fixture->post("/end_user/block", ids({u"alias-cust"_s}));
    QCOMPARE(blocked.json().value(u"blocked_users"_s).toArray(), list({u"alias-cust"_s}));
    EXPECT_FIELDS(m_fixture->get("/end_user/info?end_user_id=alias-cust").json(), "{'blocked': true}");
    QVERIFY(idsOf(jsonArray(m_fixture->get("/v1/end_user/list"))).contains(u"alias-cust"_s));
    EXPECT_FIELDS(
        m_fixture->post("/end_user/update", obj("{'user_id': 'alias-cust', 'blocked': false}")).json(),
        "{'blocked': false}");
    QCOMPARE(m_fixture->post("/end_user/delete", ids({u"alias-cust"_s})).status, 200);
    EXPECT_ERROR(m_fixture->get("/end_user/info?end_user_id=alias-cust"), 404, u"not_found_error"_s);
}

void TestCustomers::blockingUnknownEndUserCreatesItBlocked()
{
    QCOMPARE(m_fixture->post("/customer/block", ids({u"pre-blocked"_s})).status, 200);
    // Created blocked, with the config's default end-user budget.
    EXPECT_FIELDS(endUserInfo("pre-blocked"), "{'blocked': true, 'max_budget': 2.5}");
    EXPECT_ERROR(chat(GatewayFixture::MasterKey, u"gpt-a"_s, u"pre-blocked"_s), 401, u"auth_error"_s);
}

void TestCustomers::endUserIdsAreCapped()
{
    const QString longest(256, u'L');
    const QString tooLong(257, u'L');
    EXPECT_ERROR(m_fixture->post("/customer/new", QJsonObject{{u"user_id"_s, tooLong}}), 400, u"bad_request_error"_s,
                 u"user_id"_s);
    EXPECT_ERROR(m_fixture->post("/end_user/new", QJsonObject{{u"user_id"_s, tooLong}}), 400, u"bad_request_error"_s,
                 u"user_id"_s);
    // Blocking creates unknown ids: capped the same way, and nothing is created.
    EXPECT_ERROR(m_fixture->post("/customer/block", ids({u"cap-ok"_s, tooLong})), 400, u"bad_request_error"_s,
                 u"user_ids"_s);
    QVERIFY(!idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(u"cap-ok"_s));
    QVERIFY(!idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(tooLong));
    QCOMPARE(m_fixture->post("/customer/new", QJsonObject{{u"user_id"_s, longest}}).status, 200);
    QVERIFY(idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(longest));
}

void TestCustomers::blockedEndUserIsRefusedEndToEnd()
{
    QCOMPARE(m_fixture->post("/customer/new", obj("{'user_id': 'shop-42'}")).status, 200);
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s, u"shop-42"_s).status, 200);

    const Response blocked = m_fixture->post("/customer/block", ids({u"shop-42"_s}));
    QCOMPARE(blocked.status, 200);
    QCOMPARE(blocked.json().value(u"blocked_users"_s).toArray(), list({u"shop-42"_s}));
    EXPECT_ERROR(chat(m_aliceKey, u"gpt-a"_s, u"shop-42"_s), 401, u"auth_error"_s);
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s).status, 200); // calls without that end user are unaffected

    const Response unblocked = m_fixture->post("/customer/unblock", ids({u"shop-42"_s}));
    QCOMPARE(unblocked.status, 200);
    QCOMPARE(unblocked.json().value(u"unblocked_users"_s).toArray(), list({u"shop-42"_s}));
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s, u"shop-42"_s).status, 200);
}

void TestCustomers::unknownEndUserIsCreatedOnFirstUse()
{
    EXPECT_ERROR(m_fixture->get("/customer/info?end_user_id=newcomer"), 404, u"not_found_error"_s);
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s, u"newcomer"_s).status, 200);
    QVERIFY(idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(u"newcomer"_s));
    EXPECT_FIELDS(endUserInfo("newcomer"), "{'max_budget': 2.5, 'blocked': false}");
}

void TestCustomers::auditRowsHaveNoRawKeys()
{
    QList<AuditEntry> entries;
    checkAuditRows({u"customer.new"_s, u"customer.update"_s, u"customer.delete"_s, u"customer.block"_s,
                    u"customer.unblock"_s},
                   entries);
}

QTEST_GUILESS_MAIN(TestCustomers)
#include "tst_customers.moc"
