#include "deployments.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

DeploymentTable::DeploymentTable(const QList<Deployment> &deployments)
{
    for (const Deployment &deployment : deployments)
        add(deployment);
}

void DeploymentTable::add(const Deployment &deployment)
{
    auto &group = m_groups[deployment.modelName];
    if (group.members.isEmpty())
        m_order.append(deployment.modelName);
    group.members.append(m_deployments.size());
    m_deployments.append(deployment);
}

const Deployment *DeploymentTable::pick(const QString &modelName)
{
    const auto found = m_groups.find(modelName);
    if (found == m_groups.end() || found->members.isEmpty())
        return nullptr;
    Group &group = *found;
    const qsizetype index = group.members.at(group.next % group.members.size());
    group.next = (group.next + 1) % group.members.size();
    return &m_deployments.at(index);
}

QList<const Deployment *> DeploymentTable::group(const QString &modelName) const
{
    QList<const Deployment *> result;
    const auto found = m_groups.constFind(modelName);
    if (found == m_groups.constEnd())
        return result;
    for (const qsizetype index : found->members)
        result.append(&m_deployments.at(index));
    return result;
}

QHash<QString, QStringList> DeploymentTable::accessGroups() const
{
    QHash<QString, QStringList> groups;
    for (const Deployment &deployment : m_deployments) {
        for (const QString &name : deployment.accessGroups) {
            QStringList &models = groups[name];
            if (!models.contains(deployment.modelName))
                models.append(deployment.modelName);
        }
    }
    return groups;
}

QString providerName(Provider provider)
{
    switch (provider) {
    case Provider::OpenAI: return u"openai"_s;
    case Provider::Azure: return u"azure"_s;
    case Provider::Mock: return u"mock"_s;
    }
    return u"unknown"_s;
}

} // namespace Tollgate
