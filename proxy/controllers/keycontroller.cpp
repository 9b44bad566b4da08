#include "keycontroller.h"

#include "../../models/identityregistry.h"
#include "../../models/store/identityrepository.h"
#include "../access.h"
#include "../accounting.h"
#include "../apierror.h"
#include "../auth.h"
#include "../deployments.h"
#include "../jsonreader.h"
#include "management.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QUrl>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// What /key/generate, /key/update and /key/regenerate may set; absent = unchanged.
struct KeyFields
{
    std::optional<QString> keyAlias;
    std::optional<Duration> duration;
    bool neverExpires = false;   // "duration": null
    std::optional<QStringList> models;
    Management::BudgetPatch budget;   // max_budget … max_parallel_requests (null removes)
    std::optional<QString> userId;
    std::optional<QJsonObject> metadata;
    std::optional<QHash<QString, QString>> aliases;
    std::optional<QJsonObject> modelMaxBudget;
    std::optional<bool> blocked;
    QJsonObject details;   // the fields as given, for the audit log (never a raw key)
};

struct ParsedFields
{
    KeyFields fields;
    QString error;
    QString param;
    [[nodiscard]] bool ok() const { return error.isEmpty(); }
};

const QStringList &settableFields()
{
    static const QStringList names{
        u"key_alias"_s, u"duration"_s, u"models"_s, u"max_budget"_s, u"budget_duration"_s,
        u"soft_budget"_s, u"user_id"_s, u"metadata"_s, u"tpm_limit"_s, u"rpm_limit"_s,
        u"max_parallel_requests"_s, u"aliases"_s, u"model_max_budget"_s, u"blocked"_s, u"spend"_s,
    };
    return names;
}

// {"<model>": {"budget_limit": 1.0, "time_period": "1d"}}. LiteLLM's own docs send
// budget_limit as a numeric string, so one is accepted and stored as a number.
Result<QJsonObject> normalizeModelMaxBudget(const QJsonObject &object)
{
    QJsonObject normalized;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString where = u"model_max_budget.%1"_s.arg(it.key());
        if (!it.value().isObject()) {
            return makeError(u"'%1' must be an object like {\"budget_limit\": 1.0, \"time_period\": \"1d\"}."_s.arg(
                where));
        }
        QJsonObject entry = it.value().toObject();
        const QJsonValue limit = entry.value(u"budget_limit"_s);
        bool isNumber = limit.isDouble();
        double amount = limit.toDouble();
        if (limit.isString())
            amount = limit.toString().trimmed().toDouble(&isNumber);
        if (!isNumber || !std::isfinite(amount) || amount < 0)
            return makeError(u"'%1.budget_limit' must be an amount in USD of 0 or more."_s.arg(where));
        entry.insert(u"budget_limit"_s, amount);
        const QJsonValue period = entry.value(u"time_period"_s);
        if (!period.isUndefined() && !period.isNull()) {
            if (!period.isString())
                return makeError(u"'%1.time_period' must be a duration such as \"1d\"."_s.arg(where));
            if (auto parsed = Duration::parse(period.toString()); !parsed)
                return makeError(u"'%1.time_period': %2"_s.arg(where, parsed.error().message));
        }
        normalized.insert(it.key(), entry);
    }
    return normalized;
}

std::optional<Duration> periodOf(const QJsonObject &modelBudget)
{
    const auto parsed = Duration::parse(modelBudget.value(u"time_period"_s).toString());
    return parsed ? std::optional<Duration>(*parsed) : std::nullopt;
}

// model_max_budget is replaced whole, but an entry given again is the same budget: it keeps what
// it has spent and its window ("spend" and "budget_reset_at" are the gateway's, never taken from
// a request). A new or changed time_period starts a fresh window from now, as the ledger does for
// a key's budget_duration; a removed one keeps counting.
QJsonObject keepModelBudgetState(const QJsonObject &given, const QJsonObject &current, const QDateTime &now)
{
    QJsonObject merged;
    for (auto it = given.begin(); it != given.end(); ++it) {
        QJsonObject entry = it.value().toObject();
        entry.remove(u"spend"_s);
        entry.remove(u"budget_reset_at"_s);
        if (current.contains(it.key())) {
            const QJsonObject before = current.value(it.key()).toObject();
            const auto keep = [&entry, &before](const QString &name) {
                if (before.contains(name))
                    entry.insert(name, before.value(name));
            };
            const std::optional<Duration> period = periodOf(entry);
            if (samePeriod(period, periodOf(before))) {
                keep(u"spend"_s);
                keep(u"budget_reset_at"_s);
            } else if (!period) {
                keep(u"spend"_s);
            } else {
                entry.insert(u"spend"_s, 0.0);
                entry.insert(u"budget_reset_at"_s, IdentityJson::time(period->addTo(now)));
            }
        }
        merged.insert(it.key(), entry);
    }
    return merged;
}

