// Integration tests of /user/*: a real gateway on its own thread with a real SQLite file,
// called over loopback HTTP with the master key, with keys of internal users and of proxy
// admins, and with no key at all. /customer/* (/end_user/*) is in tst_customers.cpp.
#include "tests/integration/userstestsupport.h"

using namespace UsersTestSupport;

class TestUsers : public QObject, protected UsersTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    // Users
    void newUserReturnsUserAndWorkingKey();
    void newUserWithoutKey();
    void newUserDefaultsAndKeyExpiry();
    void newUserRejectsBadInput_data();
    void newUserRejectsBadInput();
    void newUserRejectsTakenIds();
    void everyRouteNeedsAKey_data();
    void everyRouteNeedsAKey();
    void adminRoutesRefuseInternalUserKeys_data();
    void adminRoutesRefuseInternalUserKeys();
    void proxyAdminKeyMayManage();
    void userModelsApplyToItsKeys();
    void userInfoOfOwnAndOtherUsers();
    void updateUserChangesFields();
    void updateUserRejectsBadInput_data();
    void updateUserRejectsBadInput();
    void deleteUsersRemovesTheirKeys();
    void deleteUsersWithAnUnknownIdDeletesNothing();
    void listUsersPagesAndFilters();
    void listUsersRejectsBadParameters_data();
    void listUsersRejectsBadParameters();
    void concurrentNewUsersGetDistinctKeys();
    void globalBudgetPseudoUser();

    // Both
    void failedWritesAreUndone();
    void usersKeysAndEndUsersSurviveRestart();
    void auditRowsHaveNoRawKeys();
};

void TestUsers::initTestCase()
{
    startFixture();
}

void TestUsers::cleanupTestCase()
{
    stopFixture();
}

// --- users ---

void TestUsers::newUserReturnsUserAndWorkingKey()
{
    const Response created = newUser(
        obj("{'user_id': 'krrish@berri.ai', 'user_email': 'krrish@berri.ai', 'user_alias': 'Krrish',"
            " 'user_role': 'internal_user', 'max_budget': 10.5, 'soft_budget': 8, 'budget_duration': '30d',"
            " 'tpm_limit': 1000, 'rpm_limit': 60, 'max_parallel_requests': 4, 'metadata': {'team': 'core'},"
            " 'key_alias': 'krrish-first'}"));
    QCOMPARE(created.status, 200);
    const QJsonObject user = created.json();
    const QString rawKey = user.value(u"key"_s).toString();
    QVERIFY2(QRegularExpression(u"^sk-[A-Za-z0-9_-]{22}$"_s).match(rawKey).hasMatch(), qPrintable(rawKey));
    const QString token = QString::fromLatin1(
        QCryptographicHash::hash(rawKey.toLatin1(), QCryptographicHash::Sha256).toHex());
    QCOMPARE(user.value(u"token"_s).toString(), token);
    QCOMPARE(user.value(u"key_name"_s).toString(), QString(u"sk-..."_s + rawKey.right(4)));
    EXPECT_FIELDS(user,
                  "{'expires': null, 'key_alias': 'krrish-first', 'user_id': 'krrish@berri.ai',"
                  " 'user_email': 'krrish@berri.ai', 'user_alias': 'Krrish', 'user_role': 'internal_user',"
                  " 'max_budget': 10.5, 'soft_budget': 8, 'budget_duration': '30d', 'tpm_limit': 1000,"
                  " 'rpm_limit': 60, 'max_parallel_requests': 4, 'metadata': {'team': 'core'}, 'spend': 0}");
    QVERIFY(secondsOff(user.value(u"budget_reset_at"_s), 30LL * 86400) < 60);

    // The key works for completions.
    QCOMPARE(chat(rawKey.toLatin1(), u"gpt-a"_s).status, 200);

    // /user/info lists the key by its token, never the raw key.
    const Response info = m_fixture->get("/user/info?user_id=krrish%40berri.ai");
    QCOMPARE(info.status, 200);
    QCOMPARE(info.json().value(u"user_id"_s).toString(), u"krrish@berri.ai"_s);
    const QJsonObject stored = info.json().value(u"user_info"_s).toObject();
    EXPECT_FIELDS(stored, "{'max_budget': 10.5, 'user_role': 'internal_user'}");
    // The call above was charged to the user (and to its key).
    QVERIFY2(stored.value(u"spend"_s).toDouble() > 0, "the user's spend did not grow with its key's call");
    QCOMPARE(stored.value(u"spend"_s).toDouble(),
             info.json().value(u"keys"_s).toArray().first().toObject().value(u"spend"_s).toDouble());
    QCOMPARE(stored.value(u"budget_reset_at"_s), user.value(u"budget_reset_at"_s));
    const QJsonArray keys = info.json().value(u"keys"_s).toArray();
    QCOMPARE(keys.size(), 1);
    EXPECT_FIELDS(keys.first().toObject(), "{'user_id': 'krrish@berri.ai', 'key_alias': 'krrish-first'}");
    QCOMPARE(keys.first().toObject().value(u"token"_s).toString(), token);
    QVERIFY(!info.body.contains(rawKey.toLatin1()));
}

