#include "heldanswers.h"

#include <QMetaObject>
#include <QObject>

namespace Tollgate {

HeldAnswers::Room HeldAnswers::take(Share &share, qint64 chunk, qint64 limit)
{
    if (share.bytes + chunk > limit)
        return Room::PastItsLimit;
    if (share.id == 0)
        share.id = ++m_nextId;
    share.bytes += chunk;
    m_held += chunk;
    if (m_held <= maxTotal() || m_overTotal == share.id)
        return Room::Held;
    if (m_overTotal == 0) {
        m_overTotal = share.id;
        return Room::Held;
    }
    return Room::Wait;
}

void HeldAnswers::release(Share &share)
{
    m_held -= share.bytes;
    share.bytes = 0;
    if (share.id != 0 && m_overTotal == share.id)
        m_overTotal = 0;
    if (!m_waiting.empty() && (m_overTotal == 0 || m_held < maxTotal()))
        wakeWaiting();
}

void HeldAnswers::wakeWaiting()
{
    // Every waiting answer reads on; the next part of each finds room, or goes past the total
    // (the first one to, if none does), or waits again.
    std::deque<std::function<void()>> waiting;
    waiting.swap(m_waiting);
    for (auto &resume : waiting) {
        if (m_context)
            QMetaObject::invokeMethod(m_context, std::move(resume), Qt::QueuedConnection);
        else
            resume();
    }
}

} // namespace Tollgate