ParsedFields readKeyFields(const QJsonObject &body)
{
    ParsedFields parsed;
    KeyFields &f = parsed.fields;
    JsonReader reader(body);
    f.keyAlias = reader.string(u"key_alias"_s);
    f.duration = reader.duration(u"duration"_s);
    f.neverExpires = reader.isNull(u"duration"_s);
    f.models = reader.strings(u"models"_s);
    f.budget.read(reader, u"max_budget"_s);
    f.budget.read(reader, u"budget_duration"_s);
    f.budget.read(reader, u"soft_budget"_s);
    f.userId = reader.string(u"user_id"_s);
    f.metadata = reader.object(u"metadata"_s, Management::MaxMetadataBytes);
    f.budget.read(reader, u"tpm_limit"_s);
    f.budget.read(reader, u"rpm_limit"_s);
    f.budget.read(reader, u"max_parallel_requests"_s);
    f.budget.read(reader, u"spend"_s);
    f.aliases = reader.stringMap(u"aliases"_s);
    f.modelMaxBudget = reader.object(u"model_max_budget"_s);
    f.blocked = reader.boolean(u"blocked"_s);
    if (!reader.ok()) {
        parsed.error = reader.error();
        parsed.param = reader.errorField();
        return parsed;
    }
    if (f.modelMaxBudget) {
        auto normalized = normalizeModelMaxBudget(*f.modelMaxBudget);
        if (!normalized) {
            parsed.error = normalized.error().message;
            parsed.param = u"model_max_budget"_s;
            return parsed;
        }
        f.modelMaxBudget = *normalized;
    }
    for (const QString &name : settableFields()) {
        if (reader.has(name) || reader.isNull(name))
            f.details.insert(name, body.value(name));
    }
    return parsed;
}

void applyFields(VirtualKey &key, const KeyFields &f, const QDateTime &now)
{
    if (f.keyAlias)
        key.keyAlias = *f.keyAlias;
    if (f.duration)
        key.expires = f.duration->addTo(now);
    else if (f.neverExpires)
        key.expires = {};
    if (f.models)
        key.models = *f.models;
    f.budget.applyTo(key.budget, key.limits, now);
    if (f.userId)
        key.userId = *f.userId;
    if (f.metadata)
        key.metadata = *f.metadata;   // replaced whole, as LiteLLM does
    if (f.aliases)
        key.aliases = *f.aliases;
    if (f.modelMaxBudget)
        key.modelMaxBudget = keepModelBudgetState(*f.modelMaxBudget, key.modelMaxBudget, now);
    if (f.blocked)
        key.blocked = *f.blocked;
    key.updatedAt = now;
}

// "sk-" + 22 characters of the URL-safe base64 alphabet: 132 bits from the OS CSPRNG.
// 64 symbols divide 2^32, so taking the low six bits keeps every symbol equally likely.
QString newRawKey()
{
    static constexpr char Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static_assert(sizeof(Alphabet) == 65);
    std::array<quint32, 22> random{};
    QRandomGenerator::system()->fillRange(random.data(), random.size());
    QString raw = u"sk-"_s;
    raw.reserve(3 + int(random.size()));
    for (const quint32 value : random)
        raw.append(QLatin1Char(Alphabet[value & 63U]));
    return raw;
}

// Names a key in a message without repeating a raw key in full.
QString describe(const QString &keyOrToken)
{
    return keyOrToken.startsWith(u"sk-") ? keyDisplayName(keyOrToken) : keyOrToken;
}

QString callerToken(const Caller &caller)
{
    return QString::fromLatin1(caller.tokenHash);
}

// A key of an internal_user: may generate, regenerate and delete its own user's keys.
bool isInternalUser(const Caller &caller)
{
    return caller.kind == Caller::Kind::VirtualKey && !caller.userId.isEmpty()
           && caller.role == UserRole::InternalUser;
}

// Limits set on the key itself (a budget, models, rate limits, an expiry), beside its user's.
bool hasOwnLimits(const VirtualKey &key)
{
    return key.budget.maxBudget || !key.models.isEmpty() || key.limits.rpm || key.limits.tpm
           || key.limits.maxParallel || !key.modelMaxBudget.isEmpty() || key.expires.isValid();
}

