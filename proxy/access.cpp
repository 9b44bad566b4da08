#include "access.h"

#include "../models/identityregistry.h"
#include "auth.h"
#include "deployments.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// An entry that stands for every model group.
bool meansAllModels(const QString &entry)
{
    return entry == u"all-proxy-models" || entry == u"*";
}

} // namespace

ModelAccess::ModelAccess(const Caller &caller, const IdentityRegistry *identities, const DeploymentTable &deployments)
    : m_deployments(deployments)
{
    if (caller.kind != Caller::Kind::VirtualKey || !identities)
        return;  // master key / open access: everything
    m_virtualKey = identities->keyByToken(caller.tokenHashText);
    if (m_virtualKey)
        m_key.entries = m_virtualKey->models;
    // The user's list bounds every key of the user, whatever the key's own list says.
    if (const User *user = identities->user(caller.userId))
        m_user.entries = user->models;
}

bool ModelAccess::List::allows(const QString &model, const DeploymentTable &deployments) const
{
    if (entries.isEmpty())
        return true;
    for (const QString &entry : entries) {
        if (entry == model)
            return true;
        if (meansAllModels(entry)) {
            if (deployments.groupNames().contains(model))
                return true;
        } else if (deployments.inAccessGroup(entry, model)) {
            return true;
        }
    }
    return false;
}

QSet<QString> ModelAccess::expand(const QStringList &entries, const DeploymentTable &deployments)
{
    QSet<QString> names;
    const auto groups = deployments.accessGroups();
    for (const QString &entry : entries) {
        if (meansAllModels(entry)) {
            for (const QString &name : deployments.groupNames())
                names.insert(name);
            continue;
        }
        names.insert(entry);
        const auto group = groups.constFind(entry);
        if (group != groups.constEnd()) {
            for (const QString &name : *group)
                names.insert(name);
        }
    }
    return names;
}

QString ModelAccess::resolve(const QString &requested) const
{
    if (m_virtualKey) {
        const auto alias = m_virtualKey->aliases.constFind(requested);
        if (alias != m_virtualKey->aliases.constEnd())
            return *alias;
    }
    return requested;
}

ModelAccess::Decision ModelAccess::check(const QString &modelName) const
{
    if (!m_key.allows(modelName, m_deployments))
        return Decision::DeniedByKey;
    if (!m_user.allows(modelName, m_deployments))
        return Decision::DeniedByUser;
    return Decision::Allowed;
}

QStringList ModelAccess::allowedModels() const
{
    QStringList names;
    for (const QString &name : m_deployments.groupNames()) {
        if (check(name) == Decision::Allowed)
            names.append(name);
    }
    return names;
}

} // namespace Tollgate
