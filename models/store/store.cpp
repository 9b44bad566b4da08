#include "store.h"

#include "migrations.h"
#include "databasetarget.h"
#include "identityrepository.h"
#include "spendjournal.h"
#include "coreslice.h"
#include "spendlog.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QMutex>
#include <QMutexLocker>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QStringEncoder>
#include <QThread>
#include <QSysInfo>
#include <QTimer>
#include <QVariant>

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace Qt::StringLiterals;

namespace Tollgate {

Q_LOGGING_CATEGORY(lcStore, "tollgate.store")

// One submitted job. Its `finished` function runs on the store thread; for read()/write()
// it posts the caller's `done` to the context's thread, for readNow()/writeNow() it
// fulfils the promise the caller waits on.
struct StoreJob
{
    bool isWrite = false;
    bool lazy = false;
    // A settled call's write (recordSpend): never given up while the store is open. When it
    // cannot commit, it and every write behind it wait for a retry, in order.
    bool durable = false;
    qint64 journalSeq = 0;  // a settled call's spend journal number (recordSpend)
    qint64 inFlightSeq = 0; // the number of its in-flight record (noteInFlight), retired with it
    // A settled call's write (recordSpend): its row and its budget increments, nothing else. A
    // batch runs these without a savepoint each and sums their increments (see commitFast).
    bool spend = false;
    Store::ReadJob read;
    Store::WriteJob write;
    std::function<void(const Result<QVariant> &)> readFinished;
    std::function<void(const Result<void> &)> writeFinished;

    // Reports `error` without running the job (store closed).
    void fail(const Error &error)
    {
        if (isWrite) {
            if (writeFinished)
                writeFinished(error);
        } else if (readFinished) {
            readFinished(error);
        }
    }
};

// The submission queue, shared by every submitting thread and the store thread. It
// outlives the worker (Store owns it), so a submission racing close() meets a clean
// "closed" answer instead of a dangling worker.
class StoreInbox
{
public:
    // Queues `job`, or answers it with "store is closed" when not accepting.
    void submit(StoreJob job);
    // Everything queued so far: the next batch. Later submissions schedule a new drain.
    std::deque<StoreJob> takeAll();
    void start(StoreWorker *worker);
    void stop();
    [[nodiscard]] bool accepting() const;
    // Jobs waiting: queued here, plus the writes the worker holds for a retry.
    [[nodiscard]] qsizetype pending() const
    {
        QMutexLocker lock(&m_mutex);
        return qsizetype(m_jobs.size()) + m_held.load(std::memory_order_relaxed);
    }
    void setHeld(qsizetype jobs) { m_held.store(jobs, std::memory_order_relaxed); }

    void countBatch() { m_batches.fetch_add(1, std::memory_order_relaxed); }
    [[nodiscard]] int batches() const { return m_batches.load(std::memory_order_relaxed); }

private:
    mutable QMutex m_mutex;
    std::deque<StoreJob> m_jobs;
    StoreWorker *m_worker = nullptr;  // valid while m_accepting
    bool m_accepting = false;
    bool m_drainPosted = false;
    bool m_lazyDrainPosted = false;
    std::atomic<int> m_batches{0};
    std::atomic<qsizetype> m_held{0};
};

// Lives on the store thread and is the only user of the connection.
class StoreWorker final : public QObject
{
public:
    explicit StoreWorker(StoreInbox &inbox) : m_inbox(inbox)
    {
        m_lazyTimer.setSingleShot(true);
        m_lazyTimer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_lazyTimer, &QTimer::timeout, this, [this] { drain(); });
        m_retryTimer.setSingleShot(true);
        QObject::connect(&m_retryTimer, &QTimer::timeout, this, [this] { drain(); });
    }
    ~StoreWorker() override
    {
        if (!m_connectionName.isEmpty())
            qCWarning(lcStore) << "store worker destroyed with its connection still open";
    }

    Result<int> open(const DatabaseTarget &target);
    Result<qint64> recoverJournal(const QString &path, const QString &committedKey)
    {
        return SpendJournal::recover(m_db, path, committedKey);
    }
    void drain();
    // Drains within Store::LazyDelayMs (a batch for lazy writes to gather in).
    void drainSoon()
    {
        if (!m_lazyTimer.isActive())
            m_lazyTimer.start(Store::LazyDelayMs);
    }
    // Runs what is still queued (the inbox no longer accepts), then closes the connection.
    void shutdown();
    // The journal whose committed prefix each batch notes (set before the inbox starts).
    void setJournal(SpendJournal *journal) { m_journal = journal; }

private:
    void run(std::deque<StoreJob> &jobs);
    // Commits `batch`; false when a durable job could not commit: it and the jobs behind it in
    // the batch are held (m_held) for a retry.
    bool commitBatch(const std::vector<StoreJob *> &batch);
    // The common case of a batch of several jobs, cheaper: settled calls run without a savepoint
    // each, and their budget increments are summed per scope and window. Empty when anything in
    // it failed: then nothing of it is committed and commitBatch runs it again, job by job.
    std::optional<bool> commitFast(const std::vector<StoreJob *> &batch);
    // Notes the journal prefix of the committed jobs and commits; the error when it could not.
    std::optional<Error> noteAndCommit(const std::vector<StoreJob *> &batch,
                                       const std::vector<std::optional<Result<void>>> &results, std::size_t count);
    void scheduleRetry(const QString &why);
    void runRead(StoreJob &job);
    void closeDatabase();
    // PostgreSQL: the connection (a server restart, a network cut) is dropped for good once
    // broken. After a failure the next drain asks the server (SELECT 1) and, when it does not
    // answer, connects again: a retry of held writes then meets a live connection.
    Result<QSqlDatabase *> connect();
    void checkConnection();

    StoreInbox &m_inbox;
    QTimer m_lazyTimer{this};
    // Writes waiting for a retry after a durable one could not commit, oldest first: nothing
    // commits ahead of them, so the absolute writes of management (a key's whole row) never
    // land before the increments that preceded them.
    std::deque<StoreJob> m_held;
    QTimer m_retryTimer{this};
    int m_retryDelayMs = 0;  // 0: not retrying
    QString m_lastFailure;
    bool m_final = false;    // closing: a write that cannot commit is reported, not held
    SpendJournal *m_journal = nullptr;
    QSqlDatabase m_db;
    QString m_connectionName;
    DatabaseTarget m_target;
    bool m_suspect = false;  // PostgreSQL: a statement failed since the last check
};

namespace {

// A batch takes milliseconds, and nobody waits on it (answers wait on the spend journal
// only): it yields the core every CoreSlice::SliceNs, inside SQLite's COMMIT and checkpoint
// too, so a request that arrived meanwhile runs first. Short: with the gateway on the same
// core, a request that arrives during a batch waits for the rest of the slice (200 µs put a
// c=1 p90 at +250 µs); a yield with nobody waiting costs ~0.3 µs.
// Above this many queued jobs the store is falling behind and stops yielding. A yield only
// lets others run first once (it never starves the batch); 256 was under one batch's worth at
// 10,000 calls/s and made whole batches run unsliced.
constexpr qsizetype YieldBacklog = 4096;

bool mayYield(const void *inbox)
{
    return static_cast<const StoreInbox *>(inbox)->pending() < YieldBacklog;
}

// Once per process, before its first SQLite connection.
void prepareSqlite()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // Every connection is used by one thread only (Qt's rule for a QSqlDatabase): SQLite's
        // mutex per connection and its memory statistics (a global mutex around every malloc)
        // are not needed (store_bench: ~8 % less CPU per spend row). Refused, harmlessly, when
        // SQLite was already initialized in this process.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
        if (!CoreSlice::installSqliteVfs())
            qCWarning(lcStore) << "the sliced SQLite VFS is not available: a COMMIT runs unsliced";
    });
}
// A batch that could not commit is retried after this, doubling up to the maximum.
constexpr int FirstRetryMs = 20;
constexpr int MaxRetryMs = 2000;

