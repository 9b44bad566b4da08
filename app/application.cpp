#include "application.h"

#include "runtime.h"

#include "../models/config.h"
#include "../models/store/databasecopy.h"
#include "../models/store/store.h"
#include "../proxy/deployments.h"
#include "../proxy/gateway.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <cstdio>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

void printError(const QString &text)
{
    std::fprintf(stderr, "tollgate: %s\n", qPrintable(text));
}

void printLine(const QString &text)
{
    std::fprintf(stdout, "%s\n", qPrintable(text));
    std::fflush(stdout);
}

// --migrate-db's FROM or TO: a postgresql:// URL, else a SQLite file. Another scheme is refused
// rather than taken for a file name (the message never repeats the text: it may hold a password).
Result<DatabaseTarget> migrationTarget(const QString &text, const QString &which)
{
    if (DatabaseTarget::isPostgresUrl(text)) {
        auto target = DatabaseTarget::fromUrl(text);
        if (!target)
            return makeError(which + u": "_s + target.error().message);
        return target;
    }
    if (text.contains(u"://"_s))
        return makeError(which + u" must be a SQLite file or a postgresql:// URL"_s);
    if (text == u":memory:"_s)
        return makeError(which + u" must be a file, not :memory:"_s);
    return DatabaseTarget::sqlite(text);
}

} // namespace

Application::Application(CommandLine commandLine) : m_commandLine(std::move(commandLine)) {}

int Application::run()
{
    switch (m_commandLine.action) {
    case CommandLine::Action::Help:
        printLine(CommandLine::helpText());
        return 0;
    case CommandLine::Action::Version:
        printLine(u"tollgate "_s + QStringLiteral(TOLLGATE_VERSION));
        return 0;
    case CommandLine::Action::CheckConfig:
        return checkConfig();
    case CommandLine::Action::MigrateDb:
        return migrateDb();
    case CommandLine::Action::Run:
        // The window runs in its module (main() loads it): here the gateway runs headless.
        return serve();
    }
    return 1;
}

int Application::checkConfig()
{
    LayeredSecretStore secrets;
    auto config = Runtime::loadConfig(m_commandLine.configPath, secrets);
    if (!config) {
        printError(config.error().toString());
        return 2;
    }
    const DeploymentTable table(config->models);
    printLine(u"%1: OK — %2 deployment(s) in %3 model group(s)"_s.arg(config->sourceFile)
                  .arg(config->models.size())
                  .arg(table.groupNames().size()));
    return 0;
}

int Application::migrateDb()
{
    const auto from = migrationTarget(m_commandLine.migrateFrom, u"FROM"_s);
    if (!from) {
        printError(from.error().message);
        return 2;
    }
    const auto to = migrationTarget(m_commandLine.migrateTo, u"TO"_s);
    if (!to) {
        printError(to.error().message);
        return 2;
    }
    if (sameDatabase(*from, *to)) {
        printError(u"FROM and TO are the same database (%1)"_s.arg(from->describe()));
        return 2;
    }
    // The store's open/close lines are noise here; a journal replay (tollgate.journal) still shows.
    QLoggingCategory::setFilterRules(u"tollgate.store.info=false"_s);
    printLine(u"Copying %1 to %2 …"_s.arg(from->describe(), to->describe()));
    const auto report = copyDatabase(*from, *to);
    if (!report) {
        printError(report.error().message);
        return 1;
    }
    printLine(u"Schema version %1. Rows (FROM → TO):"_s.arg(report->schemaVersion));
    for (const DatabaseCopyReport::Table &table : report->tables)
        printLine(u"  %1: %2 → %3"_s.arg(table.name).arg(table.fromRows).arg(table.toRows));
    printLine(u"Spend sums in nano-dollars (FROM → TO):"_s);
    for (const DatabaseCopyReport::Sum &sum : report->sums)
        printLine(u"  %1.%2: %3 → %4"_s.arg(sum.table, sum.column).arg(sum.from).arg(sum.to));
    for (const QString &skipped : report->skipped)
        printLine(u"  not copied (TO has no such table or column): %1"_s.arg(skipped));
    if (const QStringList differences = report->mismatches(); !differences.isEmpty()) {
        for (const QString &difference : differences)
            printError(u"mismatch after the copy: "_s + difference);
        return 1;
    }
    printLine(u"OK: %1 copied to %2; row counts and spend sums match."_s.arg(from->describe(), to->describe()));
    return 0;
}

int Application::serve()
{
    LayeredSecretStore secrets;
    auto config = Runtime::loadConfig(m_commandLine.configPath, secrets);
    if (!config) {
        printError(config.error().toString());
        return 2;
    }
    const auto address = Runtime::listenAddress(m_commandLine.host);
    if (!address) {
        printError(address.error().message);
        return 2;
    }
    const QHostAddress host = *address;
    if (!host.isLoopback() && config->general.masterKey.isEmpty()) {
        printError(u"refusing to listen on %1 without general_settings.master_key: anyone on the network "
                   "could spend your budget. Set a master key or listen on 127.0.0.1."_s.arg(host.toString()));
        return 2;
    }
    const auto target = Runtime::databaseTarget(m_commandLine.databasePath, *config, m_commandLine.configPath,
                                                m_commandLine.port, qEnvironmentVariable("DATABASE_URL"));
    if (!target) {
        printError(target.error().message);
        return 2;
    }
    // The password never reaches the output: describe() leaves it out.
    const QString databasePath = target->describe();
    Runtime::raiseOpenFileLimit();

    Store store;
    if (auto opened = store.open(*target); !opened) {
        // Store's message names the database already (host, port, name; no password).
        printError(target->isPostgres() ? opened.error().message
                                        : u"cannot open the database %1: %2"_s.arg(databasePath, opened.error().message));
        return 1;
    }

    Gateway::Options options;
    options.host = host;
    options.port = m_commandLine.port;
    options.secrets = &secrets;
    GatewayHost gateway;
    const QString configName = config->sourceFile;
    const bool openAccess = config->general.masterKey.isEmpty();
    auto started = gateway.start(std::move(*config), &store, options);
    if (!started) {
        printError(started.error().toString());
        store.close();
        return 1;
    }

    // Start-up (the config, the routes, the TLS back-end's set-up, the database's migrations, on
    // the gateway and store threads) leaves freed memory in glibc's arenas, which keeps it resident: hand it
    // back before idling (issue #16, idle memory). The memory in use stays as it is. Measured: it
    // still saves ~0.4 MiB of idle RSS with jemalloc linked (what it trims there is not traced).
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif

    Runtime::quitOnSignals(QCoreApplication::instance());
    printLine(u"Tollgate %1 listening on %2/v1 (config: %3, database: %4)"_s.arg(
        QStringLiteral(TOLLGATE_VERSION), Runtime::baseUrl(host, *started), configName, databasePath));
    if (openAccess)
        printLine(u"No master_key configured: every local caller is admin. Set general_settings.master_key to require keys."_s);

    const int code = QCoreApplication::exec();
    printLine(u"Shutting down…"_s);
    gateway.stop();
    store.close();
    return code;
}

} // namespace Tollgate
