// Enforcement on the OpenAI routes (api.md §5 up to budgets): virtual keys (unknown,
// blocked, expired), roles on admin routes, aliases, access groups, the user's models,
// end users. Keys and users are seeded in the database before the gateway starts, so this
// also covers loading them at start-up.
#include "models/clock.h"
#include "models/identityregistry.h"
#include "models/store/identityrepository.h"
#include "tests/support/gatewayfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QTest>

using namespace Tollgate;
using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

const QDateTime Start = QDateTime(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);

struct Seed
{
    QList<VirtualKey> keys;
    QList<User> users;
    QList<EndUser> endUsers;
};

VirtualKey key(const QString &raw, const QStringList &models = {}, const QString &userId = {})
{
    VirtualKey k;
    k.token = IdentityRegistry::tokenOf(raw);
    k.keyName = keyDisplayName(raw);
    k.models = models;
    k.userId = userId;
    k.createdAt = k.updatedAt = Start;
    return k;
}

User user(const QString &id, UserRole role, const QStringList &models = {})
{
    User u;
    u.userId = id;
    u.role = role;
    u.models = models;
    u.createdAt = u.updatedAt = Start;
    return u;
}

QJsonObject chat(const QString &model, const QString &endUser = {})
{
    QJsonObject body{{u"model"_s, model},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return body;
}

QString errorType(const HttpClient::Response &response)
{
    return response.json().value(u"error"_s).toObject().value(u"type"_s).toString();
}

QStringList modelIds(const HttpClient::Response &response)
{
    QStringList ids;
    for (const QJsonValue item : response.json().value(u"data"_s).toArray())
        ids.append(item.toObject().value(u"id"_s).toString());
    return ids;
}

} // namespace

class TestAccess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void unknownKeysAreRefused_data();
    void unknownKeysAreRefused();
    void blockedKeyIsRefused();
    void expiredKeyIsRefusedByTheClock();
    void keyModelsRestrictCalls();
    void accessGroupsExpandToTheirModels();
    void allProxyModelsAndEmptyListMeanEverything();
    void userModelsApplyWhenTheKeyHasNone();
    void keyAndUserModelsBothApply();
    void laterModelsAndGroupsFollowTheUsersList();
    void viewerKeysOnlyRead();
    void refusedCallsCreateNoEndUser();
    void endUserIdsAreCapped();
    void aliasesResolveBeforeTheAccessCheck();
    void unknownModelIsABadRequestEvenWhenRestricted();
    void adminRoutesNeedAnAdminRole();
    void blockedEndUserIsRefused();
    void unknownEndUserIsCreatedAndKept();
    void openAccessStillKnowsVirtualKeys();

private:
    // /customer/list (an array) by the master key.
    QJsonArray customers() const
    {
        return QJsonDocument::fromJson(m_gateway->get("/customer/list").body).array();
    }
    bool seedAndStart(const Seed &seed, Config config = GatewayFixture::defaultConfig());

    std::unique_ptr<GatewayFixture> m_gateway;
    ManualClock m_clock{Start};
};

void TestAccess::init()
{
    m_clock.set(Start);
}

void TestAccess::cleanup()
{
    m_gateway.reset();
}

bool TestAccess::seedAndStart(const Seed &seed, Config config)
{
    m_gateway = std::make_unique<GatewayFixture>(std::move(config));
    m_gateway->setClock(&m_clock);
    if (!m_gateway->start())
        return false;
    QList<Store::WriteJob> jobs;
    for (const User &u : seed.users)
        jobs.append(IdentityRepository::saveUser(u));
    for (const VirtualKey &k : seed.keys)
        jobs.append(IdentityRepository::saveKey(k));
    for (const EndUser &e : seed.endUsers)
        jobs.append(IdentityRepository::saveEndUser(e));
    if (!m_gateway->store().writeNow(IdentityRepository::all(jobs)))
        return false;
    return m_gateway->restart();  // loaded from the database at start-up
}

void TestAccess::unknownKeysAreRefused_data()
{
    QTest::addColumn<QByteArray>("presented");
    QTest::newRow("unknown sk- key") << QByteArray("sk-not-a-real-key-123456");
    QTest::newRow("not an sk- key") << QByteArray("hello");
    QTest::newRow("the token instead of the key") << IdentityRegistry::tokenOf(u"sk-real-key-000000000001"_s).toLatin1();
}

