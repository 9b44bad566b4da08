#include "callid.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <mutex>
#include <random>

namespace Tollgate {

namespace CallId {

std::array<std::uint8_t, 16> uuidV7Bytes(std::uint64_t unixMs, std::uint64_t counter, std::uint32_t random)
{
    // unix_ts_ms (48) | ver (4) = 7 | counter high 12 (rand_a) | var (2) = 0b10 | counter low 30 |
    // random 32 (rand_b)
    std::array<std::uint8_t, 16> b{};
    for (int i = 0; i < 6; ++i)
        b[std::size_t(i)] = std::uint8_t(unixMs >> (8 * (5 - i)));
    const std::uint64_t high = (counter >> 30) & 0xfff;
    const std::uint64_t low = counter & 0x3fffffff;
    b[6] = std::uint8_t(0x70 | (high >> 8));
    b[7] = std::uint8_t(high);
    b[8] = std::uint8_t(0x80 | (low >> 24));
    b[9] = std::uint8_t(low >> 16);
    b[10] = std::uint8_t(low >> 8);
    b[11] = std::uint8_t(low);
    b[12] = std::uint8_t(random >> 24);
    b[13] = std::uint8_t(random >> 16);
    b[14] = std::uint8_t(random >> 8);
    b[15] = std::uint8_t(random);
    return b;
}

QString format(const std::array<std::uint8_t, 16> &bytes)
{
    static constexpr char16_t Hex[] = u"0123456789abcdef";
    QString text(36, Qt::Uninitialized);
    QChar *out = text.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *out++ = u'-';
        *out++ = QChar(Hex[bytes[i] >> 4]);
        *out++ = QChar(Hex[bytes[i] & 0xf]);
    }
    return text;
}

} // namespace CallId

namespace {

constexpr std::uint64_t CounterBits = 42;
constexpr std::uint64_t CounterMax = (std::uint64_t(1) << CounterBits) - 1;

struct Generator
{
    std::mutex mutex;
    // Seeded once from the system's generator; the ids' uniqueness comes from the time and the
    // counter, the random bits only keep ids of different processes apart.
    std::mt19937_64 random{QRandomGenerator::system()->generate64()};
    std::uint64_t lastMs = 0;
    std::uint64_t counter = 0;
};

} // namespace

QString newCallId()
{
    static Generator generator;
    const auto now = std::uint64_t(QDateTime::currentMSecsSinceEpoch());
    std::uint64_t ms = 0;
    std::uint64_t counter = 0;
    std::uint64_t random = 0;
    {
        std::lock_guard lock(generator.mutex);
        random = generator.random();
        if (now > generator.lastMs) {
            generator.lastMs = now;
            // A random start with its top bit clear: ids of one millisecond stay unguessable from
            // each other's count, and 2^41 more fit before the counter runs over.
            generator.counter = (random >> 32) & (CounterMax >> 1);
        } else if (generator.counter < CounterMax) {
            ++generator.counter;  // the same millisecond (or the clock stepped back): count on
        } else {
            ++generator.lastMs;   // the counter ran over: the id takes the next millisecond
            generator.counter = 0;
        }
        ms = generator.lastMs;
        counter = generator.counter;
    }
    return CallId::format(CallId::uuidV7Bytes(ms, counter, std::uint32_t(random)));
}

} // namespace Tollgate
