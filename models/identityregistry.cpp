#include "identityregistry.h"

#include <QCryptographicHash>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// Ties (same millisecond, or a fixed test clock) are broken by the hash key, not by
// address: addresses change when the hash grows, and /key/list pages must not shift.
template<typename T>
QList<const T *> oldestFirst(const QHash<QString, T> &items)
{
    QList<std::pair<const QString *, const T *>> entries;
    entries.reserve(items.size());
    for (auto it = items.cbegin(); it != items.cend(); ++it)
        entries.append({&it.key(), &it.value()});
    std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) {
        if (a.second->createdAt != b.second->createdAt)
            return a.second->createdAt < b.second->createdAt;
        return *a.first < *b.first;
    });
    QList<const T *> list;
    list.reserve(entries.size());
    for (const auto &entry : entries)
        list.append(entry.second);
    return list;
}

bool isToken(const QString &text)
{
    if (text.size() != 64)
        return false;
    return std::all_of(text.begin(), text.end(), [](QChar c) {
        return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f');
    });
}

} // namespace

void IdentityRegistry::clear()
{
    m_keys.clear();
    m_aliasToToken.clear();
    m_replacedTokens.clear();
    m_users.clear();
    m_endUsers.clear();
}

QString IdentityRegistry::tokenOf(const QString &keyOrToken)
{
    if (isToken(keyOrToken))
        return keyOrToken;
    return QString::fromLatin1(
        QCryptographicHash::hash(keyOrToken.toUtf8(), QCryptographicHash::Sha256).toHex());
}

const VirtualKey *IdentityRegistry::keyByToken(const QString &token) const
{
    const auto found = m_keys.constFind(token);
    return found == m_keys.constEnd() ? nullptr : &*found;
}

const VirtualKey *IdentityRegistry::keyByAlias(const QString &alias) const
{
    const auto found = m_aliasToToken.constFind(alias);
    return found == m_aliasToToken.constEnd() ? nullptr : keyByToken(*found);
}

const VirtualKey *IdentityRegistry::findKey(const QString &keyOrToken) const
{
    if (keyOrToken.isEmpty())
        return nullptr;
    return keyByToken(tokenOf(keyOrToken));
}

QList<const VirtualKey *> IdentityRegistry::keys() const
{
    return oldestFirst(m_keys);
}

QList<const VirtualKey *> IdentityRegistry::keysOfUser(const QString &userId) const
{
    QList<const VirtualKey *> list;
    for (const VirtualKey *key : keys()) {
        if (key->userId == userId)
            list.append(key);
    }
    return list;
}

void IdentityRegistry::putKey(const VirtualKey &key)
{
    storeKey(key);
    if (m_observer)
        m_observer->keyChanged(key);
}

void IdentityRegistry::removeKey(const QString &token)
{
    if (!dropKey(token))
        return;
    if (m_observer)
        m_observer->keyRemoved(token);
}

void IdentityRegistry::replaceKey(const QString &oldToken, const VirtualKey &key)
{
    if (oldToken == key.token || !dropKey(oldToken)) {
        putKey(key);
        return;
    }
    storeKey(key);
    // Earlier tokens of the key lead to the new one too (a key regenerated twice); the new
    // token is current, whatever it led to before (a regeneration undone).
    m_replacedTokens.remove(key.token);
    for (auto it = m_replacedTokens.begin(); it != m_replacedTokens.end(); ++it) {
        if (it.value() == oldToken)
            it.value() = key.token;
    }
    m_replacedTokens.insert(oldToken, key.token);
    if (m_observer)
        m_observer->keyReplaced(oldToken, key);
}

void IdentityRegistry::storeKey(const VirtualKey &key)
{
    // Only drop the old alias if it still points here: it may have moved to another key.
    if (const VirtualKey *old = keyByToken(key.token); old && m_aliasToToken.value(old->keyAlias) == key.token)
        m_aliasToToken.remove(old->keyAlias);
    m_keys.insert(key.token, key);
    if (!key.keyAlias.isEmpty())
        m_aliasToToken.insert(key.keyAlias, key.token);
}

bool IdentityRegistry::dropKey(const QString &token)
{
    const auto found = m_keys.find(token);
    if (found == m_keys.end())
        return false;
    if (m_aliasToToken.value(found->keyAlias) == token)
        m_aliasToToken.remove(found->keyAlias);
    m_keys.erase(found);
    return true;
}

const User *IdentityRegistry::user(const QString &userId) const
{
    const auto found = m_users.constFind(userId);
    return found == m_users.constEnd() ? nullptr : &*found;
}

QList<const User *> IdentityRegistry::users() const
{
    return oldestFirst(m_users);
}

void IdentityRegistry::putUser(const User &user)
{
    m_users.insert(user.userId, user);
    if (m_observer)
        m_observer->userChanged(user);
}

void IdentityRegistry::removeUser(const QString &userId)
{
    m_users.remove(userId);
    if (m_observer)
        m_observer->userRemoved(userId);
}

const EndUser *IdentityRegistry::endUser(const QString &userId) const
{
    const auto found = m_endUsers.constFind(userId);
    return found == m_endUsers.constEnd() ? nullptr : &*found;
}

QList<const EndUser *> IdentityRegistry::endUsers() const
{
    return oldestFirst(m_endUsers);
}

void IdentityRegistry::putEndUser(const EndUser &endUser)
{
    m_endUsers.insert(endUser.userId, endUser);
    if (m_observer)
        m_observer->endUserChanged(endUser);
}

void IdentityRegistry::removeEndUser(const QString &userId)
{
    m_endUsers.remove(userId);
    if (m_observer)
        m_observer->endUserRemoved(userId);
}

} // namespace Tollgate

namespace Tollgate {

namespace {

template<typename T>
IdentityRegistry::BudgetStateChange setState(QHash<QString, T> &items, const QString &id, NanoUsd spend,
                                             const QDateTime &resetAt)
{
    const auto found = items.find(id);
    if (found == items.end())
        return IdentityRegistry::BudgetStateChange::Unknown;
    found->budget.spend = spend;
    if (!resetAt.isValid() || found->budget.resetAt == resetAt)
        return IdentityRegistry::BudgetStateChange::Spend;
    found->budget.resetAt = resetAt;
    return IdentityRegistry::BudgetStateChange::SpendAndWindow;
}

} // namespace

IdentityRegistry::BudgetStateChange IdentityRegistry::setKeyBudgetState(const QString &token, NanoUsd spend, const QDateTime &resetAt)
{
    return setState(m_keys, token, spend, resetAt);
}

IdentityRegistry::BudgetStateChange IdentityRegistry::setUserBudgetState(const QString &userId, NanoUsd spend, const QDateTime &resetAt)
{
    return setState(m_users, userId, spend, resetAt);
}

bool IdentityRegistry::setKeyModelBudgetState(const QString &token, const QString &model, NanoUsd spend,
                                              const QDateTime &resetAt)
{
    const auto found = m_keys.find(token);
    if (found == m_keys.end() || !found->modelMaxBudget.contains(model))
        return false;
    QJsonObject entry = found->modelMaxBudget.value(model).toObject();
    entry.insert(u"spend"_s, nanosToUsd(spend));
    if (resetAt.isValid())
        entry.insert(u"budget_reset_at"_s, IdentityJson::time(resetAt));
    found->modelMaxBudget.insert(model, entry);
    return true;
}

IdentityRegistry::BudgetStateChange IdentityRegistry::setEndUserBudgetState(const QString &userId, NanoUsd spend, const QDateTime &resetAt)
{
    return setState(m_endUsers, userId, spend, resetAt);
}

} // namespace Tollgate
