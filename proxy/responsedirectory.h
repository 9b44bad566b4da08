#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

#include <algorithm>
#include <list>
#include <optional>

namespace Tollgate {

// Which deployment created each Responses API response, and for whom: GET/DELETE
// /responses/{id}, …/cancel, …/input_items and a follow-up's previous_response_id go to that
// deployment (the provider keeps the response, not the gateway), and only for the key that
// created it (or an admin). Its tokens bound a follow-up's prompt: the provider adds that
// context to the call unseen. In memory, the most recent `capacity` responses, of which one key
// holds at most `perKey` (its own oldest go first): no key pushes the others' out. The master
// key's (an empty hash) are not held to a share.
class ResponseDirectory
{
public:
    struct Entry
    {
        QString deploymentId;
        QString modelGroup;
        QByteArray tokenHash;   // the creating key's hash; empty: the master key / open access
        qint64 contextTokens = 0;  // input + output of the response (its own context included)
    };

    explicit ResponseDirectory(qsizetype capacity = 100'000, qsizetype perKey = 10'000)
        : m_capacity(capacity), m_perKey(std::max<qsizetype>(perKey, 1))
    {}

    void remember(const QString &responseId, Entry entry);
    [[nodiscard]] std::optional<Entry> find(const QString &responseId) const;
    void forget(const QString &responseId);
    [[nodiscard]] qsizetype size() const { return m_entries.size(); }

private:
    struct Slot;
    void erase(QHash<QString, Slot>::iterator found);

    qsizetype m_capacity;
    qsizetype m_perKey;
    std::list<QString> m_order;  // oldest first
    QHash<QByteArray, std::list<QString>> m_byKey;  // each key's, oldest first
    struct Slot
    {
        Entry entry;
        std::list<QString>::iterator position;
        std::list<QString>::iterator keyPosition;
    };
    QHash<QString, Slot> m_entries;
};

} // namespace Tollgate
