// Integration tests of who may do what with the key API (/key/*, api.md §6): isolation of
// internal users, roles read from the store, and the routes' method and key checks. The
// rest of /key/* is in tst_keys.cpp.
#include "tests/integration/keystestsupport.h"

using namespace KeysTestSupport;

class TestKeysAccess : public QObject, protected KeysTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void internalUserIsolation();
    void rolesFromTheStore();
    void routesCheckMethodAndKey();
};

void TestKeysAccess::initTestCase()
{
    startFixture();
}

void TestKeysAccess::cleanupTestCase()
{
    stopFixture();
}

void TestKeysAccess::internalUserIsolation()
{
    // Users are made by generating keys for them (auto-created as internal_user).
    const Response a1 = generate({{u"user_id"_s, u"alice"_s}, {u"key_alias"_s, u"alice-1"_s}});
    const Response a2 = generate({{u"user_id"_s, u"alice"_s}});
    const Response b1 = generate({{u"user_id"_s, u"bob"_s}});
    const QByteArray alice = rawOf(a1).toUtf8();
    const QByteArray bob = rawOf(b1).toUtf8();
    const QByteArray aliceToken2 = tokenOf(a2).toLatin1();
    const QByteArray bobToken = tokenOf(b1).toLatin1();
    const QString bobRaw = QString::fromUtf8(bob);

    // Read: itself and its user's other keys, not another user's.
    QCOMPARE(m_fixture->get("/key/info", alice).status, 200);
    QCOMPARE(m_fixture->get("/key/info?key=" + aliceToken2, alice).status, 200);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + bobToken, alice), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + tokenOf(a1).toLatin1(), bob), 403,
                 u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/key/info?key=sk-unknown", alice), 404, u"not_found_error"_s);

    // List: only its user's keys.
    const Response listed = m_fixture->get("/key/list", alice);
    QCOMPARE(listed.status, 200);
    QCOMPARE(listed.json().value(u"total_count"_s).toInteger(), 2);
    VERIFY_ERROR(m_fixture->get("/key/list?user_id=bob", alice), 403, u"forbidden"_s);

    // Update, block and regenerate someone else's: 403; update is admin-only altogether.
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, bobRaw}, {u"max_budget"_s, 0.0}}, alice), 403,
                 u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/block", {{u"key"_s, bobRaw}}, alice), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, bobRaw}}, alice), 403, u"forbidden"_s);

    // Delete: not bob's (nothing deleted), but its own.
    const QJsonArray mixed{QString::fromLatin1(aliceToken2), bobRaw};
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"keys"_s, mixed}}, alice), 403, u"forbidden"_s);
    QCOMPARE(m_fixture->get("/key/info?key=" + aliceToken2, alice).status, 200);
    QCOMPARE(chat(bobRaw).status, 200);
    const Response ownDelete
        = m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{QString::fromLatin1(aliceToken2)}}}, alice);
    QCOMPARE(ownDelete.status, 200);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + aliceToken2), 404, u"not_found_error"_s);

    // Generate: for itself only.
    const Response own = generate({{u"key_alias"_s, u"alice-self-made"_s}}, alice);
    QCOMPARE(own.status, 200);
    QCOMPARE(own.json().value(u"user_id"_s).toString(), u"alice"_s);
    QCOMPARE(own.json().value(u"created_by"_s).toString(), u"alice"_s);
    QCOMPARE(generate({{u"user_id"_s, u"alice"_s}}, alice).status, 200);
    VERIFY_ERROR(generate({{u"user_id"_s, u"bob"_s}}, alice), 403, u"forbidden"_s, QJsonValue(u"user_id"_s));

    // Regenerate its own key: the caller's old key stops working.
    const Response regenerated = m_fixture->post("/key/regenerate", {{u"key"_s, QString::fromUtf8(alice)}}, alice);
    QCOMPARE(regenerated.status, 200);
    QCOMPARE(regenerated.json().value(u"key_alias"_s).toString(), u"alice-1"_s);
    VERIFY_ERROR(m_fixture->get("/key/info", alice), 401, u"auth_error"_s);
    QCOMPARE(m_fixture->get("/key/info", rawOf(regenerated).toUtf8()).status, 200);

    // A key without an owner is no internal_user: it may read itself, nothing more.
    const QByteArray ownerless = rawKeyFor({}).toUtf8();
    QCOMPARE(m_fixture->get("/key/info", ownerless).status, 200);
    VERIFY_ERROR(generate({}, ownerless), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{QString::fromUtf8(ownerless)}}}, ownerless), 403,
                 u"forbidden"_s);
    QCOMPARE(m_fixture->get("/key/list", ownerless).json().value(u"total_count"_s).toInteger(), 1);
}