Error closedError()
{
    return makeError(u"store is closed"_s);
}

// Prepared statements kept per connection (connection name → SQL → statement), straight on
// the connection's sqlite3 handle: Qt's binding costs more than SQLite's insert itself (it
// formats a placeholder name per value and converts text to UTF-16). Store jobs run on their
// store's thread only, so the cache is per thread and needs no lock; a worker finalizes its
// connection's statements before closing it.
struct StatementDeleter
{
    void operator()(sqlite3_stmt *statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;
// Hashes a statement's SQL by its length, first and last 32 characters: the spend row's INSERT is
// 500 characters long, and hashing all of them on every call cost more than binding its values.
// SQL alike at both ends only shares a bucket (found by comparing the whole text).
struct SqlHash
{
    size_t operator()(const QString &sql) const noexcept
    {
        const QStringView text(sql);
        constexpr qsizetype Ends = 32;
        if (text.size() <= 2 * Ends)
            return qHash(text);
        return qHash(text.first(Ends), qHash(text.last(Ends), size_t(text.size())));
    }
};
using StatementCache = std::unordered_map<QString, std::unordered_map<QString, Statement, SqlHash>>;
thread_local StatementCache statementCache;

sqlite3 *sqliteHandle(const QSqlDatabase &db)
{
    const QVariant handle = db.driver() ? db.driver()->handle() : QVariant();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(handle.constData());
}

sqlite3_stmt *cachedStatement(QSqlDatabase &db, sqlite3 *handle, const QString &sql, QString *error)
{
    auto &statements = statementCache[db.connectionName()];
    auto it = statements.find(sql);
    if (it == statements.end()) {
        const QByteArray text = sql.toUtf8();
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v3(handle, text.constData(), int(text.size()), SQLITE_PREPARE_PERSISTENT, &statement,
                               nullptr)
            != SQLITE_OK) {
            *error = QString::fromUtf8(sqlite3_errmsg(handle));
            sqlite3_finalize(statement);
            return nullptr;
        }
        it = statements.emplace(sql, Statement(statement)).first;
    }
    return it->second.get();
}

void dropStatements(const QString &connectionName);

QStringEncoder &utf8Encoder()
{
    thread_local QStringEncoder utf8(QStringConverter::Utf8, QStringConverter::Flag::Stateless);
    return utf8;
}

// The text `value` holds, nullptr for anything else (a null string included: it binds as NULL).
const QString *textOf(const QVariant &value)
{
    if (value.typeId() != QMetaType::QString)  // so it holds a QString (no isNull(): ~36 instructions)
        return nullptr;
    const QString *text = static_cast<const QString *>(value.constData());
    return text->isNull() ? nullptr : text;
}

// The bytes bind() may write at `textOut` for `value`: room for its UTF-8, 0 when it is no text.
qsizetype textRoom(const QVariant &value)
{
    const QString *text = textOf(value);
    return text ? utf8Encoder().requiredSpace(text->size()) : 0;
}

// Binds like Qt's SQLite driver: a null value or a null string is NULL, text is UTF-8.
// Text is encoded at `textOut` (advanced past it) and bound SQLITE_STATIC: SQLite then neither
// allocates nor copies it (SQLITE_TRANSIENT cost ~330 instructions a value). The caller sized
// that buffer with textRoom() and leaves it untouched until sqlite3_clear_bindings.
int bind(sqlite3_stmt *statement, int index, const QVariant &value, char *&textOut)
{
    if (const QString *text = textOf(value)) {
        char *end = utf8Encoder().appendToBuffer(textOut, *text);
        const int bound = sqlite3_bind_text64(statement, index, textOut, sqlite3_uint64(end - textOut),
                                              SQLITE_STATIC, SQLITE_UTF8);
        textOut = end;
        return bound;
    }
    switch (value.typeId()) {
    case QMetaType::UnknownType:  // QVariant()
    case QMetaType::Nullptr:
    case QMetaType::QString:      // a null string
        return sqlite3_bind_null(statement, index);
    // The spend row's integers, read as they are stored (toLongLong() converts through QMetaType).
    case QMetaType::LongLong:
        return sqlite3_bind_int64(statement, index, *static_cast<const qlonglong *>(value.constData()));
    case QMetaType::Int:
        return sqlite3_bind_int64(statement, index, *static_cast<const int *>(value.constData()));
    case QMetaType::QByteArray: {
        const QByteArray &bytes = *static_cast<const QByteArray *>(value.constData());
        if (bytes.isNull())
            return sqlite3_bind_null(statement, index);
        return sqlite3_bind_blob64(statement, index, bytes.constData(), sqlite3_uint64(bytes.size()), SQLITE_TRANSIENT);
    }
    case QMetaType::Bool:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Char:
    case QMetaType::UChar:
        return sqlite3_bind_int64(statement, index, value.toLongLong());
    case QMetaType::ULong:
    case QMetaType::ULongLong:
        return sqlite3_bind_int64(statement, index, sqlite3_int64(value.toULongLong()));
    case QMetaType::Double:
    case QMetaType::Float:
        return sqlite3_bind_double(statement, index, value.toDouble());
    default: {
        if (value.isNull())
            return sqlite3_bind_null(statement, index);
        const QByteArray utf8 = value.toString().toUtf8();
        return sqlite3_bind_text64(statement, index, utf8.constData(), sqlite3_uint64(utf8.size()), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
    }
    }
}

qsizetype textRoom(const Store::SqlArg &value)
{
    return value.kind == Store::SqlArg::Kind::Text ? utf8Encoder().requiredSpace(value.text.size()) : 0;
}

// As above, for a value given as a Store::SqlArg: UTF-8 bytes are bound where they are.
int bind(sqlite3_stmt *statement, int index, const Store::SqlArg &value, char *&textOut)
{
    using Kind = Store::SqlArg::Kind;
    switch (value.kind) {
    case Kind::Null:
        return sqlite3_bind_null(statement, index);
    case Kind::Integer:
        return sqlite3_bind_int64(statement, index, value.integer);
    case Kind::Text: {
        char *end = utf8Encoder().appendToBuffer(textOut, value.text);
        const int bound = sqlite3_bind_text64(statement, index, textOut, sqlite3_uint64(end - textOut),
                                              SQLITE_STATIC, SQLITE_UTF8);
        textOut = end;
        return bound;
    }
    case Kind::Utf8:
        return sqlite3_bind_text64(statement, index, value.utf8.data(), sqlite3_uint64(value.utf8.size()),
                                   SQLITE_STATIC, SQLITE_UTF8);
    }
    return SQLITE_MISUSE;
}

// The values execPostgres binds: a QVariantList as it is, Store::SqlArg made QVariants.
const QVariantList &postgresValues(const QVariantList &values)
{
    return values;
}

QVariantList postgresValues(std::span<const Store::SqlArg> values)
{
    QVariantList variants;
    variants.reserve(qsizetype(values.size()));
    for (const Store::SqlArg &value : values) {
        switch (value.kind) {
        case Store::SqlArg::Kind::Null:
            variants.append(QVariant());
            break;
        case Store::SqlArg::Kind::Integer:
            variants.append(QVariant(qlonglong(value.integer)));
            break;
        case Store::SqlArg::Kind::Text:
            variants.append(QVariant(value.text.toString()));
            break;
        case Store::SqlArg::Kind::Utf8:
            variants.append(QVariant(QString::fromUtf8(value.utf8)));
            break;
        }
    }
    return variants;
}

// PostgreSQL (QPSQL): the statements with values are prepared once per connection and kept, as
// above, through QSqlQuery; bound by position. Statements without values (BEGIN, COMMIT, SAVEPOINT)
// cannot be prepared there, and run as they are.
using PgStatementCache = std::unordered_map<QString, std::unordered_map<QString, std::unique_ptr<QSqlQuery>, SqlHash>>;
thread_local PgStatementCache pgStatementCache;

// PostgreSQL is strict about types: a bool is 0/1 like SQLite's, the rest binds as it is (text
// as a quoted literal, integers as numbers, a null as NULL).
QVariant pgValue(const QVariant &value)
{
    if (value.typeId() == QMetaType::Bool && !value.isNull())
        return QVariant(qlonglong(value.toBool() ? 1 : 0));
    return value;
}

Result<void> execPostgres(QSqlDatabase &db, const QString &sql, const QVariantList &values, qint64 *changes,
                          QString *error)
{
    if (values.isEmpty()) {
        QSqlQuery query(db);
        if (!query.exec(sql)) {
            *error = query.lastError().text();
            return makeError(*error);
        }
        if (changes)
            *changes = query.numRowsAffected();
        return {};
    }
    auto &statements = pgStatementCache[db.connectionName()];
    auto it = statements.find(sql);
    if (it == statements.end()) {
        auto query = std::make_unique<QSqlQuery>(db);
        query->setForwardOnly(true);
        if (!query->prepare(sql)) {
            *error = query->lastError().text();
            return makeError(*error);
        }
        it = statements.emplace(sql, std::move(query)).first;
    }
    QSqlQuery &query = *it->second;
    for (qsizetype i = 0; i < values.size(); ++i)
        query.bindValue(int(i), pgValue(values.at(i)));
    const bool ok = query.exec();
    if (!ok)
        *error = query.lastError().text();
    else if (changes)
        *changes = query.numRowsAffected();
    query.finish();
    if (!ok)
        return makeError(*error);
    return {};
}

void dropStatements(const QString &connectionName)
{
    statementCache.erase(connectionName);
    pgStatementCache.erase(connectionName);
}

Result<void> exec(QSqlDatabase &db, const QString &sql)
{
    return Store::execCached(db, sql, {}, QString());
}

QString describe(const std::exception &e)
{
    return u"store job threw an exception: "_s + QString::fromLocal8Bit(e.what());
}

// A throwing job must not unwind through the event loop and take the thread down.
Result<void> runGuarded(const Store::WriteJob &job, QSqlDatabase &db)
{
    try {
        return job(db);
    } catch (const std::exception &e) {
        return makeError(describe(e));
    } catch (...) {
        return makeError(u"store job threw an unknown exception"_s);
    }
}

Result<QVariant> runGuarded(const Store::ReadJob &job, QSqlDatabase &db)
{
    try {
        QVariant value = job(db);
        if (value.metaType() == QMetaType::fromType<Error>())
            return value.value<Error>();
        return value;
    } catch (const std::exception &e) {
        return makeError(describe(e));
    } catch (...) {
        return makeError(u"store job threw an unknown exception"_s);
    }
}

// The answers of one batch, posted together: the calls for one context (in a row) go in one queued
// call, so the context's thread wakes once per batch rather than once per job (a write(2) on this
// thread and a wake-up on the gateway's for every settled call). While one is current on the
// store thread, deliverTo's answers gather in it; post() sends them.
class Deliveries
{
public:
    void add(QObject *target, std::function<void()> call)
    {
        if (m_groups.empty() || m_groups.back().target.data() != target)
            m_groups.push_back({QPointer<QObject>(target), {}});
        m_groups.back().calls.push_back(std::move(call));
    }
    void post()
    {
        for (Group &group : m_groups) {
            QObject *target = group.target.data();
            if (!target)
                continue;
            QMetaObject::invokeMethod(
                target,
                [guard = group.target, calls = std::move(group.calls)] {
                    // A call that destroys the context drops the rest, as Qt drops the queued
                    // calls of a destroyed receiver.
                    for (const auto &call : calls) {
                        if (!guard)
                            return;
                        call();
                    }
                },
                Qt::QueuedConnection);
        }
        m_groups.clear();
    }

    // Makes `deliveries` current on this thread while it lives, and posts them at its end.
    class Scope
    {
        Q_DISABLE_COPY_MOVE(Scope)

    public:
        explicit Scope(Deliveries &deliveries) : m_deliveries(deliveries), m_previous(std::exchange(s_current, &deliveries)) {}
        ~Scope()
        {
            s_current = m_previous;
            m_deliveries.post();
        }

    private:
        Deliveries &m_deliveries;
        Deliveries *m_previous;
    };
    static Deliveries *current() { return s_current; }

private:
    struct Group
    {
        QPointer<QObject> target;
        std::vector<std::function<void()>> calls;
    };
    std::vector<Group> m_groups;
    static thread_local Deliveries *s_current;
};
thread_local Deliveries *Deliveries::s_current = nullptr;

// Wraps the caller's `done` so it runs on `context`'s thread. Posting to the context
// itself means Qt drops the call if the context is destroyed before it is delivered;
// the QPointer covers a context that is already gone when the answer is ready.
template<typename T>
std::function<void(const Result<T> &)> deliverTo(QObject *context,
                                                 std::function<void(const Result<T> &)> done)
{
    if (!done || !context)
        return {};
    return [guard = QPointer<QObject>(context), done = std::move(done)](const Result<T> &result) mutable {
        QObject *target = guard.data();
        if (!target)
            return;
        auto call = [done = std::move(done), result] { done(result); };
        if (Deliveries *batch = Deliveries::current())
            batch->add(target, std::move(call));
        else
            QMetaObject::invokeMethod(target, std::move(call), Qt::QueuedConnection);
    };
}

} // namespace

// ---- StoreInbox ----

void StoreInbox::submit(StoreJob job)
{
    {
        QMutexLocker lock(&m_mutex);
        if (m_accepting) {
            const bool lazy = job.lazy;
            m_jobs.push_back(std::move(job));
            // One pending drain at a time: whatever piles up before it runs is one batch. A
            // lazy job only arms the worker's timer; a prompt one drains at once.
            StoreWorker *worker = m_worker;
            if (lazy) {
                if (!m_drainPosted && !m_lazyDrainPosted) {
                    m_lazyDrainPosted = true;
                    QMetaObject::invokeMethod(worker, [worker] { worker->drainSoon(); }, Qt::QueuedConnection);
                }
            } else if (!m_drainPosted) {
                m_drainPosted = true;
                QMetaObject::invokeMethod(worker, [worker] { worker->drain(); }, Qt::QueuedConnection);
            }
            return;
        }
    }
    // Answered outside the lock; the answer is posted, never run inside read()/write().
    job.fail(closedError());
}

std::deque<StoreJob> StoreInbox::takeAll()
{
    QMutexLocker lock(&m_mutex);
    m_drainPosted = false;
    m_lazyDrainPosted = false;
    return std::exchange(m_jobs, {});
}

void StoreInbox::start(StoreWorker *worker)
{
    QMutexLocker lock(&m_mutex);
    m_worker = worker;
    m_accepting = true;
}

void StoreInbox::stop()
{
    QMutexLocker lock(&m_mutex);
    m_accepting = false;
}

bool StoreInbox::accepting() const
{
    QMutexLocker lock(&m_mutex);
    return m_accepting;
}

// ---- StoreWorker ----

Result<QSqlDatabase *> StoreWorker::connect()
{
    // Unique per open: several stores (tests, tools) may live in one process.
    static std::atomic<int> s_opened{0};
    m_connectionName = u"tollgate-store-"_s + QString::number(++s_opened);
    auto db = m_target.addConnection(m_connectionName, u"tollgate"_s);
    if (!db)
        return db.error();
    m_db = *db;
    if (!m_db.open())
        return makeError(m_db.lastError().text());
    if (m_target.isPostgres()) {
        // Times are ISO text and money integers: nothing depends on the session's settings but
        // these two (a lock held by a stuck session fails a write after a while instead of
        // blocking the store thread for good).
        for (const QString &sql : {u"SET lock_timeout = '30s'"_s, u"SET client_min_messages = warning"_s}) {
            QSqlQuery query(m_db);
            if (!query.exec(sql))
                return makeError(query.lastError().text());
        }
    }
    return &m_db;
}

void StoreWorker::checkConnection()
{
    if (!m_suspect || !m_target.isPostgres() || m_connectionName.isEmpty())
        return;
    m_suspect = false;
    {
        QSqlQuery probe(m_db);
        if (probe.exec(u"SELECT 1"_s))
            return;
    }
    qCWarning(lcStore).noquote() << "the connection to" << m_target.describe() << "is lost; connecting again";
    closeDatabase();
    if (const auto connected = connect(); !connected) {
        qCWarning(lcStore).noquote() << "cannot connect to" << m_target.describe() << ":"
                                     << connected.error().message;
        m_suspect = true;  // tried again on the next drain (a retry, a read)
    } else {
        qCInfo(lcStore).noquote() << "connected to" << m_target.describe() << "again";
    }
}

Result<int> StoreWorker::open(const DatabaseTarget &target)
{
    m_target = target;
    // Runs on the store thread: its loops, and SQLite's own reads and writes, come in slices.
    CoreSlice::enable(mayYield, &m_inbox);
    if (!target.isPostgres())
        prepareSqlite();
    const QString path = target.sqlitePath;
    const QString shown = target.isPostgres() ? target.describe() : QDir::toNativeSeparators(path);
    if (!target.isPostgres()) {
        const QFileInfo file(path);
        if (!QDir().mkpath(file.absolutePath()))
            return makeError(u"cannot create the directory %1"_s.arg(QDir::toNativeSeparators(file.absolutePath())));
    }

    // The database is the user's alone (keys' hashes, spend): created 0600 before SQLite opens
    // it, whatever the umask — SQLite gives its -wal and -shm the database's mode. One left
    // readable by others (an older Tollgate made it 0644) is closed to them.
    if (!target.isPostgres() && path != u":memory:" && !path.startsWith(u"file:")) {
        if (const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0)
            ::close(fd);
        for (const QString &file : QStringList{path, path + u"-wal"_s, path + u"-shm"_s}) {
            struct stat info {};
            const QByteArray name = QFile::encodeName(file);
            if (::stat(name.constData(), &info) == 0 && S_ISREG(info.st_mode) && (info.st_mode & 077) != 0) {
                if (::chmod(name.constData(), info.st_mode & 0700) == 0)
                    qCInfo(lcStore).noquote() << "made" << QDir::toNativeSeparators(file) << "private (0600)";
            }
        }
    }

    const auto failed = [this, &shown](const QString &why) -> Result<int> {
        closeDatabase();
        return makeError(u"cannot open the database %1: %2"_s.arg(shown, why));
    };
    if (const auto connected = connect(); !connected)
        return failed(connected.error().message);

    // Migrate before any PRAGMA that writes the file (journal_mode), so a database from a
    // newer Tollgate is refused byte-for-byte untouched.
    const Result<int> version = migrate(m_db);
    if (!version)
        return failed(version.error().message);

    if (!target.isPostgres()) {
        QSqlQuery query(m_db);
        if (!query.exec(u"PRAGMA journal_mode=WAL"_s) || !query.next())
            return failed(query.lastError().text());
        // WAL lets readers (GUI, backups, tests) work beside the writer; a file system
        // without shared memory refuses it, which is slower but still correct.
        const QString mode = query.value(0).toString();
        if (mode.compare(u"wal"_s, Qt::CaseInsensitive) != 0)
            qCWarning(lcStore).noquote() << "journal_mode is" << mode << "instead of wal";
        query.finish();
        // NORMAL: commits survive a process kill (not a power cut) without an fsync each.
        for (const QString &pragma : {u"PRAGMA synchronous=NORMAL"_s, u"PRAGMA foreign_keys=ON"_s}) {
            if (const auto set = exec(m_db, pragma); !set)
                return failed(set.error().message);
        }
    }
    qCInfo(lcStore).noquote() << "opened" << shown << "at schema version" << *version;
    return *version;
}

void StoreWorker::drain()
{
    CoreSlice::restart();  // it slept until now
    m_lazyTimer.stop();
    std::deque<StoreJob> incoming = m_inbox.takeAll();
    // PostgreSQL: a retry (or anything after a failure) first makes sure the connection lives.
    if (!m_retryTimer.isActive())
        checkConnection();
    if (m_retryTimer.isActive()) {
        // Waiting to retry held writes: new writes queue up behind them (commits stay in
        // submission order), reads are answered now from what is committed.
        for (StoreJob &job : incoming) {
            if (job.isWrite && !job.durable && m_target.isPostgres()) {
                // PostgreSQL is out of reach (the held writes failed): a management write is
                // answered now (503) instead of waiting for the server; it commits nothing, so
                // the order of commits is kept. Settled calls stay journaled and wait.
                job.fail(makeError(u"the database %1 is unavailable: %2"_s.arg(m_target.describe(), m_lastFailure)));
            } else if (job.isWrite) {
                m_held.push_back(std::move(job));
            } else {
                runRead(job);
            }
        }
        m_inbox.setHeld(qsizetype(m_held.size()));
        return;
    }
    std::deque<StoreJob> jobs = std::exchange(m_held, {});
    for (StoreJob &job : incoming)
        jobs.push_back(std::move(job));
    run(jobs);
    m_inbox.setHeld(qsizetype(m_held.size()));
    if (!m_held.empty()) {
        scheduleRetry(m_lastFailure);
    } else if (m_retryDelayMs > 0) {
        qCInfo(lcStore) << "store writes commit again; every held write is in";
        m_retryDelayMs = 0;
    }
}

void StoreWorker::run(std::deque<StoreJob> &jobs)
{
    // Consecutive writes share a transaction; a read ends the batch first, so it sees
    // every write submitted before it and none submitted after (unless they are held).
    std::vector<StoreJob *> batch;
    bool stalled = false;
    for (StoreJob &job : jobs) {
        if (job.isWrite) {
            if (stalled)
                m_held.push_back(std::move(job));  // behind a held write: after it, in order
            else
                batch.push_back(&job);
            continue;
        }
        if (!stalled)
            stalled = !commitBatch(batch);
        batch.clear();
        runRead(job);
    }
    if (!stalled)
        commitBatch(batch);
}

void StoreWorker::scheduleRetry(const QString &why)
{
    if (m_retryDelayMs == 0) {
        qCWarning(lcStore).noquote() << m_held.size() << "write(s) held for a retry (the spend journal keeps the calls):"
                                     << why;
        m_retryDelayMs = FirstRetryMs;
    } else {
        qCDebug(lcStore).noquote() << "store writes still failing," << m_held.size() << "held:" << why;
        m_retryDelayMs = std::min(m_retryDelayMs * 2, MaxRetryMs);
    }
    m_suspect = true;  // the cause may be a lost PostgreSQL connection: checked before the retry
    m_retryTimer.start(m_retryDelayMs);
}

void StoreWorker::shutdown()
{
    // One last attempt for held writes; what still cannot commit is reported (a journaled
    // call stays in the journal, and the next open replays it).
    m_retryTimer.stop();
    m_final = true;
    drain();
    closeDatabase();
}

std::optional<Error> StoreWorker::noteAndCommit(const std::vector<StoreJob *> &batch,
                                                const std::vector<std::optional<Result<void>>> &results,
                                                std::size_t count)
{
    // The committed prefix of the spend journal with this batch's records in (failed jobs aside).
    QList<qint64> journaled;
    for (std::size_t i = 0; i < count; ++i) {
        if (!results[i] || !results[i]->ok())
            continue;
        for (const qint64 seq : {batch[i]->journalSeq, batch[i]->inFlightSeq}) {
            if (seq > 0)
                journaled.append(seq);
        }
    }
    if (!journaled.isEmpty()) {
        const qint64 prefix = m_journal ? m_journal->committedPrefixWith(journaled)
                                        : *std::max_element(journaled.begin(), journaled.end());
        if (const auto marked = SpendJournal::markCommitted(
                m_db, prefix, m_journal ? m_journal->committedKey() : SpendJournal::CommittedSetting);
            !marked)
            return marked.error();
    }
    if (const auto committed = exec(m_db, u"COMMIT"_s); !committed)
        return makeError(u"commit failed: "_s + committed.error().message);
    return std::nullopt;
}

std::optional<bool> StoreWorker::commitFast(const std::vector<StoreJob *> &batch)
{
    const auto giveUp = [this]() -> std::optional<bool> {
        // Errors here only mean no transaction was left to roll back.
        if (const auto rolledBack = exec(m_db, u"ROLLBACK"_s); !rolledBack)
            qCDebug(lcStore).noquote() << "rollback of a batch to run again job by job:" << rolledBack.error().message;
        return std::nullopt;
    };
    if (const auto begun = exec(m_db, u"BEGIN"_s); !begun)
        return std::nullopt;

    std::vector<std::optional<Result<void>>> results(batch.size());
    IdentityRepository::SpendAccumulator increments;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        StoreJob &job = *batch[i];
        if (job.spend) {
            // A settled call failing is rare (the disk, a broken database): the batch runs again
            // with a savepoint per job, which keeps the calls before it and holds it for a retry.
            IdentityRepository::SpendAccumulator::Current gathering(&increments);
            Result<void> result = runGuarded(job.write, m_db);
            if (!result)
                return giveUp();
            results[i] = std::move(result);
        } else {
            // Any other write (management's, rare) in its own savepoint, after the increments of
            // the calls before it.
            if (const auto flushed = increments.flush(m_db); !flushed)
                return giveUp();
            if (const auto saved = exec(m_db, u"SAVEPOINT job"_s); !saved)
                return giveUp();
            Result<void> result = runGuarded(job.write, m_db);
            if (!result) {
                if (job.durable && !m_final)
                    return giveUp();
                if (const auto undone = exec(m_db, u"ROLLBACK TO job"_s); !undone)
                    return giveUp();
            }
            if (const auto released = exec(m_db, u"RELEASE job"_s); !released)
                return giveUp();
            results[i] = std::move(result);
        }
        CoreSlice::check();
    }
    if (const auto flushed = increments.flush(m_db); !flushed)
        return giveUp();
    if (const auto failed = noteAndCommit(batch, results, batch.size())) {
        qCDebug(lcStore).noquote() << "batch runs again job by job:" << failed->message;
        return giveUp();
    }
    m_inbox.countBatch();
    // Only now, after COMMIT returned, do callers hear back. Each settled call's journal entry
    // is marked done here (a lock the gateway's appends share): sliced like the jobs above.
    Deliveries deliveries;
    Deliveries::Scope posting(deliveries);
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i]->writeFinished)
            batch[i]->writeFinished(*results[i]);
        CoreSlice::check();
    }
    return true;
}

