// Integration tests of the key API (/key/*, api.md §6): a real gateway on its own thread,
// a real SQLite file, real HTTP on loopback from the test thread. Isolation between users,
// roles and route checks are in tst_keys_access.cpp.
#include "tests/integration/keystestsupport.h"

using namespace KeysTestSupport;

class TestKeys : public QObject, protected KeysTestBase
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void generateEchoesEveryField();
    void generatedKeyWorksAtOnce();
    void ownKeyValue();
    void wrongTypesAre400_data();
    void wrongTypesAre400();
    void duplicateAliasIs400();
    void updateChangesFields();
    void updateErrors();
    void deleteByKeysAndAliases();
    void deleteErrorsDeleteNothing();
    void info();
    void listPagesAndFilters();
    void listErrors();
    void blockAndUnblock();
    void regenerateCarriesSettingsAndSpend();
    void expiresInRealTime();
    void expiresByTheClock();
    void tenConcurrentGenerates();
    void concurrentGeneratesWithOneAlias();
    void failedWriteIsUndone();
    void keysSurviveRestart();
    void rawKeyNeverStored();
    void auditLogHasARowPerAction();
};

void TestKeys::initTestCase()
{
    startFixture();
}

void TestKeys::cleanupTestCase()
{
    stopFixture();
}

void TestKeys::generateEchoesEveryField()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const QJsonObject metadata{{u"team"_s, u"core"_s}, {u"nested"_s, QJsonObject{{u"n"_s, 1}}}};
    const Response response = generate(QJsonObject{
        {u"key_alias"_s, u"echo-alias"_s},
        {u"duration"_s, u"30d"_s},
        {u"models"_s, QJsonArray{u"gpt-a"_s, u"beta"_s}},
        {u"max_budget"_s, 12.5},
        {u"budget_duration"_s, u"1d"_s},
        {u"soft_budget"_s, 10.25},
        {u"user_id"_s, u"echo-user"_s},
        {u"metadata"_s, metadata},
        {u"tpm_limit"_s, 1000},
        {u"rpm_limit"_s, 60},
        {u"max_parallel_requests"_s, 3},
        {u"aliases"_s, QJsonObject{{u"fast"_s, u"gpt-a"_s}}},
        {u"model_max_budget"_s,
         QJsonObject{{u"gpt-a"_s, QJsonObject{{u"budget_limit"_s, 1.5}, {u"time_period"_s, u"1d"_s}}},
                     {u"gpt-b"_s, QJsonObject{{u"budget_limit"_s, u"0.5"_s}}}}},
        {u"blocked"_s, false},
    });
    const QDateTime after = QDateTime::currentDateTimeUtc().addMSecs(1);
    QCOMPARE(response.status, 200);
    const QJsonObject key = response.json();

    const QString raw = key.value(u"key"_s).toString();
    QVERIFY2(QRegularExpression(u"^sk-[A-Za-z0-9_-]{22}$"_s).match(raw).hasMatch(), qPrintable(raw));
    QCOMPARE(key.value(u"key_name"_s).toString(), QString(u"sk-..."_s + raw.right(4)));
    QCOMPARE(key.value(u"token"_s).toString(), sha256(raw));
    QCOMPARE(key.value(u"token_id"_s).toString(), sha256(raw));
    QCOMPARE(key.value(u"key_alias"_s).toString(), u"echo-alias"_s);
    QCOMPARE(key.value(u"duration"_s).toString(), u"30d"_s);
    QCOMPARE(key.value(u"models"_s).toArray(), (QJsonArray{u"gpt-a"_s, u"beta"_s}));
    QCOMPARE(key.value(u"max_budget"_s).toDouble(), 12.5);
    QCOMPARE(key.value(u"budget_duration"_s).toString(), u"1d"_s);
    QCOMPARE(key.value(u"soft_budget"_s).toDouble(), 10.25);
    QCOMPARE(key.value(u"user_id"_s).toString(), u"echo-user"_s);
    QCOMPARE(key.value(u"metadata"_s).toObject(), metadata);
    QCOMPARE(key.value(u"tpm_limit"_s).toInteger(), 1000);
    QCOMPARE(key.value(u"rpm_limit"_s).toInteger(), 60);
    QCOMPARE(key.value(u"max_parallel_requests"_s).toInteger(), 3);
    QCOMPARE(key.value(u"aliases"_s).toObject(), (QJsonObject{{u"fast"_s, u"gpt-a"_s}}));
    const QJsonObject perModel = key.value(u"model_max_budget"_s).toObject();
    QCOMPARE(perModel.value(u"gpt-a"_s).toObject().value(u"budget_limit"_s).toDouble(), 1.5);
    QCOMPARE(perModel.value(u"gpt-a"_s).toObject().value(u"time_period"_s).toString(), u"1d"_s);
    QCOMPARE(perModel.value(u"gpt-b"_s).toObject().value(u"budget_limit"_s).toDouble(), 0.5);   // "0.5" → 0.5
    QCOMPARE(key.value(u"blocked"_s).toBool(), false);
    QCOMPARE(key.value(u"spend"_s).toDouble(), 0.0);
    QCOMPARE(key.value(u"created_by"_s).toString(), u"master_key"_s);

    const auto time = [&](const char *field) { return IdentityJson::parseTime(key.value(QString::fromLatin1(field))); };
    QVERIFY(time("created_at") >= before && time("created_at") <= after);
    QCOMPARE(time("updated_at"), time("created_at"));
    QCOMPARE(time("expires"), time("created_at").addDays(30));
    QCOMPARE(time("budget_reset_at"), time("created_at").addDays(1));
    QVERIFY(key.value(u"expires"_s).toString().endsWith(u'Z'));

    // The unknown user_id became an internal_user in the same commit.
    const auto role = m_fixture->store().readNow([](QSqlDatabase &db) {
        QSqlQuery query(db);
        query.exec(u"SELECT data FROM users WHERE user_id = 'echo-user'"_s);
        if (!query.next())
            return QVariant();
        return QJsonDocument::fromJson(query.value(0).toString().toUtf8()).object().value(u"user_role"_s).toVariant();
    });
    QVERIFY(role.ok());
    QCOMPARE(role->toString(), u"internal_user"_s);

    // An empty body (no body at all) makes a key with no limits.
    const Response bare = m_fixture->client()->post("/key/generate", QByteArray());
    QCOMPARE(bare.status, 200);
    QVERIFY(bare.json().value(u"expires"_s).isNull());
    QVERIFY(bare.json().value(u"user_id"_s).isNull());
    QVERIFY(bare.json().value(u"duration"_s).isNull());
}

