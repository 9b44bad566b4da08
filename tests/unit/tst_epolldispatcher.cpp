// The gateway thread's epoll event dispatcher: posted events and wake-ups from other threads,
// timers (order, kills inside a pass, no re-entry, zero timers), socket notifiers (read, write,
// hang-up, one deleted by another's slot in the same pass) and Qt's TCP sockets on top of it.
// Every case runs on a thread of its own with the dispatcher installed, as the gateway's does;
// results are checked on the test's thread after it has joined.

#include "../../proxy/epolldispatcher.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSemaphore>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <functional>
#include <memory>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

using namespace Tollgate;
using namespace Qt::StringLiterals;

namespace {

// Runs `body` on a new thread whose event dispatcher is an EpollEventDispatcher; true when the
// dispatcher was installed (and so is the one `body` ran under).
bool onEpollThread(const std::function<void()> &body)
{
    bool installed = false;
    std::thread thread([&] {
        auto dispatcher = EpollEventDispatcher::create();
        if (!dispatcher)
            return;
        EpollEventDispatcher *raw = dispatcher.get();
        QThread::currentThread()->setEventDispatcher(dispatcher.release());
        installed = QAbstractEventDispatcher::instance() == raw;
        body();
    });
    thread.join();
    return installed;
}

// Ends `loop` after `ms` if nothing else did: a broken dispatcher fails a case, not the run.
void guard(QEventLoop &loop, int ms = 5000)
{
    QTimer::singleShot(ms, &loop, [&loop] { loop.exit(1); });
}

class TimerCounter : public QObject
{
public:
    std::function<void(int id)> onTimer;
    QList<int> fired;

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.append(event->timerId());
        if (onTimer)
            onTimer(event->timerId());
    }
};

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private slots:
    void postedEventsFromAnotherThread()
    {
        constexpr int Posts = 2000;
        int received = 0;
        int exitCode = -1;
        QObject *target = nullptr;
        QSemaphore ready;
        std::thread poster;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            QObject receiver;
            target = &receiver;
            guard(loop);
            // Posts arrive while the loop sleeps in epoll_wait and while it runs.
            poster = std::thread([&] {
                ready.acquire();
                for (int i = 0; i < Posts; ++i) {
                    QMetaObject::invokeMethod(target, [&, i] {
                        ++received;
                        if (i == Posts - 1)
                            loop.exit(0);
                    }, Qt::QueuedConnection);
                    if (i % 100 == 0)
                        QThread::usleep(200);
                }
            });
            QTimer::singleShot(0, &receiver, [&] { ready.release(); });
            exitCode = loop.exec();
            poster.join();
        });
        QVERIFY(installed);
        QCOMPARE(exitCode, 0);
        QCOMPARE(received, Posts);
    }

    void eventsPostedFromTheLoopsOwnThreadAreDelivered()
    {
        // A post from the loop's own thread writes no eventfd (the loop is not asleep): each
        // event here posts the next from inside its own delivery.
        constexpr int Chain = 200;
        int delivered = 0;
        int exitCode = -1;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QObject receiver;
            std::function<void()> next = [&] {
                if (++delivered == Chain)
                    loop.exit(0);
                else
                    QMetaObject::invokeMethod(&receiver, next, Qt::QueuedConnection);
            };
            QMetaObject::invokeMethod(&receiver, next, Qt::QueuedConnection);
            exitCode = loop.exec();
        });
        QVERIFY(installed);
        QCOMPARE(exitCode, 0);
        QCOMPARE(delivered, Chain);
    }

    void postFromAboutToBlockKeepsThePassAwake()
    {
        // A slot on aboutToBlock posts from the loop's own thread after the pass decided to wait:
        // the pass must not then sleep (here until the guard's timer, 5 s away).
        int exitCode = -1;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QObject receiver;
            bool posted = false;
            QObject::connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock, &receiver,
                             [&] {
                                 if (std::exchange(posted, true))
                                     return;
                                 QMetaObject::invokeMethod(&receiver, [&loop] { loop.exit(0); }, Qt::QueuedConnection);
                             });
            exitCode = loop.exec();
        });
        QVERIFY(installed);
        QCOMPARE(exitCode, 0);
    }

    void quitFromAnotherThreadWhileWaiting()
    {
        int exitCode = -1;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            std::thread other([&] {
                QThread::msleep(30);  // the loop is asleep by now, no timer due for seconds
                QMetaObject::invokeMethod(&loop, [&loop] { loop.exit(7); }, Qt::QueuedConnection);
            });
            exitCode = loop.exec();
            other.join();
        });
        QVERIFY(installed);
        QCOMPARE(exitCode, 7);
    }

    void timersFireInOrderAndNotEarly()
    {
        QList<int> order;
        qint64 elapsed20 = -1;
        int repeats = 0;
        int exitCode = -1;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QElapsedTimer clock;
            clock.start();
            // Done once the last single shot has fired and the repeating timer has fired thrice (not
            // by a deadline: a loaded machine may hold this thread off for a while).
            const auto exitWhenDone = [&] {
                if (order.contains(40) && repeats >= 3)
                    loop.exit(0);
            };
            QTimer repeating;
            repeating.setTimerType(Qt::PreciseTimer);
            QObject::connect(&repeating, &QTimer::timeout, [&] { ++repeats; exitWhenDone(); });
            repeating.start(2);
            QTimer::singleShot(40, Qt::PreciseTimer, [&] { order.append(40); exitWhenDone(); });
            QTimer::singleShot(20, Qt::PreciseTimer, [&] { order.append(20); elapsed20 = clock.nsecsElapsed(); });
            QTimer::singleShot(10, Qt::CoarseTimer, [&] { order.append(10); });
            exitCode = loop.exec();
        });
        QVERIFY(installed);
        QCOMPARE(exitCode, 0);
        QCOMPARE(order, (QList<int>{10, 20, 40}));
        QVERIFY2(elapsed20 >= 20'000'000, qPrintable(QString::number(elapsed20)));
        QVERIFY2(repeats >= 3, qPrintable(QString::number(repeats)));
    }

    void timerKilledByAnEarlierOneInTheSamePassDoesNotFire()
    {
        QList<int> fired;
        int first = 0;
        int second = 0;
        QList<QAbstractEventDispatcher::TimerInfo> before;
        QList<QAbstractEventDispatcher::TimerInfo> after;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            TimerCounter counter;
            first = counter.startTimer(5, Qt::PreciseTimer);
            second = counter.startTimer(5, Qt::PreciseTimer);
            before = QAbstractEventDispatcher::instance()->registeredTimers(&counter);
            counter.onTimer = [&](int id) {
                counter.killTimer(id == first ? second : first);
                counter.killTimer(id);
                QTimer::singleShot(30, &loop, [&loop] { loop.exit(0); });
            };
            QThread::msleep(10);  // both are due in the loop's first pass
            loop.exec();
            fired = counter.fired;
            after = QAbstractEventDispatcher::instance()->registeredTimers(&counter);
        });
        QVERIFY(installed);
        QCOMPARE(before.size(), 2);
        QCOMPARE(before.at(0).interval, 5);
        QCOMPARE(fired.size(), 1);
        QVERIFY(after.isEmpty());
    }

    void timerIsNotReenteredByANestedLoop()
    {
        int calls = 0;
        int maxDepth = 0;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            int depth = 0;
            QTimer repeating;
            repeating.setTimerType(Qt::PreciseTimer);
            QObject::connect(&repeating, &QTimer::timeout, [&] {
                ++calls;
                maxDepth = std::max(maxDepth, ++depth);
                if (calls == 1) {
                    QEventLoop nested;  // runs 30 ms: the 1 ms timer is due all that time
                    QTimer::singleShot(30, &nested, [&nested] { nested.quit(); });
                    nested.exec();
                }
                --depth;
                if (calls == 3)
                    loop.exit(0);
            });
            repeating.start(1);
            loop.exec();
        });
        QVERIFY(installed);
        QCOMPARE(calls, 3);
        QCOMPARE(maxDepth, 1);
    }

    void timerFiredByANestedLoopIsNotFiredAgainByTheOuterPass()
    {
        // Both timers are due in the loop's first pass; the first one's event runs a nested loop,
        // which fires the second (and sets it 200 ms ahead). The outer pass, going on after it,
        // must not fire that second timer again before it is due.
        int secondFired = -1;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            TimerCounter counter;
            const int first = counter.startTimer(200, Qt::PreciseTimer);
            counter.startTimer(200, Qt::PreciseTimer);
            counter.onTimer = [&](int id) {
                if (id != first)
                    return;
                counter.killTimer(first);
                QEventLoop nested;
                QTimer::singleShot(10, &nested, [&nested] { nested.quit(); });
                nested.exec();
                // Read when the outer pass has finished (a posted event runs in the next pass).
                QMetaObject::invokeMethod(&loop, [&] { secondFired = int(counter.fired.size()) - 1; loop.exit(0); },
                                          Qt::QueuedConnection);
            };
            QThread::msleep(210);  // both due before the first pass
            loop.exec();
        });
        QVERIFY(installed);
        QCOMPARE(secondFired, 1);
    }

    void zeroTimerFiresEveryPassWithoutStarvingPostedEvents()
    {
        int zeroFired = 0;
        bool postedRan = false;
        int remaining = -2;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QTimer zero;
            QObject::connect(&zero, &QTimer::timeout, [&] {
                if (++zeroFired == 50)
                    QMetaObject::invokeMethod(&loop, [&] { postedRan = true; loop.exit(0); }, Qt::QueuedConnection);
            });
            zero.start(0);
            QTimer later;
            later.start(10'000);
            remaining = later.remainingTime();
            loop.exec();
        });
        QVERIFY(installed);
        QVERIFY(postedRan);
        QVERIFY(zeroFired >= 50);
        QVERIFY2(remaining > 9'000 && remaining <= 10'000, qPrintable(QString::number(remaining)));
    }

    void socketNotifiersReadWriteAndHangUp()
    {
        int fds[2];
        QCOMPARE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
        QByteArray got;
        int writable = 0;
        ssize_t written = -1;
        bool hangUpSeen = false;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QSocketNotifier reader(fds[0], QSocketNotifier::Read);
            QSocketNotifier writer(fds[1], QSocketNotifier::Write);
            QObject::connect(&writer, &QSocketNotifier::activated, [&] {
                ++writable;
                writer.setEnabled(false);  // once: a disabled notifier is not polled
                written = ::write(fds[1], "ping", 4);
            });
            QObject::connect(&reader, &QSocketNotifier::activated, [&] {
                char buffer[16];
                const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
                if (n > 0) {
                    got.append(buffer, n);
                    ::close(fds[1]);  // the peer hangs up: the next activation reads 0
                    fds[1] = -1;
                } else if (n == 0) {
                    hangUpSeen = true;
                    reader.setEnabled(false);
                    QTimer::singleShot(20, &loop, [&loop] { loop.exit(0); });
                }
            });
            loop.exec();
        });
        ::close(fds[0]);
        if (fds[1] >= 0)
            ::close(fds[1]);
        QVERIFY(installed);
        QCOMPARE(got, QByteArray("ping"));
        QCOMPARE(writable, 1);
        QCOMPARE(written, ssize_t(4));
        QVERIFY(hangUpSeen);
    }

    void notifierDeletedByAnotherInTheSamePassIsNotActivated()
    {
        int a[2];
        int b[2];
        QCOMPARE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
        QCOMPARE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
        // Both are readable before the loop starts: one epoll_wait reports both.
        QVERIFY(::write(a[1], "x", 1) == 1);
        QVERIFY(::write(b[1], "y", 1) == 1);
        int activations = 0;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            auto *first = new QSocketNotifier(a[0], QSocketNotifier::Read);
            auto *second = new QSocketNotifier(b[0], QSocketNotifier::Read);
            auto onActivated = [&](QSocketNotifier *self, QSocketNotifier *&other) {
                ++activations;
                delete other;  // the other one is ready in this very pass
                other = nullptr;
                delete self;
                QTimer::singleShot(20, &loop, [&loop] { loop.exit(0); });
            };
            QObject::connect(first, &QSocketNotifier::activated, [&, first] { onActivated(first, second); });
            QObject::connect(second, &QSocketNotifier::activated, [&, second] { onActivated(second, first); });
            loop.exec();
        });
        for (int fd : {a[0], a[1], b[0], b[1]})
            ::close(fd);
        QVERIFY(installed);
        QCOMPARE(activations, 1);
    }

    void dispatcherIsDeletedWithItsThread()
    {
        // Qt owns an installed dispatcher and deletes it when the thread ends: its epoll and
        // eventfd descriptors go with it (GatewayHost starts one per gateway).
        const auto openDescriptors = [] { return QDir(u"/proc/self/fd"_s).count(); };
        const auto before = openDescriptors();
        for (int i = 0; i < 5; ++i) {
            QVERIFY(onEpollThread([] {
                QEventLoop loop;
                QTimer::singleShot(1, &loop, [&loop] { loop.quit(); });
                loop.exec();
            }));
        }
        QCOMPARE(openDescriptors(), before);
    }

    void tcpEchoOverQtSockets()
    {
        QByteArray echoed;
        bool listening = false;
        const bool installed = onEpollThread([&] {
            QEventLoop loop;
            guard(loop);
            QTcpServer server;
            listening = server.listen(QHostAddress::LocalHost);
            if (!listening)
                return;
            QObject::connect(&server, &QTcpServer::newConnection, [&] {
                QTcpSocket *peer = server.nextPendingConnection();
                QObject::connect(peer, &QTcpSocket::readyRead, [peer] { peer->write(peer->readAll()); });
            });
            QTcpSocket client;
            const QByteArray message(200'000, 'z');  // more than one write and one read
            QObject::connect(&client, &QTcpSocket::connected, [&] { client.write(message); });
            QObject::connect(&client, &QTcpSocket::readyRead, [&] {
                echoed += client.readAll();
                if (echoed.size() >= message.size())
                    loop.exit(0);
            });
            client.connectToHost(QHostAddress::LocalHost, server.serverPort());
            loop.exec();
        });
        QVERIFY(installed);
        QVERIFY(listening);
        QCOMPARE(echoed, QByteArray(200'000, 'z'));
    }
};

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