bool StoreWorker::commitBatch(const std::vector<StoreJob *> &batch)
{
    if (batch.empty())
        return true;
    // Several jobs: first the cheap way; when anything in it fails, job by job below, each in a
    // savepoint of its own (a write job may then run twice, the first run rolled back).
    if (batch.size() > 1) {
        if (const std::optional<bool> committed = commitFast(batch))
            return *committed;
    }

    std::vector<std::optional<Result<void>>> results(batch.size());
    std::optional<Error> batchFailure;
    if (const auto begun = exec(m_db, u"BEGIN"_s); !begun)
        batchFailure = makeError(u"cannot start a transaction: "_s + begun.error().message);

    // The first job this batch does not commit because a durable job before it (or it) failed
    // on its own: it and everything after it are held, so commits stay in order.
    std::size_t stopAt = batch.size();
    const auto mustHold = [this](const StoreJob &job) { return job.durable && !m_final; };

    // Each job in its own savepoint: a failing job is undone alone and the rest commit. A job
    // alone in its batch (every call at low load) needs none: if it fails, the whole
    // transaction is rolled back — two statements fewer on the hot path.
    const bool alone = batch.size() == 1;
    bool aloneRolledBack = false;
    if (alone && !batchFailure) {
        Result<void> result = runGuarded(batch[0]->write, m_db);
        if (!result) {
            aloneRolledBack = true;
            if (const auto undone = exec(m_db, u"ROLLBACK"_s); !undone)
                qCDebug(lcStore).noquote() << "rollback after a failed job:" << undone.error().message;
            if (mustHold(*batch[0])) {
                stopAt = 0;
                m_lastFailure = result.error().message;
            }
        }
        results[0] = std::move(result);
    }
    for (std::size_t i = 0; i < batch.size() && !batchFailure && !alone; ++i) {
        if (const auto saved = exec(m_db, u"SAVEPOINT job"_s); !saved) {
            batchFailure = makeError(u"cannot create a savepoint: "_s + saved.error().message);
            break;
        }
        Result<void> result = runGuarded(batch[i]->write, m_db);
        if (!result) {
            // Fails when SQLite already rolled the whole transaction back (disk full,
            // I/O error): then nothing of this batch is left to commit.
            if (const auto undone = exec(m_db, u"ROLLBACK TO job"_s); !undone) {
                results[i] = result;
                batchFailure = makeError(u"cannot roll back a failed job: "_s + undone.error().message);
                break;
            }
        }
        if (const auto released = exec(m_db, u"RELEASE job"_s); !released) {
            results[i] = result;
            batchFailure = makeError(u"cannot release a savepoint: "_s + released.error().message);
            break;
        }
        if (!result && mustHold(*batch[i])) {
            // A settled call that cannot be written: the jobs before it commit, it and the
            // rest wait for a retry.
            m_lastFailure = result.error().message;
            stopAt = i;
            break;
        }
        results[i] = std::move(result);
        CoreSlice::check();
    }

    if (!batchFailure && !aloneRolledBack)
        batchFailure = noteAndCommit(batch, results, stopAt);

    if (batchFailure) {
        // Errors here only mean no transaction was left to roll back.
        if (const auto rolledBack = exec(m_db, u"ROLLBACK"_s); !rolledBack)
            qCDebug(lcStore).noquote() << "rollback after a failed batch:" << rolledBack.error().message;
        m_lastFailure = batchFailure->message;
        // From the first durable job on, the jobs wait for a retry, in order. The ones before
        // it learn why nothing stuck (a job keeps its own error), as every job did before.
        stopAt = batch.size();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (mustHold(*batch[i])) {
                stopAt = i;
                break;
            }
        }
        if (stopAt > 0)
            qCWarning(lcStore).noquote() << "write batch failed," << stopAt << "job(s) answered with the error:"
                                         << batchFailure->message;
        for (auto &result : results) {
            if (!result || result->ok())
                result = *batchFailure;
        }
    } else if (!aloneRolledBack) {
        m_inbox.countBatch();
    }

    // Only now, after COMMIT returned, do callers hear back.
    {
        Deliveries deliveries;
        Deliveries::Scope posting(deliveries);
        for (std::size_t i = 0; i < stopAt; ++i) {
            if (batch[i]->writeFinished)
                batch[i]->writeFinished(*results[i]);
        }
    }
    // From the first held job on, every job waits for the retry.
    for (std::size_t i = stopAt; i < batch.size(); ++i)
        m_held.push_back(std::move(*batch[i]));
    return stopAt == batch.size();
}

