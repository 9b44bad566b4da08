// Unit tests of the identity entities (JSON as the API and the store see it) and of the
// in-memory registry the hot path reads keys and users from.
#include "models/identity.h"
#include "models/identityregistry.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QTest>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

const QDateTime T0 = QDateTime(QDate(2025, 3, 4), QTime(5, 6, 7, 890), Qt::UTC);

Budget fullBudget()
{
    Budget budget;
    budget.maxBudget = usdToNanos(12.5);
    budget.softBudget = usdToNanos(10.0);
    budget.duration = Duration{30, Duration::Unit::Days};
    budget.resetAt = T0.addDays(30);
    budget.spend = usdToNanos(1.234567891);
    return budget;
}

VirtualKey fullKey()
{
    VirtualKey key;
    key.token = IdentityRegistry::tokenOf(u"sk-abcdefghijklmnopqrstuv"_s);
    key.keyName = keyDisplayName(u"sk-abcdefghijklmnopqrstuv"_s);
    key.keyAlias = u"team-a"_s;
    key.userId = u"alice"_s;
    key.models = {u"gpt-a"_s, u"beta"_s};
    key.budget = fullBudget();
    key.limits = RateLimits{60, 10000, 4};
    key.aliases = {{u"fast"_s, u"gpt-a"_s}, {u"smart"_s, u"gpt-b"_s}};
    key.modelMaxBudget = QJsonObject{
        {u"gpt-a"_s, QJsonObject{{u"budget_limit"_s, 1.0}, {u"time_period"_s, u"1d"_s}}}};
    key.metadata = QJsonObject{{u"team"_s, u"core"_s}, {u"n"_s, 3}};
    key.blocked = true;
    key.expires = T0.addSecs(3600);
    key.createdAt = T0;
    key.updatedAt = T0.addSecs(5);
    key.createdBy = u"master_key"_s;
    return key;
}

VirtualKey keyAt(const QString &raw, const QDateTime &createdAt, const QString &userId = {},
                 const QString &alias = {})
{
    VirtualKey key;
    key.token = IdentityRegistry::tokenOf(raw);
    key.keyName = keyDisplayName(raw);
    key.createdAt = createdAt;
    key.userId = userId;
    key.keyAlias = alias;
    return key;
}

void compareBudgets(const Budget &actual, const Budget &expected)
{
    QCOMPARE(actual.maxBudget, expected.maxBudget);
    QCOMPARE(actual.softBudget, expected.softBudget);
    QCOMPARE(actual.duration, expected.duration);
    QCOMPARE(actual.resetAt, expected.resetAt);
    QCOMPARE(actual.spend, expected.spend);
}

void compareLimits(const RateLimits &actual, const RateLimits &expected)
{
    QCOMPARE(actual.rpm, expected.rpm);
    QCOMPARE(actual.tpm, expected.tpm);
    QCOMPARE(actual.maxParallel, expected.maxParallel);
}

} // namespace

class TestIdentity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keyJsonRoundTripsEveryField();
    void keyJsonHasTheApiShape();
    void emptyKeyJsonUsesNulls();
    void keyWithoutTokenIsRejected();
    void userJsonRoundTripsEveryField();
    void userWithUnknownRoleReadsAsInternalUser();
    void endUserJsonRoundTripsEveryField();
    void roleNamesRoundTrip_data();
    void roleNamesRoundTrip();
    void keyDisplayNameShowsTheLastFour();
    void isExpiredAtTheInstant();

    void tokenOfHashesRawKeysAndKeepsTokens();
    void findKeyByRawKeyOrToken();
    void aliasIndexFollowsPutAndRemove();
    void aliasIndexFollowsRename();
    void aliasMovedToAnotherKeyIsNotDroppedByTheOld();
    void keysAreOldestFirstWithStableTies();
    void keysOfUser();
    void usersAndEndUsers();
    void clearEmptiesEverything();
};