void TestUsers::newUserWithoutKey()
{
    const Response created = newUser(obj("{'user_id': 'keyless', 'auto_create_key': false}"));
    QCOMPARE(created.status, 200);
    QVERIFY(!created.json().contains(u"key"_s));
    QVERIFY(!created.json().contains(u"token"_s));
    QCOMPARE(userInfo("keyless").value(u"keys"_s).toArray(), QJsonArray{});
}

void TestUsers::newUserDefaultsAndKeyExpiry()
{
    const Response created = newUser(obj("{'duration': '1h'}"));
    QCOMPARE(created.status, 200);
    const QJsonObject user = created.json();
    // A UUID when no user_id is given, the internal_user role, no budget, all models.
    QVERIFY(!QUuid::fromString(user.value(u"user_id"_s).toString()).isNull());
    EXPECT_FIELDS(
        user, "{'user_role': 'internal_user', 'max_budget': null, 'budget_reset_at': null, 'models': []}");
    // `duration` is the key's lifetime.
    QVERIFY(secondsOff(user.value(u"expires"_s), 3600) < 60);
    QCOMPARE(chat(keyOf(created), u"gpt-c"_s).status, 200);
}

void TestUsers::newUserRejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("param");
    const struct
    {
        const char *name, *body, *param;
    } rows[] = {
        {"invalid JSON", "{not json", ""},
        {"body is an array", "[]", ""},
        {"user_id a number", "{'user_id': 5}", "user_id"},
        {"user_id empty", "{'user_id': ''}", "user_id"},
        {"unknown role", "{'user_role': 'god'}", "user_role"},
        {"role not a string", "{'user_role': 1}", "user_role"},
        {"models not a list", "{'models': 'gpt-a'}", "models"},
        {"models with a number", "{'models': [1]}", "models"},
        {"max_budget a string", "{'max_budget': '10'}", "max_budget"},
        {"max_budget negative", "{'max_budget': -1}", "max_budget"},
        {"bad budget_duration", "{'budget_duration': '5y'}", "budget_duration"},
        {"bad key duration", "{'duration': 'soon'}", "duration"},
        {"tpm_limit fractional", "{'tpm_limit': 1.5}", "tpm_limit"},
        {"rpm_limit negative", "{'rpm_limit': -1}", "rpm_limit"},
        {"metadata a list", "{'metadata': []}", "metadata"},
        {"auto_create_key a string", "{'auto_create_key': 'yes'}", "auto_create_key"},
        {"key_alias a number", "{'key_alias': 3}", "key_alias"},
        {"reserved pseudo user", "{'user_id': 'litellm-proxy-budget'}", "user_id"},
    };
    for (const auto &row : rows)
        QTest::newRow(row.name) << QByteArray(row.body).replace('\'', '"') << QString::fromLatin1(row.param);
}

void TestUsers::newUserRejectsBadInput()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, param);
    const int before = m_fixture->get("/user/list").json().value(u"total"_s).toInt();
    EXPECT_ERROR(m_fixture->client()->post("/user/new", body), 400, u"bad_request_error"_s, param);
    QCOMPARE(m_fixture->get("/user/list").json().value(u"total"_s).toInt(), before);
}

