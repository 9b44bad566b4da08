#pragma once

#include "../models/config.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace Tollgate {

// The models the gateway serves: deployments grouped by model_name, picked round-robin.
// Lives on the gateway thread; no locking.
class DeploymentTable
{
public:
    DeploymentTable() = default;
    explicit DeploymentTable(const QList<Deployment> &deployments);

    void add(const Deployment &deployment);

    // Next deployment of the group (round robin), or nullptr for an unknown model name.
    const Deployment *pick(const QString &modelName);

    [[nodiscard]] bool contains(const QString &modelName) const { return m_groups.contains(modelName); }
    // Group names in the order they were first declared.
    [[nodiscard]] const QStringList &groupNames() const { return m_order; }
    [[nodiscard]] QList<const Deployment *> group(const QString &modelName) const;
    [[nodiscard]] const QList<Deployment> &all() const { return m_deployments; }
    // Access group name → model names in it.
    [[nodiscard]] QHash<QString, QStringList> accessGroups() const;

private:
    struct Group
    {
        QList<qsizetype> members;  // indexes into m_deployments
        qsizetype next = 0;
    };

    QList<Deployment> m_deployments;
    QHash<QString, Group> m_groups;
    QStringList m_order;
};

QString providerName(Provider provider);

} // namespace Tollgate
