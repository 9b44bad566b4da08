#include "application.h"

#include "runtime.h"

#include "../models/config.h"
#include "../models/store/store.h"
#include "../proxy/deployments.h"
#include "../proxy/gateway.h"

#include <QCoreApplication>
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
