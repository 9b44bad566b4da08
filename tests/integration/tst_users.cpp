// Integration tests of /user/* and /customer/* (/end_user/*): a real gateway on its own
// thread with a real SQLite file, called over loopback HTTP with the master key, with keys
// of internal users and of proxy admins, and with no key at all.
#include "models/identityregistry.h"
#include "models/store/identityrepository.h"
#include "proxy/controllers/usercontroller.h"
#include "proxy/router.h"
#include "proxy/services.h"
#include "tests/support/gatewayfixture.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QTest>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <cstdlib>
#include <limits>
#include <memory>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

using Response = HttpClient::Response;

// JSON written with single quotes, so bodies stay readable: obj("{'user_id': 'alice'}").
QJsonObject obj(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json).replace('\'', '"')).object();
}

QJsonArray list(const QStringList &items)
{
    return QJsonArray::fromStringList(items);
}

QJsonObject ids(const QStringList &userIds)
{
    return {{u"user_ids"_s, list(userIds)}};
}

QJsonObject chatBody(const QString &model, const QString &endUser = {})
{
    QJsonObject body{{u"model"_s, model},
                     {u"messages"_s, QJsonArray{obj("{'role': 'user', 'content': 'Hello'}")}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return body;
}

QJsonArray jsonArray(const Response &response)
{
    return QJsonDocument::fromJson(response.body).array();
}

QStringList idsOf(const QJsonValue &items)
{
    QStringList result;
    for (const QJsonValue item : items.toArray())
        result.append(item.toObject().value(u"user_id"_s).toString());
    return result;
}

// Empty when `response` is the error envelope with this status, type and param.
QString errorMismatch(const Response &response, int status, const QString &type, const QString &param = {})
{
    const QJsonObject error = response.json().value(u"error"_s).toObject();
    const QString got = QString::fromUtf8(response.body);
    if (response.status != status)
        return u"status %1, expected %2: %3"_s.arg(response.status).arg(status).arg(got);
    if (error.value(u"type"_s).toString() != type
        || error.value(u"code"_s).toString() != QString::number(status))
        return u"type is not %1 or code not \"%2\": %3"_s.arg(type).arg(status).arg(got);
    if (!param.isEmpty() && error.value(u"param"_s).toString() != param)
        return u"param is not %1: %2"_s.arg(param, got);
    return {};
}

// Empty when every field of `expected` has that value in `actual`.
QString fieldsMismatch(const QJsonObject &actual, const QJsonObject &expected)
{
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        if (actual.value(it.key()) != it.value()) {
            return u"%1 is %2, expected %3"_s.arg(
                it.key(),
                QString::fromUtf8(
                    QJsonDocument(QJsonArray{actual.value(it.key())}).toJson(QJsonDocument::Compact)),
                QString::fromUtf8(QJsonDocument(QJsonArray{it.value()}).toJson(QJsonDocument::Compact)));
        }
    }
    return {};
}

// Seconds between an ISO time in JSON and now + `offsetSeconds`.
qint64 secondsOff(const QJsonValue &time, qint64 offsetSeconds)
{
    const QDateTime parsed = QDateTime::fromString(time.toString(), Qt::ISODateWithMs);
    if (!parsed.isValid())
        return std::numeric_limits<qint64>::max();
    return std::abs(parsed.secsTo(QDateTime::currentDateTimeUtc().addSecs(offsetSeconds)));
}

struct RouteCase
{
    QByteArray method;
    QByteArray path;
};

// Admin routes of both controllers (every /customer route also as /end_user).
QList<RouteCase> adminRoutes()
{
    QList<RouteCase> routes{
        {"POST", "/user/new"}, {"POST", "/user/update"}, {"POST", "/user/delete"}, {"GET", "/user/list"}};
    const QList<RouteCase> customerRoutes{
        {"POST", "/new"},   {"GET", "/info?end_user_id=x"}, {"POST", "/update"}, {"POST", "/delete"},
        {"POST", "/block"}, {"POST", "/unblock"},           {"GET", "/list"}};
    for (const QByteArray &prefix : {QByteArray("/customer"), QByteArray("/end_user")}) {
        for (const RouteCase &route : customerRoutes)
            routes.append(RouteCase{route.method, prefix + route.path});
    }
    return routes;
}

} // namespace