// Any key may read itself; a key with an owner may read its owner's other keys.
bool mayRead(const Caller &caller, const VirtualKey &key)
{
    if (caller.isAdmin())
        return true;
    if (caller.kind != Caller::Kind::VirtualKey)
        return false;
    return key.token == callerToken(caller) || (!caller.userId.isEmpty() && key.userId == caller.userId);
}

// Why the caller may not regenerate or delete `key` (nullopt: it may). An internal_user's key may
// change its own user's keys, unless it has limits of its own (an admin's budget, models, rate
// limits or expiry for that key): then only itself, as it may not generate keys either.
// Regenerating a sibling hands over that key's raw value (a bigger budget, more models, or the
// user's key without limits), and deleting one shuts out its holder.
std::optional<QString> writeRefusal(const Caller &caller, const VirtualKey &key, const IdentityRegistry &identities)
{
    if (caller.isAdmin())
        return std::nullopt;
    if (!isInternalUser(caller) || key.userId != caller.userId)
        return u"Key %1 belongs to another user."_s.arg(key.keyName);
    if (key.token == callerToken(caller))
        return std::nullopt;
    const VirtualKey *own = identities.keyByToken(callerToken(caller));
    if (own && !hasOwnLimits(*own))
        return std::nullopt;
    return u"This key has limits of its own (a budget, models, rate limits or an expiry): it may regenerate or "
           "delete only itself, not key %1 of user %2."_s.arg(key.keyName, caller.userId);
}

QString creatorOf(const Caller &caller)
{
    if (caller.kind == Caller::Kind::VirtualKey && !caller.userId.isEmpty())
        return caller.userId;
    return caller.actor();
}

// A non-admin must not name a model its user may not use. Access is the key's list and the
// user's at call time (ModelAccess), so this only says so at once; names that are no model
// (yet) are let through, as they can never widen the user's list.
std::optional<QString> modelOutsideUser(const KeyFields &fields, const User *user, const DeploymentTable &deployments)
{
    if (!fields.models || !user || user->models.isEmpty())
        return std::nullopt;
    const QSet<QString> allowed = ModelAccess::expand(user->models, deployments);
    for (const QString &name : ModelAccess::expand(*fields.models, deployments)) {
        if (deployments.contains(name) && !allowed.contains(name))
            return name;
    }
    return std::nullopt;
}

// Whether the alias `fields` asks for is free for the key with token `self` ("" = a new key);
// if not, the 400 has been sent.
bool aliasAvailable(const IdentityRegistry &identities, const KeyFields &fields, const QString &self,
                    const ResponderPtr &responder)
{
    if (!fields.keyAlias || fields.keyAlias->isEmpty())
        return true;
    const VirtualKey *holder = identities.keyByAlias(*fields.keyAlias);
    if (!holder || holder->token == self)
        return true;
    Management::fail(responder, ApiError::BadRequest, u"Key alias '%1' is already in use."_s.arg(*fields.keyAlias),
                     u"key_alias"_s);
    return false;
}

// The owner named by a key that does not exist yet: LiteLLM creates it with the key.
std::optional<User> userToCreate(const IdentityRegistry &identities, const QString &userId, const QDateTime &now)
{
    if (userId.isEmpty() || identities.user(userId))
        return std::nullopt;
    User user;
    user.userId = userId;
    user.role = UserRole::InternalUser;
    user.createdAt = user.updatedAt = now;
    return user;
}

// generate's `key` / regenerate's `new_key`: a value the caller chose. Empty = acceptable.
QString ownKeyProblem(const QString &field, const QString &raw, const IdentityRegistry &identities,
                      const Config *config)
{
    const auto unprintable = [](QChar c) { return c.isSpace() || c.unicode() < 0x20; };
    const bool wellFormed = raw.startsWith(u"sk-") && raw.size() > 3
                            && std::none_of(raw.begin(), raw.end(), unprintable);
    if (!wellFormed)
        return u"'%1' must start with 'sk-' and contain no spaces."_s.arg(field);
    if (config && !config->general.masterKey.isEmpty()
        && constantTimeEquals(hashKey(raw.toUtf8()), hashKey(config->general.masterKey.toUtf8())))
        return u"'%1' is already in use."_s.arg(field);
    if (identities.keyByToken(IdentityRegistry::tokenOf(raw)))
        return u"'%1' is already in use."_s.arg(field);
    return {};
}

QString freshRawKey(const IdentityRegistry &identities)
{
    QString raw = newRawKey();
    while (identities.keyByToken(IdentityRegistry::tokenOf(raw)))   // 2^-132: for form's sake
        raw = newRawKey();
    return raw;
}

