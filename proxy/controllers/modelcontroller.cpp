#include "modelcontroller.h"

#include "../../models/secretstore.h"
#include "../../models/store/store.h"
#include "../access.h"
#include "../apierror.h"
#include "../deployments.h"
#include "management.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QUuid>

#include <algorithm>
#include <utility>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcModels, "tollgate.models")

namespace Tollgate {

namespace {

// JSON field names of a model_list entry (api.md §2) and of the management bodies.
const QString kModelName = u"model_name"_s;
const QString kLitellmParams = u"litellm_params"_s;
const QString kModelInfo = u"model_info"_s;
const QString kModelId = u"model_id"_s;
const QString kId = u"id"_s;
const QString kApiKey = u"api_key"_s;

// What a stored entry keeps; anything else in a body is ignored (api.md §1).
const QStringList kParamFields = {u"model"_s, u"api_base"_s, u"api_key"_s, u"api_version"_s,
                                  u"rpm"_s, u"tpm"_s, u"timeout"_s, u"input_cost_per_token"_s,
                                  u"output_cost_per_token"_s, u"cache_read_input_token_cost"_s,
                                  u"cache_creation_input_token_cost"_s,
                                  u"cache_creation_input_token_cost_above_1hr"_s, u"mock_response"_s,
                                  u"input_cost_per_token_priority"_s, u"output_cost_per_token_priority"_s,
                                  u"cache_read_input_token_cost_priority"_s, u"input_cost_per_token_flex"_s,
                                  u"output_cost_per_token_flex"_s, u"cache_read_input_token_cost_flex"_s,
                                  u"search_context_cost_per_query"_s, u"file_search_cost_per_1k_calls"_s,
                                  u"code_interpreter_cost_per_session"_s, u"image_generation_cost_per_call"_s,
                                  u"input_cost_per_audio_token"_s, u"output_cost_per_audio_token"_s,
                                  u"output_cost_per_reasoning_token"_s};
const QStringList kInfoFields = {u"id"_s, u"access_groups"_s, u"base_model"_s, u"max_tokens"_s,
                                 u"max_output_tokens"_s, u"mode"_s, u"supports_reasoning"_s};

// The keychain entry that holds the literal api_key given for model `id`.
QString secretName(const QString &id)
{
    return u"model-"_s + id + u"-api_key"_s;
}

QString ownReference(const QString &id)
{
    return u"keychain/"_s + secretName(id);
}

QJsonObject pick(const QJsonObject &object, const QStringList &fields)
{
    QJsonObject picked;
    for (const QString &field : fields) {
        const QJsonValue value = object.value(field);
        if (!value.isUndefined() && !value.isNull())
            picked.insert(field, value);
    }
    return picked;
}

// litellm_params' rates for long prompts (input_cost_per_token_above_200k_tokens, …), kept too.
QJsonObject withLongPromptRates(QJsonObject picked, const QJsonObject &params)
{
    for (auto it = params.begin(); it != params.end(); ++it) {
        if (it.value().isDouble() && Deployment::longPromptThreshold(it.key()) > 0)
            picked.insert(it.key(), it.value());
    }
    return picked;
}

// The entry as the store keeps it: known fields only, nulls dropped. The body has been
// type-checked (ConfigLoader::deploymentFromJson) before this runs.
QJsonObject storedEntry(const QJsonObject &body)
{
    QJsonObject entry{{kModelName, body.value(kModelName)},
                      {kLitellmParams, withLongPromptRates(pick(body.value(kLitellmParams).toObject(), kParamFields),
                                                           body.value(kLitellmParams).toObject())}};
    const QJsonObject info = pick(body.value(kModelInfo).toObject(), kInfoFields);
    entry.insert(kModelInfo, info);
    return entry;
}

QJsonObject withoutApiKey(QJsonObject params)
{
    params.remove(kApiKey);
    return params;
}

QJsonObject setField(QJsonObject object, const QString &section, const QString &field, const QJsonValue &value)
{
    QJsonObject inner = object.value(section).toObject();
    if (value.isUndefined())
        inner.remove(field);
    else
        inner.insert(field, value);
    object.insert(section, inner);
    return object;
}

// What /model/new and /model/update answer: the stored entry, never its api_key.
QJsonObject modelJson(const StoredModel &model)
{
    return {{kModelId, model.modelId},
            {kModelName, model.modelName},
            {kLitellmParams, withoutApiKey(model.entry.value(kLitellmParams).toObject())},
            {kModelInfo, model.entry.value(kModelInfo).toObject()}};
}

// For the audit log: the entry without its api_key (not even the reference).
QJsonObject auditDetails(const QJsonObject &entry)
{
    QJsonObject details = entry;
    details.insert(kLitellmParams, withoutApiKey(entry.value(kLitellmParams).toObject()));
    return details;
}

// The deployment an entry of model `id` describes. References are never resolved (they are
// config.yaml's feature; ConfigLoader::deploymentFromJson refuses them), with one exception
// the gateway itself writes: an api_key that is this model's own keychain entry (a literal
// key given to /model/new or /model/update) is read from `secrets`.
Result<Deployment> deploymentFromEntry(QJsonObject entry, const QString &id, ISecretStore *secrets)
{
    const bool ownKey = entry.value(kLitellmParams).toObject().value(kApiKey).toString() == ownReference(id);
    if (ownKey)
        entry = setField(entry, kLitellmParams, kApiKey, QJsonValue::Undefined);
    Result<Deployment> deployment = ConfigLoader::deploymentFromJson(entry);
    if (!deployment || !ownKey)
        return deployment;
    const QString param = kLitellmParams + u'.' + kApiKey;
    if (!secrets)
        return Error{u"%1 of model %2 is kept in the secret store, but the gateway runs without one."_s.arg(param, id),
                     param, 0};
    Result<QString> secret = secrets->readSecret(secretName(id));
    if (!secret)
        return Error{u"%1 of model %2 cannot be read from the %3: %4"_s.arg(param, id, secrets->backendName(),
                                                                            secret.error().message),
                     param, 0};
    deployment->apiKey = std::move(secret).value();
    return deployment;
}

void failValidation(const ResponderPtr &responder, const Error &error)
{
    Management::fail(responder, ApiError::BadRequest, error.message,
                     error.file.isEmpty() ? std::nullopt : std::optional<QString>(error.file));
}

// A string id from `object[field]`: nullopt (and a 400 sent) if it has another type;
// an empty string if absent.
std::optional<QString> idField(const QJsonObject &object, const QString &field, const QString &param,
                               const ResponderPtr &responder)
{
    const QJsonValue value = object.value(field);
    if (value.isUndefined() || value.isNull())
        return QString();
    if (!value.isString()) {
        Management::fail(responder, ApiError::BadRequest, u"'%1' must be a string."_s.arg(param), param);
        return std::nullopt;
    }
    return value.toString();
}

// Where a request may name a model: `object[field]`, reported as `param`.
struct IdSource
{
    QJsonObject object;
    QString field;
    QString param;
};

// The id of the model a request names: from the first of `sources` that gives one. nullopt
// when a 400 was sent (an id of another type, or none at all: `missing`, for `missingParam`).
std::optional<QString> requiredId(const QList<IdSource> &sources, const QString &missing,
                                  const QString &missingParam, const ResponderPtr &responder)
{
    for (const IdSource &source : sources) {
        const std::optional<QString> id = idField(source.object, source.field, source.param, responder);
        if (!id || !id->isEmpty())
            return id;
    }
    Management::fail(responder, ApiError::BadRequest, missing, missingParam);
    return std::nullopt;
}

// Removes model `id`'s own api_key from the secret store (if there is one); the model is gone
// already, so a failure is only logged.
void deleteOwnSecret(ISecretStore *secrets, const QString &id)
{
    if (!secrets)
        return;
    if (auto removed = secrets->deleteSecret(secretName(id)); !removed)
        qCWarning(lcModels).noquote() << "api_key of model" << id
                                      << "not removed from the secret store:" << removed.error().message;
}

} // namespace

void ModelController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    router.add("POST", u"/model/new"_s, Access::Admin, u"Add a model deployment (kept in the store)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { newModel(c, r); });
    router.add("POST", u"/model/update"_s, Access::Admin, u"Change a model added with /model/new"_s,
               [this](RequestContext &c, const ResponderPtr &r) { updateModel(c, r); });
    router.add("POST", u"/model/delete"_s, Access::Admin, u"Delete a model added with /model/new"_s,
               [this](RequestContext &c, const ResponderPtr &r) { deleteModel(c, r); });
    router.add("GET", u"/model_group/info"_s, Access::Authenticated,
               u"Model groups the caller may use, with providers, prices and limits"_s,
               [this](RequestContext &c, const ResponderPtr &r) { modelGroupInfo(c, r); });
}

Result<Deployment> ModelController::deploymentFromStored(const StoredModel &model, ISecretStore *secrets)
{
    QJsonObject entry = model.entry;
    // The row's columns win over the JSON: they are what the API addresses it by.
    entry = setField(entry, kModelInfo, kId, model.modelId);
    if (!entry.value(kModelName).isString())
        entry.insert(kModelName, model.modelName);
    Result<Deployment> deployment = deploymentFromEntry(entry, model.modelId, secrets);
    if (!deployment) {
        // E.g. an os.environ/ reference stored by a version that still resolved them: served
        // only once /model/update gives the value itself.
        return Error{deployment.error().message + u" (fix it with POST /model/update)"_s, deployment.error().file, 0};
    }
    return deployment;
}

void ModelController::applyStoredChange(const QString &id, const std::optional<StoredModel> &model)
{
    // Not yet read: the first read takes the rows as they are then.
    const bool known = m_loadState != LoadState::NotLoaded;
    if (!model) {
        m_stored.remove(id);
        m_services.deployments->remove(id);
        return;
    }
    if (known)
        m_stored.insert(id, *model);
    auto deployment = deploymentFromStored(*model, m_services.secrets);
    if (!deployment) {
        // E.g. its api_key is in the keychain of the instance that added it.
        qCWarning(lcModels).noquote() << "stored model" << id << "changed by another instance, not served:"
                                      << deployment.error().message;
        m_services.deployments->remove(id);
        return;
    }
    if (!m_services.deployments->replace(id, *deployment))
        m_services.deployments->add(*deployment);
}

void ModelController::withStoredModels(const ResponderPtr &responder, std::function<void()> then)
{
    if (m_loadState == LoadState::Loaded || !m_services.store) {
        m_loadState = LoadState::Loaded;
        then();
        return;
    }
    m_waiting.append([responder, then = std::move(then)](bool loaded) {
        if (loaded)
            then();
        else
            Management::fail(responder, ApiError::ServiceUnavailable,
                             u"The stored models could not be read from the database."_s);
    });
    if (m_loadState == LoadState::Loading)
        return;
    m_loadState = LoadState::Loading;
    m_services.store->read(
        [](QSqlDatabase &db) {
            auto snapshot = IdentityRepository::loadAll(db);
            return snapshot ? QVariant::fromValue(snapshot->models) : QVariant::fromValue(snapshot.error());
        },
        m_services.context,
        [this](const Result<QVariant> &result) {
            const bool loaded = result && result->canConvert<QList<StoredModel>>();
            if (loaded) {
                for (const StoredModel &model : result->value<QList<StoredModel>>())
                    m_stored.insert(model.modelId, model);
                m_loadState = LoadState::Loaded;
            } else {
                qCWarning(lcModels).noquote() << "stored models not read:"
                                              << (result ? result->value<Error>().message : result.error().message);
                m_loadState = LoadState::NotLoaded;  // the next call tries again
            }
            const auto waiting = std::exchange(m_waiting, {});
            for (const auto &callback : waiting)
                callback(loaded);
        });
}

bool ModelController::isConfigModel(const QString &id) const
{
    if (!m_services.config)
        return false;
    return std::any_of(m_services.config->models.cbegin(), m_services.config->models.cend(),
                       [&id](const Deployment &deployment) { return deployment.id == id; });
}

const StoredModel *ModelController::storedOrFail(const QString &id, const QString &param,
                                                 const ResponderPtr &responder) const
{
    const auto found = m_stored.constFind(id);
    if (found != m_stored.constEnd())
        return &*found;
    if (isConfigModel(id) || m_services.deployments->find(id)) {
        Management::fail(responder, ApiError::Forbidden,
                         u"Model %1 comes from config.yaml, which is read-only at run time: edit config.yaml "
                         "and restart Tollgate to change it."_s.arg(id),
                         param);
    } else {
        Management::fail(responder, ApiError::NotFound, u"No model with id %1."_s.arg(id), param);
    }
    return nullptr;
}

void ModelController::newModel(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    // The body as given (a literal api_key is used as it is; references are refused), by
    // config.yaml's rules.
    auto checked = ConfigLoader::deploymentFromJson(*body);
    if (!checked) {
        failValidation(responder, checked.error());
        return;
    }
    withStoredModels(responder, [this, responder, entry = storedEntry(*body), deployment = *checked,
                                 actor = context.caller.actor()]() mutable {
        QJsonObject info = entry.value(kModelInfo).toObject();
        QString id = info.value(kId).toString();
        if (id.isEmpty()) {
            id = QUuid::createUuid().toString(QUuid::WithoutBraces);
        } else if (m_stored.contains(id) || m_pendingIds.contains(id) || m_services.deployments->find(id)
                   || isConfigModel(id)) {
            Management::fail(responder, ApiError::BadRequest,
                             u"model_info.id %1 is already used by another deployment."_s.arg(id),
                             u"model_info.id"_s);
            return;
        }
        entry = setField(entry, kModelInfo, kId, id);
        deployment.id = id;

        // Provider secrets never reach the database: a literal key goes to the secret store
        // and the entry keeps a reference to it.
        const QString apiKey = entry.value(kLitellmParams).toObject().value(kApiKey).toString();
        bool wroteSecret = false;
        if (apiKey.isEmpty()) {
            entry = setField(entry, kLitellmParams, kApiKey, QJsonValue::Undefined);
        } else {
            if (!m_services.secrets) {
                Management::fail(responder, ApiError::ServiceUnavailable,
                                 u"No secret store is available to keep litellm_params.api_key (Tollgate never "
                                 "writes provider keys to its database). Add the model to config.yaml instead, where the key may be an "
                                 "os.environ/<NAME> reference."_s,
                                 u"litellm_params.api_key"_s);
                return;
            }
            if (auto written = m_services.secrets->writeSecret(secretName(id), apiKey); !written) {
                Management::fail(responder, ApiError::ServiceUnavailable,
                                 u"litellm_params.api_key could not be saved in the %1: %2"_s.arg(
                                     m_services.secrets->backendName(), written.error().message),
                                 u"litellm_params.api_key"_s);
                return;
            }
            wroteSecret = true;
            entry = setField(entry, kLitellmParams, kApiKey, ownReference(id));
        }

        StoredModel model;
        model.modelId = id;
        model.modelName = deployment.modelName;
        model.entry = entry;
        model.createdAt = model.updatedAt = Management::now(m_services);

        m_pendingIds.insert(id);
        const AuditEntry audit{actor, u"model.new"_s, u"model"_s, id, auditDetails(entry)};
        Management::commit(
            m_services, {IdentityRepository::saveModel(model)}, audit, responder,
            [this, responder, model, deployment] {
                m_pendingIds.remove(model.modelId);
                m_stored.insert(model.modelId, model);
                m_services.deployments->add(deployment);
                Management::sendJson(responder, modelJson(model));
            },
            [this, id, wroteSecret] {
                m_pendingIds.remove(id);
                if (wroteSecret && m_services.secrets)
                    (void)m_services.secrets->deleteSecret(secretName(id));
            });
    });
}

void ModelController::updateModel(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    // model_id, or else model_info.id (model_info is checked to be an object further down).
    const std::optional<QString> id = requiredId(
        {{*body, kModelId, kModelId}, {body->value(kModelInfo).toObject(), kId, u"model_info.id"_s}},
        u"Name the model to update with model_id (or model_info.id)."_s, kModelId, responder);
    if (!id)
        return;
    for (const QString &section : {kLitellmParams, kModelInfo}) {
        const QJsonValue value = body->value(section);
        if (!value.isUndefined() && !value.isNull() && !value.isObject()) {
            Management::fail(responder, ApiError::BadRequest, u"'%1' must be an object."_s.arg(section), section);
            return;
        }
    }

    withStoredModels(responder, [this, responder, id = *id, patch = *body, actor = context.caller.actor()] {
        const StoredModel *stored = storedOrFail(id, kModelId, responder);
        if (!stored)
            return;
        StoredModel updated = *stored;
        const QString oldReference = stored->entry.value(kLitellmParams).toObject().value(kApiKey).toString();

        // Only what the body names changes; null counts as absent (api.md §1).
        QJsonObject changed;  // for the audit log: field → new value, never the api_key
        QJsonObject entry = updated.entry;
        if (const QJsonValue name = patch.value(kModelName); !name.isUndefined() && !name.isNull()) {
            entry.insert(kModelName, name);
            changed.insert(kModelName, name);
        }
        const QJsonObject params = patch.value(kLitellmParams).toObject();
        // Not even the model's own keychain entry may be named: only the gateway writes that.
        if (ConfigLoader::isSecretReference(params.value(kApiKey).toString())) {
            const QString param = kLitellmParams + u'.' + kApiKey;
            Management::fail(responder, ApiError::BadRequest, ConfigLoader::referenceRefused(param), param);
            return;
        }
        for (const QString &field : kParamFields) {
            const QJsonValue value = params.value(field);
            if (value.isUndefined() || value.isNull())
                continue;
            entry = setField(entry, kLitellmParams, field, value);
            if (field != kApiKey)
                changed.insert(QString(kLitellmParams + u'.' + field), value);
        }
        const QJsonObject info = patch.value(kModelInfo).toObject();
        for (const QString &field : kInfoFields) {
            const QJsonValue value = info.value(field);
            if (field == kId || value.isUndefined() || value.isNull())
                continue;
            entry = setField(entry, kModelInfo, field, value);
            changed.insert(QString(kModelInfo + u'.' + field), value);
        }

        // Checked as the new entry with the literal key, before any secret is touched; a
        // reference, given now or stored by an older version, is refused.
        auto checked = deploymentFromEntry(entry, id, m_services.secrets);
        if (!checked) {
            failValidation(responder, checked.error());
            return;
        }

        const QJsonValue keyValue = params.value(kApiKey);
        const bool keyGiven = keyValue.isString();
        const QString newKey = keyValue.toString();
        std::optional<QString> previousSecret;  // to put back if the store write fails
        bool wroteSecret = false;
        if (keyGiven && newKey.isEmpty()) {
            entry = setField(entry, kLitellmParams, kApiKey, QJsonValue::Undefined);
        } else if (keyGiven) {
            if (!m_services.secrets) {
                Management::fail(responder, ApiError::ServiceUnavailable,
                                 u"No secret store is available to keep litellm_params.api_key (Tollgate never "
                                 "writes provider keys to its database). Add the model to config.yaml instead, where the key may be an "
                                 "os.environ/<NAME> reference."_s,
                                 u"litellm_params.api_key"_s);
                return;
            }
            if (auto previous = m_services.secrets->readSecret(secretName(id)))
                previousSecret = *previous;
            if (auto written = m_services.secrets->writeSecret(secretName(id), newKey); !written) {
                Management::fail(responder, ApiError::ServiceUnavailable,
                                 u"litellm_params.api_key could not be saved in the %1: %2"_s.arg(
                                     m_services.secrets->backendName(), written.error().message),
                                 u"litellm_params.api_key"_s);
                return;
            }
            wroteSecret = true;
            entry = setField(entry, kLitellmParams, kApiKey, ownReference(id));
        }
        const QString newReference = entry.value(kLitellmParams).toObject().value(kApiKey).toString();
        // Our own keychain entry is no longer referenced: remove it once the change is saved.
        const bool dropOwnSecret = oldReference == ownReference(id) && newReference != ownReference(id);

        Deployment deployment = std::move(checked).value();
        deployment.id = id;
        updated.entry = entry;
        updated.modelName = deployment.modelName;
        updated.updatedAt = Management::now(m_services);

        QJsonObject details{{u"changed"_s, changed}};
        if (keyGiven)
            details.insert(u"api_key_changed"_s, true);
        const AuditEntry audit{actor, u"model.update"_s, u"model"_s, id, details};
        Management::commit(
            m_services, {IdentityRepository::saveModel(updated)}, audit, responder,
            [this, responder, updated, deployment, dropOwnSecret] {
                m_stored.insert(updated.modelId, updated);
                // A stored model that could not be served at start-up is served once fixed.
                if (!m_services.deployments->replace(updated.modelId, deployment))
                    m_services.deployments->add(deployment);
                if (dropOwnSecret)
                    deleteOwnSecret(m_services.secrets, updated.modelId);
                Management::sendJson(responder, modelJson(updated));
            },
            [this, id, wroteSecret, previousSecret] {
                if (!wroteSecret || !m_services.secrets)
                    return;
                if (previousSecret)
                    (void)m_services.secrets->writeSecret(secretName(id), *previousSecret);
                else
                    (void)m_services.secrets->deleteSecret(secretName(id));
            });
    });
}

void ModelController::deleteModel(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    // LiteLLM's body is {"id": …}; model_id is accepted too, as /model/update takes it.
    const std::optional<QString> id =
        requiredId({{*body, kId, kId}, {*body, kModelId, kModelId}},
                   u"Name the model to delete: {\"id\": \"<model_id>\"}."_s, kId, responder);
    if (!id)
        return;
    withStoredModels(responder, [this, responder, id = *id, actor = context.caller.actor()] {
        const StoredModel *stored = storedOrFail(id, kId, responder);
        if (!stored)
            return;
        const bool ownSecret = stored->entry.value(kLitellmParams).toObject().value(kApiKey).toString()
                               == ownReference(id);
        const AuditEntry audit{actor, u"model.delete"_s, u"model"_s, id,
                               QJsonObject{{kModelName, stored->modelName}}};
        Management::commit(m_services, {IdentityRepository::deleteModel(id)}, audit, responder,
                           [this, responder, id, ownSecret] {
                               m_stored.remove(id);
                               m_services.deployments->remove(id);
                               if (ownSecret)
                                   deleteOwnSecret(m_services.secrets, id);
                               const QString message = u"Model: %1 deleted successfully"_s.arg(id);
                               Management::sendJson(responder,
                                                    QJsonObject{{u"message"_s, message}, {kModelId, id}});
                           });
    });
}

void ModelController::modelGroupInfo(RequestContext &context, const ResponderPtr &responder)
{
    const QString only = context.request.query.queryItemValue(u"model_group"_s, QUrl::FullyDecoded);
    const ModelAccess access(context.caller, m_services.identities, *m_services.deployments);
    // LiteLLM's rules for a group of several deployments: the highest price and token limit,
    // the summed capacity (only when every deployment states one).
    const auto maxOf = [](const std::optional<double> &current, const std::optional<double> &value) {
        if (!value)
            return current;
        return current ? std::optional<double>(std::max(*current, *value)) : value;
    };
    const auto orNull = [](const auto &value) { return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null); };

