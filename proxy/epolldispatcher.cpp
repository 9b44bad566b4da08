#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimerEvent>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <limits>
#include <thread>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace Tollgate {

Q_LOGGING_CATEGORY(lcDispatcher, "tollgate.dispatcher")

namespace {

constexpr qint64 NsPerMs = 1'000'000;

qint64 monotonicNs()
{
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// epoll_pwait2 (Linux 5.11) waits to the nanosecond; where the kernel lacks it (`nanoseconds` is then cleared for the
// next passes), epoll_wait's milliseconds are rounded up, so that a timer is never woken for before it is due.
int waitForEvents(int epollFd, epoll_event *events, int capacity, qint64 timeoutNs, bool &nanoseconds)
{
    for (;;) {
        int ready = -1;
        if (timeoutNs < 0) {
            ready = epoll_wait(epollFd, events, capacity, -1);
        } else {
            if (nanoseconds) {
                const timespec timeout{time_t(timeoutNs / 1'000'000'000), long(timeoutNs % 1'000'000'000)};
                ready = epoll_pwait2(epollFd, events, capacity, &timeout, nullptr);
                if (ready < 0 && errno == ENOSYS)
                    nanoseconds = false;
            }
            if (!nanoseconds) {
                const qint64 ms = std::min<qint64>((timeoutNs + NsPerMs - 1) / NsPerMs, std::numeric_limits<int>::max());
                ready = epoll_wait(epollFd, events, capacity, int(ms));
            }
        }
        if (ready >= 0 || errno != EINTR)
            return ready;
    }
}

} // namespace

std::unique_ptr<EpollEventDispatcher> EpollEventDispatcher::create()
{
    const int epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (epollFd < 0) {
        qCWarning(lcDispatcher) << "epoll_create1 failed, errno" << errno << "; using Qt's event dispatcher";
        return nullptr;
    }
    const int wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd < 0) {
        qCWarning(lcDispatcher) << "eventfd failed, errno" << errno << "; using Qt's event dispatcher";
        close(epollFd);
        return nullptr;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeFd;
    if (epoll_ctl(epollFd, EPOLL_CTL_ADD, wakeFd, &event) != 0) {
        qCWarning(lcDispatcher) << "epoll_ctl on the wake-up descriptor failed, errno" << errno;
        close(wakeFd);
        close(epollFd);
        return nullptr;
    }
    return std::unique_ptr<EpollEventDispatcher>(new EpollEventDispatcher(epollFd, wakeFd));
}

EpollEventDispatcher::EpollEventDispatcher(int epollFd, int wakeFd)
    : m_epollFd(epollFd), m_wakeFd(wakeFd), m_owner(std::this_thread::get_id())
{
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    close(m_wakeFd);
    close(m_epollFd);
}

quint32 EpollEventDispatcher::Watch::events() const
{
    quint32 events = 0;
    if (read)
        events |= EPOLLIN;
    if (write)
        events |= EPOLLOUT;
    if (exception)
        events |= EPOLLPRI;
    return events;
}

// Brings the kernel's interest set for `fd` in line with `watch` (empty: removed).
void EpollEventDispatcher::updateWatch(int fd, Watch &watch, bool wasEmpty)
{
    if (!watch.pollable) {
        if (watch.empty())
            --m_alwaysReady;
        return;
    }
    epoll_event event{};
    event.events = watch.events();
    event.data.fd = fd;
    int op = watch.empty() ? EPOLL_CTL_DEL : wasEmpty ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(m_epollFd, op, fd, &event) == 0)
        return;
    // The descriptor may have been closed and reused without its notifiers being told (the
    // kernel drops a closed descriptor from the set by itself): try the other operation.
    if (op == EPOLL_CTL_ADD && errno == EEXIST)
        op = EPOLL_CTL_MOD;
    else if (op == EPOLL_CTL_MOD && errno == ENOENT)
        op = EPOLL_CTL_ADD;
    else if (op == EPOLL_CTL_DEL)
        return;  // already gone with the descriptor
    else
        op = -1;
    if (op != -1 && epoll_ctl(m_epollFd, op, fd, &event) == 0)
        return;
    if (errno == EPERM) {
        // Not pollable by epoll (a regular file): always ready, as poll() says of such files.
        watch.pollable = false;
        ++m_alwaysReady;
        return;
    }
    qCWarning(lcDispatcher) << "epoll_ctl failed for socket" << fd << ", errno" << errno;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    Watch &watch = m_watches[fd];
    const bool wasEmpty = watch.empty();
    QSocketNotifier **slot = notifier->type() == QSocketNotifier::Read    ? &watch.read
                             : notifier->type() == QSocketNotifier::Write ? &watch.write
                                                                          : &watch.exception;
    if (*slot && *slot != notifier)
        qCWarning(lcDispatcher) << "two socket notifiers of one type for socket" << fd << "; the later one wins";
    *slot = notifier;
    updateWatch(fd, watch, wasEmpty);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    std::replace(m_pending.begin(), m_pending.end(), notifier, static_cast<QSocketNotifier *>(nullptr));
    const int fd = int(notifier->socket());
    const auto it = m_watches.find(fd);
    if (it == m_watches.end())
        return;
    Watch &watch = it->second;
    bool changed = false;
    for (QSocketNotifier **slot : {&watch.read, &watch.write, &watch.exception}) {
        if (*slot == notifier) {
            *slot = nullptr;
            changed = true;
        }
    }
    if (!changed)
        return;
    updateWatch(fd, watch, false);
    if (watch.empty())
        m_watches.erase(it);
}