void TestUsers::newUserRejectsTakenIds()
{
    EXPECT_ERROR(newUser(obj("{'user_id': 'alice'}")), 400, u"bad_request_error"_s, u"user_id"_s);
    QCOMPARE(newUser(obj("{'user_id': 'alias-owner', 'key_alias': 'taken-alias'}")).status, 200);
    EXPECT_ERROR(newUser(obj("{'user_id': 'alias-thief', 'key_alias': 'taken-alias'}")), 400,
                 u"bad_request_error"_s, u"key_alias"_s);
    EXPECT_ERROR(m_fixture->get("/user/info?user_id=alias-thief"), 404, u"not_found_error"_s);
}

void TestUsers::everyRouteNeedsAKey_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    QList<RouteCase> routes = adminRoutes();
    routes.append(RouteCase{"GET", "/user/info?user_id=alice"});
    for (const RouteCase &route : routes)
        QTest::addRow("%s %s", route.method.constData(), route.path.constData())
            << route.method << route.path;
}

void TestUsers::everyRouteNeedsAKey()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    EXPECT_ERROR(m_fixture->client("")->request(method, path, {{"Content-Type", "application/json"}}, "{}"),
                 401, u"auth_error"_s);
}

void TestUsers::adminRoutesRefuseInternalUserKeys_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("path");
    for (const RouteCase &route : adminRoutes())
        QTest::addRow("%s %s", route.method.constData(), route.path.constData())
            << route.method << route.path;
}

void TestUsers::adminRoutesRefuseInternalUserKeys()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, path);
    const QByteArray body
        = QJsonDocument(obj("{'user_id': 'alice', 'user_ids': ['alice'], 'max_budget': 1000}")).toJson();
    const auto client = m_fixture->client(m_aliceKey);
    EXPECT_ERROR(client->request(method, path, {{"Content-Type", "application/json"}}, body), 403,
                 u"forbidden"_s);
    QVERIFY(userInfo("alice").value(u"user_info"_s).toObject().value(u"max_budget"_s).isNull()); // unchanged
}

void TestUsers::proxyAdminKeyMayManage()
{
    QCOMPARE(m_fixture->get("/user/list", m_rootKey).status, 200);
    EXPECT_ERROR(m_fixture->get("/user/list", m_aliceKey), 403, u"forbidden"_s);
    QCOMPARE(m_fixture->get("/user/info?user_id=alice", m_rootKey).status, 200);
    const Response created = m_fixture->post("/user/new", obj("{'user_id': 'made-by-root'}"), m_rootKey);
    QCOMPARE(created.status, 200);
    m_rawKeys.append(created.json().value(u"key"_s).toString());
    QCOMPARE(m_fixture->post("/customer/new", obj("{'user_id': 'root-customer'}"), m_rootKey).status, 200);
}

void TestUsers::userModelsApplyToItsKeys()
{
    const Response created = newUser(obj("{'user_id': 'beta-tester', 'models': ['beta']}"));
    QCOMPARE(created.status, 200);
    const QByteArray key = keyOf(created);
    QCOMPARE(chat(key, u"gpt-a"_s).status, 200);
    const Response denied = chat(key, u"gpt-b"_s);
    EXPECT_ERROR(denied, 403, u"user_model_access_denied"_s, u"model"_s);
    QVERIFY(denied.json()
                .value(u"error"_s)
                .toObject()
                .value(u"message"_s)
                .toString()
                .startsWith(u"user not allowed to access model."_s));
    const QJsonArray models = m_fixture->get("/v1/models", key).json().value(u"data"_s).toArray();
    QCOMPARE(models.size(), 1);
    QCOMPARE(models.first().toObject().value(u"id"_s).toString(), u"gpt-a"_s);
}