void TestAccess::unknownKeysAreRefused()
{
    QFETCH(QByteArray, presented);
    QVERIFY(seedAndStart({{key(u"sk-real-key-000000000001"_s)}, {}, {}}));
    const auto response = m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), presented);
    QCOMPARE(response.status, 401);
    QCOMPARE(errorType(response), u"auth_error"_s);
    // The real key works.
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), "sk-real-key-000000000001").status, 200);
}

void TestAccess::blockedKeyIsRefused()
{
    VirtualKey blocked = key(u"sk-blocked-key-0000000001"_s);
    blocked.blocked = true;
    QVERIFY(seedAndStart({{blocked}, {}, {}}));
    for (const QByteArray &path : {QByteArrayLiteral("/v1/models"), QByteArrayLiteral("/v1/model/info")}) {
        const auto response = m_gateway->get(path, "sk-blocked-key-0000000001");
        QCOMPARE(response.status, 401);
        QCOMPARE(response.json().value(u"error"_s).toObject().value(u"message"_s).toString(), u"Key is blocked."_s);
    }
}

void TestAccess::expiredKeyIsRefusedByTheClock()
{
    VirtualKey expiring = key(u"sk-expiring-key-00000001"_s);
    expiring.expires = Start.addSecs(3600);
    QVERIFY(seedAndStart({{expiring}, {}, {}}));
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), "sk-expiring-key-00000001").status, 200);
    m_clock.advance(3599);
    QCOMPARE(m_gateway->get("/v1/models", "sk-expiring-key-00000001").status, 200);
    m_clock.advance(1);  // exactly at `expires`: expired
    const auto response = m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), "sk-expiring-key-00000001");
    QCOMPARE(response.status, 401);
    QCOMPARE(errorType(response), u"expired_key"_s);
}

void TestAccess::keyModelsRestrictCalls()
{
    QVERIFY(seedAndStart({{key(u"sk-only-gpt-a-000000001"_s, {u"gpt-a"_s})}, {}, {}}));
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), "sk-only-gpt-a-000000001").status, 200);
    const auto denied = m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), "sk-only-gpt-a-000000001");
    QCOMPARE(denied.status, 403);
    const QJsonObject error = denied.json().value(u"error"_s).toObject();
    QCOMPARE(error.value(u"type"_s).toString(), u"key_model_access_denied"_s);
    QCOMPARE(error.value(u"param"_s).toString(), u"model"_s);
    QVERIFY(error.value(u"message"_s).toString().startsWith(u"key not allowed to access model."_s));
    QVERIFY(error.value(u"message"_s).toString().contains(u"gpt-a"_s));
    QCOMPARE(modelIds(m_gateway->get("/v1/models", "sk-only-gpt-a-000000001")), QStringList{u"gpt-a"_s});
}

void TestAccess::accessGroupsExpandToTheirModels()
{
    QVERIFY(seedAndStart({{key(u"sk-team-key-00000000001"_s, {u"all-team"_s})}, {}, {}}));
    QCOMPARE(modelIds(m_gateway->get("/v1/models", "sk-team-key-00000000001")),
             (QStringList{u"gpt-a"_s, u"gpt-b"_s}));
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), "sk-team-key-00000000001").status, 200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-c"_s), "sk-team-key-00000000001").status, 403);
    const auto info = m_gateway->get("/v1/model/info", "sk-team-key-00000000001");
    QCOMPARE(info.json().value(u"data"_s).toArray().size(), 2);
}

void TestAccess::allProxyModelsAndEmptyListMeanEverything()
{
    QVERIFY(seedAndStart({{key(u"sk-all-models-000000001"_s, {u"all-proxy-models"_s}),
                           key(u"sk-no-models-0000000001"_s)},
                          {},
                          {}}));
    const QStringList all{u"gpt-a"_s, u"gpt-b"_s, u"gpt-c"_s};
    QCOMPARE(modelIds(m_gateway->get("/v1/models", "sk-all-models-000000001")), all);
    QCOMPARE(modelIds(m_gateway->get("/v1/models", "sk-no-models-0000000001")), all);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-c"_s), "sk-all-models-000000001").status, 200);
}

void TestAccess::userModelsApplyWhenTheKeyHasNone()
{
    QVERIFY(seedAndStart({{key(u"sk-beta-user-key-000001"_s, {}, u"ann"_s)},
                          {user(u"ann"_s, UserRole::InternalUser, {u"beta"_s})},
                          {}}));
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), "sk-beta-user-key-000001").status, 200);
    const auto denied = m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), "sk-beta-user-key-000001");
    QCOMPARE(denied.status, 403);
    QCOMPARE(errorType(denied), u"user_model_access_denied"_s);
    QCOMPARE(modelIds(m_gateway->get("/v1/models", "sk-beta-user-key-000001")), QStringList{u"gpt-a"_s});
}