void StoreWorker::runRead(StoreJob &job)
{
    // One read transaction per job: a job issuing several SELECTs sees one snapshot (on
    // PostgreSQL that takes REPEATABLE READ; its default gives each statement its own).
    const auto begun = exec(m_db, m_target.isPostgres() ? u"BEGIN ISOLATION LEVEL REPEATABLE READ"_s : u"BEGIN"_s);
    Result<QVariant> result = runGuarded(job.read, m_db);
    if (begun) {
        if (const auto ended = exec(m_db, u"COMMIT"_s); !ended) {
            qCWarning(lcStore).noquote() << "ending a read transaction failed:" << ended.error().message;
            if (const auto rolledBack = exec(m_db, u"ROLLBACK"_s); !rolledBack)
                qCDebug(lcStore).noquote() << "rollback after a read:" << rolledBack.error().message;
        }
    } else {
        qCWarning(lcStore).noquote() << "read ran without a snapshot:" << begun.error().message;
    }
    if (!result)
        m_suspect = true;
    if (job.readFinished)
        job.readFinished(result);
}

void StoreWorker::closeDatabase()
{
    if (m_connectionName.isEmpty())
        return;
    dropStatements(m_connectionName);
    m_db.close();
    // removeDatabase wants no QSqlDatabase copy left, and must run on this thread.
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
}