void TestUsers::userInfoOfOwnAndOtherUsers()
{
    // Own user, with and without user_id.
    const Response own = m_fixture->get("/user/info", m_aliceKey);
    QCOMPARE(own.status, 200);
    QCOMPARE(own.json().value(u"user_id"_s).toString(), u"alice"_s);
    QCOMPARE(own.json().value(u"keys"_s).toArray().size(), 1);
    QCOMPARE(m_fixture->get("/user/info?user_id=alice", m_aliceKey).status, 200);
    // Someone else's, or the global budget: forbidden.
    for (const QByteArray other : {"root", "litellm-proxy-budget", "nobody"})
        EXPECT_ERROR(m_fixture->get("/user/info?user_id=" + other, m_aliceKey), 403, u"forbidden"_s,
                     u"user_id"_s);
    // A viewer reads itself too.
    const Response viewer = newUser(obj("{'user_id': 'vera', 'user_role': 'internal_user_viewer'}"));
    QCOMPARE(viewer.status, 200);
    EXPECT_FIELDS(m_fixture->get("/user/info", keyOf(viewer)).json().value(u"user_info"_s).toObject(),
                  "{'user_id': 'vera', 'user_role': 'internal_user_viewer'}");
    // The master key must name a user, and an unknown one is a 404.
    EXPECT_ERROR(m_fixture->get("/user/info"), 400, u"bad_request_error"_s, u"user_id"_s);
    EXPECT_ERROR(m_fixture->get("/user/info?user_id=nobody"), 404, u"not_found_error"_s, u"user_id"_s);
}

void TestUsers::updateUserChangesFields()
{
    const Response created
        = newUser(obj("{'user_id': 'upd-user', 'metadata': {'a': 1, 'b': 2}, 'max_budget': 1}"));
    QCOMPARE(created.status, 200);
    const QByteArray key = keyOf(created);
    QCOMPARE(chat(key, u"gpt-b"_s).status, 200);

    const Response updated = m_fixture->post(
        "/user/update",
        obj("{'user_id': 'upd-user', 'user_alias': 'Updated', 'user_role': 'internal_user_viewer',"
            " 'models': ['beta'], 'metadata': {'c': 3}, 'max_budget': 7.5, 'budget_duration': '1d',"
            " 'rpm_limit': 5}"));
    QCOMPARE(updated.status, 200);
    QCOMPARE(updated.json().value(u"user_id"_s).toString(), u"upd-user"_s);
    const QJsonObject data = updated.json().value(u"data"_s).toObject();
    // metadata is replaced whole; a budget_duration starts a fresh window from now.
    EXPECT_FIELDS(data,
                  "{'user_alias': 'Updated', 'user_role': 'internal_user_viewer', 'models': ['beta'],"
                  " 'metadata': {'c': 3}, 'max_budget': 7.5, 'budget_duration': '1d', 'rpm_limit': 5}");
    QVERIFY(secondsOff(data.value(u"budget_reset_at"_s), 86400) < 60);

    QCOMPARE(userInfo("upd-user").value(u"user_info"_s).toObject(), data);

    // The new role applies to its existing key at once: a viewer only reads.
    EXPECT_ERROR(chat(key, u"gpt-a"_s), 403, u"forbidden"_s);
    // And so do the user's new models.
    QCOMPARE(m_fixture->post("/user/update", obj("{'user_id': 'upd-user', 'user_role': 'internal_user'}")).status, 200);
    EXPECT_ERROR(chat(key, u"gpt-b"_s), 403, u"user_model_access_denied"_s, u"model"_s);
    QCOMPARE(chat(key, u"gpt-a"_s).status, 200);
}

void TestUsers::updateUserRejectsBadInput_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("param");
    const struct
    {
        const char *name, *body;
        int status;
        const char *param;
    } rows[] = {
        {"no user_id", "{'max_budget': 1}", 400, "user_id"},
        {"user_id a number", "{'user_id': 7}", 400, "user_id"},
        {"unknown user", "{'user_id': 'nobody', 'max_budget': 1}", 404, "user_id"},
        {"unknown role", "{'user_id': 'alice', 'user_role': 'root'}", 400, "user_role"},
        {"bad budget_duration", "{'user_id': 'alice', 'budget_duration': '1y'}", 400, "budget_duration"},
        {"max_budget a string", "{'user_id': 'alice', 'max_budget': '5'}", 400, "max_budget"},
        {"models not a list", "{'user_id': 'alice', 'models': {}}", 400, "models"},
        {"bad global budget", "{'user_id': 'litellm-proxy-budget', 'max_budget': 'x'}", 400, "max_budget"},
        {"invalid JSON", "{'user_id': ", 400, ""},
    };
    for (const auto &row : rows) {
        QTest::newRow(row.name) << QByteArray(row.body).replace('\'', '"') << row.status
                                << QString::fromLatin1(row.param);
    }
}

