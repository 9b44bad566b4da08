#include "responsedirectory.h"

namespace Tollgate {

void ResponseDirectory::erase(QHash<QString, Slot>::iterator found)
{
    m_order.erase(found->position);
    const auto own = m_byKey.find(found->entry.tokenHash);
    own->erase(found->keyPosition);
    if (own->empty())
        m_byKey.erase(own);
    m_entries.erase(found);
}

void ResponseDirectory::remember(const QString &responseId, Entry entry)
{
    if (responseId.isEmpty() || m_capacity <= 0)
        return;
    if (auto found = m_entries.find(responseId); found != m_entries.end())
        erase(found);
    // A key at its share makes room from its own oldest; else the oldest of all go. The master key
    // (an empty hash) has no share: it is trusted, and may be all a gateway's callers use.
    if (const auto own = m_byKey.constFind(entry.tokenHash);
        !entry.tokenHash.isEmpty() && own != m_byKey.cend() && qsizetype(own->size()) >= m_perKey)
        erase(m_entries.find(own->front()));
    while (m_entries.size() >= m_capacity && !m_order.empty())
        erase(m_entries.find(m_order.front()));
    m_order.push_back(responseId);
    std::list<QString> &own = m_byKey[entry.tokenHash];
    own.push_back(responseId);
    m_entries.insert(responseId, Slot{std::move(entry), std::prev(m_order.end()), std::prev(own.end())});
}

std::optional<ResponseDirectory::Entry> ResponseDirectory::find(const QString &responseId) const
{
    const auto found = m_entries.constFind(responseId);
    if (found == m_entries.constEnd())
        return std::nullopt;
    return found->entry;
}

void ResponseDirectory::forget(const QString &responseId)
{
    if (auto found = m_entries.find(responseId); found != m_entries.end())
        erase(found);
}

} // namespace Tollgate