void TestAccess::keyAndUserModelsBothApply()
{
    // A key's list never reaches past its user's: access is the intersection.
    QVERIFY(seedAndStart({{key(u"sk-key-over-user-000001"_s, {u"gpt-c"_s}, u"bob"_s),
                           key(u"sk-key-team-of-bob-0001"_s, {u"all-team"_s}, u"bob"_s)},
                          {user(u"bob"_s, UserRole::InternalUser, {u"beta"_s})},
                          {}}));
    const QByteArray outside = "sk-key-over-user-000001";
    const auto denied = m_gateway->post("/v1/chat/completions", chat(u"gpt-c"_s), outside);
    QCOMPARE(denied.status, 403);
    QCOMPARE(errorType(denied), u"user_model_access_denied"_s);
    QVERIFY(denied.json().value(u"error"_s).toObject().value(u"message"_s).toString().contains(u"[beta]"_s));
    QCOMPARE(errorType(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), outside)),
             u"key_model_access_denied"_s);
    QCOMPARE(modelIds(m_gateway->get("/v1/models", outside)), QStringList());
    QCOMPARE(m_gateway->get("/v1/model/info", outside).json().value(u"data"_s).toArray().size(), 0);
    QCOMPARE(m_gateway->get("/model_group/info", outside).json().value(u"data"_s).toArray().size(), 0);

    const QByteArray team = "sk-key-team-of-bob-0001";  // all-team = gpt-a, gpt-b; beta = gpt-a
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s), team).status, 200);
    QCOMPARE(errorType(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), team)),
             u"user_model_access_denied"_s);
    QCOMPARE(modelIds(m_gateway->get("/v1/models", team)), QStringList{u"gpt-a"_s});
}

void TestAccess::laterModelsAndGroupsFollowTheUsersList()
{
    // The key may use every model; its user only the group "beta". Models added afterwards
    // are reached only if they join the user's list (by group), never through the key's.
    QVERIFY(seedAndStart({{key(u"sk-key-all-of-kim-00001"_s, {u"all-proxy-models"_s}, u"kim"_s),
                           key(u"sk-key-named-later-0001"_s, {u"late-model"_s}, u"kim"_s)},
                          {user(u"kim"_s, UserRole::InternalUser, {u"beta"_s})},
                          {}}));
    const auto addModel = [this](const QString &name, const QJsonArray &groups) {
        return m_gateway
            ->post("/model/new",
                   QJsonObject{{u"model_name"_s, name},
                               {u"litellm_params"_s, QJsonObject{{u"model"_s, QString(u"mock/"_s + name)}}},
                               {u"model_info"_s, QJsonObject{{u"access_groups"_s, groups}}}})
            .status;
    };
    QCOMPARE(addModel(u"late-model"_s, {}), 200);
    QCOMPARE(addModel(u"late-beta"_s, QJsonArray{u"beta"_s}), 200);
    for (const QByteArray &raw : {QByteArray("sk-key-all-of-kim-00001"), QByteArray("sk-key-named-later-0001")}) {
        const auto denied = m_gateway->post("/v1/chat/completions", chat(u"late-model"_s), raw);
        QCOMPARE(denied.status, 403);
        QCOMPARE(errorType(denied), u"user_model_access_denied"_s);
        QVERIFY(!modelIds(m_gateway->get("/v1/models", raw)).contains(u"late-model"_s));
    }
    const QByteArray all = "sk-key-all-of-kim-00001";
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"late-beta"_s), all).status, 200);
    QCOMPARE(modelIds(m_gateway->get("/v1/models", all)), (QStringList{u"gpt-a"_s, u"late-beta"_s}));
    QStringList infoNames;
    for (const QJsonValue entry : m_gateway->get("/v1/model/info", all).json().value(u"data"_s).toArray())
        infoNames.append(entry.toObject().value(u"model_name"_s).toString());
    QCOMPARE(infoNames, (QStringList{u"gpt-a"_s, u"late-beta"_s}));
}

