#pragma once

#include "identity.h"

#include <QHash>
#include <QList>

namespace Tollgate {

// Told about every change of a key, user or end user (the ledger mirrors their budgets and
// limits). Not told about spend changes made with the set*Spend functions.
class IIdentityObserver
{
public:
    virtual ~IIdentityObserver() = default;
    virtual void keyChanged(const VirtualKey &key) = 0;
    virtual void keyRemoved(const QString &token) = 0;
    // The key that had `oldToken` is `key` now (regenerated): by default a removal and a new key.
    virtual void keyReplaced(const QString &oldToken, const VirtualKey &key)
    {
        keyRemoved(oldToken);
        keyChanged(key);
    }
    virtual void userChanged(const User &user) = 0;
    virtual void userRemoved(const QString &userId) = 0;
    virtual void endUserChanged(const EndUser &endUser) = 0;
    virtual void endUserRemoved(const QString &userId) = 0;
};

// Keys, users and end users in memory: the hot path's only source (no SQL per request).
// Lives on the gateway thread; loaded from the store at start-up and kept current by every
// management write. Pointers it returns are valid until the next change.
class IdentityRegistry
{
public:
    void clear();
    void setObserver(IIdentityObserver *observer) { m_observer = observer; }

    // Spend and window as the ledger keeps them (no observer call). Says what changed, so
    // the caller can persist only the spend when the budget window stayed where it was.
    enum class BudgetStateChange { Unknown, Spend, SpendAndWindow };
    BudgetStateChange setKeyBudgetState(const QString &token, NanoUsd spend, const QDateTime &resetAt);
    BudgetStateChange setUserBudgetState(const QString &userId, NanoUsd spend, const QDateTime &resetAt);
    BudgetStateChange setEndUserBudgetState(const QString &userId, NanoUsd spend, const QDateTime &resetAt);
    // A key's per-model budget (model_max_budget entry): "spend" and "budget_reset_at" kept in
    // the entry next to budget_limit and time_period.
    bool setKeyModelBudgetState(const QString &token, const QString &model, NanoUsd spend, const QDateTime &resetAt);

    // Keys
    [[nodiscard]] const VirtualKey *keyByToken(const QString &token) const;
    [[nodiscard]] const VirtualKey *keyByAlias(const QString &alias) const;
    // A raw key ("sk-…") or its token (64 hex digits) → the stored key, if any.
    [[nodiscard]] const VirtualKey *findKey(const QString &keyOrToken) const;
    [[nodiscard]] QList<const VirtualKey *> keys() const;             // oldest first
    [[nodiscard]] QList<const VirtualKey *> keysOfUser(const QString &userId) const;
    void putKey(const VirtualKey &key);
    void removeKey(const QString &token);
    // The key that had `oldToken` takes `key`'s token and settings (/key/regenerate): the
    // observer hears one keyReplaced, so what it holds for the key can move with it.
    void replaceKey(const QString &oldToken, const VirtualKey &key);
    // The token a key has now, for a token it had before replaceKey (a call admitted under the
    // old token logs its spend under the key's current one); any other token as it is.
    [[nodiscard]] QString currentToken(const QString &token) const
    {
        return m_replacedTokens.isEmpty() ? token : m_replacedTokens.value(token, token);
    }

    // Users
    [[nodiscard]] const User *user(const QString &userId) const;
    [[nodiscard]] QList<const User *> users() const;                  // oldest first
    void putUser(const User &user);
    void removeUser(const QString &userId);

    // End users
    [[nodiscard]] const EndUser *endUser(const QString &userId) const;
    [[nodiscard]] QList<const EndUser *> endUsers() const;            // oldest first
    void putEndUser(const EndUser &endUser);
    void removeEndUser(const QString &userId);

    [[nodiscard]] qsizetype keyCount() const { return m_keys.size(); }

    // "sk-…" → SHA-256 hex; a 64-hex-digit token is returned as it is.
    static QString tokenOf(const QString &keyOrToken);

private:
    // A key in (or changed) and out of the tables, aliases kept right; the observer is not told.
    void storeKey(const VirtualKey &key);
    bool dropKey(const QString &token);  // false: no such key

    QHash<QString, VirtualKey> m_keys;         // by token
    QHash<QString, QString> m_aliasToToken;
    QHash<QString, QString> m_replacedTokens;  // a replaced key's old token -> its current one
    QHash<QString, User> m_users;
    QHash<QString, EndUser> m_endUsers;
    IIdentityObserver *m_observer = nullptr;
};

} // namespace Tollgate