#define EXPECT_ERROR(response, ...)                                                                          \
    do {                                                                                                     \
        const QString why_ = errorMismatch(response, __VA_ARGS__);                                           \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                          \
    } while (false)

#define EXPECT_FIELDS(actual, expected)                                                                      \
    do {                                                                                                     \
        const QString why_ = fieldsMismatch(actual, obj(expected));                                          \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                          \
    } while (false)

class TestUsers : public QObject
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

    // End users
    void customerLifecycle();
    void customerRejectsBadInput_data();
    void customerRejectsBadInput();
    void endUserAliasesServeTheSameData();
    void blockingUnknownEndUserCreatesItBlocked();
    void blockedEndUserIsRefusedEndToEnd();
    void unknownEndUserIsCreatedOnFirstUse();

    // Both
    void failedWritesAreUndone();
    void usersKeysAndEndUsersSurviveRestart();
    void auditRowsHaveNoRawKeys();

private:
    // POST /user/new as the master key; remembers the raw key for the audit check.
    Response newUser(const QJsonObject &body);
    [[nodiscard]] static QByteArray keyOf(const Response &response);
    [[nodiscard]] Response chat(const QByteArray &key, const QString &model,
                                const QString &endUser = {}) const;
    [[nodiscard]] QJsonObject userInfo(const QByteArray &userId) const;
    [[nodiscard]] QJsonObject endUserInfo(const QByteArray &userId) const;
    QList<AuditEntry> auditLog();
    // Makes every write to users, end_users and settings fail (or work again).
    bool refuseWrites(bool refuse);

    std::unique_ptr<GatewayFixture> m_fixture;
    QByteArray m_aliceKey; // internal_user "alice"
    QByteArray m_rootKey; // proxy_admin "root"
    QStringList m_rawKeys; // every key handed out, to prove none reached the audit log
};

// --- helpers ---

Response TestUsers::newUser(const QJsonObject &body)
{
    Response response = m_fixture->post("/user/new", body);
    if (const QString key = response.json().value(u"key"_s).toString(); !key.isEmpty())
        m_rawKeys.append(key);
    return response;
}

QByteArray TestUsers::keyOf(const Response &response)
{
    return response.json().value(u"key"_s).toString().toLatin1();
}

Response TestUsers::chat(const QByteArray &key, const QString &model, const QString &endUser) const
{
    return m_fixture->post("/v1/chat/completions", chatBody(model, endUser), key);
}

QJsonObject TestUsers::userInfo(const QByteArray &userId) const
{
    return m_fixture->get("/user/info?user_id=" + QUrl::toPercentEncoding(QString::fromLatin1(userId)))
        .json();
}

QJsonObject TestUsers::endUserInfo(const QByteArray &userId) const
{
    return m_fixture->get("/customer/info?end_user_id=" + userId).json();
}

