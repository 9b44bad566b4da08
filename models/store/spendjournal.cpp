#include "spendjournal.h"

#include "identityrepository.h"
#include "store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMutexLocker>
#include <QSqlDatabase>
#include <QSqlError>
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
constexpr quint8 FormatVersion = 2;
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

QString segmentPath(const QString &databasePath, qint64 firstSeq)
{
    const QFileInfo database(databasePath);
    return database.absoluteDir().filePath(segmentPrefix(databasePath)
                                           + u"%1.journal"_s.arg(firstSeq, 20, 10, QChar(u'0')));
}

// Fields in the machine's byte order (the journal never leaves it): integers as 8 bytes,
// strings as their UTF-16 length (4 bytes, -1 for a null string) and code units.
class Writer
{
public:
    explicit Writer(QByteArray &out) : m_out(out) {}
    void integer(qint64 value) { m_out.append(reinterpret_cast<const char *>(&value), sizeof value); }
    void text(const QString &value)
    {
        const qint32 size = value.isNull() ? -1 : qint32(value.size());
        m_out.append(reinterpret_cast<const char *>(&size), sizeof size);
        m_out.append(reinterpret_cast<const char *>(value.constData()), value.size() * qsizetype(sizeof(QChar)));
    }

private:
    QByteArray &m_out;
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
    if (payload.isEmpty() || quint8(payload.front()) != FormatVersion)
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
        state.spend = in.integer();
        state.resetAt = fromMsecs(in.integer());
        record.states.append(state);
    }
    if (!in.ok() || record.seq <= 0)
        return std::nullopt;
    return record;
}

Result<void> execBound(QSqlDatabase &db, const QString &sql, const QVariantList &values, const QString &what)
{
    QSqlQuery query(db);
    if (!query.prepare(sql))
        return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
    return {};
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

// Writes one budget state the way a running gateway would have: the spend column and the
// window in the row's JSON (keys, users, end users), a per-model entry in the key's JSON,
// or the global spend setting.
Result<void> applyState(QSqlDatabase &db, const JournalBudgetState &state)
{
    const auto patchRow = [&](const QString &table, const QString &idColumn, const QString &id,
                              const auto &patch, bool setSpend) -> Result<void> {
        const auto data = selectOne(db, u"SELECT data FROM %1 WHERE %2 = ?"_s.arg(table, idColumn), {id});
        if (!data)
            return {};  // deleted since: nothing to restore
        QJsonObject object = QJsonDocument::fromJson(data->toString().toUtf8()).object();
        patch(object);
        const QString text = QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
        if (setSpend) {
            return execBound(db, u"UPDATE %1 SET data = ?, spend_nanousd = ? WHERE %2 = ?"_s.arg(table, idColumn),
                             {text, state.spend, id}, u"restore a spend total"_s);
        }
        return execBound(db, u"UPDATE %1 SET data = ? WHERE %2 = ?"_s.arg(table, idColumn), {text, id},
                         u"restore a spend total"_s);
    };
    const auto setWindow = [&](QJsonObject &object) {
        object.insert(u"budget_reset_at"_s, IdentityJson::time(state.resetAt));
    };
    switch (state.scope.kind) {
    case LedgerScope::Kind::Key:
        return patchRow(u"keys"_s, u"token"_s, state.scope.id, setWindow, true);
    case LedgerScope::Kind::User:
        return patchRow(u"users"_s, u"user_id"_s, state.scope.id, setWindow, true);
    case LedgerScope::Kind::EndUser:
        return patchRow(u"end_users"_s, u"user_id"_s, state.scope.id, setWindow, true);
    case LedgerScope::Kind::KeyModel: {
        const qsizetype split = state.scope.id.indexOf(u'\n');
        if (split <= 0)
            return {};
        const QString model = state.scope.id.mid(split + 1);
        return patchRow(
            u"keys"_s, u"token"_s, state.scope.id.left(split),
            [&](QJsonObject &object) {
                QJsonObject budgets = object.value(u"model_max_budget"_s).toObject();
                if (!budgets.contains(model))
                    return;
                QJsonObject entry = budgets.value(model).toObject();
                entry.insert(u"spend"_s, nanosToUsd(state.spend));
                if (state.resetAt.isValid())
                    entry.insert(u"budget_reset_at"_s, IdentityJson::time(state.resetAt));
                budgets.insert(model, entry);
                object.insert(u"model_max_budget"_s, budgets);
            },
            false);
    }
    case LedgerScope::Kind::Global: {
        const QJsonObject stored = IdentityRepository::loadGlobalSpend(db);
        if (stored.isEmpty())
            return {};  // no global budget was kept
        return IdentityRepository::saveGlobalSpend(state.spend, state.resetAt,
                                                   stored.value(u"budget_duration"_s).toString())(db);
    }
    }
    return {};
}

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
    const QString path = segmentPath(m_databasePath, firstSeq);
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return makeError(u"cannot open the spend journal %1: %2"_s.arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    closeFile();
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

QByteArray SpendJournal::encode(const JournalRecord &record)
{
    QByteArray bytes;
    bytes.reserve(768);
    bytes.resize(HeaderBytes);
    bytes.append(char(FormatVersion));
    Writer out(bytes);
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
        out.integer(state.spend);
        out.integer(msecs(state.resetAt));
    }
    const quint32 length = quint32(bytes.size() - HeaderBytes);
    const quint16 crc = qChecksum(QByteArrayView(bytes).sliced(HeaderBytes));
    uchar *header = reinterpret_cast<uchar *>(bytes.data());
    qToBigEndian(length, header);
    qToBigEndian(crc, header + 4);
    return bytes;
}

Result<void> SpendJournal::append(JournalRecord &record)
{
    QMutexLocker lock(&m_mutex);
    if (m_fd < 0 || m_written >= m_segmentBytes) {
        if (auto opened = openSegment(m_nextSeq); !opened)
            return opened;
    }
    record.seq = m_nextSeq;
    const QByteArray bytes = encode(record);
    qint64 done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const QString why = QString::fromLocal8Bit(std::strerror(errno));
            // A partial record is a torn tail: replay stops there. Start a fresh segment next time.
            closeFile();
            return makeError(u"cannot write the spend journal: "_s + why);
        }
        done += n;
    }
    m_written += bytes.size();
    m_segments.last().lastSeq = m_nextSeq;
    ++m_nextSeq;
    return {};
}