void TestKeys::generatedKeyWorksAtOnce()
{
    const QString raw = rawKeyFor({{u"models"_s, QJsonArray{u"gpt-a"_s}}});
    QVERIFY(!raw.isEmpty());
    QCOMPARE(chat(raw).status, 200);

    const Response models = m_fixture->get("/v1/models", raw.toUtf8());
    QCOMPARE(models.status, 200);
    const QJsonArray data = models.json().value(u"data"_s).toArray();
    QCOMPARE(data.size(), 1);
    QCOMPARE(data.first().toObject().value(u"id"_s).toString(), u"gpt-a"_s);

    VERIFY_ERROR(chat(raw, u"gpt-b"_s), 403, u"key_model_access_denied"_s, QJsonValue(u"model"_s));
    // Aliases resolve before the access check.
    const QString aliased = rawKeyFor({{u"models"_s, QJsonArray{u"gpt-b"_s}},
                                       {u"aliases"_s, QJsonObject{{u"cheap"_s, u"gpt-b"_s}}}});
    QCOMPARE(chat(aliased, u"cheap"_s).status, 200);
}

void TestKeys::ownKeyValue()
{
    const Response own = generate({{u"key"_s, u"sk-my-own-key-value-1"_s}});
    QCOMPARE(own.status, 200);
    QCOMPARE(rawOf(own), u"sk-my-own-key-value-1"_s);
    QCOMPARE(tokenOf(own), sha256(u"sk-my-own-key-value-1"_s));
    QCOMPARE(own.json().value(u"key_name"_s).toString(), u"sk-...ue-1"_s);
    QCOMPARE(chat(u"sk-my-own-key-value-1"_s).status, 200);

    VERIFY_ERROR(generate({{u"key"_s, u"sk-my-own-key-value-1"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(generate({{u"key"_s, u"my-own-key"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(generate({{u"key"_s, u"sk-"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(generate({{u"key"_s, u"sk-with space"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(generate({{u"key"_s, QString::fromLatin1(Master)}}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
}

// Ordinary literals with escaped quotes: moc cannot read raw literals that contain them.
void TestKeys::wrongTypesAre400_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("param");
    const auto row = [](const char *name, const char *body, const char *param) {
        QTest::newRow(name) << QByteArray(body) << QString::fromLatin1(param);
    };
    row("alias a number", "{\"key_alias\": 5}", "key_alias");
    row("duration a number", "{\"duration\": 30}", "duration");
    row("duration not a duration", "{\"duration\": \"soon\"}", "duration");
    row("models a string", "{\"models\": \"gpt-a\"}", "models");
    row("models with a number", "{\"models\": [\"gpt-a\", 1]}", "models");
    row("max budget a string", "{\"max_budget\": \"10\"}", "max_budget");
    row("max budget negative", "{\"max_budget\": -1}", "max_budget");
    row("budget duration bad", "{\"budget_duration\": \"1y\"}", "budget_duration");
    row("soft budget a bool", "{\"soft_budget\": true}", "soft_budget");
    row("user id a number", "{\"user_id\": 7}", "user_id");
    row("metadata a list", "{\"metadata\": [1]}", "metadata");
    row("tpm limit a string", "{\"tpm_limit\": \"100\"}", "tpm_limit");
    row("rpm limit a fraction", "{\"rpm_limit\": 1.5}", "rpm_limit");
    row("rpm limit negative", "{\"rpm_limit\": -1}", "rpm_limit");
    row("parallel a string", "{\"max_parallel_requests\": \"2\"}", "max_parallel_requests");
    row("aliases a list", "{\"aliases\": [\"a\"]}", "aliases");
    row("alias target a number", "{\"aliases\": {\"a\": 1}}", "aliases");
    row("model max budget a string", "{\"model_max_budget\": \"1\"}", "model_max_budget");
    row("model max budget entry a number", "{\"model_max_budget\": {\"gpt-a\": 1}}", "model_max_budget");
    row("budget limit missing", "{\"model_max_budget\": {\"gpt-a\": {\"time_period\": \"1d\"}}}", "model_max_budget");
    row("budget limit negative", "{\"model_max_budget\": {\"gpt-a\": {\"budget_limit\": -1}}}", "model_max_budget");
    row("budget limit text", "{\"model_max_budget\": {\"gpt-a\": {\"budget_limit\": \"lots\"}}}", "model_max_budget");
    row("time period bad", "{\"model_max_budget\": {\"gpt-a\": {\"budget_limit\": 1, \"time_period\": \"soon\"}}}",
        "model_max_budget");
    row("key a number", "{\"key\": 5}", "key");
    row("blocked a string", "{\"blocked\": \"yes\"}", "blocked");
}

void TestKeys::wrongTypesAre400()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, param);
    const Response response = m_fixture->client()->post("/key/generate", body);
    VERIFY_ERROR(response, 400, u"bad_request_error"_s, QJsonValue(param));
    // /key/update reads the same fields the same way (except `key`, which names the key there).
    if (param != u"key") {
        const QString raw = rawKeyFor({});
        QJsonObject update = QJsonDocument::fromJson(body).object();
        update.insert(u"key"_s, raw);
        VERIFY_ERROR(m_fixture->post("/key/update", update), 400, u"bad_request_error"_s, QJsonValue(param));
    }
}

void TestKeys::duplicateAliasIs400()
{
    QCOMPARE(generate({{u"key_alias"_s, u"dup-alias"_s}}).status, 200);
    VERIFY_ERROR(generate({{u"key_alias"_s, u"dup-alias"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key_alias"_s));
    VERIFY_ERROR(m_fixture->client()->post("/key/generate", QByteArray("{not json")), 400, u"bad_request_error"_s);
    VERIFY_ERROR(m_fixture->client()->post("/key/generate", QByteArray("[1, 2]")), 400, u"bad_request_error"_s);
}

void TestKeys::updateChangesFields()
{
    const Response made = generate({{u"key_alias"_s, u"upd-old"_s},
                                    {u"models"_s, QJsonArray{u"gpt-a"_s}},
                                    {u"max_budget"_s, 1.0},
                                    {u"metadata"_s, QJsonObject{{u"a"_s, 1}, {u"b"_s, 2}}}});
    QCOMPARE(made.status, 200);
    const QString raw = rawOf(made);
    const QString token = tokenOf(made);

    const Response updated = m_fixture->post(
        "/key/update", {{u"key"_s, raw},
                        {u"key_alias"_s, u"upd-new"_s},
                        {u"models"_s, QJsonArray{u"gpt-b"_s}},
                        {u"max_budget"_s, 5.5},
                        {u"rpm_limit"_s, 7},
                        {u"duration"_s, u"2h"_s},
                        {u"metadata"_s, QJsonObject{{u"c"_s, 3}}}});
    QCOMPARE(updated.status, 200);
    const QJsonObject key = updated.json();
    QVERIFY(!key.contains(u"key"_s));   // the raw key is shown only by generate
    QCOMPARE(key.value(u"token"_s).toString(), token);
    QCOMPARE(key.value(u"key_alias"_s).toString(), u"upd-new"_s);
    QCOMPARE(key.value(u"models"_s).toArray(), QJsonArray{u"gpt-b"_s});
    QCOMPARE(key.value(u"max_budget"_s).toDouble(), 5.5);
    QCOMPARE(key.value(u"rpm_limit"_s).toInteger(), 7);
    QCOMPARE(key.value(u"metadata"_s).toObject(), (QJsonObject{{u"c"_s, 3}}));   // replaced whole
    const QDateTime updatedAt = IdentityJson::parseTime(key.value(u"updated_at"_s));
    QCOMPARE(IdentityJson::parseTime(key.value(u"expires"_s)), updatedAt.addSecs(7200));
    QVERIFY(updatedAt >= IdentityJson::parseTime(key.value(u"created_at"_s)));

    // In effect at once: the new model list applies.
    VERIFY_ERROR(chat(raw, u"gpt-a"_s), 403, u"key_model_access_denied"_s);
    QCOMPARE(chat(raw, u"gpt-b"_s).status, 200);

    // The old alias is free again; the key is found by its token too.
    QCOMPARE(generate({{u"key_alias"_s, u"upd-old"_s}}).status, 200);
    const Response byToken = m_fixture->post("/key/update", {{u"key"_s, token}, {u"key_alias"_s, u"upd-new"_s}});
    QCOMPARE(byToken.status, 200);   // its own alias again is no conflict
    const Response info = m_fixture->get("/key/info?key=" + token.toLatin1());
    QCOMPARE(info.json().value(u"info"_s).toObject().value(u"max_budget"_s).toDouble(), 5.5);
}

void TestKeys::updateErrors()
{
    const QString raw = rawKeyFor({});
    QVERIFY(!raw.isEmpty());
    QCOMPARE(generate({{u"key_alias"_s, u"taken-by-other"_s}}).status, 200);
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"max_budget"_s, 1.0}}), 400, u"bad_request_error"_s,
                 QJsonValue(u"key"_s));
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, u"sk-no-such-key"_s}}), 404, u"not_found_error"_s,
                 QJsonValue(u"key"_s));
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, QString(64, u'0')}}), 404, u"not_found_error"_s);
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, raw}, {u"key_alias"_s, u"taken-by-other"_s}}), 400,
                 u"bad_request_error"_s, QJsonValue(u"key_alias"_s));
    // A key may not change itself: /key/update is for admins.
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, raw}, {u"max_budget"_s, 100.0}}, raw.toUtf8()), 403,
                 u"forbidden"_s);
}