// The answer of generate and regenerate: the key's fields plus the raw key, shown only here.
QJsonObject withRawKey(const VirtualKey &key, const QString &raw, const KeyFields &fields)
{
    QJsonObject object = IdentityJson::toJson(key);
    object.insert(u"key"_s, raw);
    object.insert(u"duration"_s, fields.details.value(u"duration"_s).isString() ? fields.details.value(u"duration"_s)
                                                                                 : QJsonValue(QJsonValue::Null));
    return object;
}

void forbidden(const ResponderPtr &responder, const QString &message,
               const std::optional<QString> &param = std::nullopt)
{
    Management::fail(responder, ApiError::Forbidden, message, param);
}

// What /key/generate and /key/regenerate read first.
struct KeyRequest
{
    QJsonObject body;
    KeyFields fields;
    std::optional<QString> rawKey;   // the body's `rawKeyField`: a raw key the caller chose
};

// Generate's and regenerate's preamble: only an admin or an internal_user may call (else a 403
// with `forbiddenMessage`); then the body, its key fields and the string `rawKeyField`. On
// failure the answer has been sent and nullopt is returned.
std::optional<KeyRequest> readKeyRequest(const RequestContext &context, const ResponderPtr &responder,
                                         const QString &forbiddenMessage, const QString &rawKeyField)
{
    if (!context.caller.isAdmin() && !isInternalUser(context.caller)) {
        forbidden(responder, forbiddenMessage);
        return std::nullopt;
    }
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return std::nullopt;
    ParsedFields parsed = readKeyFields(*body);
    JsonReader reader(*body);
    std::optional<QString> rawKey = reader.string(rawKeyField);
    if (!parsed.ok() || !reader.ok()) {
        Management::fail(responder, ApiError::BadRequest, parsed.ok() ? reader.error() : parsed.error,
                         parsed.ok() ? reader.errorField() : parsed.param);
        return std::nullopt;
    }
    return KeyRequest{*body, std::move(parsed.fields), std::move(rawKey)};
}

// Puts `key` (and `newUser`, if any) into the registry; returns `jobs` plus the ones that save them.
// `spend`: whether the key's stored spend column is written (see IdentityRepository::SpendWrite).
QList<Store::WriteJob> putKeyAndUser(IdentityRegistry &identities, const VirtualKey &key,
                                     const std::optional<User> &newUser, QList<Store::WriteJob> jobs = {},
                                     IdentityRepository::SpendWrite spend = IdentityRepository::SpendWrite::Set)
{
    if (newUser)
        identities.putUser(*newUser);
    identities.putKey(key);
    if (newUser)
        jobs.append(IdentityRepository::saveUser(*newUser));
    jobs.append(IdentityRepository::saveKey(key, spend));
    return jobs;
}

// Undoes a key write whose store write failed: the token `added` (if any) leaves the registry,
// `before` (if any) comes back, and the user created with the key (if any) goes again.
void undoKeyWrite(IdentityRegistry &identities, const QString &added, const std::optional<VirtualKey> &before,
                  const QString &createdUser)
{
    if (!added.isEmpty())
        identities.removeKey(added);
    if (before)
        identities.putKey(*before);
    if (!createdUser.isEmpty())
        identities.removeUser(createdUser);
}

// The raw key of a new or regenerated key: `chosen` (the body's `field`) if it is acceptable,
// else a fresh one. On a bad choice a 400 has been sent and nullopt is returned.
std::optional<QString> rawKeyToUse(const std::optional<QString> &chosen, const QString &field,
                                   const IdentityRegistry &identities, const Config *config,
                                   const ResponderPtr &responder)
{
    if (!chosen)
        return freshRawKey(identities);
    if (const QString problem = ownKeyProblem(field, *chosen, identities, config); !problem.isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, problem, field);
        return std::nullopt;
    }
    return *chosen;
}

// ?name=N for /key/list: `fallback` when absent, a 400 (nullopt) when not a whole number in range.
std::optional<int> queryNumber(const QUrlQuery &query, const QString &name, int fallback, int minimum, int maximum,
                               const ResponderPtr &responder)
{
    const QString text = query.queryItemValue(name, QUrl::FullyDecoded).trimmed();
    if (text.isEmpty())
        return fallback;
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < minimum || value > maximum) {
        const QString range = maximum == std::numeric_limits<int>::max()
                                  ? u"at least %1"_s.arg(minimum)
                                  : u"from %1 to %2"_s.arg(minimum).arg(maximum);
        Management::fail(responder, ApiError::BadRequest, u"'%1' must be a whole number %2."_s.arg(name, range), name);
        return std::nullopt;
    }
    return value;
}

} // namespace

