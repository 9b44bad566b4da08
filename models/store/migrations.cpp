#include "migrations.h"

#include "databasetarget.h"

#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace Tollgate {

// Defined in store.cpp: migrations are part of the store component.
Q_DECLARE_LOGGING_CATEGORY(lcStore)

namespace {

// Version 1, the spine: one row per call, who changed what, and gateway-wide values.
// Money is integer nano-dollars (1e-9 USD) so sums never drift; times are ISO-8601 UTC
// with milliseconds and Z, which sort as text; api_key is the SHA-256 token, never a key.
Migration spineV1()
{
    return Migration{
        1,
        u"spend log, audit log, settings"_s,
        {
            uR"(CREATE TABLE spend_logs (
                request_id TEXT PRIMARY KEY,
                call_type TEXT NOT NULL,
                api_key TEXT NOT NULL DEFAULT '',
                spend_nanousd INTEGER NOT NULL DEFAULT 0,
                prompt_tokens INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                total_tokens INTEGER NOT NULL DEFAULT 0,
                start_time TEXT NOT NULL,
                end_time TEXT NOT NULL,
                model TEXT NOT NULL DEFAULT '',
                model_group TEXT NOT NULL DEFAULT '',
                model_id TEXT NOT NULL DEFAULT '',
                user_id TEXT NOT NULL DEFAULT '',
                end_user TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL DEFAULT 'success',
                cost_estimated INTEGER NOT NULL DEFAULT 0,
                price_unknown INTEGER NOT NULL DEFAULT 0,
                metadata TEXT NOT NULL DEFAULT '{}'
            ))"_s,
            u"CREATE INDEX idx_spend_logs_start_time ON spend_logs (start_time)"_s,
            u"CREATE INDEX idx_spend_logs_api_key ON spend_logs (api_key)"_s,
            u"CREATE INDEX idx_spend_logs_user_id ON spend_logs (user_id)"_s,
            u"CREATE INDEX idx_spend_logs_end_user ON spend_logs (end_user)"_s,
            u"CREATE INDEX idx_spend_logs_model_group ON spend_logs (model_group)"_s,
            uR"(CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                object_type TEXT NOT NULL,
                object_id TEXT NOT NULL,
                details TEXT NOT NULL DEFAULT '{}'
            ))"_s,
            u"CREATE INDEX idx_audit_log_at ON audit_log (at)"_s,
            uR"(CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ))"_s,
        },
    };
}

// Runs one statement; the query is gone when this returns, so no statement stays
// open across COMMIT.
Result<void> exec(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    if (!query.exec(sql))
        return makeError(query.lastError().text());
    return {};
}

// PostgreSQL keeps the version in a one-row table; two gateways starting together on one
// database take turns through this advisory lock (held until their transaction ends).
const QString PgMigrationLock = u"SELECT pg_advisory_xact_lock(7424017)"_s;

Result<void> ensurePgVersionTable(QSqlDatabase &db)
{
    // In a transaction of its own under the lock: CREATE TABLE IF NOT EXISTS run by two
    // sessions at once can still collide.
    if (const auto begun = exec(db, u"BEGIN"_s); !begun)
        return begun;
    for (const QString &sql : {PgMigrationLock,
                               u"CREATE TABLE IF NOT EXISTS tollgate_schema (version BIGINT NOT NULL)"_s,
                               u"INSERT INTO tollgate_schema (version) SELECT 0 WHERE NOT EXISTS "
                               "(SELECT 1 FROM tollgate_schema)"_s,
                               u"COMMIT"_s}) {
        if (const auto done = exec(db, sql); !done) {
            (void)exec(db, u"ROLLBACK"_s);
            return done;
        }
    }
    return {};
}

Result<int> userVersion(QSqlDatabase &db)
{
    QSqlQuery query(db);
    const QString sql = isPostgres(db) ? u"SELECT version FROM tollgate_schema"_s : u"PRAGMA user_version"_s;
    if (!query.exec(sql) || !query.next())
        return makeError(u"cannot read the database schema version: "_s + query.lastError().text());
    return query.value(0).toInt();
}

Result<void> setUserVersion(QSqlDatabase &db, int version)
{
    // PRAGMA takes no bound parameters; the version is an int we control.
    return exec(db, isPostgres(db) ? u"UPDATE tollgate_schema SET version = %1"_s.arg(version)
                                   : u"PRAGMA user_version = %1"_s.arg(version));
}

Error newerThanUs(int found, int known)
{
    return makeError(u"database schema version %1 is newer than this Tollgate (%2); upgrade Tollgate"_s
                         .arg(found)
                         .arg(known));
}

