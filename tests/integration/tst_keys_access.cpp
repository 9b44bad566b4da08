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
    void ownerRegenerateKeepsWhatAnAdminSet_data();
    void ownerRegenerateKeepsWhatAnAdminSet();
    void internalUserCannotReachPastItsUser();
    void aLimitedKeyMakesNoUnlimitedOne();
    void aLimitedKeyTakesOverNoSibling();
    void metadataIsCapped();
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

void TestKeysAccess::ownerRegenerateKeepsWhatAnAdminSet_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("blocked") << u"blocked"_s << QJsonValue(false);
    QTest::newRow("max_budget") << u"max_budget"_s << QJsonValue(1000.0);
    QTest::newRow("max_budget removed") << u"max_budget"_s << QJsonValue(QJsonValue::Null);
    QTest::newRow("soft_budget") << u"soft_budget"_s << QJsonValue(500.0);
    QTest::newRow("budget_duration") << u"budget_duration"_s << QJsonValue(u"1s"_s);
    QTest::newRow("rpm_limit") << u"rpm_limit"_s << QJsonValue(100000);
    QTest::newRow("rpm_limit removed") << u"rpm_limit"_s << QJsonValue(QJsonValue::Null);
    QTest::newRow("tpm_limit") << u"tpm_limit"_s << QJsonValue(100000);
    QTest::newRow("max_parallel_requests") << u"max_parallel_requests"_s << QJsonValue(100);
    QTest::newRow("duration") << u"duration"_s << QJsonValue(u"3650d"_s);
    QTest::newRow("never expires") << u"duration"_s << QJsonValue(QJsonValue::Null);
    QTest::newRow("models") << u"models"_s << QJsonValue(QJsonArray{});
    QTest::newRow("model_max_budget") << u"model_max_budget"_s << QJsonValue(QJsonObject{});
}

void TestKeysAccess::ownerRegenerateKeepsWhatAnAdminSet()
{
    QFETCH(QString, field);
    QFETCH(QJsonValue, value);
    // The admin gives dora's key a budget, limits, an expiry and a model list, or blocks it;
    // dora regenerates it with another key of hers.
    const QString user = u"dora-"_s + QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-');
    const QJsonObject limited{{u"user_id"_s, user},
                              {u"max_budget"_s, 1.0},
                              {u"soft_budget"_s, 0.5},
                              {u"budget_duration"_s, u"30d"_s},
                              {u"rpm_limit"_s, 2},
                              {u"tpm_limit"_s, 1000},
                              {u"max_parallel_requests"_s, 1},
                              {u"duration"_s, u"1h"_s},
                              {u"models"_s, QJsonArray{u"gpt-a"_s}},
                              {u"model_max_budget"_s, QJsonObject{{u"gpt-a"_s, QJsonObject{{u"budget_limit"_s, 0.1}}}}},
                              {u"blocked"_s, field == u"blocked"}};
    const Response made = generate(limited);
    QCOMPARE(made.status, 200);
    const QString raw = rawOf(made);
    const QJsonObject before = m_fixture->get("/key/info?key=" + raw.toUtf8()).json().value(u"info"_s).toObject();
    const QByteArray dora = rawOf(generate({{u"user_id"_s, user}})).toUtf8();

    const Response refused = m_fixture->post("/key/regenerate", {{u"key"_s, raw}, {field, value}}, dora);
    VERIFY_ERROR(refused, 403, u"forbidden"_s, QJsonValue(field));
    // Nothing changed: same key, same settings.
    QCOMPARE(m_fixture->get("/key/info?key=" + raw.toUtf8()).json().value(u"info"_s).toObject(), before);

    // Without that field the owner may regenerate it (alias and metadata may change); every
    // setting the admin made carries over.
    const Response regenerated = m_fixture->post(
        "/key/regenerate",
        {{u"key"_s, raw}, {u"key_alias"_s, QString(user + u"-renamed"_s)}, {u"metadata"_s, QJsonObject{{u"a"_s, 1}}}},
        dora);
    QCOMPARE(regenerated.status, 200);
    QJsonObject after = m_fixture->get("/key/info?key=" + rawOf(regenerated).toUtf8()).json().value(u"info"_s).toObject();
    for (const QString &kept : {u"blocked"_s, u"max_budget"_s, u"soft_budget"_s, u"budget_duration"_s, u"rpm_limit"_s,
                                u"tpm_limit"_s, u"max_parallel_requests"_s, u"expires"_s, u"models"_s,
                                u"model_max_budget"_s, u"budget_reset_at"_s, u"user_id"_s})
        QVERIFY2(after.value(kept) == before.value(kept), qPrintable(kept));

    // An admin still may change it on regenerate.
    const Response byAdmin = m_fixture->post("/key/regenerate", {{u"key"_s, rawOf(regenerated)}, {field, value}});
    QCOMPARE(byAdmin.status, 200);
}