QList<AuditEntry> TestUsers::auditLog()
{
    const auto rows = m_fixture->store().readNow([](QSqlDatabase &db) {
        auto entries = IdentityRepository::auditLog(db, 100'000);
        return entries ? QVariant::fromValue(*entries) : QVariant::fromValue(entries.error());
    });
    return rows ? rows->value<QList<AuditEntry>>() : QList<AuditEntry>{};
}

bool TestUsers::refuseWrites(bool refuse)
{
    const auto done = m_fixture->store().writeNow([refuse](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        for (const QString &table : {u"users"_s, u"end_users"_s, u"settings"_s}) {
            for (const QString &event : {u"INSERT"_s, u"UPDATE"_s, u"DELETE"_s}) {
                const QString name = u"refuse_%1_%2"_s.arg(table, event.toLower());
                const QString sql = refuse ? u"CREATE TRIGGER %1 BEFORE %2 ON %3 BEGIN SELECT RAISE(ABORT, "
                                             "'refused by the test'); END"_s.arg(name, event, table)
                                           : u"DROP TRIGGER %1"_s.arg(name);
                if (!query.exec(sql))
                    return makeError(sql);
            }
        }
        return {};
    });
    return done.ok();
}

// --- set-up ---

void TestUsers::initTestCase()
{
    Config config = GatewayFixture::defaultConfig();
    config.litellm.maxBudget = 100.0;
    config.litellm.budgetDuration = *Duration::parse(u"30d"_s);
    config.litellm.maxEndUserBudget = 2.5;
    m_fixture = std::make_unique<GatewayFixture>(config);
    QVERIFY2(m_fixture->start(), qPrintable(m_fixture->lastError()));

    const Response alice = newUser(obj("{'user_id': 'alice', 'user_role': 'internal_user'}"));
    const Response root = newUser(obj("{'user_id': 'root', 'user_role': 'proxy_admin'}"));
    QCOMPARE(alice.status, 200);
    QCOMPARE(root.status, 200);
    m_aliceKey = keyOf(alice);
    m_rootKey = keyOf(root);
    QVERIFY(!m_aliceKey.isEmpty() && !m_rootKey.isEmpty());
}

void TestUsers::cleanupTestCase()
{
    m_fixture.reset();
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

    // The user's new models apply to its existing key at once.
    EXPECT_ERROR(chat(key, u"gpt-b"_s), 403, u"user_model_access_denied"_s, u"model"_s);
    QCOMPARE(chat(key, u"gpt-a"_s).status, 200);
    QCOMPARE(userInfo("upd-user").value(u"user_info"_s).toObject(), data);
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
}

// --- end users ---

void TestUsers::customerLifecycle()
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

void TestUsers::customerRejectsBadInput_data()
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

void TestUsers::customerRejectsBadInput()
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

void TestUsers::endUserAliasesServeTheSameData()
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

void TestUsers::blockingUnknownEndUserCreatesItBlocked()
{
    QCOMPARE(m_fixture->post("/customer/block", ids({u"pre-blocked"_s})).status, 200);
    // Created blocked, with the config's default end-user budget.
    EXPECT_FIELDS(endUserInfo("pre-blocked"), "{'blocked': true, 'max_budget': 2.5}");
    EXPECT_ERROR(chat(GatewayFixture::MasterKey, u"gpt-a"_s, u"pre-blocked"_s), 401, u"auth_error"_s);
}

void TestUsers::blockedEndUserIsRefusedEndToEnd()
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

void TestUsers::unknownEndUserIsCreatedOnFirstUse()
{
    EXPECT_ERROR(m_fixture->get("/customer/info?end_user_id=newcomer"), 404, u"not_found_error"_s);
    QCOMPARE(chat(m_aliceKey, u"gpt-a"_s, u"newcomer"_s).status, 200);
    QVERIFY(idsOf(jsonArray(m_fixture->get("/customer/list"))).contains(u"newcomer"_s));
    EXPECT_FIELDS(endUserInfo("newcomer"), "{'max_budget': 2.5, 'blocked': false}");
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
    const QList<AuditEntry> entries = auditLog();
    QVERIFY(!entries.isEmpty());
    QSet<QString> actions;
    int deletes = 0;
    for (const AuditEntry &entry : entries) {
        actions.insert(entry.action);
        const QString row = entry.actor + entry.objectId
            + QString::fromUtf8(QJsonDocument(entry.details).toJson(QJsonDocument::Compact));
        for (const QString &rawKey : std::as_const(m_rawKeys))
            QVERIFY2(!row.contains(rawKey), qPrintable(u"raw key in audit row "_s + entry.action));
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
    for (const QString &action :
         {u"user.new"_s, u"user.update"_s, u"user.delete"_s, u"budget.update"_s, u"customer.new"_s,
          u"customer.update"_s, u"customer.delete"_s, u"customer.block"_s, u"customer.unblock"_s})
        QVERIFY2(actions.contains(action), qPrintable(action));
}

QTEST_GUILESS_MAIN(TestUsers)
#include "tst_users.moc"
