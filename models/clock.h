#pragma once

#include <QDateTime>
#include <QMutex>

namespace Tollgate {

// Time through an interface, so expiry, budget windows and resets are tested without sleeping.
class IClock
{
public:
    virtual ~IClock() = default;
    [[nodiscard]] virtual QDateTime now() const = 0;   // UTC
};

class SystemClock final : public IClock
{
public:
    [[nodiscard]] QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
    static SystemClock &instance()
    {
        static SystemClock clock;
        return clock;
    }
};

// A clock the test moves by hand (from the test thread while the gateway thread reads it).
class ManualClock final : public IClock
{
public:
    explicit ManualClock(QDateTime start = QDateTime::currentDateTimeUtc()) : m_now(std::move(start)) {}
    [[nodiscard]] QDateTime now() const override
    {
        QMutexLocker lock(&m_mutex);
        return m_now;
    }
    void set(const QDateTime &now)
    {
        QMutexLocker lock(&m_mutex);
        m_now = now;
    }
    void advance(qint64 seconds)
    {
        QMutexLocker lock(&m_mutex);
        m_now = m_now.addSecs(seconds);
    }

private:
    mutable QMutex m_mutex;
    QDateTime m_now;
};

} // namespace Tollgate