// Applies one step and its user_version bump in a single transaction, so a crash or an
// error leaves the database at the previous version, never half-way.
Result<void> applyStep(QSqlDatabase &db, const Migration &step)
{
    // IMMEDIATE takes the write lock now (PostgreSQL: the advisory lock): if another process
    // migrated the same database meanwhile, the version re-read below shows it and this step
    // is skipped.
    const bool postgres = isPostgres(db);
    auto begun = exec(db, postgres ? u"BEGIN"_s : u"BEGIN IMMEDIATE"_s);
    if (begun && postgres) {
        begun = exec(db, PgMigrationLock);
        if (!begun)
            (void)exec(db, u"ROLLBACK"_s);
    }
    if (!begun)
        return makeError(u"migration to version %1 could not start: %2"_s.arg(step.version)
                             .arg(begun.error().message));

    const auto fail = [&db, &step](const QString &what) -> Result<void> {
        if (const auto rolledBack = exec(db, u"ROLLBACK"_s); !rolledBack)
            qCWarning(lcStore) << "rollback after a failed migration failed:" << rolledBack.error().message;
        return makeError(u"migration to version %1 (%2) failed: %3"_s.arg(step.version)
                             .arg(step.description, what));
    };

    const Result<int> current = userVersion(db);
    if (!current)
        return fail(current.error().message);
    if (*current >= step.version)
        return exec(db, u"COMMIT"_s);

    for (const QString &statement : statementsFor(db, step)) {
        if (const auto done = exec(db, statement); !done)
            return fail(done.error().message);
    }
    if (const auto bumped = setUserVersion(db, step.version); !bumped)
        return fail(bumped.error().message);
    if (const auto committed = exec(db, u"COMMIT"_s); !committed)
        return fail(committed.error().message);
    return {};
}

} // namespace

// Keys, users, end users and store-added models. Each row keeps its entity as JSON (the
// API's shape) in `data`; columns hold what is looked up or changed on its own.
Migration identitiesV2()
{
    return Migration{
        2,
        u"keys, users, end users, models"_s,
        {
            uR"(CREATE TABLE users (
                user_id TEXT PRIMARY KEY,
                data TEXT NOT NULL,
                spend_nanousd INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ))"_s,
            uR"(CREATE TABLE keys (
                token TEXT PRIMARY KEY,
                key_alias TEXT UNIQUE,
                user_id TEXT,
                data TEXT NOT NULL,
                spend_nanousd INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ))"_s,
            u"CREATE INDEX idx_keys_user_id ON keys(user_id)"_s,
            uR"(CREATE TABLE end_users (
                user_id TEXT PRIMARY KEY,
                data TEXT NOT NULL,
                spend_nanousd INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ))"_s,
            uR"(CREATE TABLE proxy_models (
                model_id TEXT PRIMARY KEY,
                model_name TEXT NOT NULL,
                data TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ))"_s,
        },
    };
}

// The token split: cached prompt tokens are priced apart (the cache-read price), so the
// log shows how many there were. Rows from before count none.
Migration cachedTokensV3()
{
    return Migration{
        3,
        u"spend log cached tokens"_s,
        {u"ALTER TABLE spend_logs ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0"_s},
    };
}

// Coding agents: the prompt tokens written to the provider's cache (and of them, those kept
// for an hour) are priced apart from the rest; the API dialect the client spoke; the agent
// session a call belongs to (indexed: the log is filtered and reported by it). Older rows
// wrote no cache and had no session; their dialect follows from their call type.
Migration agentSessionsV4()
{
    return Migration{
        4,
        u"spend log cache writes, dialect, session"_s,
        {
            u"ALTER TABLE spend_logs ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0"_s,
            u"ALTER TABLE spend_logs ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0"_s,
            u"ALTER TABLE spend_logs ADD COLUMN dialect TEXT NOT NULL DEFAULT ''"_s,
            u"ALTER TABLE spend_logs ADD COLUMN session_id TEXT NOT NULL DEFAULT ''"_s,
            uR"(UPDATE spend_logs SET dialect = CASE call_type
                    WHEN 'acompletion' THEN 'chat'
                    WHEN 'atext_completion' THEN 'completions'
                    WHEN 'aembedding' THEN 'embeddings'
                    WHEN 'anthropic_messages' THEN 'messages'
                    ELSE '' END)"_s,
            u"CREATE INDEX idx_spend_logs_session_id ON spend_logs (session_id)"_s,
        },
    };
}