void KeyController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    const auto bind = [this](void (KeyController::*method)(RequestContext &, const ResponderPtr &)) {
        return [this, method](RequestContext &c, const ResponderPtr &r) { (this->*method)(c, r); };
    };
    // generate, delete, regenerate, info and list check the caller themselves: an
    // internal_user's key may act on its own user's keys.
    router.add("POST", u"/key/generate"_s, Access::Authenticated, u"Generate a virtual key"_s,
               bind(&KeyController::generate));
    router.add("POST", u"/key/update"_s, Access::Admin, u"Change a key's settings"_s, bind(&KeyController::update));
    router.add("POST", u"/key/delete"_s, Access::Authenticated, u"Delete keys by value, token or alias"_s,
               bind(&KeyController::remove));
    router.add("GET", u"/key/info"_s, Access::Authenticated, u"A key's settings and spend"_s,
               bind(&KeyController::info));
    router.add("GET", u"/key/list"_s, Access::Authenticated, u"Keys, a page at a time"_s, bind(&KeyController::list));
    router.add("POST", u"/key/block"_s, Access::Admin, u"Block a key"_s,
               [this](RequestContext &c, const ResponderPtr &r) { setBlocked(c, r, true); });
    router.add("POST", u"/key/unblock"_s, Access::Admin, u"Unblock a key"_s,
               [this](RequestContext &c, const ResponderPtr &r) { setBlocked(c, r, false); });
    router.add("POST", u"/key/regenerate"_s, Access::Authenticated,
               u"Replace a key by a new one with the same settings and spend"_s, bind(&KeyController::regenerate));
}

const VirtualKey *KeyController::targetKey(const QJsonObject &body, const ResponderPtr &responder) const
{
    JsonReader reader(body);
    const std::optional<QString> given = reader.string(u"key"_s);
    if (!reader.ok()) {
        Management::fail(responder, ApiError::BadRequest, reader.error(), reader.errorField());
        return nullptr;
    }
    if (!given || given->isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"'key' is required: the key (sk-...) or its token."_s,
                         u"key"_s);
        return nullptr;
    }
    const VirtualKey *key = m_services.identities->findKey(*given);
    if (!key)
        Management::fail(responder, ApiError::NotFound, u"Key not found: %1"_s.arg(describe(*given)), u"key"_s);
    return key;
}

void KeyController::generate(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    std::optional<KeyRequest> request = readKeyRequest(
        context, responder,
        u"Only the master key, a proxy_admin user's key or an internal_user's key may generate keys."_s,
        u"key"_s);
    if (!request)
        return;
    const std::optional<QString> &ownKey = request->rawKey;
    KeyFields &fields = request->fields;
    IdentityRegistry &identities = *m_services.identities;
    if (!caller.isAdmin()) {
        // A key it made would not have them: an internal_user's key with limits of its own
        // (an admin's budget for that key) would make an unlimited one. The user's own budget
        // and limits bind every key of theirs, so a key without limits of its own may.
        if (const VirtualKey *own = identities.keyByToken(callerToken(caller)); own && hasOwnLimits(*own)) {
            forbidden(responder,
                      u"This key has limits of its own (a budget, models, rate limits or an expiry), which a key it "
                      "generated would not have: only the master key, a proxy_admin's key or a key without limits "
                      "of its own may generate keys for user %1."_s.arg(caller.userId));
            return;
        }
        if (fields.userId && *fields.userId != caller.userId) {
            forbidden(responder, u"An internal_user's key may generate keys only for its own user (%1)."_s.arg(
                                     caller.userId), u"user_id"_s);
            return;
        }
        fields.userId = caller.userId;
        if (auto model = modelOutsideUser(fields, identities.user(caller.userId), *m_services.deployments)) {
            forbidden(responder, u"User %1 may not use model %2."_s.arg(caller.userId, *model), u"models"_s);
            return;
        }
    }
    if (!aliasAvailable(identities, fields, {}, responder))
        return;
    const std::optional<QString> chosenRaw =
        rawKeyToUse(ownKey, u"key"_s, identities, m_services.config, responder);
    if (!chosenRaw)
        return;
    const QString &raw = *chosenRaw;

    const QDateTime now = Management::now(m_services);
    VirtualKey key;
    key.token = IdentityRegistry::tokenOf(raw);
    key.keyName = keyDisplayName(raw);
    key.createdAt = now;
    key.createdBy = creatorOf(caller);
    applyFields(key, fields, now);
    const std::optional<User> newUser = userToCreate(identities, key.userId, now);

    const QList<Store::WriteJob> jobs = putKeyAndUser(identities, key, newUser);
    QJsonObject details = fields.details;
    details.insert(u"key_name"_s, key.keyName);
    if (ownKey)
        details.insert(u"own_key"_s, true);
    if (newUser)
        details.insert(u"user_created"_s, true);
    Management::commit(
        m_services, jobs, AuditEntry{caller.actor(), u"key.generate"_s, u"key"_s, key.token, details}, responder,
        [responder, answer = withRawKey(key, raw, fields)] { Management::sendJson(responder, answer); },
        [this, token = key.token, createdUser = newUser ? newUser->userId : QString()] {
            undoKeyWrite(*m_services.identities, token, std::nullopt, createdUser);
        });
}