void TestKeys::deleteByKeysAndAliases()
{
    const Response first = generate({});
    const Response second = generate({});
    const Response third = generate({{u"key_alias"_s, u"del-alias"_s}});
    const QString raw1 = rawOf(first);
    const QString raw2 = rawOf(second);
    const QString token2 = tokenOf(second);
    const QString raw3 = rawOf(third);

    const Response byKeys = m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{raw1, token2}}});
    QCOMPARE(byKeys.status, 200);
    QCOMPARE(byKeys.json().value(u"deleted_keys"_s).toArray(), (QJsonArray{raw1, token2}));
    VERIFY_ERROR(chat(raw1), 401, u"auth_error"_s);
    VERIFY_ERROR(chat(raw2), 401, u"auth_error"_s);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + token2.toLatin1()), 404, u"not_found_error"_s);

    QCOMPARE(chat(raw3).status, 200);
    const Response byAlias = m_fixture->post("/key/delete", {{u"key_aliases"_s, QJsonArray{u"del-alias"_s}}});
    QCOMPARE(byAlias.status, 200);
    QCOMPARE(byAlias.json().value(u"deleted_keys"_s).toArray(), QJsonArray{u"del-alias"_s});
    VERIFY_ERROR(chat(raw3), 401, u"auth_error"_s);
    // The alias can be used again.
    QCOMPARE(generate({{u"key_alias"_s, u"del-alias"_s}}).status, 200);
}

