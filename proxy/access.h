#pragma once

#include "../models/identity.h"

#include <QSet>
#include <QString>
#include <QStringList>

namespace Tollgate {

class DeploymentTable;
class IdentityRegistry;
struct Caller;

// Which models a caller may use (api.md §5): the key's `models`, else its user's; [] = all;
// an entry may be a model_name, an access group, or "all-proxy-models"; the key's
// `aliases` map a requested name to a model_name first.
class ModelAccess
{
public:
    enum class Decision { Allowed, DeniedByKey, DeniedByUser };

    ModelAccess(const Caller &caller, const IdentityRegistry *identities, const DeploymentTable &deployments);

    // The model_name a requested name stands for (the key's aliases), or the name itself.
    [[nodiscard]] QString resolve(const QString &requested) const;
    [[nodiscard]] Decision check(const QString &modelName) const;
    // Model groups the caller may use, in the table's order.
    [[nodiscard]] QStringList allowedModels() const;
    // What the error message lists: the configured entries (names and groups).
    [[nodiscard]] QStringList allowedEntries() const { return m_entries; }

    // Names and groups expanded to model names ("all-proxy-models" = every group).
    static QSet<QString> expand(const QStringList &entries, const DeploymentTable &deployments);

private:
    const DeploymentTable &m_deployments;
    const VirtualKey *m_key = nullptr;
    QStringList m_entries;      // the list that applies (empty = all)
    bool m_fromUser = false;
    QSet<QString> m_allowed;
};

} // namespace Tollgate
