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
    // Models changed at run time (/model/update, /model/delete). Both return false for an
    // unknown id. The other deployments of the group keep their place in the rotation;
    // a group left empty disappears. A replacement under another model_name moves to the
    // end of that group (and the group to the end of the order, if new).
    bool remove(const QString &id);
    bool replace(const QString &id, const Deployment &deployment);
    // The deployment with that model_info.id, or nullptr. Valid until the next change.
    [[nodiscard]] const Deployment *find(const QString &id) const;

    // Next deployment of the group (round robin), or nullptr for an unknown model name.
    const Deployment *pick(const QString &modelName);

    [[nodiscard]] bool contains(const QString &modelName) const { return m_groups.contains(modelName); }
    // Group names in the order they were first declared.
    [[nodiscard]] const QStringList &groupNames() const { return m_order; }
    [[nodiscard]] QList<const Deployment *> group(const QString &modelName) const;
    [[nodiscard]] const QList<Deployment> &all() const { return m_deployments; }
    // Access group name → model names in it.
    [[nodiscard]] QHash<QString, QStringList> accessGroups() const;
    // Whether a deployment of model group `modelName` is in access group `group`.
    [[nodiscard]] bool inAccessGroup(const QString &group, const QString &modelName) const;

private:
    [[nodiscard]] qsizetype indexOf(const QString &id) const;

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