void KeyController::update(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    ParsedFields parsed = readKeyFields(*body);
    if (!parsed.ok()) {
        Management::fail(responder, ApiError::BadRequest, parsed.error, parsed.param);
        return;
    }
    const VirtualKey *found = targetKey(*body, responder);
    if (!found)
        return;
    const KeyFields &fields = parsed.fields;
    IdentityRegistry &identities = *m_services.identities;
    if (!aliasAvailable(identities, fields, found->token, responder))
        return;
    const QDateTime now = Management::now(m_services);
    const VirtualKey before = *found;
    VirtualKey after = before;
    applyFields(after, fields, now);
    const std::optional<User> newUser = userToCreate(identities, after.userId, now);

    const QList<Store::WriteJob> jobs
        = putKeyAndUser(identities, after, newUser, {}, IdentityRepository::spendWriteFor(before, after));
    if (fields.budget.spend && m_services.accounting)
        m_services.accounting->setSpend(LedgerScope::key(after.token), after.budget.spend);
    QJsonObject details = fields.details;
    if (newUser)
        details.insert(u"user_created"_s, true);
    Management::commit(
        m_services, jobs, AuditEntry{context.caller.actor(), u"key.update"_s, u"key"_s, after.token, details},
        responder, [responder, answer = IdentityJson::toJson(after)] { Management::sendJson(responder, answer); },
        [this, before, createdUser = newUser ? newUser->userId : QString()] {
            undoKeyWrite(*m_services.identities, QString(), before, createdUser);
        });
}

void KeyController::remove(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    if (!caller.isAdmin() && !isInternalUser(caller)) {
        forbidden(responder, u"Only the master key, a proxy_admin user's key or an internal_user's key may "
                             "delete keys."_s);
        return;
    }
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    JsonReader reader(*body);
    const QStringList keys = reader.strings(u"keys"_s).value_or(QStringList());
    const QStringList aliases = reader.strings(u"key_aliases"_s).value_or(QStringList());
    if (!reader.ok()) {
        Management::fail(responder, ApiError::BadRequest, reader.error(), reader.errorField());
        return;
    }
    if (keys.isEmpty() && aliases.isEmpty()) {
        Management::fail(responder, ApiError::BadRequest,
                         u"Name the keys to delete: 'keys' (keys or tokens) or 'key_aliases'."_s, u"keys"_s);
        return;
    }

    // Everything is checked before anything is deleted: one unknown or foreign key and
    // nothing changes.
    IdentityRegistry &identities = *m_services.identities;
    QList<VirtualKey> removed;
    QJsonArray deleted;
    const auto take = [&](const VirtualKey *key, const QString &given, const QString &param) {
        if (!key) {
            const QString what = param == u"keys" ? u"Key not found: %1"_s : u"Key alias not found: %1"_s;
            Management::fail(responder, ApiError::NotFound, what.arg(describe(given)), param);
            return false;
        }
        if (const std::optional<QString> refusal = writeRefusal(caller, *key, identities)) {
            forbidden(responder, *refusal, param);
            return false;
        }
        deleted.append(given);
        if (std::none_of(removed.cbegin(), removed.cend(), [&](const VirtualKey &k) { return k.token == key->token; }))
            removed.append(*key);
        return true;
    };
    for (const QString &given : keys) {
        if (!take(identities.findKey(given), given, u"keys"_s))
            return;
    }
    for (const QString &alias : aliases) {
        if (!take(alias.isEmpty() ? nullptr : identities.keyByAlias(alias), alias, u"key_aliases"_s))
            return;
    }

    QStringList tokens;
    for (const VirtualKey &key : removed) {
        tokens.append(key.token);
        identities.removeKey(key.token);
    }
    // One audit row per key; the first one is the commit's own.
    QList<Store::WriteJob> jobs{IdentityRepository::deleteKeys(tokens)};
    const auto auditOf = [&](const VirtualKey &key) {
        return AuditEntry{caller.actor(), u"key.delete"_s, u"key"_s, key.token,
                          QJsonObject{{u"key_name"_s, key.keyName},
                                      {u"key_alias"_s, key.keyAlias.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                              : QJsonValue(key.keyAlias)}}};
    };
    for (qsizetype i = 1; i < removed.size(); ++i)
        jobs.append(IdentityRepository::audit(auditOf(removed.at(i))));
    Management::commit(
        m_services, jobs, auditOf(removed.first()), responder,
        [responder, deleted] { Management::sendJson(responder, QJsonObject{{u"deleted_keys"_s, deleted}}); },
        [this, removed] {
            for (const VirtualKey &key : removed)
                m_services.identities->putKey(key);
        });
}

