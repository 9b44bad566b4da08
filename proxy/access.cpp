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
    m_key = identities->keyByToken(QString::fromLatin1(caller.tokenHash));
    if (m_key && !m_key->models.isEmpty()) {
        m_entries = m_key->models;
    } else if (const User *user = identities->user(caller.userId); user && !user->models.isEmpty()) {
        m_entries = user->models;
        m_fromUser = true;
    }
    if (!m_entries.isEmpty())
        m_allowed = expand(m_entries, deployments);
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
    if (m_key) {
        const auto alias = m_key->aliases.constFind(requested);
        if (alias != m_key->aliases.constEnd())
            return *alias;
    }
    return requested;
}

ModelAccess::Decision ModelAccess::check(const QString &modelName) const
{
    if (m_entries.isEmpty() || m_allowed.contains(modelName))
        return Decision::Allowed;
    return m_fromUser ? Decision::DeniedByUser : Decision::DeniedByKey;
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