void TestKeysAccess::rolesFromTheStore()
{
    // /user/new is another controller's: users with other roles are written to the store
    // directly and loaded by a restart.
    const auto addUser = [](const QString &id, UserRole role, const QStringList &models) {
        User user;
        user.userId = id;
        user.role = role;
        user.models = models;
        user.createdAt = user.updatedAt = QDateTime::currentDateTimeUtc();
        return IdentityRepository::saveUser(user);
    };
    const auto addKey = [](const QString &raw, const QString &userId) {
        VirtualKey key;
        key.token = IdentityRegistry::tokenOf(raw);
        key.keyName = keyDisplayName(raw);
        key.userId = userId;
        key.createdAt = key.updatedAt = QDateTime::currentDateTimeUtc();
        return IdentityRepository::saveKey(key);
    };
    const auto written = m_fixture->store().writeNow(IdentityRepository::all({
        addUser(u"vera"_s, UserRole::InternalUserViewer, {}),
        addUser(u"pat"_s, UserRole::ProxyAdmin, {}),
        addUser(u"carol"_s, UserRole::InternalUser, {u"gpt-b"_s}),
        addKey(u"sk-vera-viewer-key"_s, u"vera"_s),
        addKey(u"sk-vera-second-key"_s, u"vera"_s),
        addKey(u"sk-pat-admin-key"_s, u"pat"_s),
        addKey(u"sk-carol-user-key"_s, u"carol"_s),
    }));
    QVERIFY(written.ok());
    QVERIFY(m_fixture->restart());

    // internal_user_viewer: reads its own keys, writes nothing.
    const QByteArray vera = "sk-vera-viewer-key";
    QCOMPARE(m_fixture->get("/key/info", vera).status, 200);
    QCOMPARE(m_fixture->get("/key/info?key=sk-vera-second-key", vera).status, 200);
    QCOMPARE(m_fixture->get("/key/list", vera).json().value(u"total_count"_s).toInteger(), 2);
    VERIFY_ERROR(generate({}, vera), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{u"sk-vera-second-key"_s}}}, vera), 403,
                 u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, u"sk-vera-second-key"_s}}, vera), 403, u"forbidden"_s);

    // proxy_admin: the admin routes, on anyone's keys.
    const QByteArray pat = "sk-pat-admin-key";
    QCOMPARE(m_fixture->post("/key/update", {{u"key"_s, u"sk-vera-second-key"_s}, {u"rpm_limit"_s, 5}}, pat).status, 200);
    QCOMPARE(m_fixture->post("/key/block", {{u"key"_s, u"sk-vera-second-key"_s}}, pat).status, 200);
    QCOMPARE(m_fixture->get("/key/info?key=sk-carol-user-key", pat).status, 200);
    const Response forCarol = generate({{u"user_id"_s, u"carol"_s}}, pat);
    QCOMPARE(forCarol.status, 200);
    QCOMPARE(forCarol.json().value(u"created_by"_s).toString(), u"pat"_s);

    // An internal_user cannot widen its models through a key of its own.
    const QByteArray carol = "sk-carol-user-key";
    VERIFY_ERROR(generate({{u"models"_s, QJsonArray{u"gpt-a"_s}}}, carol), 403, u"forbidden"_s, QJsonValue(u"models"_s));
    VERIFY_ERROR(generate({{u"models"_s, QJsonArray{u"all-team"_s}}}, carol), 403, u"forbidden"_s,
                 QJsonValue(u"models"_s));
    const Response narrow = generate({{u"models"_s, QJsonArray{u"gpt-b"_s}}}, carol);
    QCOMPARE(narrow.status, 200);
    QCOMPARE(narrow.json().value(u"user_id"_s).toString(), u"carol"_s);
}

void TestKeysAccess::routesCheckMethodAndKey()
{
    VERIFY_ERROR(m_fixture->get("/key/generate"), 405, u"method_not_allowed"_s);
    VERIFY_ERROR(m_fixture->client()->post("/key/list", QByteArray("{}")), 405, u"method_not_allowed"_s);
    VERIFY_ERROR(m_fixture->post("/key/generate", QJsonObject{}, QByteArray()), 401, u"auth_error"_s);
    VERIFY_ERROR(m_fixture->post("/key/generate", QJsonObject{}, "sk-wrong"), 401, u"auth_error"_s);
    VERIFY_ERROR(m_fixture->get("/key/info", "not-a-key"), 401, u"auth_error"_s);
    // The /v1 prefix is optional here too.
    QCOMPARE(m_fixture->get("/v1/key/list?size=1").status, 200);
}

QTEST_GUILESS_MAIN(TestKeysAccess)
#include "tst_keys_access.moc"