// ---- Store ----

Result<void> Store::execPrepared(QSqlQuery &query, const QString &sql, const QVariantList &values, const QString &what)
{
    if (!query.prepare(sql))
        return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return makeError(u"cannot %1: %2"_s.arg(what, query.lastError().text()));
    return {};
}

namespace {

// execCached's SQLite half, for either kind of value list; PostgreSQL gets QVariants.
template <typename Values>
Result<void> execCachedValues(QSqlDatabase &db, const QString &sql, const Values &values, const QString &what,
                              qint64 *changes)
{
    const auto failed = [&what](const QString &reason) {
        return makeError(what.isEmpty() ? reason : u"cannot %1: %2"_s.arg(what, reason));
    };
    sqlite3 *handle = sqliteHandle(db);
    if (!handle) {
        if (Tollgate::isPostgres(db) && db.isOpen()) {
            QString error;
            if (auto done = execPostgres(db, sql, postgresValues(values), changes, &error); !done)
                return failed(error);
            return {};
        }
        return failed(u"the database connection is not an open SQLite or PostgreSQL connection"_s);
    }
    QString error;
    sqlite3_stmt *statement = cachedStatement(db, handle, sql, &error);
    if (!statement)
        return failed(error);
    const int parameters = sqlite3_bind_parameter_count(statement);
    if (qsizetype(values.size()) != parameters)
        return failed(u"%1 values for %2 parameters"_s.arg(qsizetype(values.size())).arg(parameters));
    // One buffer per thread for the statement's text, sized first (see bind()): this function
    // does not run again on this thread before its sqlite3_clear_bindings.
    thread_local QByteArray textBuffer;
    qsizetype room = 0;
    for (const auto &value : values)
        room += textRoom(value);
    if (textBuffer.size() < room)
        textBuffer.resize(std::max<qsizetype>(room, 1024));
    char *textOut = textBuffer.data();
    for (int i = 0; i < parameters; ++i) {
        const int bound = bind(statement, i + 1, values[i], textOut);
        if (bound != SQLITE_OK) {
            error = QString::fromUtf8(sqlite3_errmsg(handle));
            sqlite3_reset(statement);
            sqlite3_clear_bindings(statement);
            return failed(error);
        }
    }
    int step = sqlite3_step(statement);
    while (step == SQLITE_ROW)  // a statement with rows (a PRAGMA): they are not wanted here
        step = sqlite3_step(statement);
    if (step != SQLITE_DONE)
        error = QString::fromUtf8(sqlite3_errmsg(handle));
    // Resets the statement at once: no statement may stay active across COMMIT.
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (step != SQLITE_DONE)
        return failed(error);
    if (changes)
        *changes = sqlite3_changes64(handle);
    return {};
}

} // namespace