void SpendJournal::committed(qint64 seq)
{
    QMutexLocker lock(&m_mutex);
    if (seq <= m_committed)
        return;
    m_committed = seq;
    removeCommittedLocked();
}

void SpendJournal::removeCommittedLocked()
{
    // Every segment but the one being written goes once its last record is committed; the
    // current one too when the file is closed.
    while (!m_segments.isEmpty()) {
        const Segment &oldest = m_segments.first();
        const bool current = m_segments.size() == 1 && m_fd >= 0;
        if (current || oldest.lastSeq > m_committed)
            break;
        QFile::remove(oldest.path);
        m_segments.removeFirst();
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
        if (qChecksum(payload) != crc)
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

Result<qint64> SpendJournal::recover(QSqlDatabase &db, const QString &databasePath)
{
    const auto stored = selectOne(db, u"SELECT value FROM settings WHERE key = ?"_s, {CommittedSetting});
    const qint64 committed = stored ? stored->toString().toLongLong() : 0;
    qint64 last = committed;
    const QStringList files = segments(databasePath);
    if (files.isEmpty())
        return last + 1;

    int replayed = 0;
    if (auto begun = execBound(db, u"BEGIN"_s, {}, u"start the journal replay"_s); !begun)
        return begun.error();
    const auto fail = [&db](const Error &error) -> Result<qint64> {
        QSqlQuery(db).exec(u"ROLLBACK"_s);
        return makeError(u"cannot replay the spend journal: "_s + error.message);
    };
    for (const QString &file : files) {
        for (const JournalRecord &record : read(file)) {
            last = std::max(last, record.seq);
            // Older records are committed (or were lost to a failed batch that a later, committed
            // one superseded — their states are stale and must not come back).
            if (record.seq <= committed)
                continue;
            if (selectOne(db, u"SELECT 1 FROM spend_logs WHERE request_id = ?"_s, {record.row.requestId}))
                continue;
            if (auto inserted = SpendLogRepository::insert(record.row)(db); !inserted)
                return fail(inserted.error());
            for (const JournalBudgetState &state : record.states) {
                if (auto applied = applyState(db, state); !applied)
                    return fail(applied.error());
            }
            ++replayed;
        }
    }
    if (auto marked = markCommitted(db, last); !marked)
        return fail(marked.error());
    if (auto done = execBound(db, u"COMMIT"_s, {}, u"commit the journal replay"_s); !done)
        return fail(done.error());
    for (const QString &file : files)
        QFile::remove(file);
    if (replayed > 0)
        qCInfo(lcJournal).noquote() << "replayed" << replayed << "settled call(s) from the spend journal";
    return last + 1;
}

Result<void> SpendJournal::markCommitted(QSqlDatabase &db, qint64 seq)
{
    static const QString sql = u"INSERT INTO settings (key, value) VALUES (?, ?) "
                               "ON CONFLICT(key) DO UPDATE SET value = excluded.value"_s;
    return Store::execCached(db, sql, {CommittedSetting, QString::number(seq)}, u"note the committed spend journal"_s);
}

} // namespace Tollgate