void TestIdentity::keyJsonRoundTripsEveryField()
{
    const VirtualKey key = fullKey();
    const auto read = IdentityJson::keyFromJson(IdentityJson::toJson(key));
    QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : read.error().message));
    QCOMPARE(read->token, key.token);
    QCOMPARE(read->keyName, key.keyName);
    QCOMPARE(read->keyAlias, key.keyAlias);
    QCOMPARE(read->userId, key.userId);
    QCOMPARE(read->models, key.models);
    compareBudgets(read->budget, key.budget);
    compareLimits(read->limits, key.limits);
    QCOMPARE(read->aliases, key.aliases);
    QCOMPARE(read->modelMaxBudget, key.modelMaxBudget);
    QCOMPARE(read->metadata, key.metadata);
    QCOMPARE(read->blocked, key.blocked);
    QCOMPARE(read->expires, key.expires);
    QCOMPARE(read->createdAt, key.createdAt);
    QCOMPARE(read->updatedAt, key.updatedAt);
    QCOMPARE(read->createdBy, key.createdBy);
}

void TestIdentity::keyJsonHasTheApiShape()
{
    const QJsonObject json = IdentityJson::toJson(fullKey());
    QCOMPARE(json.value(u"token"_s).toString(), fullKey().token);
    QCOMPARE(json.value(u"token_id"_s).toString(), fullKey().token);
    QCOMPARE(json.value(u"key_name"_s).toString(), u"sk-...stuv"_s);
    QCOMPARE(json.value(u"max_budget"_s).toDouble(), 12.5);
    QCOMPARE(json.value(u"soft_budget"_s).toDouble(), 10.0);
    QCOMPARE(json.value(u"budget_duration"_s).toString(), u"30d"_s);
    QCOMPARE(json.value(u"budget_reset_at"_s).toString(), u"2025-04-03T05:06:07.890Z"_s);
    QCOMPARE(json.value(u"expires"_s).toString(), u"2025-03-04T06:06:07.890Z"_s);
    QCOMPARE(json.value(u"created_at"_s).toString(), u"2025-03-04T05:06:07.890Z"_s);
    QCOMPARE(json.value(u"rpm_limit"_s).toInteger(), 60);
    QCOMPARE(json.value(u"tpm_limit"_s).toInteger(), 10000);
    QCOMPARE(json.value(u"max_parallel_requests"_s).toInteger(), 4);
    QCOMPARE(json.value(u"aliases"_s).toObject().value(u"fast"_s).toString(), u"gpt-a"_s);
    QCOMPARE(json.value(u"models"_s).toArray(), (QJsonArray{u"gpt-a"_s, u"beta"_s}));
    QVERIFY(json.value(u"blocked"_s).toBool());
    // Only the token is ever stored or shown after generation.
    QVERIFY(!json.contains(u"key"_s));
}

void TestIdentity::emptyKeyJsonUsesNulls()
{
    VirtualKey key;
    key.token = QString(64, u'a');
    const QJsonObject json = IdentityJson::toJson(key);
    const QStringList nullFields{u"key_alias"_s, u"user_id"_s, u"max_budget"_s, u"soft_budget"_s,
                                 u"budget_duration"_s, u"budget_reset_at"_s, u"expires"_s, u"rpm_limit"_s,
                                 u"tpm_limit"_s, u"max_parallel_requests"_s};
    for (const QString &field : nullFields)
        QVERIFY2(json.value(field).isNull(), qPrintable(field));
    QCOMPARE(json.value(u"spend"_s).toDouble(), 0.0);
    QCOMPARE(json.value(u"blocked"_s).toBool(), false);

    const auto read = IdentityJson::keyFromJson(json);
    QVERIFY(read.ok());
    QVERIFY(!read->budget.maxBudget);
    QVERIFY(!read->budget.duration);
    QVERIFY(!read->expires.isValid());
    QVERIFY(!read->limits.rpm);
    QVERIFY(read->keyAlias.isEmpty());
}

void TestIdentity::keyWithoutTokenIsRejected()
{
    QVERIFY(!IdentityJson::keyFromJson(QJsonObject{{u"key_name"_s, u"sk-...abcd"_s}}).ok());
    QVERIFY(!IdentityJson::keyFromJson(QJsonObject{{u"token"_s, QString(64, u'a')},
                                                   {u"budget_duration"_s, u"soon"_s}}).ok());
}

