#include "usercontroller.h"

#include "../accounting.h"

#include "../../models/identityregistry.h"
#include "../../models/store/changefeed.h"
#include "../../models/store/identityrepository.h"
#include "../../models/store/store.h"
#include "../jsonreader.h"
#include "management.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUuid>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

QString globalBudgetUserId()
{
    return u"litellm-proxy-budget"_s;
}

QString globalBudgetSetting()
{
    return u"global_budget"_s;
}

// "sk-" + 22 URL-safe characters (132 bits) from the operating system's CSPRNG.
QString generateRawKey()
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    QString key = u"sk-"_s;
    key.reserve(25);
    QRandomGenerator *random = QRandomGenerator::system();
    for (int i = 0; i < 22; ++i)
        key.append(QLatin1Char(alphabet[random->bounded(64)]));
    return key;
}

QString queryValue(const RequestContext &context, const QString &name)
{
    return context.request.query.queryItemValue(name, QUrl::FullyDecoded).trimmed();
}

// The user fields of /user/new and /user/update applied to `user`; false when a 400 was sent.
bool readUserFields(JsonReader &reader, User &user, const QDateTime &now, const ResponderPtr &responder)
{
    if (const auto email = reader.string(u"user_email"_s))
        user.userEmail = *email;
    if (const auto alias = reader.string(u"user_alias"_s))
        user.userAlias = *alias;
    const std::optional<QString> role = reader.string(u"user_role"_s);
    if (const auto models = reader.strings(u"models"_s))
        user.models = *models;
    if (const auto metadata = reader.object(u"metadata"_s, Management::MaxMetadataBytes))
        user.metadata = *metadata; // replaced whole, as LiteLLM does
    Management::readBudgetAndLimits(reader, user.budget, user.limits, now);
    if (!reader.ok()) {
        Management::badRequest(responder, reader);
        return false;
    }
    if (role) {
        const std::optional<UserRole> parsed = userRoleFromName(*role);
        if (!parsed) {
            Management::fail(
                responder, ApiError::BadRequest,
                u"'user_role' must be proxy_admin, internal_user or internal_user_viewer, not '%1'."_s.arg(
                    *role),
                u"user_role"_s);
            return false;
        }
        user.role = *parsed;
    }
    return true;
}

// The fields of a request that the audit log keeps (user bodies carry no secrets, but only
// known fields are copied so nothing unexpected lands in the log).
QJsonObject auditDetails(const QJsonObject &body)
{
    static const QStringList fields{
        u"user_email"_s,  u"user_alias"_s,      u"user_role"_s, u"models"_s,    u"max_budget"_s,
        u"soft_budget"_s, u"budget_duration"_s, u"tpm_limit"_s, u"rpm_limit"_s, u"max_parallel_requests"_s,
        u"metadata"_s,    u"spend"_s};
    return Management::knownFields(body, fields);
}

// A whole-number query parameter in [minimum, maximum], `fallback` when absent; nullopt
// when a 400 was sent.
std::optional<int> queryNumber(const RequestContext &context, const QString &name, int fallback, int minimum,
                               int maximum, const ResponderPtr &responder)
{
    const QString text = queryValue(context, name);
    if (text.isEmpty())
        return fallback;
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < minimum || value > maximum) {
        Management::fail(responder, ApiError::BadRequest,
                         u"'%1' must be a whole number from %2 to %3."_s.arg(name).arg(minimum).arg(maximum),
                         name);
        return std::nullopt;
    }
    return value;
}

// The global budget's row in the `settings` table.
// TODO(store): move these two into a settings repository under models/store/.
Store::WriteJob saveSetting(const QString &key, const QJsonObject &value)
{
    return [key, value](QSqlDatabase &db) -> Result<void> {
        ChangeFeed::note(ChangeFeed::Kind::Setting, key);
        QSqlQuery query(db);
        query.prepare(u"INSERT INTO settings (key, value) VALUES (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s);
        query.addBindValue(key);
        query.addBindValue(QString::fromUtf8(QJsonDocument(value).toJson(QJsonDocument::Compact)));
        if (!query.exec())
            return makeError(u"cannot save setting %1: %2"_s.arg(key, query.lastError().text()));
        return {};
    };
}

Store::ReadJob readSetting(const QString &key)
{
    return [key](QSqlDatabase &db) -> QVariant {
        QSqlQuery query(db);
        query.prepare(u"SELECT value FROM settings WHERE key = ?"_s);
        query.addBindValue(key);
        if (!query.exec())
            return QVariant::fromValue(
                makeError(u"cannot read setting %1: %2"_s.arg(key, query.lastError().text())));
        if (!query.next())
            return QVariant::fromValue(QJsonObject{});
        return QVariant::fromValue(QJsonDocument::fromJson(query.value(0).toString().toUtf8()).object());
    };
}

QJsonObject storedGlobalBudget(const Budget &budget)
{
    return QJsonObject{
        {u"max_budget"_s, IdentityJson::money(budget.maxBudget)},
        {u"budget_duration"_s,
         budget.duration ? QJsonValue(budget.duration->toString()) : QJsonValue(QJsonValue::Null)},
        {u"budget_reset_at"_s, IdentityJson::time(budget.resetAt)}};
}

} // namespace

