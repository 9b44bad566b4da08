#pragma once

#include <QAbstractEventDispatcher>
#include <QAtomicInt>

#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

namespace Tollgate {

// The gateway thread's event dispatcher on Linux: epoll for socket notifiers, an eventfd for
// wake-ups (one write until the thread has woken), and a plain list of timers.
//
// Qt's default dispatcher on this platform is glib's main loop: every pass prepares, polls and
// checks every source and hands poll() every open socket again, so a pass costs what is open,
// not what is ready (~2.4k instructions a pass, about four passes a relayed call, and poll()
// over all 128 sockets at 64 connections). Here the kernel keeps the interest set: a pass is
// one epoll_wait and the notifiers that are ready.
//
// Semantics as Qt's own UNIX dispatcher (QEventDispatcherUNIX): posted events first, then
// ready socket notifiers (read on IN/HUP/ERR, write on OUT/ERR, exception on PRI), then due
// timers, each at most once a pass; a timer is not fired again while its own event runs; a
// notifier unregistered (or deleted) during a pass is not activated after. Timers are kept to
// the nanosecond whatever their Qt::TimerType (coarse timers simply fire on time). One
// difference: a pass with QEventLoop::ExcludeSocketNotifiers leaves ready sockets alone but
// still wakes for them (the interest set stays in the kernel), so it does not sleep while one
// is ready; nothing on the gateway thread asks for such a pass.
//
// Create it on the thread it is to serve and install it before that thread's first event loop:
// QThread::currentThread()->setEventDispatcher(EpollEventDispatcher::create().release()); Qt
// then owns it and deletes it when the thread ends.
// create() returns nullptr when the kernel refuses epoll or eventfd (Qt's default is used then).
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT

public:
    static std::unique_ptr<EpollEventDispatcher> create();
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

private:
    EpollEventDispatcher(int epollFd, int wakeFd);

    // The notifiers of one descriptor (Qt allows one of each type).
    struct Watch
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        bool pollable = true;  // false: epoll refused it (a regular file), always ready as with poll()
        [[nodiscard]] quint32 events() const;
        [[nodiscard]] bool empty() const { return !read && !write && !exception; }
    };
    struct Timer
    {
        int id;
        qint64 intervalMs;
        Qt::TimerType type;
        QObject *object;
        qint64 dueNs;
        bool inEvent = false;
    };

    void updateWatch(int fd, Watch &watch, bool wasEmpty);
    std::vector<Timer>::iterator timerAt(int timerId);
    Timer *findTimer(int timerId);
    [[nodiscard]] qint64 nextTimerWaitNs(qint64 nowNs) const;  // -1: none
    int activateTimers();
    int activateNotifiers();
    void markPending(int fd, quint32 revents);

    const int m_epollFd;
    const int m_wakeFd;
    const std::thread::id m_owner;  // the thread create() ran on: the one this dispatcher serves
    QAtomicInt m_wakeUps;
    bool m_postedHere = false;  // an event was posted from m_owner since this pass began
    QAtomicInt m_interrupt;
    std::unordered_map<int, Watch> m_watches;
    int m_alwaysReady = 0;  // watches epoll refused
    bool m_nanosecondWaits = true;  // false once the kernel lacked epoll_pwait2
    std::vector<QSocketNotifier *> m_pending;  // this pass's ready notifiers; nulled when unregistered
    std::vector<Timer> m_timers;
    std::vector<int> m_dueTimers;  // the capacity of a pass's list of due timers (activateTimers)
};

} // namespace Tollgate