void TestKeys::deleteErrorsDeleteNothing()
{
    const QString raw = rawKeyFor({{u"key_alias"_s, u"survivor"_s}});
    const Response unknown = m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{raw, u"sk-not-a-key"_s}}});
    VERIFY_ERROR(unknown, 404, u"not_found_error"_s, QJsonValue(u"keys"_s));
    QVERIFY(unknown.json().value(u"error"_s).toObject().value(u"message"_s).toString().contains(u"sk-...-key"_s));
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"key_aliases"_s, QJsonArray{u"survivor"_s, u"no-such-alias"_s}}}), 404,
                 u"not_found_error"_s, QJsonValue(u"key_aliases"_s));
    QCOMPARE(chat(raw).status, 200);   // nothing was deleted
    VERIFY_ERROR(m_fixture->post("/key/delete", QJsonObject{}), 400, u"bad_request_error"_s, QJsonValue(u"keys"_s));
    VERIFY_ERROR(m_fixture->post("/key/delete", {{u"keys"_s, raw}}), 400, u"bad_request_error"_s, QJsonValue(u"keys"_s));
}

void TestKeys::info()
{
    const Response made = generate({{u"key_alias"_s, u"info-alias"_s}, {u"max_budget"_s, 3.0}});
    const QString raw = rawOf(made);
    const QString token = tokenOf(made);

    // A key reads itself without naming itself.
    const Response self = m_fixture->get("/key/info", raw.toUtf8());
    QCOMPARE(self.status, 200);
    QCOMPARE(self.json().value(u"key"_s).toString(), token);   // not named: the token, as LiteLLM
    const QJsonObject info = self.json().value(u"info"_s).toObject();
    QCOMPARE(info.value(u"key_alias"_s).toString(), u"info-alias"_s);
    QCOMPARE(info.value(u"max_budget"_s).toDouble(), 3.0);
    QCOMPARE(info.value(u"token"_s).toString(), token);
    QVERIFY(!info.contains(u"key"_s));

    // The admin names it by raw key or token, and gets it back as named (LiteLLM's
    // {"key": <the key as passed>, "info": {…}}).
    for (const QString &name : {raw, token}) {
        const Response byAdmin = m_fixture->get("/key/info?key=" + QUrl::toPercentEncoding(name));
        QCOMPARE(byAdmin.status, 200);
        QCOMPARE(byAdmin.json().keys(), (QStringList{u"info"_s, u"key"_s}));
        QCOMPARE(byAdmin.json().value(u"key"_s).toString(), name);
        QCOMPARE(byAdmin.json().value(u"info"_s).toObject(), info);
    }
    // So does the key itself when it names itself.
    QCOMPARE(m_fixture->get("/key/info?key=" + raw.toUtf8(), raw.toUtf8()).json().value(u"key"_s).toString(), raw);
    VERIFY_ERROR(m_fixture->get("/key/info?key=sk-unknown-key"), 404, u"not_found_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(m_fixture->get("/key/info"), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    // A key without an owner can read only itself.
    const QString other = rawKeyFor({});
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + token.toLatin1(), other.toUtf8()), 403, u"forbidden"_s);
}