void UserController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    // The config's global budget until the stored one (if any) is read.
    if (const Config *config = m_services.config) {
        const LitellmSettings &settings = config->litellm;
        if (settings.maxBudget)
            m_globalBudget.maxBudget = usdToNanos(*settings.maxBudget);
        if (settings.budgetDuration) {
            m_globalBudget.duration = settings.budgetDuration;
            m_globalBudget.resetAt = settings.budgetDuration->addTo(Management::now(m_services));
        }
    }
    router.add("POST", u"/user/new"_s, Access::Admin, u"Create a user (and its first key)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { newUser(c, r); });
    router.add("GET", u"/user/info"_s, Access::Authenticated,
               u"A user with its keys (a key may read its own user)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { info(c, r); });
    router.add("POST", u"/user/update"_s, Access::Admin, u"Change a user's fields"_s,
               [this](RequestContext &c, const ResponderPtr &r) { update(c, r); });
    router.add("POST", u"/user/delete"_s, Access::Admin, u"Delete users and their keys"_s,
               [this](RequestContext &c, const ResponderPtr &r) { remove(c, r); });
    router.add("GET", u"/user/list"_s, Access::Admin, u"List users, a page at a time"_s,
               [this](RequestContext &c, const ResponderPtr &r) { list(c, r); });
}

void UserController::newUser(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    JsonReader reader(*body);
    const QDateTime now = Management::now(m_services);
    User user;
    user.userId = reader.string(u"user_id"_s).value_or(QUuid::createUuid().toString(QUuid::WithoutBraces));
    const bool autoCreateKey = reader.boolean(u"auto_create_key"_s).value_or(true);
    const QString keyAlias = reader.string(u"key_alias"_s).value_or(QString());
    const std::optional<Duration> keyDuration = reader.duration(u"duration"_s);
    if (!readUserFields(reader, user, now, responder))
        return;
    IdentityRegistry &identities = *m_services.identities;
    if (user.userId.isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"'user_id' must not be empty."_s, u"user_id"_s);
        return;
    }
    if (user.userId == globalBudgetUserId()) {
        Management::fail(
            responder, ApiError::BadRequest,
            u"'%1' is reserved for the global budget; use /user/update to change it."_s.arg(user.userId),
            u"user_id"_s);
        return;
    }
    if (identities.user(user.userId)) {
        Management::fail(responder, ApiError::BadRequest, u"User %1 already exists."_s.arg(user.userId),
                         u"user_id"_s);
        return;
    }
    if (autoCreateKey && !keyAlias.isEmpty() && identities.keyByAlias(keyAlias)) {
        Management::fail(responder, ApiError::BadRequest,
                         u"A key with alias '%1' already exists."_s.arg(keyAlias), u"key_alias"_s);
        return;
    }
    user.createdAt = user.updatedAt = now;

    QList<Store::WriteJob> jobs{IdentityRepository::saveUser(user)};
    QJsonObject details = IdentityJson::toJson(user);
    QJsonObject response = details;
    QString token;
    identities.putUser(user);
    if (autoCreateKey) {
        // The key belongs to the user and has no models or budget of its own, so the
        // user's models and limits are the ones that apply to it.
        const QString rawKey = generateRawKey();
        VirtualKey key;
        key.token = token = IdentityRegistry::tokenOf(rawKey);
        key.keyName = keyDisplayName(rawKey);
        key.keyAlias = keyAlias;
        key.userId = user.userId;
        if (keyDuration)
            key.expires = keyDuration->addTo(now);
        key.createdAt = key.updatedAt = now;
        key.createdBy = context.caller.actor();
        identities.putKey(key);
        jobs.append(IdentityRepository::saveKey(key));
        details.insert(u"key_name"_s, key.keyName);
        details.insert(u"token"_s, key.token);
        response.insert(u"key"_s, rawKey); // the only time the raw key is shown
        response.insert(u"expires"_s, IdentityJson::time(key.expires));
        response.insert(u"key_name"_s, key.keyName);
        response.insert(u"key_alias"_s,
                        keyAlias.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(keyAlias));
        response.insert(u"token"_s, key.token);
    }
    Management::commit(
        m_services, std::move(jobs),
        AuditEntry{context.caller.actor(), u"user.new"_s, u"user"_s, user.userId, details}, responder,
        [responder, response] { Management::sendJson(responder, response); },
        [this, userId = user.userId, token] {
            if (!token.isEmpty())
                m_services.identities->removeKey(token);
            m_services.identities->removeUser(userId);
        });
}