void TestIdentity::userJsonRoundTripsEveryField()
{
    User user;
    user.userId = u"krrish@berri.ai"_s;
    user.userEmail = u"krrish@berri.ai"_s;
    user.userAlias = u"Krrish"_s;
    user.role = UserRole::InternalUserViewer;
    user.models = {u"gpt-b"_s};
    user.budget = fullBudget();
    user.limits = RateLimits{1, 2, 3};
    user.metadata = QJsonObject{{u"dept"_s, u"r&d"_s}};
    user.createdAt = T0;
    user.updatedAt = T0.addMSecs(1);

    const QJsonObject json = IdentityJson::toJson(user);
    QCOMPARE(json.value(u"user_role"_s).toString(), u"internal_user_viewer"_s);
    const auto read = IdentityJson::userFromJson(json);
    QVERIFY(read.ok());
    QCOMPARE(read->userId, user.userId);
    QCOMPARE(read->userEmail, user.userEmail);
    QCOMPARE(read->userAlias, user.userAlias);
    QCOMPARE(read->role, user.role);
    QCOMPARE(read->models, user.models);
    compareBudgets(read->budget, user.budget);
    compareLimits(read->limits, user.limits);
    QCOMPARE(read->metadata, user.metadata);
    QCOMPARE(read->createdAt, user.createdAt);
    QCOMPARE(read->updatedAt, user.updatedAt);

    QVERIFY(!IdentityJson::userFromJson(QJsonObject{{u"user_role"_s, u"proxy_admin"_s}}).ok());
}

void TestIdentity::userWithUnknownRoleReadsAsInternalUser()
{
    const auto read = IdentityJson::userFromJson(QJsonObject{{u"user_id"_s, u"u"_s}, {u"user_role"_s, u"king"_s}});
    QVERIFY(read.ok());
    QCOMPARE(read->role, UserRole::InternalUser);
}

void TestIdentity::endUserJsonRoundTripsEveryField()
{
    EndUser endUser;
    endUser.userId = u"customer-7"_s;
    endUser.alias = u"Seven"_s;
    endUser.blocked = true;
    endUser.budget = fullBudget();
    endUser.limits = RateLimits{5, std::nullopt, 1};
    endUser.createdAt = T0;
    endUser.updatedAt = T0.addDays(1);

    const auto read = IdentityJson::endUserFromJson(IdentityJson::toJson(endUser));
    QVERIFY(read.ok());
    QCOMPARE(read->userId, endUser.userId);
    QCOMPARE(read->alias, endUser.alias);
    QCOMPARE(read->blocked, endUser.blocked);
    compareBudgets(read->budget, endUser.budget);
    compareLimits(read->limits, endUser.limits);
    QCOMPARE(read->createdAt, endUser.createdAt);
    QCOMPARE(read->updatedAt, endUser.updatedAt);

    QVERIFY(!IdentityJson::endUserFromJson(QJsonObject{{u"alias"_s, u"x"_s}}).ok());
}

void TestIdentity::roleNamesRoundTrip_data()
{
    QTest::addColumn<UserRole>("role");
    QTest::addColumn<QString>("name");
    QTest::newRow("proxy admin") << UserRole::ProxyAdmin << u"proxy_admin"_s;
    QTest::newRow("internal user") << UserRole::InternalUser << u"internal_user"_s;
    QTest::newRow("internal user viewer") << UserRole::InternalUserViewer << u"internal_user_viewer"_s;
}

void TestIdentity::roleNamesRoundTrip()
{
    QFETCH(UserRole, role);
    QFETCH(QString, name);
    QCOMPARE(userRoleName(role), name);
    QCOMPARE(userRoleFromName(name), std::optional<UserRole>(role));
    QVERIFY(!userRoleFromName(name.toUpper()));
}

void TestIdentity::keyDisplayNameShowsTheLastFour()
{
    QCOMPARE(keyDisplayName(u"sk-abcdefghijklmnopqrstuv"_s), u"sk-...stuv"_s);
    QCOMPARE(keyDisplayName(u"sk-1234"_s), u"sk-...1234"_s);
}

void TestIdentity::isExpiredAtTheInstant()
{
    VirtualKey key;
    QVERIFY(!key.isExpired(T0));   // no expiry = never
    key.expires = T0;
    QVERIFY(!key.isExpired(T0.addMSecs(-1)));
    QVERIFY(key.isExpired(T0));
    QVERIFY(key.isExpired(T0.addSecs(1)));
}

