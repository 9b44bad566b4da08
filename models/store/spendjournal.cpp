#include "spendjournal.h"

#include "../identityregistry.h"
#include "identityrepository.h"
#include "leaserepository.h"
#include "store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMutexLocker>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtEndian>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Tollgate {

Q_LOGGING_CATEGORY(lcJournal, "tollgate.journal")

namespace {

// Record framing: payload length (4 bytes, big endian), CRC-16 of the payload (2 bytes),
// payload (a format version byte, then the fields as Writer puts them).
constexpr int HeaderBytes = 6;
// Version 3: a budget's entry is what the call added (and the global budget's period);
// version 2 (still read) held the budget's new total.
constexpr quint8 FormatVersion = 3;
constexpr quint8 AbsoluteFormatVersion = 2;
constexpr quint32 MaxRecordBytes = 16 * 1024 * 1024;
constexpr qint64 NoTime = std::numeric_limits<qint64>::min();

qint64 msecs(const QDateTime &time)
{
    return time.isValid() ? time.toMSecsSinceEpoch() : NoTime;
}

QDateTime fromMsecs(qint64 value)
{
    return value == NoTime ? QDateTime() : QDateTime::fromMSecsSinceEpoch(value, Qt::UTC);
}

QString segmentPrefix(const QString &databasePath)
{
    return QFileInfo(databasePath).fileName() + u"-spend-"_s;
}

// `attempt` > 0 names a fresh file for a sequence number whose first file took a write error.
QString segmentPath(const QString &databasePath, qint64 firstSeq, int attempt)
{
    const QFileInfo database(databasePath);
    QString name = segmentPrefix(databasePath) + u"%1"_s.arg(firstSeq, 20, 10, QChar(u'0'));
    if (attempt > 0)
        name += u"-%1"_s.arg(attempt);
    return database.absoluteDir().filePath(name + u".journal"_s);
}

// CRC-16/X-25, the value qChecksum (Qt::ChecksumIso3309) gives, eight bytes a step (slicing-by-8):
// Qt's goes a nibble at a time, and each call's record costs it ~9k instructions on the gateway
// thread. Tables[k][b]: the CRC of byte b followed by k zero bytes.
struct Crc16Tables
{
    quint16 t[8][256];
    constexpr Crc16Tables() : t{}
    {
        for (int b = 0; b < 256; ++b) {
            quint16 crc = quint16(b);
            for (int bit = 0; bit < 8; ++bit)
                crc = (crc & 1) ? quint16((crc >> 1) ^ 0x8408) : quint16(crc >> 1);
            t[0][b] = crc;
        }
        for (int k = 1; k < 8; ++k) {
            for (int b = 0; b < 256; ++b)
                t[k][b] = quint16((t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff]);
        }
    }
};
constexpr Crc16Tables Crc16{};

quint16 crc16(QByteArrayView data)
{
    const auto *p = reinterpret_cast<const uchar *>(data.data());
    qsizetype n = data.size();
    quint16 crc = 0xffff;
    const auto &t = Crc16.t;
    while (n >= 8) {
        const quint16 x = quint16(crc ^ (p[0] | (p[1] << 8)));
        crc = quint16(t[7][x & 0xff] ^ t[6][x >> 8] ^ t[5][p[2]] ^ t[4][p[3]] ^ t[3][p[4]] ^ t[2][p[5]]
                      ^ t[1][p[6]] ^ t[0][p[7]]);
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        crc = quint16((crc >> 8) ^ t[0][(crc ^ *p++) & 0xff]);
    return quint16(~crc);
}

// Fields in the machine's byte order (the journal never leaves it): integers as 8 bytes,
// strings as their UTF-16 length (4 bytes, -1 for a null string) and code units.
// A record is written twice through the same field list (writeFields): once by a Sizer that
// adds up its bytes, then by a Writer into a buffer of exactly that size — one allocation and
// a memcpy per field, where QByteArray::append cost ~115 instructions a field.
class Sizer
{
public:
    void integer(qint64) { m_size += qsizetype(sizeof(qint64)); }
    void text(const QString &value) { m_size += qsizetype(sizeof(qint32)) + value.size() * qsizetype(sizeof(QChar)); }
    [[nodiscard]] qsizetype size() const { return m_size; }

private:
    qsizetype m_size = 0;
};

class Writer
{
public:
    explicit Writer(char *out) : m_out(out) {}
    void integer(qint64 value) { put(&value, sizeof value); }
    void text(const QString &value)
    {
        const qint32 size = value.isNull() ? -1 : qint32(value.size());
        put(&size, sizeof size);
        put(value.constData(), size_t(value.size()) * sizeof(QChar));
    }
    [[nodiscard]] const char *end() const { return m_out; }

private:
    void put(const void *data, size_t bytes)
    {
        std::memcpy(m_out, data, bytes);
        m_out += bytes;
    }

    char *m_out;
};

class Reader
{
public:
    explicit Reader(QByteArrayView in) : m_in(in) {}
    qint64 integer()
    {
        qint64 value = 0;
        take(&value, sizeof value);
        return value;
    }
    QString text()
    {
        qint32 size = 0;
        take(&size, sizeof size);
        if (size < 0 || !m_ok)
            return {};
        if (qsizetype(size) * 2 > m_in.size() - m_at) {
            m_ok = false;
            return {};
        }
        QString value(reinterpret_cast<const QChar *>(m_in.data() + m_at), size);
        m_at += qsizetype(size) * 2;
        return value;
    }
    [[nodiscard]] bool ok() const { return m_ok && m_at == m_in.size(); }
    [[nodiscard]] bool good() const { return m_ok; }
    [[nodiscard]] bool atEnd() const { return m_at >= m_in.size(); }

private:
    void take(void *to, size_t bytes)
    {
        if (!m_ok || qsizetype(bytes) > m_in.size() - m_at) {
            m_ok = false;
            return;
        }
        memcpy(to, m_in.data() + m_at, bytes);
        m_at += qsizetype(bytes);
    }

    QByteArrayView m_in;
    qsizetype m_at = 0;
    bool m_ok = true;
};

std::optional<JournalRecord> decode(QByteArrayView payload)
{
    if (payload.isEmpty())
        return std::nullopt;
    const quint8 version = quint8(payload.front());
    if (version != FormatVersion && version != AbsoluteFormatVersion)
        return std::nullopt;
    Reader in(payload.sliced(1));
    JournalRecord record;
    SpendLogRow &row = record.row;
    record.seq = in.integer();
    row.requestId = in.text();
    row.callType = in.text();
    row.apiKey = in.text();
    row.spend = in.integer();
    row.promptTokens = in.integer();
    row.completionTokens = in.integer();
    row.totalTokens = in.integer();
    row.startTime = fromMsecs(in.integer());
    row.endTime = fromMsecs(in.integer());
    row.model = in.text();
    row.modelGroup = in.text();
    row.modelId = in.text();
    row.userId = in.text();
    row.endUser = in.text();
    row.status = in.text();
    const qint64 flags = in.integer();
    row.costEstimated = flags & 1;
    row.priceUnknown = flags & 2;
    const qint64 count = in.integer();
    if (!in.good() || count < 0 || count > 64)
        return std::nullopt;
    for (qint64 i = 0; i < count; ++i) {
        JournalBudgetState state;
        const qint64 kind = in.integer();
        if (kind < 0 || kind > qint64(LedgerScope::Kind::KeyModel))
            return std::nullopt;
        state.scope.kind = LedgerScope::Kind(kind);
        state.scope.id = in.text();
        state.added = in.integer();
        state.resetAt = fromMsecs(in.integer());
        if (version == AbsoluteFormatVersion)
            state.absolute = true;
        else
            state.duration = in.text();
        record.states.append(state);
    }
    // Fields added later go after the states, each group after the one before it: a record
    // written before a group just ends there (and reads as 0 / "" for it).
    if (!in.atEnd())
        row.cachedTokens = in.integer();
    if (!in.atEnd()) {
        row.cacheWriteTokens = in.integer();
        row.cacheWrite1hTokens = in.integer();
        row.dialect = in.text();
        row.sessionId = in.text();
    }
    if (!in.atEnd()) {
        row.httpStatus = int(in.integer());
        row.reason = in.text();
    }
    if (!in.ok() || record.seq <= 0)
        return std::nullopt;
    return record;
}

std::optional<QVariant> selectOne(QSqlDatabase &db, const QString &sql, const QVariantList &values)
{
    QSqlQuery query(db);
    query.prepare(sql);
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec() || !query.next())
        return std::nullopt;
    return query.value(0);
}

// Format 2 records (a journal left by a Tollgate from before spend increments) hold each
// budget's new total: they are put back the way that gateway kept them, through an
// IdentityRegistry loaded from the database (the gateway's own setters), then the rows it
// touched written with the repository's save jobs; the global budget through its settings row.
class StateReplay
{
public:
    Result<void> apply(QSqlDatabase &db, const JournalBudgetState &state)
    {
        if (!m_loaded) {
            auto snapshot = IdentityRepository::loadAll(db);
            if (!snapshot)
                return snapshot.error();
            for (const User &user : std::as_const(snapshot->users))
                m_registry.putUser(user);
            for (const VirtualKey &key : std::as_const(snapshot->keys))
                m_registry.putKey(key);
            for (const EndUser &endUser : std::as_const(snapshot->endUsers))
                m_registry.putEndUser(endUser);
            m_loaded = true;
        }
        using Change = IdentityRegistry::BudgetStateChange;
        const QString &id = state.scope.id;
        switch (state.scope.kind) {
        case LedgerScope::Kind::Key:
            if (m_registry.setKeyBudgetState(id, state.added, state.resetAt) != Change::Unknown)
                m_keys.insert(id);
            break;
        case LedgerScope::Kind::User:
            if (m_registry.setUserBudgetState(id, state.added, state.resetAt) != Change::Unknown)
                m_users.insert(id);
            break;
        case LedgerScope::Kind::EndUser:
            if (m_registry.setEndUserBudgetState(id, state.added, state.resetAt) != Change::Unknown)
                m_endUsers.insert(id);
            break;
        case LedgerScope::Kind::KeyModel: {
            const qsizetype split = id.indexOf(u'\n');
            if (split > 0 && m_registry.setKeyModelBudgetState(id.left(split), id.mid(split + 1), state.added,
                                                               state.resetAt))
                m_keys.insert(id.left(split));
            break;
        }
        case LedgerScope::Kind::Global:
            m_global = state;
            break;
        }
        return {};
    }