void TestUsers::updateUserRejectsBadInput()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, param);
    const QJsonObject before = userInfo("alice");
    EXPECT_ERROR(m_fixture->client()->post("/user/update", body), status,
                 status == 404 ? u"not_found_error"_s : u"bad_request_error"_s, param);
    QCOMPARE(userInfo("alice"), before);
}

void TestUsers::deleteUsersRemovesTheirKeys()
{
    const Response first = newUser(obj("{'user_id': 'del-1'}"));
    const Response second = newUser(obj("{'user_id': 'del-2'}"));
    QCOMPARE(first.status, 200);
    QCOMPARE(second.status, 200);
    QCOMPARE(chat(keyOf(first), u"gpt-a"_s).status, 200);

    const Response deleted = m_fixture->post("/user/delete", ids({u"del-1"_s, u"del-2"_s}));
    QCOMPARE(deleted.status, 200);
    QCOMPARE(deleted.json().value(u"deleted_users"_s).toArray(), list({u"del-1"_s, u"del-2"_s}));
    QCOMPARE(deleted.json().value(u"deleted_keys"_s).toArray().size(), 2);

    EXPECT_ERROR(chat(keyOf(first), u"gpt-a"_s), 401, u"auth_error"_s);
    EXPECT_ERROR(chat(keyOf(second), u"gpt-a"_s), 401, u"auth_error"_s);
    EXPECT_ERROR(m_fixture->get("/user/info?user_id=del-1"), 404, u"not_found_error"_s);
    // Gone from the store too.
    const auto rows = m_fixture->store().readNow([](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.exec(u"SELECT (SELECT COUNT(*) FROM users WHERE user_id IN ('del-1', 'del-2')) + "
                   "(SELECT COUNT(*) FROM keys WHERE user_id IN ('del-1', 'del-2'))"_s);
        return query.next() ? query.value(0) : QVariant(-1);
    });
    QVERIFY(rows.ok());
    QCOMPARE(rows->toInt(), 0);
}

void TestUsers::deleteUsersWithAnUnknownIdDeletesNothing()
{
    const Response kept = newUser(obj("{'user_id': 'del-kept'}"));
    QCOMPARE(kept.status, 200);
    const Response response = m_fixture->post("/user/delete", ids({u"del-kept"_s, u"ghost"_s}));
    EXPECT_ERROR(response, 404, u"not_found_error"_s, u"user_ids"_s);
    QVERIFY(response.json().value(u"error"_s).toObject().value(u"message"_s).toString().contains(u"ghost"_s));
    QCOMPARE(m_fixture->get("/user/info?user_id=del-kept").status, 200);
    QCOMPARE(chat(keyOf(kept), u"gpt-a"_s).status, 200);

    for (const char *body : {"{}", "{'user_ids': []}", "{'user_ids': 'del-kept'}"})
        EXPECT_ERROR(m_fixture->post("/user/delete", obj(body)), 400, u"bad_request_error"_s, u"user_ids"_s);
}