void TestKeys::listPagesAndFilters()
{
    QStringList tokens;
    for (int i = 0; i < 5; ++i) {
        const Response made = generate({{u"user_id"_s, u"lister"_s}, {u"key_alias"_s, u"lister-%1"_s.arg(i)}});
        QCOMPARE(made.status, 200);
        tokens.append(tokenOf(made));
    }
    QStringList seen;
    for (int page = 1; page <= 3; ++page) {
        const Response response = m_fixture->get("/key/list?user_id=lister&size=2&page=" + QByteArray::number(page));
        QCOMPARE(response.status, 200);
        const QJsonObject body = response.json();
        QCOMPARE(body.value(u"total_count"_s).toInteger(), 5);
        QCOMPARE(body.value(u"current_page"_s).toInteger(), page);
        QCOMPARE(body.value(u"total_pages"_s).toInteger(), 3);
        const QJsonArray keys = body.value(u"keys"_s).toArray();
        QCOMPARE(keys.size(), page < 3 ? 2 : 1);
        QVERIFY(keys.first().isString());   // tokens unless full objects are asked for
        seen += tokensOf(keys);
    }
    // Every key once. Oldest first; keys made in the same millisecond are ordered by token.
    QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()), QSet<QString>(tokens.cbegin(), tokens.cend()));
    QCOMPARE(seen.size(), 5);
    const QJsonArray ordered = m_fixture->get("/key/list?user_id=lister&return_full_object=true").json()
                                   .value(u"keys"_s).toArray();
    QCOMPARE(tokensOf(ordered), seen);
    for (qsizetype i = 1; i < ordered.size(); ++i) {
        const QJsonObject a = ordered.at(i - 1).toObject();
        const QJsonObject b = ordered.at(i).toObject();
        const QString createdA = a.value(u"created_at"_s).toString();
        const QString createdB = b.value(u"created_at"_s).toString();
        QVERIFY(createdA < createdB || (createdA == createdB && a.value(u"token"_s).toString() < b.value(u"token"_s).toString()));
    }
    const Response beyond = m_fixture->get("/key/list?user_id=lister&size=2&page=4");
    QCOMPARE(beyond.status, 200);
    QVERIFY(beyond.json().value(u"keys"_s).toArray().isEmpty());

    const Response byAlias = m_fixture->get("/key/list?key_alias=lister-3&return_full_object=true");
    QCOMPARE(byAlias.status, 200);
    QCOMPARE(byAlias.json().value(u"total_count"_s).toInteger(), 1);
    const QJsonObject full = byAlias.json().value(u"keys"_s).toArray().first().toObject();
    QCOMPARE(full.value(u"token"_s).toString(), tokens.at(3));
    QCOMPARE(full.value(u"key_alias"_s).toString(), u"lister-3"_s);
    QCOMPARE(full.value(u"user_id"_s).toString(), u"lister"_s);

    const Response defaults = m_fixture->get("/key/list");
    QCOMPARE(defaults.status, 200);
    QCOMPARE(defaults.json().value(u"current_page"_s).toInteger(), 1);
    QVERIFY(defaults.json().value(u"keys"_s).toArray().size() <= 10);
    QVERIFY(defaults.json().value(u"total_count"_s).toInteger() >= 5);
    const Response none = m_fixture->get("/key/list?user_id=nobody-at-all");
    QCOMPARE(none.json().value(u"total_count"_s).toInteger(), 0);
    QCOMPARE(none.json().value(u"total_pages"_s).toInteger(), 0);
}

void TestKeys::listErrors()
{
    for (const QByteArray query : {"page=0", "page=x", "size=0", "size=101", "size=-3", "return_full_object=maybe"}) {
        const Response response = m_fixture->get("/key/list?" + query);
        VERIFY_ERROR(response, 400, u"bad_request_error"_s,
                     QJsonValue(QString::fromLatin1(query.left(query.indexOf('=')))));
    }
    QCOMPARE(m_fixture->get("/key/list?size=100").status, 200);
}