    Result<void> save(QSqlDatabase &db) const
    {
        QList<Store::WriteJob> jobs;
        for (const QString &token : m_keys)
            jobs.append(IdentityRepository::saveKey(*m_registry.keyByToken(token)));
        for (const QString &userId : m_users)
            jobs.append(IdentityRepository::saveUser(*m_registry.user(userId)));
        for (const QString &userId : m_endUsers)
            jobs.append(IdentityRepository::saveEndUser(*m_registry.endUser(userId)));
        if (m_global) {
            // Only a global budget that was kept has a window to restore; its period stays.
            const QJsonObject stored = IdentityRepository::loadGlobalSpend(db);
            if (!stored.isEmpty()) {
                jobs.append(IdentityRepository::saveGlobalSpend(m_global->added, m_global->resetAt,
                                                                stored.value(u"budget_duration"_s).toString()));
            }
        }
        return IdentityRepository::all(jobs)(db);
    }

private:
    bool m_loaded = false;
    IdentityRegistry m_registry;
    QSet<QString> m_keys;
    QSet<QString> m_users;
    QSet<QString> m_endUsers;
    std::optional<JournalBudgetState> m_global;
};

} // namespace

const QString SpendJournal::CommittedSetting = u"spend_journal_seq"_s;

SpendJournal::SpendJournal(QString databasePath, qint64 nextSeq, qint64 segmentBytes, int lockFd)
    : m_databasePath(std::move(databasePath))
    , m_nextSeq(std::max<qint64>(1, nextSeq))
    , m_segmentBytes(segmentBytes)
    , m_committed(m_nextSeq - 1)
    , m_lockFd(lockFd)
{
}