void TestUsers::listUsersPagesAndFilters()
{
    QStringList created;
    for (int i = 0; i < 5; ++i) {
        const QString id = u"list-user-%1"_s.arg(i);
        const QString role = i % 2 ? u"internal_user_viewer"_s : u"internal_user"_s;
        QCOMPARE(newUser({{u"user_id"_s, id}, {u"user_role"_s, role}, {u"auto_create_key"_s, false}}).status,
                 200);
        created.append(id);
    }
    const QByteArray filter = "user_ids=" + created.join(u',').toLatin1();

    const QJsonObject first = m_fixture->get("/user/list?page_size=2&" + filter).json();
    EXPECT_FIELDS(first, "{'total': 5, 'page': 1, 'page_size': 2, 'total_pages': 3}");
    QCOMPARE(idsOf(first.value(u"users"_s)), (QStringList{u"list-user-0"_s, u"list-user-1"_s}));
    const QJsonObject last = m_fixture->get("/user/list?page_size=2&page=3&" + filter).json();
    QCOMPARE(idsOf(last.value(u"users"_s)), QStringList{u"list-user-4"_s});
    const Response beyond = m_fixture->get("/user/list?page_size=2&page=4&" + filter);
    QCOMPARE(beyond.status, 200);
    QCOMPARE(beyond.json().value(u"users"_s).toArray(), QJsonArray{});

    const QJsonObject viewers = m_fixture->get("/user/list?role=internal_user_viewer&" + filter).json();
    QCOMPARE(idsOf(viewers.value(u"users"_s)), (QStringList{u"list-user-1"_s, u"list-user-3"_s}));
    QCOMPARE(viewers.value(u"page_size"_s).toInt(), 25);

    // Without filters: everyone, including the proxy admin made at start.
    const QJsonObject all = m_fixture->get("/user/list?page_size=100").json();
    QVERIFY(idsOf(all.value(u"users"_s)).contains(u"root"_s));
    QCOMPARE(all.value(u"total"_s).toInt(), all.value(u"users"_s).toArray().size());
    QCOMPARE(idsOf(m_fixture->get("/user/list?role=proxy_admin").json().value(u"users"_s)),
             QStringList{u"root"_s});
}

void TestUsers::listUsersRejectsBadParameters_data()
{
    QTest::addColumn<QByteArray>("query");
    QTest::addColumn<QString>("param");
    QTest::newRow("page 0") << QByteArray("page=0") << u"page"_s;
    QTest::newRow("page not a number") << QByteArray("page=two") << u"page"_s;
    QTest::newRow("page_size 0") << QByteArray("page_size=0") << u"page_size"_s;
    QTest::newRow("page_size over 100") << QByteArray("page_size=101") << u"page_size"_s;
    QTest::newRow("unknown role") << QByteArray("role=superuser") << u"role"_s;
}

void TestUsers::listUsersRejectsBadParameters()
{
    QFETCH(QByteArray, query);
    QFETCH(QString, param);
    EXPECT_ERROR(m_fixture->get("/user/list?" + query), 400, u"bad_request_error"_s, param);
}