void TestIdentity::tokenOfHashesRawKeysAndKeepsTokens()
{
    const QString raw = u"sk-abcdefghijklmnopqrstuv"_s;
    const QString expected = QString::fromLatin1(
        QCryptographicHash::hash(raw.toUtf8(), QCryptographicHash::Sha256).toHex());
    QCOMPARE(IdentityRegistry::tokenOf(raw), expected);
    QCOMPARE(expected.size(), 64);
    // A token is already a token: hashing it again would make it unfindable.
    QCOMPARE(IdentityRegistry::tokenOf(expected), expected);
    // Not a token: wrong length or upper-case hex is hashed like any other text.
    QVERIFY(IdentityRegistry::tokenOf(expected.left(63)) != expected.left(63));
    QVERIFY(IdentityRegistry::tokenOf(expected.toUpper()) != expected.toUpper());
}

void TestIdentity::findKeyByRawKeyOrToken()
{
    IdentityRegistry registry;
    const QString raw = u"sk-findmefindmefindme12"_s;
    registry.putKey(keyAt(raw, T0));
    const QString token = IdentityRegistry::tokenOf(raw);
    QVERIFY(registry.findKey(raw));
    QCOMPARE(registry.findKey(raw)->token, token);
    QCOMPARE(registry.findKey(token), registry.findKey(raw));
    QCOMPARE(registry.keyByToken(token), registry.findKey(raw));
    QVERIFY(!registry.findKey(QString()));
    QVERIFY(!registry.findKey(u"sk-other"_s));
    // The raw key is not a token: looking it up as one finds nothing.
    QVERIFY(!registry.keyByToken(raw));
}

void TestIdentity::aliasIndexFollowsPutAndRemove()
{
    IdentityRegistry registry;
    registry.putKey(keyAt(u"sk-one"_s, T0, {}, u"first"_s));
    registry.putKey(keyAt(u"sk-two"_s, T0.addSecs(1)));
    QVERIFY(registry.keyByAlias(u"first"_s));
    QCOMPARE(registry.keyByAlias(u"first"_s)->token, IdentityRegistry::tokenOf(u"sk-one"_s));
    QVERIFY(!registry.keyByAlias(QString()));   // keys without alias are not indexed under ""
    QCOMPARE(registry.keyCount(), 2);

    registry.removeKey(IdentityRegistry::tokenOf(u"sk-one"_s));
    QVERIFY(!registry.keyByAlias(u"first"_s));
    QVERIFY(!registry.findKey(u"sk-one"_s));
    QCOMPARE(registry.keyCount(), 1);
    registry.removeKey(IdentityRegistry::tokenOf(u"sk-unknown"_s));   // no-op
    QCOMPARE(registry.keyCount(), 1);
}

void TestIdentity::aliasIndexFollowsRename()
{
    IdentityRegistry registry;
    VirtualKey key = keyAt(u"sk-rename"_s, T0, {}, u"old-name"_s);
    registry.putKey(key);
    key.keyAlias = u"new-name"_s;
    registry.putKey(key);
    QVERIFY(!registry.keyByAlias(u"old-name"_s));
    QVERIFY(registry.keyByAlias(u"new-name"_s));
    key.keyAlias.clear();
    registry.putKey(key);
    QVERIFY(!registry.keyByAlias(u"new-name"_s));
    QCOMPARE(registry.keyCount(), 1);
}

void TestIdentity::aliasMovedToAnotherKeyIsNotDroppedByTheOld()
{
    // Regenerate moves an alias to a new token; undoing or touching the old key later must
    // not remove the new key's alias entry.
    IdentityRegistry registry;
    VirtualKey oldKey = keyAt(u"sk-old"_s, T0, {}, u"shared"_s);
    registry.putKey(oldKey);
    VirtualKey newKey = keyAt(u"sk-new"_s, T0, {}, u"shared"_s);
    registry.putKey(newKey);
    QCOMPARE(registry.keyByAlias(u"shared"_s)->token, newKey.token);

    oldKey.keyAlias = u"elsewhere"_s;
    registry.putKey(oldKey);
    QCOMPARE(registry.keyByAlias(u"shared"_s)->token, newKey.token);
    QCOMPARE(registry.keyByAlias(u"elsewhere"_s)->token, oldKey.token);

    registry.removeKey(oldKey.token);
    QCOMPARE(registry.keyByAlias(u"shared"_s)->token, newKey.token);
}

