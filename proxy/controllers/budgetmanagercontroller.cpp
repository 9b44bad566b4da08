#include "budgetmanagercontroller.h"

#include "../../models/store/budgetprojects.h"
#include "../../models/store/identityrepository.h"
#include "../../models/store/store.h"
#include "../apierror.h"
#include "management.h"

#include <QLoggingCategory>

#include <optional>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcBudgetManager, "tollgate.budgetmanager")

namespace Tollgate {

namespace {

const QString ProjectNameKey = u"project_name"_s;
const QString UserDictKey = u"user_dict"_s;

// The body's project_name, or a 400 naming it (and nullopt).
std::optional<QString> projectName(const QJsonObject &body, const ResponderPtr &responder)
{
    const QJsonValue value = body.value(ProjectNameKey);
    if (!value.isString() || value.toString().trimmed().isEmpty()) {
        Management::fail(responder, ApiError::BadRequest, u"project_name must be a non-empty string."_s,
                         ProjectNameKey);
        return std::nullopt;
    }
    return value.toString();
}

QJsonObject success()
{
    return QJsonObject{{u"status"_s, u"success"_s}};
}

} // namespace

void BudgetManagerController::registerRoutes(Router &router)
{
    using Access = Router::Access;
    router.add("POST", u"/get_budget"_s, Access::Admin, u"A BudgetManager project's user_dict (hosted mode)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { getBudget(c, r); });
    router.add("POST", u"/set_budget"_s, Access::Admin, u"Replace a BudgetManager project's user_dict (hosted mode)"_s,
               [this](RequestContext &c, const ResponderPtr &r) { setBudget(c, r); });
}

void BudgetManagerController::getBudget(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    const auto project = projectName(*body, responder);
    if (!project)
        return;
    if (!m_services.store) {
        QJsonObject answer = success();
        answer.insert(u"data"_s, m_memory.value(*project));
        Management::sendJson(responder, answer);
        return;
    }
    m_services.store->read(BudgetProjectRepository::loadJob(*project), m_services.context,
                           [responder, project = *project](const Result<QVariant> &result) {
                               const std::optional<Error> error = !result ? std::optional(result.error())
                                   : result->canConvert<Error>()           ? std::optional(result->value<Error>())
                                                                           : std::nullopt;
                               if (error) {
                                   qCWarning(lcBudgetManager).noquote()
                                       << "get_budget of" << project << "failed:" << error->message;
                                   Management::fail(responder, ApiError::ServiceUnavailable,
                                                    u"The budget project could not be read: %1"_s.arg(error->message));
                                   return;
                               }
                               QJsonObject answer = success();
                               answer.insert(u"data"_s, result->value<QJsonObject>());
                               Management::sendJson(responder, answer);
                           });
}

void BudgetManagerController::setBudget(RequestContext &context, const ResponderPtr &responder)
{
    const auto body = Management::parseBody(context, responder);
    if (!body)
        return;
    const auto project = projectName(*body, responder);
    if (!project)
        return;
    const QJsonValue userDict = body->value(UserDictKey);
    if (!userDict.isObject()) {
        Management::fail(responder, ApiError::BadRequest, u"user_dict must be a JSON object of users."_s, UserDictKey);
        return;
    }
    if (!m_services.store) {
        m_memory.insert(*project, userDict.toObject());
        Management::sendJson(responder, success());
        return;
    }
    // The dict itself stays out of the audit log: it can be large, and it is in the row.
    const AuditEntry audit{context.caller.actor(), u"budget_project.set"_s, u"budget_project"_s, *project,
                           QJsonObject{{u"users"_s, qint64(userDict.toObject().size())}}};
    Management::commit(m_services, {BudgetProjectRepository::saveJob(*project, userDict.toObject())}, audit,
                       responder, [responder] { Management::sendJson(responder, success()); });
}

} // namespace Tollgate