void TestKeys::blockAndUnblock()
{
    const Response made = generate({{u"key_alias"_s, u"blockee"_s}});
    const QString raw = rawOf(made);
    QCOMPARE(chat(raw).status, 200);

    const Response blocked = m_fixture->post("/key/block", {{u"key"_s, raw}});
    QCOMPARE(blocked.status, 200);
    QCOMPARE(blocked.json().value(u"blocked"_s).toBool(), true);
    QCOMPARE(blocked.json().value(u"key_alias"_s).toString(), u"blockee"_s);
    VERIFY_ERROR(chat(raw), 401, u"auth_error"_s, QJsonValue(QJsonValue::Null), u"Key is blocked."_s);
    VERIFY_ERROR(m_fixture->get("/v1/models", raw.toUtf8()), 401, u"auth_error"_s, QJsonValue(QJsonValue::Null),
                 u"Key is blocked."_s);
    VERIFY_ERROR(m_fixture->get("/key/info", raw.toUtf8()), 401, u"auth_error"_s, QJsonValue(QJsonValue::Null),
                 u"Key is blocked."_s);

    const Response unblocked = m_fixture->post("/key/unblock", {{u"key"_s, tokenOf(made)}});
    QCOMPARE(unblocked.status, 200);
    QCOMPARE(unblocked.json().value(u"blocked"_s).toBool(), false);
    QCOMPARE(chat(raw).status, 200);

    // Born blocked.
    const QString bornBlocked = rawKeyFor({{u"blocked"_s, true}});
    VERIFY_ERROR(chat(bornBlocked), 401, u"auth_error"_s, QJsonValue(QJsonValue::Null), u"Key is blocked."_s);
    VERIFY_ERROR(m_fixture->post("/key/block", {{u"key"_s, u"sk-nope"_s}}), 404, u"not_found_error"_s);
    VERIFY_ERROR(m_fixture->post("/key/block", QJsonObject{}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(m_fixture->post("/key/block", {{u"key"_s, raw}}, raw.toUtf8()), 403, u"forbidden"_s);
}

void TestKeys::regenerateCarriesSettingsAndSpend()
{
    const Response made = generate({{u"key_alias"_s, u"regen"_s},
                                    {u"models"_s, QJsonArray{u"gpt-a"_s}},
                                    {u"max_budget"_s, 4.0},
                                    {u"user_id"_s, u"regen-user"_s},
                                    {u"metadata"_s, QJsonObject{{u"k"_s, u"v"_s}}}});
    QCOMPARE(made.status, 200);
    const QString oldRaw = rawOf(made);
    const QString oldToken = tokenOf(made);

    // Put a known spend on the key in the store and restart, so the registry holds it.
    const auto written = m_fixture->store().writeNow([oldToken](QSqlDatabase &db) -> Result<void> {
        QSqlQuery query(db);
        query.prepare(u"UPDATE keys SET spend_nanousd = 1250000000 WHERE token = ?"_s);
        query.addBindValue(oldToken);
        if (!query.exec() || query.numRowsAffected() != 1)
            return makeError(u"spend not set"_s);
        return {};
    });
    QVERIFY(written.ok());
    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));

    const Response regenerated = m_fixture->post("/key/regenerate", {{u"key"_s, oldRaw}, {u"rpm_limit"_s, 9}});
    QCOMPARE(regenerated.status, 200);
    const QJsonObject key = regenerated.json();
    const QString newRaw = key.value(u"key"_s).toString();
    QVERIFY(QRegularExpression(u"^sk-[A-Za-z0-9_-]{22}$"_s).match(newRaw).hasMatch());
    QVERIFY(newRaw != oldRaw);
    QCOMPARE(key.value(u"token"_s).toString(), sha256(newRaw));
    QCOMPARE(key.value(u"key_name"_s).toString(), QString(u"sk-..."_s + newRaw.right(4)));
    QCOMPARE(key.value(u"key_alias"_s).toString(), u"regen"_s);
    QCOMPARE(key.value(u"models"_s).toArray(), QJsonArray{u"gpt-a"_s});
    QCOMPARE(key.value(u"max_budget"_s).toDouble(), 4.0);
    QCOMPARE(key.value(u"user_id"_s).toString(), u"regen-user"_s);
    QCOMPARE(key.value(u"metadata"_s).toObject(), (QJsonObject{{u"k"_s, u"v"_s}}));
    QCOMPARE(key.value(u"spend"_s).toDouble(), 1.25);
    QCOMPARE(key.value(u"rpm_limit"_s).toInteger(), 9);   // a field changed on the way
    QCOMPARE(key.value(u"created_at"_s), made.json().value(u"created_at"_s));

    VERIFY_ERROR(chat(oldRaw), 401, u"auth_error"_s);   // at once
    QCOMPARE(chat(newRaw).status, 200);
    VERIFY_ERROR(m_fixture->get("/key/info?key=" + oldToken.toLatin1()), 404, u"not_found_error"_s);
    const Response info = m_fixture->get("/key/info?key=" + sha256(newRaw).toLatin1());
    // The carried-over $1.25 plus the one call just made with the new key.
    const double spendNow = info.json().value(u"info"_s).toObject().value(u"spend"_s).toDouble();
    QVERIFY2(spendNow > 1.25 && spendNow < 1.2501, qPrintable(QString::number(spendNow, 'g', 12)));

    // Persisted: still so after a restart, and the alias moved with it.
    QVERIFY(m_fixture->restart());
    VERIFY_ERROR(chat(oldRaw), 401, u"auth_error"_s);
    QCOMPARE(chat(newRaw).status, 200);
    const Response listed = m_fixture->get("/key/list?key_alias=regen");
    QCOMPARE(tokensOf(listed.json().value(u"keys"_s).toArray()), QStringList{sha256(newRaw)});

    // Regenerating with a chosen value; then errors.
    const Response chosen
        = m_fixture->post("/key/regenerate", {{u"key"_s, newRaw}, {u"new_key"_s, u"sk-chosen-regen-1"_s}});
    QCOMPARE(chosen.status, 200);
    QCOMPARE(rawOf(chosen), u"sk-chosen-regen-1"_s);
    QCOMPARE(chat(u"sk-chosen-regen-1"_s).status, 200);
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, u"sk-gone"_s}}), 404, u"not_found_error"_s);
    VERIFY_ERROR(m_fixture->post("/key/regenerate", QJsonObject{}), 400, u"bad_request_error"_s, QJsonValue(u"key"_s));
    VERIFY_ERROR(m_fixture->post("/key/regenerate", {{u"key"_s, u"sk-chosen-regen-1"_s}, {u"new_key"_s, u"nope"_s}}),
                 400, u"bad_request_error"_s, QJsonValue(u"new_key"_s));
}

void TestKeys::expiresInRealTime()
{
    const Response made = generate({{u"duration"_s, u"1s"_s}});
    QCOMPARE(made.status, 200);
    const QString raw = rawOf(made);
    QCOMPARE(chat(raw).status, 200);
    QThread::msleep(1500);
    VERIFY_ERROR(chat(raw), 401, u"expired_key"_s);
    VERIFY_ERROR(m_fixture->get("/key/info", raw.toUtf8()), 401, u"expired_key"_s);
}