void EpollEventDispatcher::markPending(int fd, quint32 revents)
{
    const auto it = m_watches.find(fd);
    if (it == m_watches.end())
        return;
    const Watch &watch = it->second;
    // As QEventDispatcherUNIX reads poll()'s answer.
    if (watch.read && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        m_pending.push_back(watch.read);
    if (watch.write && (revents & (EPOLLOUT | EPOLLERR)))
        m_pending.push_back(watch.write);
    if (watch.exception && (revents & EPOLLPRI))
        m_pending.push_back(watch.exception);
}

int EpollEventDispatcher::activateNotifiers()
{
    int activated = 0;
    // m_pending shrinks only here; unregisterSocketNotifier nulls entries, so index, not iterate.
    for (std::size_t i = 0; i < m_pending.size(); ++i) {
        QSocketNotifier *notifier = m_pending[i];
        if (!notifier)
            continue;
        m_pending[i] = nullptr;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    m_pending.clear();
    return activated;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qCWarning(lcDispatcher) << "registerTimer: invalid arguments";
        return;
    }
    m_timers.push_back(Timer{timerId, interval, timerType, object, monotonicNs() + interval * NsPerMs});
}

std::vector<EpollEventDispatcher::Timer>::iterator EpollEventDispatcher::timerAt(int timerId)
{
    return std::find_if(m_timers.begin(), m_timers.end(), [timerId](const Timer &t) { return t.id == timerId; });
}

EpollEventDispatcher::Timer *EpollEventDispatcher::findTimer(int timerId)
{
    const auto it = timerAt(timerId);
    return it == m_timers.end() ? nullptr : &*it;
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = timerAt(timerId);
    if (it == m_timers.end())
        return false;
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const auto before = m_timers.size();
    std::erase_if(m_timers, [object](const Timer &t) { return t.object == object; });
    return m_timers.size() != before;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> timers;
    for (const Timer &t : m_timers) {
        if (t.object == object)
            timers.append(TimerInfo(t.id, int(t.intervalMs), t.type));
    }
    return timers;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const Timer *timer = findTimer(timerId);
    if (!timer)
        return -1;
    const qint64 left = timer->dueNs - monotonicNs();
    return left <= 0 ? 0 : int((left + NsPerMs - 1) / NsPerMs);
}

qint64 EpollEventDispatcher::nextTimerWaitNs(qint64 nowNs) const
{
    qint64 wait = -1;
    for (const Timer &t : m_timers) {
        if (t.inEvent)
            continue;  // cannot fire until its own event returns
        const qint64 left = std::max<qint64>(0, t.dueNs - nowNs);
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_timers.empty())
        return 0;
    const qint64 now = monotonicNs();
    // This pass's list, taken from the member (which only keeps its capacity): a nested loop
    // run from one of the events below activates timers with a list of its own.
    std::vector<int> due = std::exchange(m_dueTimers, {});
    due.clear();
    for (const Timer &t : m_timers) {
        if (!t.inEvent && t.dueNs <= now)
            due.push_back(t.id);
    }
    int fired = 0;
    // Each due timer fires once; one killed (or its object deleted) by an earlier one's event
    // is no longer found, and one a nested loop fired meanwhile is no longer due. m_timers may
    // grow while an event runs: look a timer up again after.
    for (const int id : due) {
        Timer *timer = findTimer(id);
        if (!timer || timer->inEvent || timer->dueNs > now)
            continue;
        const qint64 interval = timer->intervalMs * NsPerMs;
        timer->dueNs += interval;
        if (timer->dueNs <= now)
            timer->dueNs = now + interval;  // fell behind: no burst of catch-up events
        timer->inEvent = true;
        QObject *object = timer->object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
        if (Timer *after = findTimer(id))
            after->inEvent = false;
    }
    m_dueTimers = std::move(due);
    return fired;
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupt.storeRelaxed(0);
    Q_EMIT awake();
    m_postedHere = false;
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // An event posted here while the pass ran (left for the next pass by sendPostedEvents)
    // keeps this pass from sleeping: such a post wrote no eventfd (wakeUp).
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupt.loadRelaxed() && !m_postedHere;
    if (m_interrupt.loadRelaxed())
        return false;

    qint64 timeoutNs = 0;
    if (canWait && m_alwaysReady == 0) {
        timeoutNs = includeTimers ? nextTimerWaitNs(monotonicNs()) : -1;
        if (timeoutNs != 0) {
            Q_EMIT aboutToBlock();
            if (m_postedHere)
                timeoutNs = 0;  // a slot connected to aboutToBlock posted something
        }
    }

    std::array<epoll_event, 256> events;
    const int ready = waitForEvents(m_epollFd, events.data(), int(events.size()), timeoutNs, m_nanosecondWaits);
    if (ready < 0)
        qCWarning(lcDispatcher) << "epoll_wait failed, errno" << errno;

    int handled = 0;
    for (int i = 0; i < ready; ++i) {
        const int fd = events[std::size_t(i)].data.fd;
        if (fd == m_wakeFd) {
            eventfd_t value;
            eventfd_read(m_wakeFd, &value);
            m_wakeUps.storeRelease(0);
            ++handled;
        } else if (includeNotifiers) {
            markPending(fd, events[std::size_t(i)].events);
        }
    }
    if (includeNotifiers && m_alwaysReady > 0) {
        for (const auto &[fd, watch] : m_watches) {
            if (!watch.pollable)
                markPending(fd, EPOLLIN | EPOLLOUT);
        }
    }
    if (includeNotifiers)
        handled += activateNotifiers();
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

void EpollEventDispatcher::wakeUp()
{
    // Called on every postEvent. From this dispatcher's own thread the loop is not asleep (it is
    // the caller): a note for processEvents does, with no write and no read of the eventfd and
    // no extra pass (a call posts to its own thread about once: the store's answer). From any
    // other thread: one write until the loop has read it.
    if (std::this_thread::get_id() == m_owner) {
        m_postedHere = true;
        return;
    }
    if (m_wakeUps.testAndSetAcquire(0, 1))
        eventfd_write(m_wakeFd, 1);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupt.storeRelaxed(1);
    wakeUp();
}

} // namespace Tollgate