void TestKeysAccess::internalUserCannotReachPastItsUser()
{
    const QByteArray eve = rawOf(generate({{u"user_id"_s, u"eve"_s}})).toUtf8();
    const Response frankKey = generate({{u"user_id"_s, u"frank"_s}});
    const QString frank = rawOf(frankKey);
    QVERIFY(!eve.isEmpty() && !frank.isEmpty());

    // Users: neither itself made admin nor someone else read or made.
    VERIFY_ERROR(m_fixture->post("/user/update", {{u"user_id"_s, u"eve"_s}, {u"user_role"_s, u"proxy_admin"_s}}, eve),
                 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/user/new", {{u"user_id"_s, u"eve-admin"_s}, {u"user_role"_s, u"proxy_admin"_s}}, eve),
                 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/user/info?user_id=frank", eve), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/user/list", eve), 403, u"forbidden"_s);
    // Keys: none for another user, none of another user's touched, its own not unblocked.
    VERIFY_ERROR(generate({{u"user_id"_s, u"frank"_s}}, eve), 403, u"forbidden"_s, QJsonValue(u"user_id"_s));
    VERIFY_ERROR(generate({{u"user_id"_s, u"nobody-yet"_s}}, eve), 403, u"forbidden"_s, QJsonValue(u"user_id"_s));
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, QString::fromUtf8(eve)}, {u"user_id"_s, u"frank"_s}}, eve),
                 403, u"forbidden"_s, QJsonValue(u"user_id"_s));
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, QString::fromUtf8(eve)}, {u"max_budget"_s, 100}}, eve), 403,
                 u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/key/unblock", {{u"key"_s, QString::fromUtf8(eve)}}, eve), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + frank.toUtf8(), eve), 403, u"forbidden"_s);
    // Models, end users, spend: admin routes.
    VERIFY_ERROR(m_fixture->post("/model/new", {{u"model_name"_s, u"x"_s},
                                                {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/x"_s}}}},
                                 eve),
                 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->post("/customer/new", {{u"user_id"_s, u"c-eve"_s}}, eve), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/spend/logs", eve), 403, u"forbidden"_s);
    VERIFY_ERROR(m_fixture->get("/global/spend", eve), 403, u"forbidden"_s);

    // Eve is still an internal_user, frank's key still works, no new user exists.
    QCOMPARE(m_fixture->get("/user/info?user_id=eve").json().value(u"user_info"_s).toObject().value(u"user_role"_s),
             QJsonValue(u"internal_user"_s));
    QCOMPARE(chat(frank).status, 200);
    VERIFY_ERROR(m_fixture->get("/user/info?user_id=nobody-yet"), 404, u"not_found_error"_s);
    VERIFY_ERROR(m_fixture->get("/user/info?user_id=eve-admin"), 404, u"not_found_error"_s);
}

// An admin gave carol's key a budget, models and a rate limit (carol herself has none): that key
// made a new one with none of them and spent on. A key with limits of its own makes no keys now;
// one without (bound by its user's limits) still may.
void TestKeysAccess::aLimitedKeyMakesNoUnlimitedOne()
{
    const QList<QJsonObject> limits{{{u"max_budget"_s, 0.01}},
                                    {{u"models"_s, QJsonArray{u"gpt-4o-mini"_s}}},
                                    {{u"rpm_limit"_s, 1}},
                                    {{u"max_parallel_requests"_s, 1}},
                                    {{u"duration"_s, u"1h"_s}},
                                    {{u"model_max_budget"_s, QJsonObject{{u"gpt-4o-mini"_s,
                                                                          QJsonObject{{u"budget_limit"_s, 0.01}}}}}}};
    for (QJsonObject fields : limits) {
        fields.insert(u"user_id"_s, u"carol"_s);
        const QByteArray limited = rawOf(generate(fields)).toUtf8();
        QVERIFY(!limited.isEmpty());
        VERIFY_ERROR(generate({}, limited), 403, u"forbidden"_s);
        VERIFY_ERROR(generate({{u"max_budget"_s, 0.001}}, limited), 403, u"forbidden"_s);
        // Regenerating keeps what the admin set: a limited key may still replace itself.
        const Response regenerated = m_fixture->post("/key/regenerate", {{u"key"_s, QString::fromUtf8(limited)}}, limited);
        QCOMPARE(regenerated.status, 200);
        QCOMPARE(m_fixture->get("/key/info?key=" + rawOf(regenerated).toUtf8()).json().value(u"info"_s).toObject()
                     .value(u"user_id"_s).toString(), u"carol"_s);
    }
    const QString free = rawOf(generate({{u"user_id"_s, u"carol"_s}}));
    const Response made = generate({{u"key_alias"_s, u"carol-ci"_s}}, free.toUtf8());
    QCOMPARE(made.status, 200);
    QCOMPARE(made.json().value(u"user_id"_s).toString(), u"carol"_s);
}

// A limited key of dave's regenerated his key with $100 and every model (and the key /user/new
// made him, without limits) and got its raw value; it could delete them too. A key with limits
// of its own may regenerate and delete only itself; one without may still manage its siblings.
void TestKeysAccess::aLimitedKeyTakesOverNoSibling()
{
    QCOMPARE(m_fixture->post("/user/new", {{u"user_id"_s, u"dave"_s}}).status, 200);
    const QString big = rawOf(generate({{u"user_id"_s, u"dave"_s}, {u"key_alias"_s, u"dave-big"_s},
                                        {u"max_budget"_s, 100}}));
    const QString unlimited = rawOf(generate({{u"user_id"_s, u"dave"_s}, {u"key_alias"_s, u"dave-free"_s}}));
    const QByteArray small = rawOf(generate({{u"user_id"_s, u"dave"_s}, {u"key_alias"_s, u"dave-small"_s},
                                             {u"max_budget"_s, 0.001}, {u"models"_s, QJsonArray{u"gpt-4o-mini"_s}}}))
                                 .toUtf8();
    QVERIFY(!big.isEmpty() && !unlimited.isEmpty() && !small.isEmpty());
    const QString bigToken = m_fixture->get("/key/info?key=" + big.toUtf8()).json().value(u"info"_s).toObject()
                                 .value(u"token"_s).toString();
    QVERIFY(!bigToken.isEmpty());
    for (const QString &sibling : {big, bigToken, unlimited}) {
        VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, sibling}}, small), 403, u"forbidden"_s,
                     QJsonValue(u"key"_s));
        VERIFY_ERROR(m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{sibling}}}, small), 403, u"forbidden"_s,
                     QJsonValue(u"keys"_s));
    }
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"key_aliases"_s, QJsonArray{u"dave-big"_s}}}, small), 403,
                 u"forbidden"_s, QJsonValue(u"key_aliases"_s));
    // Nothing changed: the siblings still answer under their values.
    QCOMPARE(m_fixture->get("/key/info", big.toUtf8()).status, 200);
    QCOMPARE(m_fixture->get("/key/info", unlimited.toUtf8()).status, 200);
    // It may still replace and delete itself; the key without limits may manage its siblings.
    const QString replaced = rawOf(m_fixture->post("/key/regenerate", {{u"key"_s, QString::fromUtf8(small)}}, small));
    QVERIFY(!replaced.isEmpty());
    QCOMPARE(m_fixture->post("/key/regenerate", {{u"key"_s, big}}, unlimited.toUtf8()).status, 200);
    QCOMPARE(m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{replaced}}}, replaced.toUtf8()).status, 200);
}

