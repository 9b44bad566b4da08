#include "responsedirectory.h"

namespace Tollgate {

void ResponseDirectory::remember(const QString &responseId, Entry entry)
{
    if (responseId.isEmpty() || m_capacity <= 0)
        return;
    if (auto found = m_entries.find(responseId); found != m_entries.end()) {
        m_order.erase(found->position);
        m_entries.erase(found);
    }
    while (m_entries.size() >= m_capacity && !m_order.empty()) {
        m_entries.remove(m_order.front());
        m_order.pop_front();
    }
    m_order.push_back(responseId);
    m_entries.insert(responseId, Slot{std::move(entry), std::prev(m_order.end())});
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
    if (auto found = m_entries.find(responseId); found != m_entries.end()) {
        m_order.erase(found->position);
        m_entries.erase(found);
    }
}

} // namespace Tollgate