Result<void> Store::execCached(QSqlDatabase &db, const QString &sql, const QVariantList &values, const QString &what,
                               qint64 *changes)
{
    return execCachedValues(db, sql, values, what, changes);
}

Result<void> Store::execCachedArgs(QSqlDatabase &db, const QString &sql, std::span<const SqlArg> values,
                                   const QString &what, qint64 *changes)
{
    return execCachedValues(db, sql, values, what, changes);
}

Store::Store(QObject *parent)
    : QObject(parent)
    , m_inbox(std::make_unique<StoreInbox>())
{
}

Store::~Store()
{
    close();
}

bool Store::onStoreThread() const
{
    return m_thread && QThread::currentThread() == m_thread.get();
}

Result<void> Store::open(const QString &path)
{
    return open(DatabaseTarget::sqlite(path));
}

namespace {

// PostgreSQL: this instance's journal. Two gateways started with the same journal directory
// (the same port and database on one host, a copied config) would share it: the second one
// takes the next free slot (`<path>-2`, ...) instead. Each slot's committed number has its own
// settings row, named by host and slot.
struct JournalSlot
{
    QString path;
    int lockFd = -1;
};

JournalSlot lockJournalSlot(const QString &base)
{
    constexpr int Slots = 32;
    if (!QDir().mkpath(QFileInfo(base).absolutePath()))
        return {};
    for (int slot = 1; slot <= Slots; ++slot) {
        const QString path = slot == 1 ? base : base + u'-' + QString::number(slot);
        if (const int fd = SpendJournal::lock(path); fd >= 0)
            return {path, fd};
    }
    return {};
}

QString committedKeyFor(const QString &journalPath)
{
    return SpendJournal::CommittedSetting + u':' + QSysInfo::machineHostName() + u':' + journalPath;
}

} // namespace