    QJsonArray data;
    for (const QString &name : access.allowedModels()) {
        if (!only.isEmpty() && name != only)
            continue;
        QStringList providers;
        QStringList groups;
        std::optional<double> inputCost;
        std::optional<double> outputCost;
        std::optional<double> maxTokens;
        std::optional<qint64> rpm = 0;
        std::optional<qint64> tpm = 0;
        QString mode;
        for (const Deployment *deployment : m_services.deployments->group(name)) {
            if (!providers.contains(deployment->providerName))
                providers.append(deployment->providerName);
            for (const QString &group : deployment->accessGroups) {
                if (!groups.contains(group))
                    groups.append(group);
            }
            inputCost = maxOf(inputCost, deployment->inputCostPerToken);
            outputCost = maxOf(outputCost, deployment->outputCostPerToken);
            if (deployment->maxTokens)
                maxTokens = maxOf(maxTokens, double(*deployment->maxTokens));
            rpm = rpm && deployment->rpm ? std::optional<qint64>(*rpm + *deployment->rpm) : std::nullopt;
            tpm = tpm && deployment->tpm ? std::optional<qint64>(*tpm + *deployment->tpm) : std::nullopt;
            if (mode.isEmpty())
                mode = deployment->mode;
        }
        data.append(QJsonObject{
            {u"model_group"_s, name},
            {u"providers"_s, QJsonArray::fromStringList(providers)},
            // model_info.max_tokens is the output limit (as in LiteLLM's price list); the
            // input limit is not known without a catalogue entry.
            {u"max_input_tokens"_s, QJsonValue::Null},
            {u"max_output_tokens"_s, maxTokens ? QJsonValue(qint64(*maxTokens)) : QJsonValue(QJsonValue::Null)},
            {u"input_cost_per_token"_s, orNull(inputCost)},
            {u"output_cost_per_token"_s, orNull(outputCost)},
            {u"mode"_s, mode.isEmpty() ? u"chat"_s : mode},
            {u"tpm"_s, orNull(tpm)},
            {u"rpm"_s, orNull(rpm)},
            {u"access_groups"_s, QJsonArray::fromStringList(groups)},
        });
    }
    Management::sendJson(responder, QJsonObject{{u"data"_s, data}});
}

} // namespace Tollgate