void TestKeys::expiresByTheClock()
{
    ManualClock clock(QDateTime(QDate(2030, 1, 1), QTime(0, 0), Qt::UTC));
    GatewayFixture fixture;
    fixture.setClock(&clock);
    QVERIFY2(fixture.start(), qPrintable(fixture.lastError()));

    const Response made = fixture.post("/key/generate", {{u"duration"_s, u"1h"_s}, {u"budget_duration"_s, u"1mo"_s}});
    QCOMPARE(made.status, 200);
    QCOMPARE(made.json().value(u"created_at"_s).toString(), u"2030-01-01T00:00:00.000Z"_s);
    QCOMPARE(made.json().value(u"expires"_s).toString(), u"2030-01-01T01:00:00.000Z"_s);
    QCOMPARE(made.json().value(u"budget_reset_at"_s).toString(), u"2030-02-01T00:00:00.000Z"_s);
    const QByteArray raw = rawOf(made).toUtf8();
    const auto call = [&] { return fixture.post("/v1/chat/completions", chatBody(u"gpt-a"_s), raw); };

    QCOMPARE(call().status, 200);
    clock.advance(3599);
    QCOMPARE(call().status, 200);
    clock.advance(1);   // now == expires
    VERIFY_ERROR(call(), 401, u"expired_key"_s);

    // A new duration on update counts from now, and the key works again.
    const Response renewed = fixture.post("/key/update", {{u"key"_s, QString::fromUtf8(raw)}, {u"duration"_s, u"2h"_s},
                                                          {u"budget_duration"_s, u"1d"_s}});
    QCOMPARE(renewed.status, 200);
    QCOMPARE(renewed.json().value(u"expires"_s).toString(), u"2030-01-01T03:00:00.000Z"_s);
    QCOMPARE(renewed.json().value(u"budget_reset_at"_s).toString(), u"2030-01-02T01:00:00.000Z"_s);
    QCOMPARE(call().status, 200);
    clock.advance(7200);
    VERIFY_ERROR(call(), 401, u"expired_key"_s);
}

void TestKeys::tenConcurrentGenerates()
{
    const quint16 port = m_fixture->port();
    const auto responses = concurrently(10, [port](int i) {
        HttpClient client(port);
        client.setDefaultHeaders({{"Authorization", "Bearer " + Master}});
        return client.postJson("/key/generate", {{u"user_id"_s, u"crowd"_s}, {u"key_alias"_s, u"crowd-%1"_s.arg(i)}});
    });
    QSet<QString> keys;
    QSet<QString> tokens;
    for (const Response &response : responses) {
        QCOMPARE(response.status, 200);
        keys.insert(rawOf(response));
        tokens.insert(tokenOf(response));
    }
    QCOMPARE(keys.size(), 10);
    QCOMPARE(tokens.size(), 10);
    for (const QString &raw : std::as_const(keys))
        QCOMPARE(chat(raw).status, 200);
    QCOMPARE(m_fixture->get("/key/list?user_id=crowd").json().value(u"total_count"_s).toInteger(), 10);
}

void TestKeys::concurrentGeneratesWithOneAlias()
{
    const quint16 port = m_fixture->port();
    const auto responses = concurrently(10, [port](int) {
        HttpClient client(port);
        client.setDefaultHeaders({{"Authorization", "Bearer " + Master}});
        return client.postJson("/key/generate", {{u"key_alias"_s, u"contested"_s}});
    });
    int created = 0;
    for (const Response &response : responses) {
        if (response.status == 200)
            ++created;
        else
            VERIFY_ERROR(response, 400, u"bad_request_error"_s, QJsonValue(u"key_alias"_s));
    }
    QCOMPARE(created, 1);
}

void TestKeys::failedWriteIsUndone()
{
    // A row the registry does not know holds the alias "ghost", so a write that gives a key
    // that alias passes the in-memory check and then fails on the table's UNIQUE constraint.
    const auto sql = [this](const QString &statement) {
        return m_fixture->store().writeNow([statement](QSqlDatabase &db) -> Result<void> {
            QSqlQuery query(db);
            if (!query.exec(statement))
                return makeError(u"failed: "_s + statement);
            return {};
        });
    };
    QVERIFY(sql(u"INSERT INTO keys (token, key_alias, data, created_at, updated_at) "
                "VALUES ('ghost-token', 'ghost', '{}', 'x', 'x')"_s).ok());
    const auto removeGhost = qScopeGuard([&] { (void)sql(u"DELETE FROM keys WHERE token = 'ghost-token'"_s); });

    // generate: 503, and neither the key nor its new user stays in memory.
    const QJsonObject body{{u"key_alias"_s, u"ghost"_s}, {u"user_id"_s, u"ghost-user"_s}, {u"key"_s, u"sk-ghost-1"_s}};
    VERIFY_ERROR(generate(body), 503, u"service_unavailable"_s);
    VERIFY_ERROR(chat(u"sk-ghost-1"_s), 401, u"auth_error"_s);
    QCOMPARE(m_fixture->get("/key/list?user_id=ghost-user").json().value(u"total_count"_s).toInteger(), 0);
    VERIFY_ERROR(generate(body), 503, u"service_unavailable"_s);   // the alias was released again, not 400

    // update and regenerate: the key keeps its old settings and its old value.
    const Response made = generate({{u"key_alias"_s, u"not-ghost"_s}});
    const QString raw = rawOf(made);
    VERIFY_ERROR(m_fixture->post("/key/update", {{u"key"_s, raw}, {u"key_alias"_s, u"ghost"_s}, {u"rpm_limit"_s, 1}}),
                 503, u"service_unavailable"_s);
    const QJsonObject info = m_fixture->get("/key/info", raw.toUtf8()).json().value(u"info"_s).toObject();
    QCOMPARE(info.value(u"key_alias"_s).toString(), u"not-ghost"_s);
    QVERIFY(info.value(u"rpm_limit"_s).isNull());
    const Response regenerated = m_fixture->post("/key/regenerate", {{u"key"_s, raw}, {u"key_alias"_s, u"ghost"_s}});
    VERIFY_ERROR(regenerated, 503, u"service_unavailable"_s);
    QCOMPARE(chat(raw).status, 200);
    QCOMPARE(m_fixture->get("/key/list?key_alias=not-ghost").json().value(u"keys"_s).toArray(),
             QJsonArray{tokenOf(made)});
}