void TestUsers::concurrentNewUsersGetDistinctKeys()
{
    constexpr int Count = 10;
    QList<Response> responses(Count);
    QList<QThread *> threads;
    const quint16 port = m_fixture->port();
    for (int i = 0; i < Count; ++i) {
        threads.append(QThread::create([&responses, i, port] {
            HttpClient client(port);
            client.setDefaultHeaders({{"Authorization", QByteArray("Bearer ") + GatewayFixture::MasterKey}});
            responses[i] = client.postJson("/user/new", obj("{'user_role': 'internal_user'}"));
        }));
    }
    for (QThread *thread : threads)
        thread->start();
    for (QThread *thread : threads) {
        QVERIFY(thread->wait(15'000));
        delete thread;
    }
    QSet<QString> users;
    QSet<QString> keys;
    for (const Response &response : responses) {
        QCOMPARE(response.status, 200);
        users.insert(response.json().value(u"user_id"_s).toString());
        keys.insert(response.json().value(u"key"_s).toString());
        m_rawKeys.append(response.json().value(u"key"_s).toString());
    }
    QCOMPARE(users.size(), Count);
    QCOMPARE(keys.size(), Count);
    const QByteArray filter = QStringList(users.values()).join(u',').toLatin1();
    QCOMPARE(m_fixture->get("/user/list?user_ids=" + filter).json().value(u"total"_s).toInt(), Count);
    for (const QString &key : keys)
        QCOMPARE(m_fixture->get("/user/info", key.toLatin1()).status, 200);
}

void TestUsers::globalBudgetPseudoUser()
{
    // From config.yaml's litellm_settings at first.
    const QJsonObject info = userInfo("litellm-proxy-budget");
    EXPECT_FIELDS(info, "{'user_id': 'litellm-proxy-budget', 'keys': []}");
    EXPECT_FIELDS(info.value(u"user_info"_s).toObject(), "{'max_budget': 100, 'budget_duration': '30d'}");
    // Its spend is the ledger's global spend: what the calls of the earlier tests cost.
    QVERIFY(info.value(u"user_info"_s).toObject().value(u"spend"_s).toDouble(-1) >= 0);
    // Not a user of the lists.
    QVERIFY(!idsOf(m_fixture->get("/user/list?page_size=100").json().value(u"users"_s))
                 .contains(u"litellm-proxy-budget"_s));

    const QJsonObject change
        = obj("{'user_id': 'litellm-proxy-budget', 'max_budget': 250, 'budget_duration': '7d'}");
    const Response updated = m_fixture->post("/user/update", change);
    QCOMPARE(updated.status, 200);
    EXPECT_FIELDS(updated.json().value(u"data"_s).toObject(), "{'max_budget': 250, 'budget_duration': '7d'}");
    const QJsonObject budget = userInfo("litellm-proxy-budget").value(u"user_info"_s).toObject();
    EXPECT_FIELDS(budget, "{'max_budget': 250, 'budget_duration': '7d'}");
    QVERIFY(secondsOff(budget.value(u"budget_reset_at"_s), 7LL * 86400) < 60);
    EXPECT_ERROR(m_fixture->post("/user/update", change, m_aliceKey), 403, u"forbidden"_s);

    // Stored in the settings table, and read back after a restart.
    const auto stored = m_fixture->store().readNow([](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.exec(u"SELECT value FROM settings WHERE key = 'global_budget'"_s);
        return query.next() ? query.value(0) : QVariant();
    });
    QVERIFY(stored.ok());
    EXPECT_FIELDS(QJsonDocument::fromJson(stored->toString().toUtf8()).object(),
                  "{'max_budget': 250, 'budget_duration': '7d'}");
    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));
    QCOMPARE(userInfo("litellm-proxy-budget").value(u"user_info"_s).toObject(), budget);

    // The start-up hook reads the same value.
    const Config config = m_fixture->config();
    IdentityRegistry identities;
    GatewayServices services;
    services.config = &config;
    services.store = &m_fixture->store();
    services.identities = &identities;
    UserController controller(services);
    Router router;
    controller.registerRoutes(router);
    QCOMPARE(controller.globalBudget().maxBudget.value_or(-1), usdToNanos(100.0));
    QVERIFY(controller.loadSettings().ok());
    QCOMPARE(controller.globalBudget().maxBudget.value_or(-1), usdToNanos(250.0));
    QVERIFY(controller.globalBudget().duration.has_value());
    QCOMPARE(controller.globalBudget().duration->toString(), u"7d"_s);

    // An explicit null removes the max and the period (the window's "no global budget"),
    // and stays removed after a restart; a field left out stays as it is.
    QCOMPARE(m_fixture->post("/user/update", obj("{'user_id': 'litellm-proxy-budget', 'max_budget': null}")).status, 200);
    EXPECT_FIELDS(userInfo("litellm-proxy-budget").value(u"user_info"_s).toObject(),
                  "{'max_budget': null, 'budget_duration': '7d'}");
    QCOMPARE(m_fixture->post("/user/update", obj("{'user_id': 'litellm-proxy-budget', 'budget_duration': null}")).status,
             200);
    const QJsonObject removed = userInfo("litellm-proxy-budget").value(u"user_info"_s).toObject();
    EXPECT_FIELDS(removed, "{'max_budget': null, 'budget_duration': null, 'budget_reset_at': null}");
    QVERIFY(m_fixture->get("/global/spend").json().value(u"max_budget"_s).isNull());
    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));
    EXPECT_FIELDS(userInfo("litellm-proxy-budget").value(u"user_info"_s).toObject(),
                  "{'max_budget': null, 'budget_duration': null}");
    // Back as the later tests expect it.
    QCOMPARE(m_fixture->post("/user/update", change).status, 200);
}

// --- both ---

