#include "access.h"

#include "../models/identityregistry.h"
#include "auth.h"
#include "deployments.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

ModelAccess::ModelAccess(const Caller &caller, const IdentityRegistry *identities, const DeploymentTable &deployments)
    : m_deployments(deployments)
{
    if (caller.kind != Caller::Kind::VirtualKey || !identities)
        return;  // master key / open access: everything
    m_virtualKey = identities->keyByToken(QString::fromLatin1(caller.tokenHash));
    if (m_virtualKey && !m_virtualKey->models.isEmpty()) {
        m_key.entries = m_virtualKey->models;
        m_key.allowed = expand(m_key.entries, deployments);
    }
    // The user's list bounds every key of the user, whatever the key's own list says.
    if (const User *user = identities->user(caller.userId); user && !user->models.isEmpty()) {
        m_user.entries = user->models;
        m_user.allowed = expand(m_user.entries, deployments);
    }
}

QSet<QString> ModelAccess::expand(const QStringList &entries, const DeploymentTable &deployments)
{
    QSet<QString> names;
    const auto groups = deployments.accessGroups();
    for (const QString &entry : entries) {
        if (entry == u"all-proxy-models" || entry == u"*") {
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
    if (!m_key.allows(modelName))
        return Decision::DeniedByKey;
    if (!m_user.allows(modelName))
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