Result<void> Store::open(const DatabaseTarget &target)
{
    if (onStoreThread())
        return makeError(u"Store::open called on the store thread"_s);
    if (m_thread)
        return makeError(u"store is already open at %1"_s.arg(QDir::toNativeSeparators(m_path)));

    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(u"tollgate-store"_s);
    m_worker = new StoreWorker(*m_inbox);
    m_worker->moveToThread(m_thread.get());
    m_thread->start();

    Result<int> opened = makeError(u"store thread did not answer"_s);
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, &target, &opened] { opened = worker->open(target); }, Qt::BlockingQueuedConnection);
    if (!opened) {
        stopThread();
        qCWarning(lcStore).noquote() << opened.error().message;
        return opened.error();
    }
    // Calls a killed process settled but had not committed come back from the spend journal
    // before anything reads the database.
    // Only the process holding the journal lock replays and journals; another one on the same
    // database answers its calls after their commit. On PostgreSQL the journal is this
    // instance's own, in a local directory (DatabaseTarget::journalPath).
    const QString shown = target.isPostgres() ? target.describe() : QDir::toNativeSeparators(target.sqlitePath);
    QString journalPath;
    QString committedKey = SpendJournal::CommittedSetting;
    int lockFd = -1;
    if (target.isPostgres()) {
        if (!target.journalPath.isEmpty()) {
            const JournalSlot slot = lockJournalSlot(target.journalPath);
            journalPath = slot.path;
            lockFd = slot.lockFd;
            committedKey = committedKeyFor(journalPath);
            if (lockFd < 0)
                qCWarning(lcStore).noquote() << "no spend journal slot free at" << target.journalPath
                                             << "- calls here are answered after their commit";
        }
    } else if (target.sqlitePath != u":memory:"_s) {
        journalPath = target.sqlitePath;
        lockFd = SpendJournal::lock(journalPath);
        if (lockFd < 0)
            qCInfo(lcStore).noquote() << "another process holds the spend journal of" << shown
                                      << "- calls here are answered after their commit";
    }
    if (lockFd >= 0) {
        Result<qint64> next = makeError(u"store thread did not answer"_s);
        QMetaObject::invokeMethod(
            worker, [worker, &journalPath, &committedKey, &next] { next = worker->recoverJournal(journalPath, committedKey); },
            Qt::BlockingQueuedConnection);
        if (!next) {
            ::close(lockFd);
            QMetaObject::invokeMethod(worker, [worker] { worker->shutdown(); }, Qt::BlockingQueuedConnection);
            stopThread();
            qCWarning(lcStore).noquote() << next.error().message;
            return next.error();
        }
        m_journal = std::make_unique<SpendJournal>(journalPath, *next, SpendJournal::DefaultSegmentBytes, lockFd);
        m_journal->setCommittedKey(committedKey);
        m_worker->setJournal(m_journal.get());  // no job runs before the inbox starts
        if (target.isPostgres())
            qCInfo(lcStore).noquote() << "spend journal of this instance:" << QDir::toNativeSeparators(journalPath);
    }
    m_path = target.isPostgres() ? target.describe() : target.sqlitePath;
    m_target = std::make_unique<DatabaseTarget>(target);
    m_schemaVersion = *opened;
    m_inbox->start(m_worker);
    return {};
}

void Store::close()
{
    if (!m_thread)
        return;
    if (onStoreThread()) {
        // The thread cannot join itself; this is a programming error.
        qCCritical(lcStore) << "Store::close called on the store thread; ignored";
        Q_ASSERT_X(false, "Store::close", "called on the store thread");
        return;
    }
    m_inbox->stop();
    StoreWorker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker] { worker->shutdown(); }, Qt::BlockingQueuedConnection);
    stopThread();
    // Everything queued is committed now (or could not be, after a last attempt): the journal
    // removes the files whose records are all in and keeps the rest for the next open.
    m_journal.reset();
    qCInfo(lcStore).noquote() << "closed" << QDir::toNativeSeparators(m_path);
}

void Store::stopThread()
{
    m_thread->quit();
    m_thread->wait();
    // The thread has finished, so nothing else can touch the worker any more.
    delete m_worker;
    m_worker = nullptr;
    m_thread.reset();
}

bool Store::isOpen() const
{
    return m_inbox->accepting();
}

QString Store::path() const
{
    return m_path;
}

bool Store::isPostgres() const
{
    return m_target && m_target->isPostgres();
}

int Store::schemaVersion() const
{
    return m_schemaVersion;
}

int Store::batchesCommitted() const
{
    return m_inbox->batches();
}

void Store::read(ReadJob job, QObject *context, ReadDone done)
{
    StoreJob entry;
    entry.read = std::move(job);
    entry.readFinished = deliverTo<QVariant>(context, std::move(done));
    m_inbox->submit(std::move(entry));
}

void Store::write(WriteJob job, QObject *context, WriteDone done)
{
    StoreJob entry;
    entry.isWrite = true;
    entry.write = std::move(job);
    entry.writeFinished = deliverTo<void>(context, std::move(done));
    m_inbox->submit(std::move(entry));
}

bool Store::recordSpend(JournalRecord record, QList<WriteJob> jobs, QObject *context, WriteDone done,
                        Delivery delivery)
{
    std::vector<SettledCall> calls;
    calls.push_back({std::move(record), 0, std::move(jobs), context, std::move(done), delivery});
    return recordSpends(std::move(calls)).front();
}

std::vector<bool> Store::recordSpends(std::vector<SettledCall> calls)
{
    bool journaled = false;
    if (m_journal && m_inbox->accepting() && !calls.empty()) {
        QVarLengthArray<JournalRecord *, 64> records;
        for (SettledCall &call : calls)
            records.append(&call.record);
        if (const auto appended = m_journal->append(std::span<JournalRecord *const>(records.cbegin(), records.size()));
            appended) {
            journaled = true;
        } else {
            qCWarning(lcStore).noquote() << appended.error().message
                                         << (calls.size() == 1 ? "- this call waits for its commit"
                                                               : "- these calls wait for their commit");
            // Not in the journal: nothing of theirs to replay, their numbers are done with.
            for (const SettledCall &call : calls)
                m_journal->committed(call.record.seq);
        }
    }
    std::vector<bool> answered;
    answered.reserve(calls.size());
    for (SettledCall &call : calls) {
        // A store that falls far behind (a slow disk) slows the callers down instead of
        // queueing without bound: past the limit the answer waits for the commit again.
        const bool answerNow
            = journaled && m_inbox->pending() < m_lazyBacklogLimit.load(std::memory_order_relaxed);
        submitSettled(std::move(call), journaled ? call.record.seq : 0, answerNow, {});
        answered.push_back(answerNow);
    }
    return answered;
}

