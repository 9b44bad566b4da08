// Shared by tst_users and tst_customers.
#pragma once

#include "tests/support/apierrors.h"
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
#include <QSet>
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

namespace UsersTestSupport {

using Response = HttpClient::Response;

// JSON written with single quotes, so bodies stay readable: obj("{'user_id': 'alice'}").
inline QJsonObject obj(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json).replace('\'', '"')).object();
}

inline QJsonArray list(const QStringList &items)
{
    return QJsonArray::fromStringList(items);
}

inline QJsonObject ids(const QStringList &userIds)
{
    return {{u"user_ids"_s, list(userIds)}};
}

inline QJsonObject chatBody(const QString &model, const QString &endUser = {})
{
    QJsonObject body{{u"model"_s, model},
                     {u"messages"_s, QJsonArray{obj("{'role': 'user', 'content': 'Hello'}")}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return body;
}

inline QJsonArray jsonArray(const Response &response)
{
    return QJsonDocument::fromJson(response.body).array();
}

inline QStringList idsOf(const QJsonValue &items)
{
    QStringList result;
    for (const QJsonValue item : items.toArray())
        result.append(item.toObject().value(u"user_id"_s).toString());
    return result;
}

// Empty when every field of `expected` has that value in `actual`.
inline QString fieldsMismatch(const QJsonObject &actual, const QJsonObject &expected)
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
inline qint64 secondsOff(const QJsonValue &time, qint64 offsetSeconds)
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
inline QList<RouteCase> adminRoutes()
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


// The shared errorMismatch, with an empty `param` meaning "not checked" (as the data tables use it).
inline QString userErrorMismatch(const Response &response, int status, const QString &type,
                                 const QString &param = {})
{
    return errorMismatch(response, status, type, param.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(param));
}

#define EXPECT_ERROR(response, ...)                                                                          \
    do {                                                                                                     \
        const QString why_ = userErrorMismatch(response, __VA_ARGS__);                                       \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                          \
    } while (false)

#define EXPECT_FIELDS(actual, expected)                                                                      \
    do {                                                                                                     \
        const QString why_ = fieldsMismatch(actual, obj(expected));                                          \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                          \
    } while (false)


// The fixture the test classes derive from (next to QObject).
class UsersTestBase
{
protected:
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
    // No audit row holds a key of m_rawKeys, and each of `actions` has a row; `entries` gets the log.
    void checkAuditRows(const QStringList &actions, QList<AuditEntry> &entries);
    void startFixture();
    void stopFixture();
};


// --- helpers ---

inline Response UsersTestBase::newUser(const QJsonObject &body)
{
    Response response = m_fixture->post("/user/new", body);
    if (const QString key = response.json().value(u"key"_s).toString(); !key.isEmpty())
        m_rawKeys.append(key);
    return response;
}

inline QByteArray UsersTestBase::keyOf(const Response &response)
{
    return response.json().value(u"key"_s).toString().toLatin1();
}

inline Response UsersTestBase::chat(const QByteArray &key, const QString &model, const QString &endUser) const
{
    return m_fixture->post("/v1/chat/completions", chatBody(model, endUser), key);
}

inline QJsonObject UsersTestBase::userInfo(const QByteArray &userId) const
{
    return m_fixture->get("/user/info?user_id=" + QUrl::toPercentEncoding(QString::fromLatin1(userId)))
        .json();
}

inline QJsonObject UsersTestBase::endUserInfo(const QByteArray &userId) const
{
    return m_fixture->get("/customer/info?end_user_id=" + userId).json();
}

inline QList<AuditEntry> UsersTestBase::auditLog()
{
    const auto rows = m_fixture->store().readNow([](QSqlDatabase &db) {
        auto entries = IdentityRepository::auditLog(db, 100'000);
        return entries ? QVariant::fromValue(*entries) : QVariant::fromValue(entries.error());
    });
    return rows ? rows->value<QList<AuditEntry>>() : QList<AuditEntry>{};
}

inline void UsersTestBase::checkAuditRows(const QStringList &actions, QList<AuditEntry> &entries)
{
    entries = auditLog();
    QVERIFY(!entries.isEmpty());
    QSet<QString> found;
    for (const AuditEntry &entry : std::as_const(entries)) {
        found.insert(entry.action);
        const QString row = entry.actor + entry.objectId
            + QString::fromUtf8(QJsonDocument(entry.details).toJson(QJsonDocument::Compact));
        for (const QString &rawKey : std::as_const(m_rawKeys))
            QVERIFY2(!row.contains(rawKey), qPrintable(u"raw key in audit row "_s + entry.action));
    }
    for (const QString &action : actions)
        QVERIFY2(found.contains(action), qPrintable(action));
}

inline bool UsersTestBase::refuseWrites(bool refuse)
{
    const bool postgres = m_fixture->onPostgres();
    const auto done = m_fixture->store().writeNow([refuse, postgres](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        // PostgreSQL's triggers call a function.
        if (postgres && refuse
            && !query.exec(u"CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"_s))
            return makeError(u"refuse_write()"_s);
        for (const QString &table : {u"users"_s, u"end_users"_s, u"settings"_s}) {
            for (const QString &event : {u"INSERT"_s, u"UPDATE"_s, u"DELETE"_s}) {
                const QString name = u"refuse_%1_%2"_s.arg(table, event.toLower());
                const QString sql
                    = postgres ? (refuse ? u"CREATE TRIGGER %1 BEFORE %2 ON %3 FOR EACH ROW EXECUTE FUNCTION "
                                           "refuse_write()"_s.arg(name, event, table)
                                         : u"DROP TRIGGER %1 ON %2"_s.arg(name, table))
                               : refuse ? u"CREATE TRIGGER %1 BEFORE %2 ON %3 BEGIN SELECT RAISE(ABORT, "
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

inline void UsersTestBase::startFixture()
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

inline void UsersTestBase::stopFixture()
{
    m_fixture.reset();
}
} // namespace UsersTestSupport