int SpendJournal::lock(const QString &databasePath)
{
    const QByteArray path = QFile::encodeName(databasePath + u"-spend.lock"_s);
    const int fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

SpendJournal::~SpendJournal()
{
    QMutexLocker lock(&m_mutex);
    if (!m_staged.isEmpty())
        (void)writeStagedLocked();  // a record staged last: written like the others
    closeFile();
    removeCommittedLocked();
    if (!m_segments.isEmpty()) {
        qCInfo(lcJournal).noquote() << m_segments.size()
                                    << "spend journal segment(s) kept: the store replays them on its next open";
    }
    if (m_lockFd >= 0)
        ::close(m_lockFd);  // releases the lock
}

Result<void> SpendJournal::openSegment(qint64 firstSeq)
{
    closeFile();
    // Always a new file: after a write error the same first number comes again, and appending
    // behind the torn record would hide everything after it from replay (reading stops there).
    QString path;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 1000; ++attempt) {
        path = segmentPath(m_databasePath, firstSeq, attempt);
        const QByteArray native = QFile::encodeName(path);
        fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return makeError(u"cannot open the spend journal %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    m_fd = fd;
    m_written = 0;
    m_segments.append({path, firstSeq - 1});
    return {};
}

void SpendJournal::closeFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

namespace {

// Every field of a record in order, through a Sizer or a Writer (see Sizer).
template<typename Out>
void writeFields(Out &out, const JournalRecord &record)
{
    const SpendLogRow &row = record.row;
    out.integer(record.seq);
    out.text(row.requestId);
    out.text(row.callType);
    out.text(row.apiKey);
    out.integer(row.spend);
    out.integer(row.promptTokens);
    out.integer(row.completionTokens);
    out.integer(row.totalTokens);
    out.integer(msecs(row.startTime));
    out.integer(msecs(row.endTime));
    out.text(row.model);
    out.text(row.modelGroup);
    out.text(row.modelId);
    out.text(row.userId);
    out.text(row.endUser);
    out.text(row.status);
    out.integer((row.costEstimated ? 1 : 0) | (row.priceUnknown ? 2 : 0));
    out.integer(record.states.size());
    for (const JournalBudgetState &state : record.states) {
        out.integer(qint64(state.scope.kind));
        out.text(state.scope.id);
        out.integer(state.added);
        out.integer(msecs(state.resetAt));
        out.text(state.duration);
    }
    out.integer(row.cachedTokens);
    out.integer(row.cacheWriteTokens);
    out.integer(row.cacheWrite1hTokens);
    out.text(row.dialect);
    out.text(row.sessionId);
    out.integer(row.httpStatus);
    out.text(row.reason);
}

} // namespace

QByteArray SpendJournal::encode(const JournalRecord &record)
{
    QByteArray bytes;
    encodeInto(&bytes, record);
    return bytes;
}

void SpendJournal::encodeInto(QByteArray *out, const JournalRecord &record)
{
    Sizer sizer;
    writeFields(sizer, record);
    const qsizetype start = out->size();
    out->resize(start + HeaderBytes + 1 + sizer.size());
    char *bytes = out->data() + start;
    bytes[HeaderBytes] = char(FormatVersion);
    Writer writer(bytes + HeaderBytes + 1);
    writeFields(writer, record);
    Q_ASSERT(writer.end() == out->constData() + out->size());
    const quint32 length = quint32(out->size() - start - HeaderBytes);
    const quint16 crc = crc16(QByteArrayView(bytes + HeaderBytes, length));
    uchar *header = reinterpret_cast<uchar *>(bytes);
    qToBigEndian(length, header);
    qToBigEndian(crc, header + 4);
}

Result<void> SpendJournal::append(JournalRecord &record)
{
    JournalRecord *one = &record;
    return append(std::span<JournalRecord *const>(&one, 1));
}

Result<void> SpendJournal::append(std::span<JournalRecord *const> records)
{
    QMutexLocker lock(&m_mutex);
    for (JournalRecord *record : records)
        stageLocked(*record);
    return writeStagedLocked();
}

quint64 SpendJournal::stage(JournalRecord &record)
{
    QMutexLocker lock(&m_mutex);
    stageLocked(record);
    return m_batch;
}

bool SpendJournal::flushStaged(quint64 batch)
{
    QMutexLocker lock(&m_mutex);
    if (batch == m_batch && !m_staged.isEmpty())
        (void)writeStagedLocked();
    const bool written = batch < m_batch && !m_failedBatches.contains(batch);
    // Asked in order (one batch per event-loop pass): older outcomes are not asked again.
    m_failedBatches.erase(m_failedBatches.begin(), m_failedBatches.lower_bound(batch));
    return written;
}

void SpendJournal::writeStaged()
{
    QMutexLocker lock(&m_mutex);
    (void)writeStagedLocked();
}

void SpendJournal::stageLocked(JournalRecord &record)
{
    if (m_staged.isEmpty())
        m_stagedFirst = m_nextSeq;
    record.seq = m_nextSeq++;
    m_stagedLast = record.seq;
    encodeInto(&m_staged, record);
}

Result<void> SpendJournal::writeStagedLocked()
{
    if (m_staged.isEmpty())
        return {};
    const auto failed = [this](const QString &why) {
        // The staged records are not journaled; their numbers stay used (each one's row still
        // commits and moves the committed prefix over it).
        m_failedBatches.insert(m_batch);
        ++m_batch;
        m_staged.resize(0);
        return makeError(why);
    };
    if (m_fd < 0 || m_written >= m_segmentBytes) {
        if (auto opened = openSegment(m_stagedFirst); !opened)
            return failed(opened.error().message);
    }
    qint64 done = 0;
    while (done < m_staged.size()) {
        const ssize_t n = ::write(m_fd, m_staged.constData() + done, size_t(m_staged.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const QString why = QString::fromLocal8Bit(std::strerror(errno));
            // A partial write is a torn tail: replay would stop there. Cut it off if the file
            // lets us, and append to a fresh segment next time either way.
            if (done > 0 && ::ftruncate(m_fd, off_t(m_written)) != 0)
                qCWarning(lcJournal).noquote() << "cannot cut a torn record off the spend journal:" << std::strerror(errno);
            closeFile();
            removeCommittedLocked();
            return failed(u"cannot write the spend journal: "_s + why);
        }
        done += n;
    }
    m_written += m_staged.size();
    m_segments.last().lastSeq = m_stagedLast;
    ++m_writes;
    ++m_batch;
    if (m_staged.capacity() > 1024 * 1024)
        m_staged = QByteArray();  // an odd huge batch does not stay allocated
    else
        m_staged.resize(0);
    return {};
}

quint64 SpendJournal::writes() const
{
    QMutexLocker lock(&m_mutex);
    return m_writes;
}

void SpendJournal::committed(qint64 seq)
{
    QMutexLocker lock(&m_mutex);
    if (seq <= m_committed)
        return;
    m_committedAbove.insert(seq);
    // The prefix moves only over records that are all committed: one whose batch failed holds
    // it (and its segment) back until a retry commits it.
    while (!m_committedAbove.empty() && *m_committedAbove.begin() == m_committed + 1) {
        m_committedAbove.erase(m_committedAbove.begin());
        ++m_committed;
    }
    removeCommittedLocked();
}

qint64 SpendJournal::committedPrefixWith(const QList<qint64> &seqs) const
{
    // Walks the batch's numbers (sorted, outside the lock) beside the committed ones above the
    // prefix: no copy of the set and no allocation per record while the gateway's appends wait
    // for the lock.
    QList<qint64> mine = seqs;
    std::sort(mine.begin(), mine.end());
    QMutexLocker lock(&m_mutex);
    qint64 prefix = m_committed;
    auto above = m_committedAbove.upper_bound(prefix);
    auto next = std::upper_bound(mine.cbegin(), mine.cend(), prefix);
    for (;;) {
        while (above != m_committedAbove.end() && *above <= prefix)
            ++above;
        while (next != mine.cend() && *next <= prefix)
            ++next;
        if ((above != m_committedAbove.end() && *above == prefix + 1) || (next != mine.cend() && *next == prefix + 1))
            ++prefix;
        else
            return prefix;
    }
}

void SpendJournal::removeCommittedLocked()
{
    // A segment goes once every record in it is committed, unless it is the file being
    // appended to (the last one, while open).
    for (qsizetype i = 0; i < m_segments.size();) {
        const Segment &segment = m_segments.at(i);
        const bool current = i == m_segments.size() - 1 && m_fd >= 0;
        if (current || segment.lastSeq > m_committed) {
            ++i;
            continue;
        }
        QFile::remove(segment.path);
        m_segments.removeAt(i);
    }
}

QStringList SpendJournal::segmentFiles() const
{
    QMutexLocker lock(&m_mutex);
    QStringList paths;
    for (const Segment &segment : m_segments)
        paths.append(segment.path);
    return paths;
}

QStringList SpendJournal::segments(const QString &databasePath)
{
    const QFileInfo database(databasePath);
    const QDir dir = database.absoluteDir();
    QStringList names = dir.entryList({segmentPrefix(databasePath) + u"*.journal"_s}, QDir::Files, QDir::Name);
    QStringList paths;
    for (const QString &name : names)
        paths.append(dir.filePath(name));
    return paths;
}

QList<JournalRecord> SpendJournal::read(const QString &segmentPath)
{
    QList<JournalRecord> records;
    QFile file(segmentPath);
    if (!file.open(QIODevice::ReadOnly)) {
        qCWarning(lcJournal).noquote() << "cannot read" << segmentPath << file.errorString();
        return records;
    }
    const QByteArray bytes = file.readAll();
    qsizetype at = 0;
    while (bytes.size() - at >= HeaderBytes) {
        const auto *header = reinterpret_cast<const uchar *>(bytes.constData() + at);
        const quint32 length = qFromBigEndian<quint32>(header);
        const quint16 crc = qFromBigEndian<quint16>(header + 4);
        if (length > MaxRecordBytes || bytes.size() - at - HeaderBytes < qsizetype(length))
            break;
        const QByteArrayView payload = QByteArrayView(bytes).sliced(at + HeaderBytes, length);
        if (crc16(payload) != crc)
            break;
        auto record = decode(payload);
        if (!record)
            break;
        records.append(std::move(*record));
        at += HeaderBytes + length;
    }
    if (at != bytes.size())
        qCWarning(lcJournal).noquote() << "spend journal" << segmentPath << "ends in a torn record at byte" << at;
    return records;
}

Result<qint64> SpendJournal::recover(QSqlDatabase &db, const QString &databasePath, const QString &committedKey)
{
    const auto stored = selectOne(db, u"SELECT value FROM settings WHERE key = ?"_s, {committedKey});
    const qint64 committed = stored ? stored->toString().toLongLong() : 0;
    qint64 last = committed;
    const QStringList files = segments(databasePath);
    if (files.isEmpty()) {
        // Nothing to replay; a process before this one on the journal may still have left
        // shared budget leases (it was killed between two segments, or stopped holding none).
        if (auto released = LeaseRepository::releaseStopped(db, committedKey); !released)
            return makeError(u"cannot release a stopped gateway's leases: "_s + released.error().message);
        return last + 1;
    }

    int replayed = 0;
    int interrupted = 0;
    StateReplay states;
    if (auto begun = Store::execCached(db, u"BEGIN"_s, {}, u"start the journal replay"_s); !begun)
        return begun.error();
    const auto fail = [&db](const Error &error) -> Result<qint64> {
        if (const auto undone = Store::execCached(db, u"ROLLBACK"_s, {}, QString()); !undone)
            qCDebug(lcJournal).noquote() << "rollback after a failed replay:" << undone.error().message;
        return makeError(u"cannot replay the spend journal: "_s + error.message);
    };
    // In number order whatever the files: a segment started after a write error has the same
    // first number as the torn one before it.
    QList<JournalRecord> records;
    for (const QString &file : files)
        records.append(read(file));
    std::stable_sort(records.begin(), records.end(),
                     [](const JournalRecord &a, const JournalRecord &b) { return a.seq < b.seq; });
    // A call in flight's record (Store::noteInFlight) stands for a call that never settled: one
    // whose settled record is here too goes by that one (its row may not be in yet).
    QSet<QString> settled;
    for (const JournalRecord &record : std::as_const(records)) {
        if (!isInFlightRecord(record))
            settled.insert(record.row.requestId);
    }
    for (const JournalRecord &record : std::as_const(records)) {
        last = std::max(last, record.seq);
        // Every record up to the committed prefix is in the database.
        if (record.seq <= committed)
            continue;
        if (isInFlightRecord(record) && settled.contains(record.row.requestId))
            continue;
        // Above it, a record is in exactly when its row is: the row and the record's spend
        // increments commit in one job, so a present row means its increments are in too (a
        // batch that failed left neither; a later batch may have committed past it).
        bool inserted = false;
        if (auto done = SpendLogRepository::insertOnce(db, record.row, &inserted); !done)
            return fail(done.error());
        if (!inserted)
            continue;
        for (const JournalBudgetState &state : record.states) {
            // The same increment the live commit would have written, applied once.
            auto applied = state.absolute
                               ? states.apply(db, state)
                               : IdentityRepository::addSpend(state.scope, state.added, state.resetAt, state.duration)(db);
            // Shared budgets (docs/shared-budgets.md): the live commit added it to the scope's
            // shared row too. The replay runs at open, before the gateway knows it is shared, so
            // it adds there whatever the mode: a row exists only for a scope leased in shared
            // mode (else the UPDATE meets nothing). Without it the shared row stays short of
            // the calls a killed instance answered, and strict budgets could pass their max.
            if (applied && !state.absolute && !LeaseRepository::sharedSpend())
                applied = LeaseRepository::addSharedSpend(db, state.scope, state.added, state.resetAt);
            if (!applied)
                return fail(applied.error());
        }
        ++replayed;
        if (isInFlightRecord(record))
            ++interrupted;
    }
    if (auto saved = states.save(db); !saved)
        return fail(saved.error());
    // Shared budgets: the stopped process's leases go back, and what of them was counted as spent
    // when they expired comes off again, now that the replay counted what its calls cost.
    if (auto released = LeaseRepository::releaseStopped(db, committedKey); !released)
        return fail(released.error());
    if (auto marked = markCommitted(db, last, committedKey); !marked)
        return fail(marked.error());
    if (auto done = Store::execCached(db, u"COMMIT"_s, {}, u"commit the journal replay"_s); !done)
        return fail(done.error());
    for (const QString &file : files)
        QFile::remove(file);
    if (replayed > 0)
        qCInfo(lcJournal).noquote() << "replayed" << replayed - interrupted << "settled call(s) from the spend journal";
    if (interrupted > 0)
        qCInfo(lcJournal).noquote() << "charged" << interrupted
                                    << "call(s) in flight when the gateway stopped what was held for them";
    return last + 1;
}

Result<void> SpendJournal::markCommitted(QSqlDatabase &db, qint64 seq, const QString &committedKey)
{
    static const QString sql = u"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                               "value = CASE WHEN CAST(excluded.value AS BIGINT) > CAST(settings.value AS BIGINT) "
                               "THEN excluded.value ELSE settings.value END"_s;
    return Store::execCached(db, sql, {committedKey, QString::number(seq)}, u"note the committed spend journal"_s);
}

} // namespace Tollgate