void KeyController::info(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    const QString given = context.request.query.queryItemValue(u"key"_s, QUrl::FullyDecoded).trimmed();
    const VirtualKey *key = nullptr;
    if (given.isEmpty()) {
        // A key may read itself without naming itself; the master key is no virtual key.
        if (caller.kind == Caller::Kind::VirtualKey)
            key = m_services.identities->keyByToken(callerToken(caller));
        if (!key) {
            Management::fail(responder, ApiError::BadRequest, u"'key' is required: ?key=<key or token>."_s, u"key"_s);
            return;
        }
    } else {
        key = m_services.identities->findKey(given);
        if (!key) {
            Management::fail(responder, ApiError::NotFound, u"Key not found: %1"_s.arg(describe(given)), u"key"_s);
            return;
        }
    }
    if (!mayRead(caller, *key)) {
        forbidden(responder, u"Key %1 belongs to another user."_s.arg(describe(given)), u"key"_s);
        return;
    }
    // LiteLLM's shape: the key as the caller named it (raw key or token); the token when the
    // caller read its own key without naming it.
    Management::sendJson(responder, QJsonObject{{u"key"_s, given.isEmpty() ? key->token : given},
                                                {u"info"_s, IdentityJson::toJson(*key)}});
}

void KeyController::list(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    const QUrlQuery &query = context.request.query;
    const auto page = queryNumber(query, u"page"_s, 1, 1, std::numeric_limits<int>::max(), responder);
    if (!page)
        return;
    const auto size = queryNumber(query, u"size"_s, 10, 1, 100, responder);
    if (!size)
        return;
    const QString userFilter = query.queryItemValue(u"user_id"_s, QUrl::FullyDecoded);
    const QString aliasFilter = query.queryItemValue(u"key_alias"_s, QUrl::FullyDecoded);
    const QString full = query.queryItemValue(u"return_full_object"_s, QUrl::FullyDecoded).toLower();
    if (!full.isEmpty() && full != u"true" && full != u"false" && full != u"1" && full != u"0") {
        Management::fail(responder, ApiError::BadRequest, u"'return_full_object' must be true or false."_s,
                         u"return_full_object"_s);
        return;
    }
    const bool fullObjects = full == u"true" || full == u"1";
    if (!caller.isAdmin() && !userFilter.isEmpty() && userFilter != caller.userId) {
        forbidden(responder, u"A non-admin key may list only its own user's keys."_s, u"user_id"_s);
        return;
    }

    QList<const VirtualKey *> matching;
    for (const VirtualKey *key : m_services.identities->keys()) {
        if (!mayRead(caller, *key))
            continue;
        if (!userFilter.isEmpty() && key->userId != userFilter)
            continue;
        if (!aliasFilter.isEmpty() && key->keyAlias != aliasFilter)
            continue;
        matching.append(key);
    }
    const qsizetype total = matching.size();
    QJsonArray keys;
    const qsizetype first = qsizetype(*page - 1) * *size;
    for (qsizetype i = first; i < total && i < first + *size; ++i) {
        const VirtualKey *key = matching.at(i);
        keys.append(fullObjects ? QJsonValue(IdentityJson::toJson(*key)) : QJsonValue(key->token));
    }
    Management::sendJson(responder, QJsonObject{{u"keys"_s, keys},
                                                {u"total_count"_s, total},
                                                {u"current_page"_s, *page},
                                                {u"total_pages"_s, (total + *size - 1) / *size}});
}

