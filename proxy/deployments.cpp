#include "deployments.h"

#include <algorithm>

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

qsizetype DeploymentTable::indexOf(const QString &id) const
{
    for (qsizetype i = 0; i < m_deployments.size(); ++i) {
        if (m_deployments.at(i).id == id)
            return i;
    }
    return -1;
}

const Deployment *DeploymentTable::find(const QString &id) const
{
    const qsizetype index = indexOf(id);
    return index < 0 ? nullptr : &m_deployments.at(index);
}

bool DeploymentTable::remove(const QString &id)
{
    const qsizetype index = indexOf(id);
    if (index < 0)
        return false;
    const QString name = m_deployments.at(index).modelName;
    m_deployments.removeAt(index);

    Group &group = m_groups[name];
    const qsizetype position = group.members.indexOf(index);
    group.members.removeAt(position);
    // Whoever was due next stays due next.
    if (position < group.next)
        --group.next;
    if (group.members.isEmpty()) {
        m_groups.remove(name);
        m_order.removeOne(name);
    } else {
        group.next %= group.members.size();
    }
    // Indexes behind the removed one moved down by one.
    for (Group &other : m_groups) {
        for (qsizetype &member : other.members) {
            if (member > index)
                --member;
        }
    }
    return true;
}

bool DeploymentTable::replace(const QString &id, const Deployment &deployment)
{
    const qsizetype index = indexOf(id);
    if (index < 0)
        return false;
    if (m_deployments.at(index).modelName == deployment.modelName) {
        m_deployments[index] = deployment;
        return true;
    }
    remove(id);
    add(deployment);
    return true;
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

bool DeploymentTable::inAccessGroup(const QString &group, const QString &modelName) const
{
    return std::any_of(m_deployments.cbegin(), m_deployments.cend(), [&](const Deployment &deployment) {
        return deployment.modelName == modelName && deployment.accessGroups.contains(group);
    });
}

QString providerName(Provider provider)
{
    switch (provider) {
    case Provider::OpenAI: return u"openai"_s;
    case Provider::Azure: return u"azure"_s;
    case Provider::Anthropic: return u"anthropic"_s;
    case Provider::Mock: return u"mock"_s;
    }
    return u"unknown"_s;
}

} // namespace Tollgate
