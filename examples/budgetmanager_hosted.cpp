// Tollgate::BudgetManager in hosted mode, as a Python program would use LiteLLM's
// BudgetManager(client_type="hosted", api_base=...): the budgets live in a running gateway.
//
//   budgetmanager_hosted <api base, e.g. http://127.0.0.1:4000> <master key> [project name]
//
// Creates a budget, records the cost of one call, saves, loads the project again from the
// gateway and prints what came back. Exit code 0 when the reloaded data matches.
#include "models/budgetmanager.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>

#include <cmath>

using namespace Qt::StringLiterals;
using Tollgate::BudgetManager;

namespace {

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int fail(const QString &what, const Tollgate::Error &error)
{
    err() << what << u": "_s << error.toString() << Qt::endl;
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    // Hosted calls run on a local event loop, which needs the application object.
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        err() << u"usage: budgetmanager_hosted <api base> <master key> [project name]"_s << Qt::endl;
        return 2;
    }
    const QString apiBase = args.at(1);
    const BudgetManager::Headers headers{{QByteArrayLiteral("Authorization"), "Bearer " + args.at(2).toUtf8()}};
    const QString project = args.size() > 3 ? args.at(3) : u"budgetmanager-example"_s;

    BudgetManager manager(project, BudgetManager::ClientType::Hosted, apiBase, headers);
    if (!manager.loadResult())
        return fail(u"loading the project"_s, manager.loadResult().error());

    const QString user = u"krrish@berri.ai"_s;
    if (auto created = manager.createBudget(10.0, user, u"daily"_s); !created)
        return fail(u"createBudget"_s, created.error());
    // The cost of a call, from its usage (as LiteLLM's update_cost(completion_obj=...)).
    const QJsonObject completion{
        {u"model"_s, u"gpt-4o-mini"_s},
        {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, 1200}, {u"completion_tokens"_s, 300}, {u"total_tokens"_s, 1500}}}};
    if (auto updated = manager.updateCost(user, completion); !updated)
        return fail(u"updateCost"_s, updated.error());
    const double cost = manager.currentCost(user).value();
    if (auto saved = manager.saveData(); !saved)
        return fail(u"saveData"_s, saved.error());

    BudgetManager reloaded(project, BudgetManager::ClientType::Hosted, apiBase, headers);
    if (!reloaded.loadResult())
        return fail(u"reloading the project"_s, reloaded.loadResult().error());
    const auto reloadedCost = reloaded.currentCost(user);
    if (!reloadedCost)
        return fail(u"currentCost after reload"_s, reloadedCost.error());

    QTextStream out(stdout);
    out << QString::fromUtf8(QJsonDocument(reloaded.userDict()).toJson(QJsonDocument::Indented));
    out << u"total budget: "_s << reloaded.totalBudget(user).value() << u", current cost: "_s << *reloadedCost
        << Qt::endl;
    if (cost <= 0.0 || std::abs(*reloadedCost - cost) > 1e-12) {
        err() << u"the reloaded cost "_s << *reloadedCost << u" differs from the saved "_s << cost << Qt::endl;
        return 1;
    }
    return 0;
}