void KeyController::setBlocked(RequestContext &context, const ResponderPtr &responder, bool blocked)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    const VirtualKey *found = targetKey(*body, responder);
    if (!found)
        return;
    const VirtualKey before = *found;
    VirtualKey after = before;
    after.blocked = blocked;
    after.updatedAt = Management::now(m_services);
    m_services.identities->putKey(after);
    Management::commit(
        m_services, {IdentityRepository::saveKey(after, IdentityRepository::SpendWrite::Keep)},
        AuditEntry{context.caller.actor(), blocked ? u"key.block"_s : u"key.unblock"_s, u"key"_s, after.token,
                   QJsonObject{{u"blocked"_s, blocked}}},
        responder, [responder, answer = IdentityJson::toJson(after)] { Management::sendJson(responder, answer); },
        [this, before] { m_services.identities->putKey(before); });
}

void KeyController::regenerate(RequestContext &context, const ResponderPtr &responder)
{
    const Caller &caller = context.caller;
    const std::optional<KeyRequest> request = readKeyRequest(
        context, responder,
        u"Only the master key, a proxy_admin user's key or the owner's internal_user key may regenerate a "
        "key."_s,
        u"new_key"_s);
    if (!request)
        return;
    const std::optional<QString> &newKey = request->rawKey;
    const VirtualKey *found = targetKey(request->body, responder);
    if (!found)
        return;
    IdentityRegistry &identities = *m_services.identities;
    if (const std::optional<QString> refusal = writeRefusal(caller, *found, identities)) {
        forbidden(responder, *refusal, u"key"_s);
        return;
    }
    const KeyFields &fields = request->fields;
    if (!caller.isAdmin()) {
        if (fields.userId && *fields.userId != caller.userId) {
            forbidden(responder, u"A key cannot be handed to another user by its owner."_s, u"user_id"_s);
            return;
        }
        // What an admin set on the key (blocked, expiry, budgets, limits, models) stays: else
        // regenerating would be a way around every one of them. Only the alias, the aliases
        // (resolved before the access check) and the metadata (read by nothing) may change.
        static const QStringList ownerMayChange{u"key_alias"_s, u"metadata"_s, u"aliases"_s, u"user_id"_s};
        for (auto it = fields.details.constBegin(); it != fields.details.constEnd(); ++it) {
            if (!ownerMayChange.contains(it.key())) {
                forbidden(responder,
                          u"Only an admin may change '%1' of a key; regenerate it without that field."_s.arg(it.key()),
                          it.key());
                return;
            }
        }
    }
    if (!aliasAvailable(identities, fields, found->token, responder))
        return;
    const std::optional<QString> chosenRaw = rawKeyToUse(newKey, u"new_key"_s, identities, m_services.config,
                                                         responder);
    if (!chosenRaw)
        return;
    const QString &raw = *chosenRaw;

    // Same settings, spend and creation time under a new token; the old token leaves the
    // registry now, so the old key is refused from the very next request.
    const QDateTime now = Management::now(m_services);
    const VirtualKey before = *found;
    VirtualKey after = before;
    after.token = IdentityRegistry::tokenOf(raw);
    after.keyName = keyDisplayName(raw);
    applyFields(after, fields, now);
    const std::optional<User> newUser = userToCreate(identities, after.userId, now);

    // The key moves to its new token with what the ledger holds for it, calls in flight
    // included: they settle on the new key (a regeneration must not forget them).
    if (newUser)
        identities.putUser(*newUser);
    identities.replaceKey(before.token, after);
    // The stored spend is kept where it is larger: other instances' calls of the last second
    // are in it, not yet in this one's (the key's holder could else wipe them by regenerating).
    QList<Store::WriteJob> jobs;
    if (newUser)
        jobs.append(IdentityRepository::saveUser(*newUser));
    jobs.append(IdentityRepository::replaceKeyRow(before.token, after));
    // Its history stays its own: the spend log shows the key, not a deleted one.
    jobs.append(IdentityRepository::moveKeySpendLogs(before.token, after.token));
    QJsonObject details = fields.details;
    details.insert(u"old_token"_s, before.token);
    details.insert(u"key_name"_s, after.keyName);
    if (newKey)
        details.insert(u"own_key"_s, true);
    Management::commit(
        m_services, jobs, AuditEntry{caller.actor(), u"key.regenerate"_s, u"key"_s, after.token, details}, responder,
        [responder, answer = withRawKey(after, raw, fields)] { Management::sendJson(responder, answer); },
        [this, before, token = after.token, createdUser = newUser ? newUser->userId : QString()] {
            IdentityRegistry &identities = *m_services.identities;
            identities.replaceKey(token, before);  // back, with the calls in flight
            if (!createdUser.isEmpty())
                identities.removeUser(createdUser);
        });
}

} // namespace Tollgate
