#pragma once

#include <QtGlobal>

#include <deque>
#include <functional>

class QObject;

namespace Tollgate {

// The non-streamed answers the gateway holds whole until they are recorded (relayed calls,
// forwarded answers), on the gateway thread. Each answer at most `maxEach` bytes
// (general_settings.max_response_size_mb; a responder may lower it); all of them together at
// most `maxTotal` (twice that), a provider's flood of huge answers took the memory.
//
// An answer that finds the total full does not fail (before, the call whose bytes came next
// was refused and charged its hold, whoever's it was): one answer at a time may go on past the
// total, every other one stops reading its provider (which waits, TCP pushing back) until
// answers held before it are let go. What is held stays within `maxTotal`, plus one answer,
// plus a read's worth for each waiting one; and the answer past the total always ends (its
// limit, its deadline), so waiting answers never wait only on each other.
class HeldAnswers
{
public:
    // One answer's share: `bytes` held of it; its id names it while it goes past the total.
    struct Share
    {
        qint64 bytes = 0;
        quint64 id = 0;
    };

    explicit HeldAnswers(QObject *context = nullptr) : m_context(context) {}

    void setContext(QObject *context) { m_context = context; }
    void setLimits(qint64 maxEach) { m_maxEach = maxEach; }
    [[nodiscard]] qint64 maxEach() const { return m_maxEach; }
    [[nodiscard]] qint64 maxTotal() const { return 2 * m_maxEach; }
    [[nodiscard]] qint64 held() const { return m_held; }
    [[nodiscard]] int waiting() const { return static_cast<int>(m_waiting.size()); }

    enum class Room {
        Held,         // `chunk` is held: read on
        Wait,         // held, but the total is full: stop reading, and waitForRoom
        PastItsLimit  // not held: the answer passed its limit
    };
    // Holds `chunk` more bytes of `share` (an answer of at most `limit` bytes).
    [[nodiscard]] Room take(Share &share, qint64 chunk, qint64 limit);
    // After Wait: `resume` runs from the event loop (never from inside release) once answers
    // were let go.
    void waitForRoom(std::function<void()> resume) { m_waiting.push_back(std::move(resume)); }
    // The answer's bytes are no longer held (it was answered, refused or dropped).
    void release(Share &share);

private:
    void wakeWaiting();

    QObject *m_context = nullptr;   // the gateway thread's object: resumes run there
    qint64 m_maxEach = 256LL * 1024 * 1024;
    qint64 m_held = 0;
    quint64 m_nextId = 0;
    quint64 m_overTotal = 0;        // the share that may go past the total (0: none)
    std::deque<std::function<void()>> m_waiting;
};

} // namespace Tollgate