void TestKeys::keysSurviveRestart()
{
    const Response made = generate({{u"key_alias"_s, u"durable"_s},
                                    {u"models"_s, QJsonArray{u"gpt-a"_s, u"gpt-c"_s}},
                                    {u"user_id"_s, u"durable-user"_s},
                                    {u"max_budget"_s, 2.5},
                                    {u"metadata"_s, QJsonObject{{u"x"_s, 1}}}});
    QCOMPARE(made.status, 200);
    const QString raw = rawOf(made);
    const QString token = tokenOf(made);
    QVERIFY2(m_fixture->restart(), qPrintable(m_fixture->lastError()));

    const Response info = m_fixture->get("/key/info?key=" + token.toLatin1());
    QCOMPARE(info.status, 200);
    QJsonObject expected = made.json();
    expected.remove(u"key"_s);
    expected.remove(u"duration"_s);
    QCOMPARE(info.json().value(u"info"_s).toObject(), expected);
    QCOMPARE(chat(raw).status, 200);
    VERIFY_ERROR(chat(raw, u"gpt-b"_s), 403, u"key_model_access_denied"_s);
    // The alias is still taken, and the auto-created owner still makes the key an internal_user's.
    VERIFY_ERROR(generate({{u"key_alias"_s, u"durable"_s}}), 400, u"bad_request_error"_s, QJsonValue(u"key_alias"_s));
    QCOMPARE(m_fixture->get("/key/list", raw.toUtf8()).json().value(u"total_count"_s).toInteger(), 1);
}

void TestKeys::rawKeyNeverStored()
{
    const Response made = generate({{u"key_alias"_s, u"secret-check"_s}});
    QCOMPARE(made.status, 200);
    const QByteArray raw = rawOf(made).toUtf8();
    const QByteArray token = tokenOf(made).toLatin1();
    QCOMPARE(m_fixture->post("/key/update", {{u"key"_s, QString::fromUtf8(raw)}, {u"rpm_limit"_s, 3}}).status, 200);

    const QByteArray everything = m_fixture->storedBytes();
    QVERIFY(!everything.isEmpty());
    QVERIFY2(everything.contains(token), "the token is what the store keeps");
    QVERIFY2(!everything.contains(raw), "the raw key is in the database files");
    QVERIFY2(!everything.contains(raw.mid(3)), "the raw key's random part is in the database files");
}

void TestKeys::auditLogHasARowPerAction()
{
    const Response made = generate({{u"key_alias"_s, u"audited"_s}, {u"max_budget"_s, 1.0}});
    QCOMPARE(made.status, 200);
    const QString raw = rawOf(made);
    const QString token = tokenOf(made);
    QCOMPARE(m_fixture->post("/key/update", {{u"key"_s, raw}, {u"max_budget"_s, 2.0}}).status, 200);
    QCOMPARE(m_fixture->post("/key/block", {{u"key"_s, raw}}).status, 200);
    QCOMPARE(m_fixture->post("/key/unblock", {{u"key"_s, raw}}).status, 200);
    const Response regenerated = m_fixture->post("/key/regenerate", {{u"key"_s, raw}});
    QCOMPARE(regenerated.status, 200);
    const QString newRaw = rawOf(regenerated);
    const QString newToken = tokenOf(regenerated);
    QCOMPARE(m_fixture->post("/key/delete", {{u"keys"_s, QJsonArray{newRaw}}}).status, 200);

    const auto rowFor = [&](const QString &action, const QString &objectId) -> QString {
        for (const QString &row : auditRows(action)) {
            if (row.section(u'|', 1, 1) == objectId)
                return row;
        }
        return {};
    };
    const QString generated = rowFor(u"key.generate"_s, token);
    QVERIFY2(!generated.isEmpty(), "no key.generate row");
    QVERIFY(generated.startsWith(u"master_key|"_s));
    QVERIFY(generated.contains(u"\"key_alias\":\"audited\""_s));
    QVERIFY(generated.contains(u"\"max_budget\":1"_s));
    const QString updated = rowFor(u"key.update"_s, token);
    QVERIFY2(!updated.isEmpty(), "no key.update row");
    QVERIFY(updated.contains(u"\"max_budget\":2"_s));
    QVERIFY2(!rowFor(u"key.block"_s, token).isEmpty(), "no key.block row");
    QVERIFY2(!rowFor(u"key.unblock"_s, token).isEmpty(), "no key.unblock row");
    const QString regen = rowFor(u"key.regenerate"_s, newToken);
    QVERIFY2(!regen.isEmpty(), "no key.regenerate row");
    QVERIFY(regen.contains(token));   // names the old token
    QVERIFY2(!rowFor(u"key.delete"_s, newToken).isEmpty(), "no key.delete row");

    // No row anywhere holds a raw key.
    for (const QString &action : {u"key.generate"_s, u"key.update"_s, u"key.block"_s, u"key.unblock"_s,
                                  u"key.regenerate"_s, u"key.delete"_s}) {
        for (const QString &row : auditRows(action)) {
            QVERIFY2(!row.contains(raw.mid(3)) && !row.contains(newRaw.mid(3)), qPrintable(row));
            QVERIFY2(!row.contains(u"sk-my-own-key-value-1"_s), qPrintable(row));
        }
    }
}

QTEST_GUILESS_MAIN(TestKeys)
#include "tst_keys.moc"