// The Responses API responses relayed: the deployment that keeps each one and the key that
// made it (stored-response routes and follow-ups go there after a restart too). Appended once
// per response on the hot path, so no key and no index: rows are read newest first (rowid)
// once at start, where a repeated id's newest row wins and older rows are pruned.
Migration responsesV5()
{
    return Migration{
        5,
        u"relayed responses"_s,
        {
            uR"(CREATE TABLE responses (
                response_id TEXT NOT NULL,
                deployment_id TEXT NOT NULL,
                model_group TEXT NOT NULL,
                api_key TEXT NOT NULL DEFAULT '',
                context_tokens INTEGER NOT NULL DEFAULT 0,
                created_at_ms INTEGER NOT NULL))"_s,
        },
        // PostgreSQL has no rowid: a column of that name keeps the insertion order.
        {
            uR"(CREATE TABLE responses (
                rowid BIGSERIAL,
                response_id TEXT NOT NULL,
                deployment_id TEXT NOT NULL,
                model_group TEXT NOT NULL,
                api_key TEXT NOT NULL DEFAULT '',
                context_tokens INTEGER NOT NULL DEFAULT 0,
                created_at_ms INTEGER NOT NULL))"_s,
            u"CREATE INDEX idx_responses_rowid ON responses (rowid)"_s,
        },
    };
}

// Refused and failed calls: the status the client got and why (the log shows who hits which
// limit); the log is filtered by status.
Migration refusalsV6()
{
    return Migration{
        6,
        u"spend log refusals"_s,
        {
            u"ALTER TABLE spend_logs ADD COLUMN http_status INTEGER NOT NULL DEFAULT 0"_s,
            u"ALTER TABLE spend_logs ADD COLUMN reason TEXT NOT NULL DEFAULT ''"_s,
            u"CREATE INDEX idx_spend_logs_status ON spend_logs (status, start_time)"_s,
        },
    };
}

// Budgets shared by several gateways on one database (docs/shared-budgets.md): per budget scope
// the spend of its window as all instances settled it and the leases they hold on its remainder
// (budget_shares, one row a scope: its conditional UPDATE is the one place instances agree), and
// each instance's lease with an expiry (budget_leases), so a killed instance's lease comes back.
// Only SQL both SQLite and PostgreSQL run: BIGINT money, TEXT windows, no SQLite-only types.
Migration budgetLeasesV7()
{
    return Migration{
        7,
        u"shared budget leases"_s,
        {
            uR"(CREATE TABLE budget_shares (
                scope TEXT NOT NULL PRIMARY KEY,
                window_end TEXT NOT NULL DEFAULT '',
                spend_nanousd BIGINT NOT NULL DEFAULT 0,
                leased_nanousd BIGINT NOT NULL DEFAULT 0,
                granted_nanousd BIGINT NOT NULL DEFAULT 0))"_s,
            uR"(CREATE TABLE budget_leases (
                scope TEXT NOT NULL,
                instance TEXT NOT NULL,
                amount_nanousd BIGINT NOT NULL DEFAULT 0,
                expires_at_ms BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (scope, instance)))"_s,
        },
    };
}

// Several gateway instances on one database (general_settings.shared_database): every management
// change appends a row to `changes` in its own transaction, which the other instances follow (seq
// order) to reload what changed; `instances` holds each live process's heartbeat, from which
// rate limits are split. Read by seq (the key) and pruned by time (indexed). Times are epoch
// milliseconds, written by the instances' clocks.
Migration sharedInstancesV8()
{
    return Migration{
        8,
        u"changes feed and live instances"_s,
        {
            uR"(CREATE TABLE changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                object_id TEXT NOT NULL,
                origin TEXT NOT NULL,
                at_ms INTEGER NOT NULL
            ))"_s,
            u"CREATE INDEX idx_changes_at ON changes (at_ms)"_s,
            uR"(CREATE TABLE instances (
                instance_id TEXT PRIMARY KEY,
                started_ms INTEGER NOT NULL,
                last_seen_ms INTEGER NOT NULL
            ))"_s,
        },
    };
}

// The spend log's indexes on columns most rows leave empty (or at 'success') hold only the rows
// a filter on them can find: a user, an end user, an agent session, a status other than success.
// Each index a row skips is one B-tree insert less on the store thread, per call (a master-key
// call has no user, most calls no session, nearly all succeed). A query uses such an index only
// when its WHERE names the index's condition (whereOf() adds it: `user_id <> ''`, ...).
Migration partialSpendIndexesV9()
{
    return Migration{
        9,
        u"partial spend log indexes"_s,
        {
            u"DROP INDEX idx_spend_logs_user_id"_s,
            u"CREATE INDEX idx_spend_logs_user_id ON spend_logs (user_id) WHERE user_id <> ''"_s,
            u"DROP INDEX idx_spend_logs_end_user"_s,
            u"CREATE INDEX idx_spend_logs_end_user ON spend_logs (end_user) WHERE end_user <> ''"_s,
            u"DROP INDEX idx_spend_logs_session_id"_s,
            u"CREATE INDEX idx_spend_logs_session_id ON spend_logs (session_id) WHERE session_id <> ''"_s,
            u"DROP INDEX idx_spend_logs_status"_s,
            u"CREATE INDEX idx_spend_logs_status ON spend_logs (status, start_time) WHERE status <> 'success'"_s,
        },
    };
}