void Store::submitSettled(SettledCall call, qint64 journalSeq, bool lazy, std::shared_ptr<std::atomic<int>> staged)
{
    StoreJob entry;
    entry.isWrite = true;
    entry.durable = true;
    entry.lazy = lazy;
    entry.journalSeq = journalSeq;
    entry.inFlightSeq = m_journal ? call.inFlightSeq : 0;
    entry.spend = true;
    // The row first (it takes the write lock for the read-modify-writes after it), and only a
    // row that was not there yet brings its increments: the job can be run again safely.
    entry.write = [row = std::move(call.record.row), increments = IdentityRepository::all(std::move(call.jobs))](
                      QSqlDatabase &db) -> Result<void> {
        bool inserted = false;
        if (auto done = SpendLogRepository::insertOnce(db, row, &inserted); !done || !inserted)
            return done;
        return increments(db);
    };
    // Runs on the store thread after the batch: a committed record's journal entry is done. A
    // call answered at once hears only of a failure — unless its record is staged and not known
    // to be written yet (recordSpendSoon): then the commit answers it, whichever comes first.
    const bool failuresOnly = lazy && call.delivery == Delivery::FailuresWhenAnsweredNow;
    entry.writeFinished = [journal = journalSeq || entry.inFlightSeq ? m_journal.get() : nullptr, seq = journalSeq,
                           inFlightSeq = entry.inFlightSeq, failuresOnly, staged = std::move(staged),
                           deliver = deliverTo<void>(call.context, std::move(call.done))](const Result<void> &result) {
        if (journal && result) {
            if (seq)
                journal->committed(seq);
            if (inFlightSeq)
                journal->committed(inFlightSeq);   // the call settled: nothing of it to replay
        }
        const bool written = !staged || staged->load(std::memory_order_acquire) == StagedWritten;
        if (deliver && !(failuresOnly && result && written))
            deliver(result);
    };
    m_inbox->submit(std::move(entry));
}

void Store::recordSpendSoon(SettledCall call, std::function<void()> answer)
{
    QObject *context = call.context;
    if (!m_journal || !m_inbox->accepting() || !context) {
        std::vector<SettledCall> one;
        one.push_back(std::move(call));
        if (recordSpends(std::move(one)).front() && answer)
            QMetaObject::invokeMethod(context ? context : this, std::move(answer), Qt::QueuedConnection);
        return;
    }
    const bool answerNow = m_inbox->pending() < m_lazyBacklogLimit.load(std::memory_order_relaxed);
    QMutexLocker lock(&m_soonMutex);
    const quint64 batch = m_journal->stage(call.record);
    // One outcome for the calls of a batch (they are written together): the previous call's,
    // when it is in the same batch.
    auto state = !m_soon.empty() && m_soon.back().batch == batch ? m_soon.back().state
                                                                 : std::make_shared<std::atomic<int>>(StagedPending);
    // Submitted now, in order with the caller's other store jobs (a shared budget's lease
    // request after this call must see its spend); written to the journal at the end of the pass.
    const qint64 seq = call.record.seq;
    submitSettled(std::move(call), seq, answerNow, answerNow ? state : nullptr);
    Staged staged{batch, std::move(state), {}, context, {}};
    if (answerNow)
        staged.answer = std::move(answer);  // else written with the others, answered after its COMMIT
    if (m_soonPosted && !m_soonGuard) {
        // The object the pass's event was posted to is gone, and the event with it: its calls are
        // written with the next pass but not answered (their gateway went with it).
        for (Staged &gone : m_soon) {
            if (gone.context == m_soonContext)
                gone.answer = {};
        }
        m_soonPosted = false;
    }
    if (!m_soonPosted) {
        m_soonPosted = true;
        m_soonContext = context;
        m_soonGuard = context;
        QMetaObject::invokeMethod(context, [store = QPointer<Store>(this)] {
            if (store)
                store->answerStaged();
        }, Qt::QueuedConnection);
    } else if (context != m_soonContext) {
        staged.elsewhere = context;  // a caller on another thread: answered there
    }
    m_soon.push_back(std::move(staged));
}

qint64 Store::noteInFlight(JournalRecord &record)
{
    if (!m_journal || !m_inbox->accepting())
        return 0;
    (void)m_journal->stage(record);
    return record.seq;
}

void Store::writeJournal()
{
    if (m_journal)
        m_journal->writeStaged();
}

void Store::answerStaged()
{
    std::vector<Staged> staged;
    {
        QMutexLocker lock(&m_soonMutex);
        staged.swap(m_soon);
        m_soonPosted = false;
        m_soonContext = nullptr;
    }
    std::vector<std::function<void()>> answers;
    bool warned = false;
    for (Staged &call : staged) {
        const bool written = m_journal && m_journal->flushStaged(call.batch);
        call.state->store(written ? StagedWritten : StagedFailed, std::memory_order_release);
        if (!written && !warned) {
            warned = true;
            qCWarning(lcStore) << "cannot write the spend journal - these calls wait for their commit";
        }
        if (!written || !call.answer)
            continue;
        if (!call.elsewhere && call.context)
            answers.push_back(std::move(call.answer));
        else if (call.elsewhere)
            QMetaObject::invokeMethod(call.elsewhere.data(), std::move(call.answer), Qt::QueuedConnection);
    }
    for (std::function<void()> &answer : answers)
        answer();
}

void Store::setLazyBacklogLimit(qsizetype jobs)
{
    m_lazyBacklogLimit.store(jobs, std::memory_order_relaxed);
}

SpendJournal *Store::spendJournal() const
{
    return m_journal.get();
}

Result<QVariant> Store::readNow(ReadJob job)
{
    if (onStoreThread())
        return makeError(u"Store::readNow called on the store thread; it would wait for itself"_s);
    // Through the same queue as everything else, so it is ordered with earlier writes.
    std::promise<Result<QVariant>> answer;
    std::future<Result<QVariant>> future = answer.get_future();
    StoreJob entry;
    entry.read = std::move(job);
    entry.readFinished = [&answer](const Result<QVariant> &result) { answer.set_value(result); };
    m_inbox->submit(std::move(entry));
    return future.get();
}

Result<void> Store::writeNow(WriteJob job)
{
    if (onStoreThread())
        return makeError(u"Store::writeNow called on the store thread; it would wait for itself"_s);
    std::promise<Result<void>> answer;
    std::future<Result<void>> future = answer.get_future();
    StoreJob entry;
    entry.isWrite = true;
    entry.write = std::move(job);
    entry.writeFinished = [&answer](const Result<void> &result) { answer.set_value(result); };
    m_inbox->submit(std::move(entry));
    return future.get();
}

QString Store::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/tollgate.db"_s;
}

} // namespace Tollgate