void UserController::info(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    QString userId = queryValue(context, u"user_id"_s);
    if (userId.isEmpty()) {
        if (caller.kind != Caller::Kind::VirtualKey || caller.userId.isEmpty()) {
            Management::fail(responder, ApiError::BadRequest,
                             u"Pass user_id; only a key that belongs to a user may leave it out."_s,
                             u"user_id"_s);
            return;
        }
        userId = caller.userId;
    }
    if (!caller.isAdmin() && userId != caller.userId) {
        Management::fail(responder, ApiError::Forbidden, u"This key may only read its own user."_s,
                         u"user_id"_s);
        return;
    }
    if (userId == globalBudgetUserId()) {
        withGlobalBudget(responder, [this, responder] { globalBudgetInfo(responder); });
        return;
    }
    const User *user = m_services.identities->user(userId);
    if (!user) {
        Management::fail(responder, ApiError::NotFound, u"User %1 not found."_s.arg(userId), u"user_id"_s);
        return;
    }
    QJsonArray keys;
    for (const VirtualKey *key : m_services.identities->keysOfUser(userId))
        keys.append(IdentityJson::toJson(*key));
    Management::sendJson(responder,
                         QJsonObject{{u"user_id"_s, userId},
                                     {u"user_info"_s, IdentityJson::toJson(*user)},
                                     {u"keys"_s, keys},
                                     {u"teams"_s, QJsonArray{}}});
}

void UserController::update(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    JsonReader reader(*body);
    const std::optional<QString> userId = reader.string(u"user_id"_s);
    if (!reader.ok()) {
        Management::badRequest(responder, reader);
        return;
    }
    if (!userId || userId->isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"'user_id' is required."_s, u"user_id"_s);
        return;
    }
    if (*userId == globalBudgetUserId()) {
        globalBudgetUpdate(context, reader, responder);
        return;
    }
    const User *existing = m_services.identities->user(*userId);
    if (!existing) {
        Management::fail(responder, ApiError::NotFound, u"User %1 not found."_s.arg(*userId), u"user_id"_s);
        return;
    }
    const User before = *existing;
    User user = before;
    const QDateTime now = Management::now(m_services);
    if (!readUserFields(reader, user, now, responder))
        return;
    user.updatedAt = now;
    m_services.identities->putUser(user);
    if (body->contains(u"spend"_s) && m_services.accounting)
        m_services.accounting->setSpend(LedgerScope::user(user.userId), user.budget.spend);
    Management::commit(
        m_services, {IdentityRepository::saveUser(user, IdentityRepository::spendWriteFor(before, user))},
        AuditEntry{context.caller.actor(), u"user.update"_s, u"user"_s, user.userId, auditDetails(*body)},
        responder,
        [responder, user] {
            Management::sendJson(
                responder, QJsonObject{{u"user_id"_s, user.userId}, {u"data"_s, IdentityJson::toJson(user)}});
        },
        [this, before] {
            m_services.identities->putUser(
                Management::restoredKeepingSpend(before, m_services.identities->user(before.userId)));
        });
}