void TestUsers::failedWritesAreUndone()
{
    const QJsonObject alice = userInfo("alice");
    const QJsonObject vera = userInfo("vera");
    const QJsonObject shop = endUserInfo("shop-42");
    const QJsonObject budget = userInfo("litellm-proxy-budget");
    QVERIFY(refuseWrites(true));

    // Each write answers 503 and leaves memory as it was.
    const auto unavailable = u"service_unavailable"_s;
    EXPECT_ERROR(newUser(obj("{'user_id': 'unsaved', 'key_alias': 'unsaved-key'}")), 503, unavailable);
    EXPECT_ERROR(m_fixture->post("/user/update", obj("{'user_id': 'alice', 'max_budget': 9}")), 503,
                 unavailable);
    EXPECT_ERROR(m_fixture->post("/user/delete", ids({u"vera"_s})), 503, unavailable);
    EXPECT_ERROR(m_fixture->post("/customer/block", ids({u"shop-42"_s, u"never-saved"_s})), 503, unavailable);
    EXPECT_ERROR(m_fixture->post("/customer/new", obj("{'user_id': 'never-saved'}")), 503, unavailable);
    EXPECT_ERROR(m_fixture->post("/user/update", obj("{'user_id': 'litellm-proxy-budget', 'max_budget': 1}")),
                 503, unavailable);

    QVERIFY(refuseWrites(false));
    EXPECT_ERROR(m_fixture->get("/user/info?user_id=unsaved"), 404, u"not_found_error"_s);
    QCOMPARE(userInfo("alice"), alice);
    QCOMPARE(userInfo("vera"), vera);
    QCOMPARE(endUserInfo("shop-42"), shop);
    EXPECT_ERROR(m_fixture->get("/customer/info?end_user_id=never-saved"), 404, u"not_found_error"_s);
    QCOMPARE(userInfo("litellm-proxy-budget"), budget);
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s, u"shop-42"_s).status, 200);
    // The alias of the key that was not saved is free again.
    QCOMPARE(newUser(obj("{'user_id': 'unsaved', 'key_alias': 'unsaved-key'}")).status, 200);
}

void TestUsers::usersKeysAndEndUsersSurviveRestart()
{
    const Response created = newUser(obj("{'user_id': 'persist-user', 'models': ['beta'], 'max_budget': 5,"
                                         " 'budget_duration': '1mo', 'key_alias': 'persist-key'}"));
    QCOMPARE(created.status, 200);
    QCOMPARE(m_fixture->post("/customer/new", obj("{'user_id': 'persist-cust', 'alias': 'Kept'}")).status,
             200);
    QCOMPARE(m_fixture->post("/customer/block", ids({u"persist-cust"_s})).status, 200);
    const QJsonObject userBefore = userInfo("persist-user");
    const QJsonObject endUserBefore = endUserInfo("persist-cust");
    const QJsonObject listBefore = m_fixture->get("/user/list?page_size=100").json();

    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));

    QCOMPARE(userInfo("persist-user"), userBefore);
    QCOMPARE(endUserInfo("persist-cust"), endUserBefore);
    QCOMPARE(m_fixture->get("/user/list?page_size=100").json(), listBefore);
    const QByteArray key = keyOf(created);
    QCOMPARE(chat(key, u"gpt-a"_s).status, 200);
    EXPECT_ERROR(chat(key, u"gpt-b"_s), 403, u"user_model_access_denied"_s, u"model"_s);
    EXPECT_ERROR(chat(key, u"gpt-a"_s, u"persist-cust"_s), 401, u"auth_error"_s);
    QCOMPARE(m_fixture->get("/user/list", m_rootKey).status, 200); // still a proxy admin
}

void TestUsers::auditRowsHaveNoRawKeys()
{
    // The /customer actions are checked in tst_customers; here only the one made by a proxy admin.
    QList<AuditEntry> entries;
    checkAuditRows({u"user.new"_s, u"user.update"_s, u"user.delete"_s, u"budget.update"_s, u"customer.new"_s},
                   entries);
    if (QTest::currentTestFailed())
        return;
    int deletes = 0;
    for (const AuditEntry &entry : std::as_const(entries)) {
        // One row per object, with the acting identity.
        if (entry.action == u"user.delete" && entry.objectId.startsWith(u"del-"_s)) {
            ++deletes;
            QCOMPARE(entry.actor, u"master_key"_s);
            QCOMPARE(entry.objectType, u"user"_s);
        }
        if (entry.action == u"user.new" && entry.objectId == u"made-by-root")
            QCOMPARE(entry.actor, u"user:root"_s);
    }
    QCOMPARE(deletes, 2);
}

QTEST_GUILESS_MAIN(TestUsers)
#include "tst_users.moc"
