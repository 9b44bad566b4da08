#include "customercontroller.h"

#include "../../models/identityregistry.h"
#include "../../models/store/identityrepository.h"
#include "../accounting.h"
#include "../jsonreader.h"
#include "management.h"

#include <QJsonArray>
#include <QUrl>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The fields of /customer/new and /customer/update applied to `endUser`; false when a 400
// was sent. A budget_duration starts a fresh window from now (api.md §3).
bool readEndUserFields(JsonReader &reader, EndUser &endUser, const QDateTime &now,
                       const ResponderPtr &responder)
{
    if (const auto alias = reader.string(u"alias"_s))
        endUser.alias = *alias;
    if (const auto blocked = reader.boolean(u"blocked"_s))
        endUser.blocked = *blocked;
    Management::readBudgetAndLimits(reader, endUser.budget, endUser.limits, now);
    if (!reader.ok()) {
        Management::badRequest(responder, reader);
        return false;
    }
    return true;
}

// Only the known fields of a request go to the audit log.
QJsonObject auditDetails(const QJsonObject &body)
{
    static const QStringList fields{
        u"alias"_s,           u"blocked"_s,   u"max_budget"_s, u"soft_budget"_s,
        u"budget_duration"_s, u"tpm_limit"_s, u"rpm_limit"_s,  u"max_parallel_requests"_s, u"spend"_s};
    return Management::knownFields(body, fields);
}

// The required `user_id` of new/update; nullopt when a 400 was sent.
std::optional<QString> readUserId(JsonReader &reader, const ResponderPtr &responder)
{
    std::optional<QString> userId = reader.string(u"user_id"_s);
    if (!reader.ok()) {
        Management::badRequest(responder, reader);
        return std::nullopt;
    }
    if (!userId || userId->isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"'user_id' is required: the end user's id."_s,
                         u"user_id"_s);
        return std::nullopt;
    }
    return userId;
}

// A `{"user_ids": [...]}` list: present, non-empty, strings; duplicates dropped.
std::optional<QStringList> readIds(const QJsonObject &body, const ResponderPtr &responder)
{
    return Management::readUserIds(body, responder, u"'user_ids' is required: a list of end user ids."_s,
                                   /*rejectEmptyIds=*/true);
}

// The ids of `ids` the registry does not know.
QStringList unknownIds(const IdentityRegistry &identities, const QStringList &ids)
{
    return Management::unknownIds(ids, [&identities](const QString &id) {
        return identities.endUser(id) != nullptr;
    });
}

void notFound(const ResponderPtr &responder, const QStringList &unknown)
{
    Management::failUnknownIds(responder, u"End user(s)"_s, unknown, u"changed"_s);
}

} // namespace

void CustomerController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    // LiteLLM serves both names; scripts use either.
    for (const QString &prefix : {u"/customer"_s, u"/end_user"_s}) {
        router.add("POST", prefix + u"/new"_s, Access::Admin, u"Create an end user"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { newCustomer(c, r); });
        router.add("GET", prefix + u"/info"_s, Access::Admin, u"One end user (end_user_id=)"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { info(c, r); });
        router.add("POST", prefix + u"/update"_s, Access::Admin, u"Change an end user's fields"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { update(c, r); });
        router.add("POST", prefix + u"/delete"_s, Access::Admin, u"Delete end users"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { remove(c, r); });
        router.add("POST", prefix + u"/block"_s, Access::Admin,
                   u"Block end users (unknown ids are created blocked)"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { setBlocked(true, c, r); });
        router.add("POST", prefix + u"/unblock"_s, Access::Admin, u"Unblock end users"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { setBlocked(false, c, r); });
        router.add("GET", prefix + u"/list"_s, Access::Admin, u"All end users"_s,
                   [this](RequestContext &c, const ResponderPtr &r) { list(c, r); });
    }
}