void UserController::remove(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    const std::optional<QStringList> ids =
        Management::readUserIds(*body, responder, u"'user_ids' is required: a list of user ids."_s);
    if (!ids)
        return;
    IdentityRegistry &identities = *m_services.identities;
    const QStringList unknown = Management::unknownIds(*ids, [&identities](const QString &id) {
        return identities.user(id) != nullptr;
    });
    if (!unknown.isEmpty()) {
        Management::failUnknownIds(responder, u"User(s)"_s, unknown, u"deleted"_s);
        return;
    }
    QList<User> users;
    QList<VirtualKey> keys;
    QList<Store::WriteJob> jobs;
    QList<AuditEntry> audits;
    QJsonArray deletedKeys;
    for (const QString &id : *ids) {
        users.append(*identities.user(id));
        QJsonArray tokens;
        for (const VirtualKey *key : identities.keysOfUser(id)) {
            keys.append(*key);
            tokens.append(key->token);
            deletedKeys.append(key->token);
        }
        jobs.append(IdentityRepository::deleteUser(id));
        audits.append(AuditEntry{context.caller.actor(), u"user.delete"_s, u"user"_s, id,
                                 QJsonObject{{u"deleted_keys"_s, tokens}}});
    }
    // Gone from memory at once: the keys stop working before the row is deleted.
    for (const VirtualKey &key : keys)
        identities.removeKey(key.token);
    for (const QString &id : *ids)
        identities.removeUser(id);
    Management::commitEach(
        m_services, std::move(jobs), audits, responder,
        [responder, ids = *ids, deletedKeys] {
            Management::sendJson(responder,
                                 QJsonObject{{u"deleted_users"_s, QJsonArray::fromStringList(ids)},
                                             {u"deleted_keys"_s, deletedKeys}});
        },
        [this, users, keys] {
            for (const User &user : users)
                m_services.identities->putUser(user);
            for (const VirtualKey &key : keys)
                m_services.identities->putKey(key);
        });
}

void UserController::list(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<int> page = queryNumber(context, u"page"_s, 1, 1, 1'000'000, responder);
    if (!page)
        return;
    const std::optional<int> pageSize = queryNumber(context, u"page_size"_s, 25, 1, 100, responder);
    if (!pageSize)
        return;
    std::optional<UserRole> role;
    if (const QString roleName = queryValue(context, u"role"_s); !roleName.isEmpty()) {
        role = userRoleFromName(roleName);
        if (!role) {
            Management::fail(
                responder, ApiError::BadRequest,
                u"'role' must be proxy_admin, internal_user or internal_user_viewer, not '%1'."_s.arg(
                    roleName),
                u"role"_s);
            return;
        }
    }
    QStringList wanted;
    for (const QString &id : queryValue(context, u"user_ids"_s).split(u',', Qt::SkipEmptyParts))
        wanted.append(id.trimmed());

    QList<const User *> users;
    for (const User *user : m_services.identities->users()) {
        if (role && user->role != *role)
            continue;
        if (!wanted.isEmpty() && !wanted.contains(user->userId))
            continue;
        users.append(user);
    }
    // Same creation time (users made in one millisecond) must not make pages overlap.
    std::sort(users.begin(), users.end(), [](const User *a, const User *b) {
        return a->createdAt != b->createdAt ? a->createdAt < b->createdAt : a->userId < b->userId;
    });
    const qsizetype total = users.size();
    const qsizetype first = qsizetype(*page - 1) * *pageSize;
    QJsonArray items;
    for (qsizetype i = first; i < std::min(total, first + *pageSize); ++i)
        items.append(IdentityJson::toJson(*users.at(i)));
    Management::sendJson(responder,
                         QJsonObject{{u"users"_s, items},
                                     {u"total"_s, total},
                                     {u"page"_s, *page},
                                     {u"page_size"_s, *pageSize},
                                     {u"total_pages"_s, (total + *pageSize - 1) / *pageSize}});
}

// --- the global budget (pseudo user litellm-proxy-budget) ---

Result<void> UserController::loadSettings()
{
    if (!m_services.store) {
        m_globalBudgetLoaded = true;
        return {};
    }
    const Result<QVariant> stored = m_services.store->readNow(readSetting(globalBudgetSetting()));
    if (!stored)
        return stored.error();
    applyStoredGlobalBudget(stored->toJsonObject());
    return {};
}

void UserController::applyStoredSetting(const QString &key, const QJsonObject &value)
{
    if (key != globalBudgetSetting() || value.isEmpty())
        return;
    applyStoredGlobalBudget(value);
    if (m_services.accounting)
        m_services.accounting->setGlobalBudget(m_globalBudget, false);
}

Budget UserController::globalBudget() const
{
    return m_globalBudget;
}

void UserController::withGlobalBudget(const ResponderPtr &responder, std::function<void()> then)
{
    if (m_globalBudgetLoaded || !m_services.store) {
        m_globalBudgetLoaded = true;
        then();
        return;
    }
    m_services.store->read(
        readSetting(globalBudgetSetting()), m_services.context,
        [this, responder, then = std::move(then)](const Result<QVariant> &stored) {
            if (!stored) {
                Management::fail(responder, ApiError::ServiceUnavailable,
                                 u"The global budget could not be read: %1"_s.arg(stored.error().message));
                return;
            }
            // Another request may have read (and changed) it meanwhile.
            if (!m_globalBudgetLoaded)
                applyStoredGlobalBudget(stored->toJsonObject());
            then();
        });
}