void TestAccess::viewerKeysOnlyRead()
{
    QVERIFY(seedAndStart({{key(u"sk-viewer-key-000000001"_s, {}, u"vic"_s)},
                          {user(u"vic"_s, UserRole::InternalUserViewer)},
                          {}}));
    const QByteArray viewer = "sk-viewer-key-000000001";
    const QJsonObject completion{{u"model"_s, u"gpt-a"_s}, {u"prompt"_s, u"hi"_s}};
    const QJsonObject embedding{{u"model"_s, u"gpt-a"_s}, {u"input"_s, u"hi"_s}};
    const QList<std::pair<QByteArray, QJsonObject>> writes{
        {"/v1/chat/completions", chat(u"gpt-a"_s)},
        {"/chat/completions", chat(u"gpt-a"_s, u"viewer-customer"_s)},
        {"/v1/completions", completion},
        {"/v1/embeddings", embedding},
        {"/key/generate", {}},
        {"/key/regenerate", {{u"key"_s, QString::fromLatin1(viewer)}}},
        {"/key/delete", {{u"keys"_s, QJsonArray{QString::fromLatin1(viewer)}}}},
        {"/key/update", {{u"key"_s, QString::fromLatin1(viewer)}, {u"max_budget"_s, 100}}},
        {"/user/update", {{u"user_id"_s, u"vic"_s}, {u"user_role"_s, u"proxy_admin"_s}}},
        {"/customer/new", {{u"user_id"_s, u"c"_s}}},
    };
    for (const auto &[path, body] : writes) {
        const auto refused = m_gateway->post(path, body, viewer);
        QVERIFY2(refused.status == 403, path.constData());
        QCOMPARE(errorType(refused), u"forbidden"_s);
    }
    // Reads still work; nothing was changed or created.
    QCOMPARE(m_gateway->get("/v1/models", viewer).status, 200);
    QCOMPARE(m_gateway->get("/key/info", viewer).status, 200);
    QCOMPARE(m_gateway->get("/user/info", viewer).json().value(u"user_info"_s).toObject().value(u"user_role"_s),
             QJsonValue(u"internal_user_viewer"_s));
    QCOMPARE(customers().size(), 0);
}

void TestAccess::refusedCallsCreateNoEndUser()
{
    // Refused by a budget or a rate limit too: a key with nothing left to spend made an end user
    // (a row, an audit row, memory) with each refused call, 50,000 in 12 s.
    VirtualKey spent = key(u"sk-spent-budget-0000001"_s);
    spent.budget.maxBudget = 0;
    VirtualKey limited = key(u"sk-one-call-a-minute-01"_s);
    limited.limits.rpm = 1;
    QVERIFY(seedAndStart({{key(u"sk-only-gpt-a-000000001"_s, {u"gpt-a"_s}), spent, limited}, {}, {}}));
    const QByteArray raw = "sk-only-gpt-a-000000001";
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s, u"ghost-denied"_s), raw).status, 403);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"nope"_s, u"ghost-unknown-model"_s), raw).status, 400);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"ghost-bad-key"_s), "sk-not-a-key").status, 401);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"ghost-broke-%1"_s.arg(i)),
                                 "sk-spent-budget-0000001").status,
                 429);
    }
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"limited-customer"_s), "sk-one-call-a-minute-01").status,
             200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"ghost-limited"_s), "sk-one-call-a-minute-01").status,
             429);
    // An admitted call creates it, and keeps it.
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"real-customer"_s), raw).status, 200);
    QStringList known;
    for (const QJsonValue &endUser : customers())
        known.append(endUser.toObject().value(u"user_id"_s).toString());
    known.sort();
    QCOMPARE(known, (QStringList{u"limited-customer"_s, u"real-customer"_s}));
    QVERIFY(m_gateway->restart());
    known.clear();
    for (const QJsonValue &endUser : customers())
        known.append(endUser.toObject().value(u"user_id"_s).toString());
    known.sort();
    QCOMPARE(known, (QStringList{u"limited-customer"_s, u"real-customer"_s}));
}

void TestAccess::endUserIdsAreCapped()
{
    QVERIFY(seedAndStart({}));
    const auto tooLong = m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, QString(257, u'x')));
    QCOMPARE(tooLong.status, 400);
    QCOMPARE(errorType(tooLong), u"bad_request_error"_s);
    QCOMPARE(tooLong.json().value(u"error"_s).toObject().value(u"param"_s).toString(), u"user"_s);
    QCOMPARE(customers().size(), 0);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, QString(256, u'x'))).status, 200);
    QCOMPARE(customers().size(), 1);
}

