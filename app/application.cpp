#include "application.h"

#include "../models/config.h"
#include "../models/secretstore.h"
#include "../models/store/store.h"
#include "../proxy/deployments.h"
#include "../proxy/gateway.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <unistd.h>

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

// Secrets from TOLLGATE_SECRET_<NAME> first (headless machines have no keychain), then the
// OS keychain.
class LayeredSecretStore final : public ISecretStore
{
public:
    Result<QString> readSecret(const QString &name) override
    {
        auto fromEnvironment = m_environment.readSecret(name);
        if (fromEnvironment)
            return fromEnvironment;
        return m_keychain.readSecret(name);
    }
    Result<void> writeSecret(const QString &name, const QString &value) override
    {
        return m_keychain.writeSecret(name, value);
    }
    Result<void> deleteSecret(const QString &name) override { return m_keychain.deleteSecret(name); }
    [[nodiscard]] QString backendName() const override
    {
        return m_environment.backendName() + u" + "_s + m_keychain.backendName();
    }

private:
    MemorySecretStore m_environment = MemorySecretStore::fromEnvironment();
    KeychainSecretStore m_keychain;
};

Result<Config> loadConfig(const QString &path, ISecretStore &secrets)
{
    return path.isEmpty() ? ConfigLoader::loadDefault(secrets) : ConfigLoader::loadFile(path, secrets);
}

// SIGINT/SIGTERM → a byte on a pipe → a clean quit of the event loop.
int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

void installSignalHandlers(QObject *context)
{
    if (::pipe(signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [notifier] {
        char byte = 0;
        [[maybe_unused]] const auto got = ::read(signalPipe[0], &byte, 1);
        notifier->setEnabled(false);
        QCoreApplication::quit();
    });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
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
        return serve();
    }
    return 1;
}

int Application::checkConfig()
{
    LayeredSecretStore secrets;
    auto config = loadConfig(m_commandLine.configPath, secrets);
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
    auto config = loadConfig(m_commandLine.configPath, secrets);
    if (!config) {
        printError(config.error().toString());
        return 2;
    }

    QHostAddress host;
    if (m_commandLine.host == u"localhost")
        host = QHostAddress(QHostAddress::LocalHost);
    else if (!host.setAddress(m_commandLine.host)) {
        printError(u"--host must be an IP address, not '%1'"_s.arg(m_commandLine.host));
        return 2;
    }
    if (!host.isLoopback() && config->general.masterKey.isEmpty()) {
        printError(u"refusing to listen on %1 without general_settings.master_key: anyone on the network "
                   "could spend your budget. Set a master key or listen on 127.0.0.1."_s.arg(host.toString()));
        return 2;
    }

    QString databasePath = m_commandLine.databasePath;
    if (databasePath.isEmpty() && !config->general.databaseUrl.isEmpty()) {
        databasePath = config->general.databaseUrl;
        if (databasePath.startsWith(u"sqlite:///"))
            databasePath = databasePath.mid(9);
        if (QFileInfo(databasePath).isRelative() && !m_commandLine.configPath.isEmpty())
            databasePath = QFileInfo(m_commandLine.configPath).absoluteDir().filePath(databasePath);
    }
    if (databasePath.isEmpty())
        databasePath = Store::defaultPath();

    Store store;
    if (auto opened = store.open(databasePath); !opened) {
        printError(u"cannot open the database %1: %2"_s.arg(databasePath, opened.error().message));
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

    installSignalHandlers(QCoreApplication::instance());
    const QString hostText = host.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + host.toString() + u']'
                                                                              : host.toString();
    printLine(u"Tollgate %1 listening on http://%2:%3/v1 (config: %4, database: %5)"_s
                  .arg(QStringLiteral(TOLLGATE_VERSION), hostText)
                  .arg(*started)
                  .arg(configName, databasePath));
    if (openAccess)
        printLine(u"No master_key configured: every local caller is admin. Set general_settings.master_key to require keys."_s);

    const int code = QCoreApplication::exec();
    printLine(u"Shutting down…"_s);
    gateway.stop();
    store.close();
    return code;
}

} // namespace Tollgate