void TestIdentity::keysAreOldestFirstWithStableTies()
{
    IdentityRegistry registry;
    registry.putKey(keyAt(u"sk-c"_s, T0.addSecs(2)));
    registry.putKey(keyAt(u"sk-a"_s, T0));
    registry.putKey(keyAt(u"sk-b"_s, T0.addSecs(1)));
    QStringList order;
    for (const VirtualKey *key : registry.keys())
        order.append(key->keyName);
    QCOMPARE(order, (QStringList{u"sk-...sk-a"_s, u"sk-...sk-b"_s, u"sk-...sk-c"_s}));

    // Same instant: ordered by token, and the order holds while the hash grows.
    IdentityRegistry ties;
    QStringList tokens;
    for (int i = 0; i < 40; ++i) {
        const QString raw = u"sk-tie-%1"_s.arg(i);
        ties.putKey(keyAt(raw, T0));
        tokens.append(IdentityRegistry::tokenOf(raw));
    }
    tokens.sort();
    QStringList listed;
    for (const VirtualKey *key : ties.keys())
        listed.append(key->token);
    QCOMPARE(listed, tokens);
}

void TestIdentity::keysOfUser()
{
    IdentityRegistry registry;
    registry.putKey(keyAt(u"sk-a2"_s, T0.addSecs(2), u"alice"_s));
    registry.putKey(keyAt(u"sk-b1"_s, T0.addSecs(1), u"bob"_s));
    registry.putKey(keyAt(u"sk-a1"_s, T0, u"alice"_s));
    registry.putKey(keyAt(u"sk-none"_s, T0));
    const auto alice = registry.keysOfUser(u"alice"_s);
    QCOMPARE(alice.size(), 2);
    QCOMPARE(alice.at(0)->token, IdentityRegistry::tokenOf(u"sk-a1"_s));
    QCOMPARE(alice.at(1)->token, IdentityRegistry::tokenOf(u"sk-a2"_s));
    QCOMPARE(registry.keysOfUser(u"bob"_s).size(), 1);
    QCOMPARE(registry.keysOfUser(u"carol"_s).size(), 0);
    // "" finds the keys without an owner.
    QCOMPARE(registry.keysOfUser(QString()).size(), 1);
}

void TestIdentity::usersAndEndUsers()
{
    IdentityRegistry registry;
    User late;
    late.userId = u"late"_s;
    late.createdAt = T0.addDays(1);
    User early;
    early.userId = u"early"_s;
    early.createdAt = T0;
    early.role = UserRole::ProxyAdmin;
    registry.putUser(late);
    registry.putUser(early);
    QCOMPARE(registry.users().size(), 2);
    QCOMPARE(registry.users().first()->userId, u"early"_s);
    QCOMPARE(registry.user(u"early"_s)->role, UserRole::ProxyAdmin);
    early.role = UserRole::InternalUserViewer;
    registry.putUser(early);   // replaces
    QCOMPARE(registry.users().size(), 2);
    QCOMPARE(registry.user(u"early"_s)->role, UserRole::InternalUserViewer);
    registry.removeUser(u"early"_s);
    QVERIFY(!registry.user(u"early"_s));

    EndUser endUser;
    endUser.userId = u"customer"_s;
    endUser.blocked = true;
    registry.putEndUser(endUser);
    QVERIFY(registry.endUser(u"customer"_s)->blocked);
    QCOMPARE(registry.endUsers().size(), 1);
    registry.removeEndUser(u"customer"_s);
    QVERIFY(!registry.endUser(u"customer"_s));
}

void TestIdentity::clearEmptiesEverything()
{
    IdentityRegistry registry;
    registry.putKey(keyAt(u"sk-x"_s, T0, u"u"_s, u"alias"_s));
    User user;
    user.userId = u"u"_s;
    registry.putUser(user);
    EndUser endUser;
    endUser.userId = u"e"_s;
    registry.putEndUser(endUser);
    registry.clear();
    QCOMPARE(registry.keyCount(), 0);
    QVERIFY(!registry.keyByAlias(u"alias"_s));
    QVERIFY(registry.users().isEmpty());
    QVERIFY(registry.endUsers().isEmpty());
}

QTEST_GUILESS_MAIN(TestIdentity)
#include "tst_identity.moc"