EndUser CustomerController::fresh(const QString &userId) const
{
    // Same defaults as an end user created on first use (OpenAIController::admitEndUser).
    EndUser endUser;
    endUser.userId = userId;
    endUser.createdAt = endUser.updatedAt = Management::now(m_services);
    if (const Config *config = m_services.config) {
        if (config->litellm.maxEndUserBudget)
            endUser.budget.maxBudget = usdToNanos(*config->litellm.maxEndUserBudget);
        if (config->litellm.endUserBudgetDuration) {
            endUser.budget.duration = config->litellm.endUserBudgetDuration;
            endUser.budget.resetAt = config->litellm.endUserBudgetDuration->addTo(endUser.createdAt);
        }
    }
    return endUser;
}

void CustomerController::newCustomer(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    JsonReader reader(*body);
    const std::optional<QString> userId = readUserId(reader, responder);
    if (!userId || !Management::checkEndUserId(*userId, u"user_id"_s, responder))
        return;
    EndUser endUser = fresh(*userId);
    if (!readEndUserFields(reader, endUser, endUser.createdAt, responder))
        return;
    if (m_services.identities->endUser(*userId)) {
        Management::fail(responder, ApiError::BadRequest, u"End user %1 already exists."_s.arg(*userId),
                         u"user_id"_s);
        return;
    }
    m_services.identities->putEndUser(endUser);
    Management::commit(
        m_services, {IdentityRepository::saveEndUser(endUser)},
        AuditEntry{context.caller.actor(), u"customer.new"_s, u"end_user"_s, endUser.userId,
                   auditDetails(*body)},
        responder, [responder, endUser] { Management::sendJson(responder, IdentityJson::toJson(endUser)); },
        [this, id = endUser.userId] { m_services.identities->removeEndUser(id); });
}

void CustomerController::info(RequestContext &context, const ResponderPtr &responder)
{
    const QString id = context.request.query.queryItemValue(u"end_user_id"_s, QUrl::FullyDecoded).trimmed();
    if (id.isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"'end_user_id' is required."_s, u"end_user_id"_s);
        return;
    }
    const EndUser *endUser = m_services.identities->endUser(id);
    if (!endUser) {
        Management::fail(responder, ApiError::NotFound, u"End user %1 not found."_s.arg(id),
                         u"end_user_id"_s);
        return;
    }
    Management::sendJson(responder, IdentityJson::toJson(*endUser));
}

void CustomerController::update(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    JsonReader reader(*body);
    const std::optional<QString> userId = readUserId(reader, responder);
    if (!userId)
        return;
    const EndUser *existing = m_services.identities->endUser(*userId);
    if (!existing) {
        Management::fail(responder, ApiError::NotFound, u"End user %1 not found."_s.arg(*userId),
                         u"user_id"_s);
        return;
    }
    const EndUser before = *existing;
    EndUser endUser = before;
    const QDateTime now = Management::now(m_services);
    if (!readEndUserFields(reader, endUser, now, responder))
        return;
    endUser.updatedAt = now;
    m_services.identities->putEndUser(endUser);
    if (body->contains(u"spend"_s) && m_services.accounting)
        m_services.accounting->setSpend(LedgerScope::endUser(endUser.userId), endUser.budget.spend);
    Management::commit(
        m_services, {IdentityRepository::saveEndUser(endUser, IdentityRepository::spendWriteFor(before, endUser))},
        AuditEntry{context.caller.actor(), u"customer.update"_s, u"end_user"_s, endUser.userId,
                   auditDetails(*body)},
        responder, [responder, endUser] { Management::sendJson(responder, IdentityJson::toJson(endUser)); },
        [this, before] {
            m_services.identities->putEndUser(
                Management::restoredKeepingSpend(before, m_services.identities->endUser(before.userId)));
        });
}