QTEST_GUILESS_MAIN(TestKeysAccess)
// metadata is stored as given and read by nothing: at most 16 KiB of compact JSON, else any
// internal_user could fill the gateway's memory and database through its keys (10 MB each).
void TestKeysAccess::metadataIsCapped()
{
    const QByteArray mallory = rawOf(generate({{u"user_id"_s, u"mallory"_s}})).toUtf8();
    constexpr qsizetype Max = 16 * 1024;
    const auto metadata = [](qsizetype bytes) {   // {"note":"x…"}: 11 bytes around the text
        return QJsonObject{{u"note"_s, QString(bytes - 11, u'x')}};
    };
    const Response fits = generate({{u"metadata"_s, metadata(Max)}}, mallory);
    QCOMPARE(fits.status, 200);
    QCOMPARE(fits.json().value(u"metadata"_s).toObject(), metadata(Max));
    const QString own = rawOf(fits);
    const QString tooLarge = u"'metadata' is too large: at most 16384 bytes of JSON, this one has 16385."_s;
    const QJsonObject over = metadata(Max + 1);
    const QJsonValue param(u"metadata"_s);
    VERIFY_ERROR(generate({{u"metadata"_s, over}}, mallory), 400, u"bad_request_error"_s, param, tooLarge);
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, own}, {u"metadata"_s, over}}, mallory), 400,
                 u"bad_request_error"_s, param, tooLarge);
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, own}, {u"metadata"_s, over}}), 400,
                 u"bad_request_error"_s, param, tooLarge);
    VERIFY_ERROR(m_fixture->post("/user/new", {{u"user_id"_s, u"big"_s}, {u"metadata"_s, over}}), 400,
                 u"bad_request_error"_s, param, tooLarge);
    VERIFY_ERROR(m_fixture->post("/user/update", {{u"user_id"_s, u"mallory"_s}, {u"metadata"_s, over}}), 400,
                 u"bad_request_error"_s, param, tooLarge);
    // Nothing refused was kept: the key still works under its value, with its metadata.
    const Response info = m_fixture->get("/key/info", own.toUtf8());
    QCOMPARE(info.status, 200);
    QCOMPARE(info.json().value(u"info"_s).toObject().value(u"metadata"_s).toObject(), metadata(Max));
    QCOMPARE(m_fixture->post("/key/update", {{u"key"_s, own}, {u"metadata"_s, metadata(Max)}}).status, 200);
}

#include "tst_keys_access.moc"
