#pragma once

#include <QDateTime>

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

// A clock the test moves by hand.
class ManualClock final : public IClock
{
public:
    explicit ManualClock(QDateTime start = QDateTime::currentDateTimeUtc()) : m_now(std::move(start)) {}
    [[nodiscard]] QDateTime now() const override { return m_now; }
    void set(const QDateTime &now) { m_now = now; }
    void advance(qint64 seconds) { m_now = m_now.addSecs(seconds); }

private:
    QDateTime m_now;
};

} // namespace Tollgate