void UserController::applyStoredGlobalBudget(const QJsonObject &stored)
{
    m_globalBudgetLoaded = true;
    if (stored.isEmpty())
        return; // never changed through the API: the config's values stand
    const QJsonValue maxBudget = stored.value(u"max_budget"_s);
    m_globalBudget.maxBudget
        = maxBudget.isDouble() ? std::optional<NanoUsd>(usdToNanos(maxBudget.toDouble())) : std::nullopt;
    m_globalBudget.duration.reset();
    m_globalBudget.resetAt = {};
    if (const QJsonValue duration = stored.value(u"budget_duration"_s); duration.isString()) {
        if (auto parsed = Duration::parse(duration.toString())) {
            m_globalBudget.duration = *parsed;
            m_globalBudget.resetAt = IdentityJson::parseTime(stored.value(u"budget_reset_at"_s));
            if (!m_globalBudget.resetAt.isValid())
                m_globalBudget.resetAt = parsed->addTo(Management::now(m_services));
        }
    }
}

QJsonObject UserController::globalBudgetJson() const
{
    User pseudo;
    pseudo.userId = globalBudgetUserId();
    pseudo.role = UserRole::ProxyAdmin;
    pseudo.budget = m_globalBudget;
    // Spend and window are the ledger's.
    if (m_services.accounting) {
        if (const auto state = m_services.accounting->globalBudget()) {
            pseudo.budget.spend = state->spend;
            pseudo.budget.resetAt = state->resetAt;
        }
    }
    return IdentityJson::toJson(pseudo);
}

void UserController::globalBudgetInfo(const ResponderPtr &responder)
{
    Management::sendJson(responder,
                         QJsonObject{{u"user_id"_s, globalBudgetUserId()},
                                     {u"user_info"_s, globalBudgetJson()},
                                     {u"keys"_s, QJsonArray{}},
                                     {u"teams"_s, QJsonArray{}}});
}

void UserController::globalBudgetUpdate(const RequestContext &context, JsonReader &reader,
                                        const ResponderPtr &responder)
{
    // Only the budget itself: the pseudo user has nothing else. An explicit null removes the
    // max or the reset period, as on every other update.
    const bool removeMax = reader.isNull(u"max_budget"_s);
    const bool removeDuration = reader.isNull(u"budget_duration"_s);
    const std::optional<NanoUsd> maxBudget = reader.money(u"max_budget"_s);
    const std::optional<Duration> duration = reader.duration(u"budget_duration"_s);
    const std::optional<NanoUsd> spend = reader.money(u"spend"_s);
    if (!reader.ok()) {
        Management::badRequest(responder, reader);
        return;
    }
    withGlobalBudget(responder, [this, responder, maxBudget, duration, removeMax, removeDuration, spend,
                                 actor = context.caller.actor()] {
        const Budget before = m_globalBudget;
        if (maxBudget)
            m_globalBudget.maxBudget = *maxBudget;
        else if (removeMax)
            m_globalBudget.maxBudget.reset();
        if (duration) {
            m_globalBudget.duration = *duration;
            m_globalBudget.resetAt = duration->addTo(Management::now(m_services));
        } else if (removeDuration) {
            m_globalBudget.duration.reset();
            m_globalBudget.resetAt = {};
        }
        const QJsonObject stored = storedGlobalBudget(m_globalBudget);
        if (m_services.accounting) {
            m_services.accounting->setGlobalBudget(m_globalBudget);
            if (spend)
                m_services.accounting->setSpend(LedgerScope::global(), *spend);
        }
        Management::commit(
            m_services, {saveSetting(globalBudgetSetting(), stored)},
            AuditEntry{actor, u"budget.update"_s, u"budget"_s, u"global"_s, stored}, responder,
            [this, responder] {
                Management::sendJson(
                    responder,
                    QJsonObject{{u"user_id"_s, globalBudgetUserId()}, {u"data"_s, globalBudgetJson()}});
            },
            [this, before] {
                m_globalBudget.maxBudget = before.maxBudget;
                m_globalBudget.duration = before.duration;
                m_globalBudget.resetAt = before.resetAt;
                if (m_services.accounting)
                    m_services.accounting->setGlobalBudget(m_globalBudget);
            });
    });
}

} // namespace Tollgate