// A shared budget's lease that expired (its instance was killed, or stuck past the lease's life)
// is counted as spent, not handed out again: the provider may still bill the calls it backed
// (docs/shared-budgets.md, "Instance killed"). budget_leases learns which spend journal replays
// its instance's calls; budget_writeoffs keeps each lease so counted, until the instance comes
// back (renew) or a process replaying that journal starts (SpendJournal::recover).
Migration leaseWriteOffsV10()
{
    return Migration{
        10,
        u"expired shared budget leases counted as spent"_s,
        {
            u"ALTER TABLE budget_leases ADD COLUMN journal TEXT NOT NULL DEFAULT ''"_s,
            uR"(CREATE TABLE budget_writeoffs (
                scope TEXT NOT NULL,
                instance TEXT NOT NULL,
                journal TEXT NOT NULL DEFAULT '',
                window_end TEXT NOT NULL DEFAULT '',
                amount_nanousd BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (scope, instance)))"_s,
        },
    };
}

const QList<Migration> &migrations()
{
    static const QList<Migration> steps{spineV1(), identitiesV2(), cachedTokensV3(), agentSessionsV4(), responsesV5(),
                                        refusalsV6(), budgetLeasesV7(), sharedInstancesV8(),
                                        partialSpendIndexesV9(), leaseWriteOffsV10()};
    return steps;
}

QString postgresDdl(const QString &sqliteSql)
{
    static const QRegularExpression autoincrement(u"\\bINTEGER\\s+PRIMARY\\s+KEY\\s+AUTOINCREMENT\\b"_s,
                                                  QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression integer(u"\\bINTEGER\\b"_s, QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression blob(u"\\bBLOB\\b"_s, QRegularExpression::CaseInsensitiveOption);
    QString sql = sqliteSql;
    sql.replace(autoincrement, u"BIGSERIAL PRIMARY KEY"_s);
    sql.replace(integer, u"BIGINT"_s);
    sql.replace(blob, u"BYTEA"_s);
    return sql;
}

QStringList statementsFor(const QSqlDatabase &db, const Migration &step)
{
    if (!isPostgres(db))
        return step.statements;
    QStringList statements;
    for (const QString &sql : step.postgres.isEmpty() ? step.statements : step.postgres)
        statements.append(postgresDdl(sql));
    return statements;
}

Result<int> schemaVersion(QSqlDatabase &db)
{
    return userVersion(db);
}

int latestSchemaVersion()
{
    return migrations().isEmpty() ? 0 : migrations().constLast().version;
}

Result<int> migrate(QSqlDatabase &db, const QList<Migration> &steps)
{
    // A list with a gap or a repeat would silently skip or reapply SQL: refuse it.
    for (qsizetype i = 0; i < steps.size(); ++i) {
        if (steps.at(i).version != i + 1)
            return makeError(u"migration list is out of order: step %1 has version %2"_s.arg(i + 1)
                                 .arg(steps.at(i).version));
    }
    const int target = steps.isEmpty() ? 0 : steps.constLast().version;

    if (isPostgres(db)) {
        if (const auto created = ensurePgVersionTable(db); !created)
            return makeError(u"cannot create the schema version table: "_s + created.error().message);
    }
    const Result<int> found = userVersion(db);
    if (!found)
        return found.error();
    // Checked before anything is written: an older Tollgate must not touch a schema it
    // does not understand.
    if (*found > target)
        return newerThanUs(*found, target);

    for (const Migration &step : steps) {
        if (step.version <= *found)
            continue;
        if (const auto applied = applyStep(db, step); !applied)
            return applied.error();
        qCInfo(lcStore).noquote() << "database migrated to schema version" << step.version << '-'
                                  << step.description;
    }

    const Result<int> now = userVersion(db);
    if (!now)
        return now.error();
    // Another process may have moved the file past us between the steps.
    if (*now > target)
        return newerThanUs(*now, target);
    return *now;
}

} // namespace Tollgate
