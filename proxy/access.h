#pragma once

#include "../models/identity.h"

#include <QSet>
#include <QString>
#include <QStringList>

namespace Tollgate {

class DeploymentTable;
class IdentityRegistry;
struct Caller;

// Which models a caller may use (api.md §5): those its key's `models` allow AND those its
// user's allow, both read at call time ([] = all; an entry may be a model_name, an access
// group, or "all-proxy-models"), so a key never reaches a model its user may not use, even one
// added (or put into a group) after the key was made. The key's `aliases` map a requested
// name to a model_name first.
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
    // What the error message of a refusal lists: the entries (names and groups) of the list
    // that refused (the key's for DeniedByKey, the user's for DeniedByUser).
    [[nodiscard]] QStringList allowedEntries(Decision denied) const
    {
        return denied == Decision::DeniedByUser ? m_user.entries : m_key.entries;
    }

    // Names and groups expanded to model names ("all-proxy-models" = every group).
    static QSet<QString> expand(const QStringList &entries, const DeploymentTable &deployments);

private:
    // A key's or user's list, checked as it is: names, access groups and "all-proxy-models"
    // (what expand() would give, without building the set on every call).
    struct List
    {
        QStringList entries;      // empty = all
        [[nodiscard]] bool allows(const QString &model, const DeploymentTable &deployments) const;
    };

    const DeploymentTable &m_deployments;
    const VirtualKey *m_virtualKey = nullptr;
    List m_key;
    List m_user;
};

} // namespace Tollgate