void TestAccess::aliasesResolveBeforeTheAccessCheck()
{
    VirtualKey aliased = key(u"sk-aliased-key-00000001"_s, {u"gpt-b"_s});
    aliased.aliases.insert(u"my-model"_s, u"gpt-b"_s);
    aliased.aliases.insert(u"sneaky"_s, u"gpt-c"_s);
    QVERIFY(seedAndStart({{aliased}, {}, {}}));
    const auto response = m_gateway->post("/v1/chat/completions", chat(u"my-model"_s), "sk-aliased-key-00000001");
    QCOMPARE(response.status, 200);
    QCOMPARE(response.header("x-litellm-model-group"), QByteArray("gpt-b"));
    // An alias does not get around the key's model list.
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"sneaky"_s), "sk-aliased-key-00000001").status, 403);
}

void TestAccess::unknownModelIsABadRequestEvenWhenRestricted()
{
    QVERIFY(seedAndStart({{key(u"sk-restricted-key-000001"_s, {u"gpt-a"_s})}, {}, {}}));
    const auto response = m_gateway->post("/v1/chat/completions", chat(u"nope"_s), "sk-restricted-key-000001");
    QCOMPARE(response.status, 400);
    QVERIFY(response.json().value(u"error"_s).toObject().value(u"message"_s).toString()
                .startsWith(u"Invalid model name passed in model=nope."_s));
}

void TestAccess::adminRoutesNeedAnAdminRole()
{
    QVERIFY(seedAndStart({{key(u"sk-internal-key-0000001"_s, {}, u"ivy"_s), key(u"sk-admin-key-000000001"_s, {}, u"ada"_s)},
                          {user(u"ivy"_s, UserRole::InternalUser), user(u"ada"_s, UserRole::ProxyAdmin)},
                          {}}));
    const auto refused = m_gateway->get("/health", "sk-internal-key-0000001");
    QCOMPARE(refused.status, 403);
    QCOMPARE(errorType(refused), u"forbidden"_s);
    QCOMPARE(m_gateway->get("/health", "sk-admin-key-000000001").status, 200);
    QCOMPARE(m_gateway->get("/health").status, 200);  // master key
}

void TestAccess::blockedEndUserIsRefused()
{
    EndUser blocked;
    blocked.userId = u"customer-7"_s;
    blocked.blocked = true;
    blocked.createdAt = blocked.updatedAt = Start;
    QVERIFY(seedAndStart({{}, {}, {blocked}}));
    const auto response = m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"customer-7"_s));
    QCOMPARE(response.status, 401);
    QCOMPARE(errorType(response), u"auth_error"_s);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"customer-8"_s)).status, 200);
}

void TestAccess::unknownEndUserIsCreatedAndKept()
{
    Config config = GatewayFixture::defaultConfig();
    config.litellm.maxEndUserBudget = 2.5;
    config.litellm.endUserBudgetDuration = Duration{1, Duration::Unit::Days};
    QVERIFY(seedAndStart({}, config));
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-a"_s, u"new-customer"_s)).status, 200);
    QVERIFY(m_gateway->restart());
    const auto stored = m_gateway->store().readNow([](QSqlDatabase &db) {
        auto snapshot = IdentityRepository::loadAll(db);
        return snapshot ? QVariant::fromValue(snapshot->endUsers) : QVariant();
    });
    QVERIFY(stored.ok());
    const auto endUsers = stored->value<QList<EndUser>>();
    QCOMPARE(endUsers.size(), 1);
    QCOMPARE(endUsers.first().userId, u"new-customer"_s);
    QCOMPARE(endUsers.first().budget.maxBudget, usdToNanos(2.5));
    QCOMPARE(endUsers.first().budget.resetAt, Start.addDays(1));
}

void TestAccess::openAccessStillKnowsVirtualKeys()
{
    Config config = GatewayFixture::defaultConfig();
    config.general.masterKey.clear();
    QVERIFY(seedAndStart({{key(u"sk-open-mode-key-000001"_s, {u"gpt-a"_s})}, {}, {}}, config));
    // No key, or any key: everything (loopback only).
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), QByteArray()).status, 200);
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), "sk-whatever").status, 200);
    // A known virtual key is held to its own list.
    QCOMPARE(m_gateway->post("/v1/chat/completions", chat(u"gpt-b"_s), "sk-open-mode-key-000001").status, 403);
}

QTEST_GUILESS_MAIN(TestAccess)
#include "tst_access.moc"