void CustomerController::remove(RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    const std::optional<QStringList> ids = readIds(*body, responder);
    if (!ids)
        return;
    IdentityRegistry &identities = *m_services.identities;
    if (const QStringList unknown = unknownIds(identities, *ids); !unknown.isEmpty()) {
        notFound(responder, unknown);
        return;
    }
    QList<EndUser> removed;
    QList<AuditEntry> audits;
    for (const QString &id : *ids) {
        removed.append(*identities.endUser(id));
        audits.append(AuditEntry{context.caller.actor(), u"customer.delete"_s, u"end_user"_s, id, {}});
    }
    for (const QString &id : *ids)
        identities.removeEndUser(id);
    Management::commitEach(
        m_services, {IdentityRepository::deleteEndUsers(*ids)}, audits, responder,
        [responder, ids = *ids] {
            Management::sendJson(responder,
                                 QJsonObject{{u"deleted_customers"_s, QJsonArray::fromStringList(ids)}});
        },
        [this, removed] {
            for (const EndUser &endUser : removed)
                m_services.identities->putEndUser(endUser);
        });
}

void CustomerController::setBlocked(bool blocked, RequestContext &context, const ResponderPtr &responder)
{
    const std::optional<QJsonObject> body = Management::parseBody(context, responder);
    if (!body)
        return;
    const std::optional<QStringList> ids = readIds(*body, responder);
    if (!ids)
        return;
    IdentityRegistry &identities = *m_services.identities;
    // Blocking an unknown id creates it blocked, so a customer can be barred before its
    // first call; unblocking one that does not exist is a mistake worth reporting.
    const QStringList unknown = unknownIds(identities, *ids);
    if (!blocked && !unknown.isEmpty()) {
        notFound(responder, unknown);
        return;
    }
    for (const QString &id : unknown) {   // to be created: capped as /customer/new's
        if (!Management::checkEndUserId(id, u"user_ids"_s, responder))
            return;
    }
    const QDateTime now = Management::now(m_services);
    const QString action = blocked ? u"customer.block"_s : u"customer.unblock"_s;
    QList<EndUser> previous; // to undo: the end users as they were
    QStringList created; // to undo: the ones this call created
    QList<Store::WriteJob> jobs;
    QList<AuditEntry> audits;
    for (const QString &id : *ids) {
        EndUser endUser;
        if (const EndUser *known = identities.endUser(id)) {
            previous.append(*known);
            endUser = *known;
            endUser.updatedAt = now;
        } else {
            created.append(id);
            endUser = fresh(id);
        }
        endUser.blocked = blocked;
        identities.putEndUser(endUser);
        jobs.append(IdentityRepository::saveEndUser(endUser, IdentityRepository::SpendWrite::Keep));
        audits.append(AuditEntry{context.caller.actor(), action, u"end_user"_s, id,
                                 QJsonObject{{u"blocked"_s, blocked}}});
    }
    Management::commitEach(
        m_services, std::move(jobs), audits, responder,
        [responder, blocked, ids = *ids] {
            Management::sendJson(responder,
                                 QJsonObject{{blocked ? u"blocked_users"_s : u"unblocked_users"_s,
                                              QJsonArray::fromStringList(ids)}});
        },
        [this, previous, created] {
            for (const QString &id : created)
                m_services.identities->removeEndUser(id);
            for (const EndUser &endUser : previous) {
                EndUser restored = endUser;
                if (const EndUser *current = m_services.identities->endUser(endUser.userId))
                    restored.budget.spend = current->budget.spend;
                m_services.identities->putEndUser(restored);
            }
        });
}

void CustomerController::list(RequestContext &context, const ResponderPtr &responder)
{
    Q_UNUSED(context);
    QList<const EndUser *> endUsers = m_services.identities->endUsers();
    std::sort(endUsers.begin(), endUsers.end(), [](const EndUser *a, const EndUser *b) {
        return a->createdAt != b->createdAt ? a->createdAt < b->createdAt : a->userId < b->userId;
    });
    QJsonArray items;
    for (const EndUser *endUser : endUsers)
        items.append(IdentityJson::toJson(*endUser));
    Management::sendJson(responder, items);
}

} // namespace Tollgate
