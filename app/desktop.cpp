#include "desktop.h"

#include "runtime.h"

#include "../models/store/store.h"
#include "../proxy/gateway.h"
#include "../ui/apiclient.h"
#include "../ui/appsettings.h"
#include "../ui/banner.h"
#include "../ui/gatewaystatus.h"
#include "../ui/mainwindow.h"
#include "../ui/pages/settingspage.h"
#include "../ui/masterkey.h"
#include "../ui/remotegateway.h"
#include "../ui/singleinstance.h"
#include "../ui/trayicon.h"

#include <QApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTimer>
#include <QTranslator>

#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>

using namespace Qt::StringLiterals;

namespace Tollgate::Desktop {

namespace {

void installTranslators(QApplication &app)
{
    auto *qtTranslator = new QTranslator(&app);
    if (qtTranslator->load(QLocale(), u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(qtTranslator);
    // English plurals first: the last installed translator is asked first, so the locale's
    // own translation (complete, plurals included) wins wherever it has one.
    auto *plurals = new QTranslator(&app);
    if (plurals->load(u"tollgate_en"_s, u":/i18n"_s))
        QApplication::installTranslator(plurals);
    auto *translator = new QTranslator(&app);
    if (QLocale().language() != QLocale::English
        && translator->load(QLocale(), u"tollgate"_s, u"_"_s, u":/i18n"_s))
        QApplication::installTranslator(translator);
}

int fail(const QString &title, const QString &text)
{
    std::fprintf(stderr, "tollgate: %s\n", qPrintable(text));
    QMessageBox::critical(nullptr, title, text);
    return 1;
}

QString masterKeySourceText(const MasterKey &key)
{
    switch (key.source) {
    case MasterKey::Source::Config:
        return QApplication::translate("Tollgate::Desktop", "general_settings.master_key in config.yaml");
    case MasterKey::Source::Keychain:
    case MasterKey::Source::CreatedInKeychain:
        return QApplication::translate("Tollgate::Desktop", "the OS keychain");
    case MasterKey::Source::FallbackFile:
    case MasterKey::Source::CreatedInFallbackFile:
        return QApplication::translate("Tollgate::Desktop", "the file %1 (no keychain available)").arg(key.fallbackPath);
    }
    return {};
}

// What the gateway is started with, from the command line or the window's settings.
struct StartValues
{
    QString configPath;
    QString databasePath;   // as given ("" = config.yaml's, else the per-user default)
    QString host;
    quint16 port = 0;
    QString budgetMode;     // "" = as config.yaml says
};

void applyBudgetMode(Config &config, const QString &budgetMode)
{
    if (budgetMode == u"strict")
        config.general.budgetEnforcement = BudgetEnforcement::Strict;
    else if (budgetMode == u"reserve")
        config.general.budgetEnforcement = BudgetEnforcement::Reserve;
}

// How long start-up waits for the keychain before using the fallback file: the default, or
// TOLLGATE_KEYCHAIN_TIMEOUT_MS (tests, and users whose keychain is slow to unlock).
std::chrono::milliseconds keychainTimeout()
{
    bool ok = false;
    const int ms = qEnvironmentVariableIntValue("TOLLGATE_KEYCHAIN_TIMEOUT_MS", &ok);
    return ok && ms > 0 ? std::chrono::milliseconds(ms) : MasterKeyKeeper::DefaultTimeout;
}

} // namespace

int run(const CommandLine &commandLine)
{
    QApplication &app = *qobject_cast<QApplication *>(QCoreApplication::instance());
    QApplication::setOrganizationName(u"Tollgate"_s);
    QApplication::setApplicationDisplayName(u"Tollgate"_s);
    QGuiApplication::setDesktopFileName(u"tollgate"_s);
    QApplication::setWindowIcon(QIcon(u":/tollgate/icons/tollgate.svg"_s));
    installTranslators(app);

    SingleInstance instance;
    if (instance.notifyRunningInstance()) {
        std::fprintf(stdout, "Tollgate is already running: its window was raised.\n");
        return 0;
    }

    AppSettings settings;
    // The command line wins over the window's settings for this run — until the user changes
    // one of them in the window and restarts the gateway from there (see restartGateway).
    const auto fromSettings = [&settings] {
        StartValues values;
        values.configPath = settings.value(AppSettings::Key::ConfigPath).toString();
        values.databasePath = settings.value(AppSettings::Key::DatabasePath).toString();
        values.host = settings.value(AppSettings::Key::Host).toString();
        values.port = quint16(settings.value(AppSettings::Key::Port).toUInt());
        values.budgetMode = settings.value(AppSettings::Key::BudgetMode).toString();
        return values;
    };
    StartValues saved = fromSettings();
    StartValues current = saved;
    if (!commandLine.configPath.isEmpty())
        current.configPath = commandLine.configPath;
    if (!commandLine.databasePath.isEmpty())
        current.databasePath = commandLine.databasePath;
    if (commandLine.hostGiven)
        current.host = commandLine.host;
    if (commandLine.portGiven)
        current.port = commandLine.port;

    LayeredSecretStore secrets;
    // Settings → "Gateway to manage" → "Remote gateway": the window manages a gateway elsewhere
    // and the one on this computer is not started at all (until the user switches back).
    const QString remoteText = settings.value(AppSettings::Key::RemoteBaseUrl).toString();
    const RemoteGateway::UrlCheck remoteCheck = RemoteGateway::checkBaseUrl(remoteText);
    const bool remoteChosen = settings.value(AppSettings::Key::GatewayMode).toString() == u"remote";
    const bool startRemote = remoteChosen && remoteCheck.ok();
    if (startRemote && (commandLine.portGiven || commandLine.hostGiven || !commandLine.configPath.isEmpty()
                        || !commandLine.databasePath.isEmpty()))
        std::fprintf(stderr,
                     "tollgate: the window manages the remote gateway %s (Settings); --port, --host, --config and "
                     "--db apply once it manages the gateway on this computer again\n",
                     qPrintable(remoteCheck.url.toString()));

    // The gateway on this computer: its configuration, address and database. What cannot be set
    // up (a broken config.yaml, a database that does not open) stops Tollgate — unless the window
    // manages a remote gateway: then it says so, and tries again when the user switches back to
    // this computer (the file may be fixed by then).
    Config config;
    QHostAddress host;
    QString databasePath;
    Store store;
    bool localReady = false;
    struct LocalProblem
    {
        QString title;
        QString text;
    };
    const auto prepareLocal = [&]() -> std::optional<LocalProblem> {
        auto loaded = Runtime::loadConfig(current.configPath, secrets);
        if (!loaded)
            return LocalProblem{QApplication::translate("Tollgate::Desktop", "Configuration error"),
                                loaded.error().toString()};
        applyBudgetMode(*loaded, current.budgetMode);
        const auto address = Runtime::listenAddress(current.host);
        if (!address)
            return LocalProblem{QApplication::translate("Tollgate::Desktop", "Settings error"), address.error().message};
        // The command line wins over the data file chosen in Settings, which wins over config.yaml.
        // config.yaml's database_url may name PostgreSQL (issue #17); DATABASE_URL is for the
        // headless server only (a desktop session may carry one meant for something else).
        const auto target = Runtime::databaseTarget(current.databasePath, *loaded, current.configPath, current.port);
        if (!target)
            return LocalProblem{QApplication::translate("Tollgate::Desktop", "Configuration error"),
                                target.error().message};
        Runtime::raiseOpenFileLimit();
        if (auto opened = store.open(*target); !opened)
            return LocalProblem{QApplication::translate("Tollgate::Desktop", "Database error"),
                                QApplication::translate("Tollgate::Desktop", "Cannot open the database %1: %2")
                                    .arg(target->describe(), opened.error().message)};
        config = std::move(*loaded);
        host = *address;
        databasePath = target->describe();
        localReady = true;
        return std::nullopt;
    };
    const std::optional<LocalProblem> localProblem = prepareLocal();
    if (localProblem && !startRemote)
        return fail(localProblem->title, localProblem->text);

    // The window comes first: the keychain may take its time (an OS dialog asking for a new
    // keyring's password stays open until the user answers it), and until it answers — or the
    // time-out sends the key to the fallback file — the window says what it waits for.
    const QString remoteFallbackPath = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u'/'
                                       + QString::fromLatin1(RemoteGateway::FallbackFileName);
    // Declared before the window: the Settings page holds it.
    MasterKeyKeeper remoteKeeper(&secrets, remoteFallbackPath, nullptr, QString::fromLatin1(RemoteGateway::SecretName));
    remoteKeeper.setTimeout(keychainTimeout());

    ConnectionInfo connection;
    connection.waitingForKeychain = true;
    connection.remote = startRemote;
    if (startRemote)
        connection.baseUrl = remoteCheck.url;
    connection.databasePath = databasePath;
    connection.configPath = current.configPath;
    connection.budgetMode = config.general.budgetEnforcement == BudgetEnforcement::Strict ? u"strict"_s : u"reserve"_s;

    ApiClient api;
    MainWindow window(&api, &settings, connection);
    window.setRemoteKeyKeeper(&remoteKeeper);
    GatewayStatus status(&api);
    window.setGatewayStatus(&status);
    TrayIcon tray(&api, &window, &status);
    QObject::connect(&instance, &SingleInstance::raiseRequested, &window, &MainWindow::raiseWindow);
    QObject::connect(&window, &MainWindow::quitRequested, &app, &QApplication::quit);
    QObject::connect(&tray, &TrayIcon::quitRequested, &app, &QApplication::quit);
    const bool trayShown = tray.isAvailable();
    window.setHideOnClose(trayShown && settings.value(AppSettings::Key::CloseToTray).toBool());
    QApplication::setQuitOnLastWindowClosed(!trayShown);
    if (!(trayShown && settings.value(AppSettings::Key::StartMinimized).toBool()))
        window.show();

    const QString fallbackPath
        = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/master_key"_s;
    MasterKeyKeeper keeper(&secrets, fallbackPath);
    keeper.setTimeout(keychainTimeout());
    MasterKey masterKey;

    GatewayHost gateway;
    Gateway::Options options;
    options.secrets = &secrets;
    int exitCode = 0;
    const auto fatal = [&](const QString &title, const QString &text) {
        exitCode = fail(title, text);
        QCoreApplication::exit(exitCode);
    };

    // Starts the gateway with `config` on host:port (a free port when that one is taken);
    // `warnings` collects what the window should say.
    QString remoteStartNotice;  // the start-up warnings shown for the remote gateway, if any

    const auto startGateway = [&](const Config &gatewayConfig, const QHostAddress &address, quint16 port,
                                  QStringList &warnings) -> Result<quint16> {
        options.host = address;
        options.port = port;
        auto started = gateway.start(gatewayConfig, &store, options);
        if (!started && port != 0) {
            // Most often another program (or a headless Tollgate) holds the port: the window
            // still starts, on a free port, and says so.
            warnings.append(QApplication::translate("Tollgate::Desktop",
                                                    "Port %1 is not available (%2); the gateway listens on a free "
                                                    "port instead. Change the port in Settings.")
                                .arg(port)
                                .arg(started.error().message));
            options.port = 0;
            started = gateway.start(gatewayConfig, &store, options);
        }
        return started;
    };

    const auto connectionFor = [&](quint16 port) {
        ConnectionInfo info;
        info.baseUrl = QUrl(Runtime::baseUrl(host, port));
        info.masterKey = masterKey.key;
        info.masterKeySource = masterKeySourceText(masterKey);
        info.masterKeyFromConfig = masterKey.source == MasterKey::Source::Config;
        info.portChoice = commandLine.portGiven && current.port == commandLine.port ? ConnectionInfo::PortChoice::CommandLine
                          : port != current.port                                 ? ConnectionInfo::PortChoice::FreePort
                                                                                 : ConnectionInfo::PortChoice::Settings;
        info.databasePath = databasePath;
        info.configPath = current.configPath;
        info.budgetMode = config.general.budgetEnforcement == BudgetEnforcement::Strict ? u"strict"_s : u"reserve"_s;
        return info;
    };

    const auto onMasterKey = [&](Result<MasterKey> provisioned) {
        if (!provisioned) {
            store.close();
            fatal(QApplication::translate("Tollgate::Desktop", "Master key"), provisioned.error().message);
            return;
        }
        masterKey = *provisioned;
        // The window always has a master key, so the gateway never runs open to every local
        // program while the desktop app manages it.
        config.general.masterKey = masterKey.key;
        QStringList warnings;
        auto started = startGateway(config, host, current.port, warnings);
        if (!started) {
            store.close();
            fatal(QApplication::translate("Tollgate::Desktop", "Gateway error"), started.error().toString());
            return;
        }
        ConnectionInfo info = connectionFor(*started);
        if (masterKey.inFallbackFile()) {
            // The technical reason is for the log; the window says what it means in plain words.
            std::fprintf(stderr, "tollgate: no keychain: %s\n", qPrintable(masterKey.keychainError));
            info.startWarnings.append(masterKey.fallbackNotice());
        }
        info.startWarnings.append(warnings);
        info.firstStart = masterKey.created();
        if (remoteChosen && !remoteCheck.ok())
            info.startWarnings.append(QApplication::translate("Tollgate::Desktop",
                                                              "The remote gateway's address in the settings is not "
                                                              "usable (%1): Tollgate manages the gateway on this "
                                                              "computer instead.")
                                          .arg(remoteCheck.error));
        status.reset();
        window.switchTo(info);
        status.start();
        // Started after a switch back: what was said about the remote gateway is over.
        window.banner()->dismiss(std::exchange(remoteStartNotice, QString()));
    };
    const auto startLocal = [&] { keeper.provision(config.general.masterKey, onMasterKey); };

    // The remote gateway: its key from the keychain (or the fallback file). Unreachable is not
    // an error here: the window opens, the header and the banner say so, and the status poll
    // and the pages keep asking.
    const auto useRemote = [&](const QUrl &baseUrl, const QStringList &warnings) {
        remoteKeeper.load([&, baseUrl, warnings](Result<MasterKey> stored) {
            MasterKey key = stored ? *stored : MasterKey();
            ConnectionInfo info = RemoteGateway::connection(baseUrl, key);
            info.startWarnings = warnings;
            if (!stored) {
                std::fprintf(stderr, "tollgate: no remote master key: %s\n", qPrintable(stored.error().message));
                info.startWarnings.append(QApplication::translate("Tollgate::Desktop",
                                                                  "No master key for the remote gateway is stored on "
                                                                  "this computer: enter it in Settings → Gateway to "
                                                                  "manage."));
            } else if (key.inFallbackFile()) {
                info.startWarnings.append(
                    QApplication::translate("Tollgate::Desktop",
                                            "No keychain answered, so the remote gateway's master key is kept in a "
                                            "file only you can read: %1.")
                        .arg(key.fallbackPath));
            }
            status.reset();
            window.switchTo(info);
            status.start();
            remoteStartNotice = info.startWarnings.join(u'\n');
            if (!stored)
                window.showPage(window.page<SettingsPage>());
        });
    };
    // From the event loop: the window paints first, and a fatal error can end the loop.
    QTimer::singleShot(0, &window, [&] {
        if (startRemote) {
            QStringList warnings;
            if (!remoteCheck.warning.isEmpty())
                warnings.append(remoteCheck.warning);
            if (localProblem) {
                std::fprintf(stderr, "tollgate: the gateway on this computer cannot start: %s\n",
                             qPrintable(localProblem->text));
                warnings.append(QApplication::translate("Tollgate::Desktop",
                                                        "The gateway on this computer cannot start (%1): fix it "
                                                        "before you switch back to it in Settings.")
                                    .arg(localProblem->text));
            }
            useRemote(remoteCheck.url, warnings);
        }
        else
            startLocal();
    });

    // Settings → "Gateway to manage" → Apply. To a remote gateway: the window's client goes
    // there first, then the gateway on this computer stops (a tool still pointed at it gets
    // "connection refused", which says plainly that nothing listens there any more). Back to
    // this computer: the gateway starts again with the settings it had.
    QObject::connect(&window, &MainWindow::gatewayChoiceChanged, &window, [&](const ConnectionInfo &chosen) {
        if (chosen.remote) {
            status.reset();
            window.switchTo(chosen);
            status.start();
            const bool wasRunning = gateway.isRunning();
            gateway.stop();
            window.banner()->showMessage(
                wasRunning ? QApplication::translate("Tollgate::Desktop",
                                                     "Now managing the remote gateway at %1. The gateway on this "
                                                     "computer is stopped.")
                                 .arg(chosen.baseUrl.toString())
                           : QApplication::translate("Tollgate::Desktop", "Now managing the remote gateway at %1.")
                                 .arg(chosen.baseUrl.toString()),
                Banner::Kind::Info);
            for (const QString &warning : chosen.startWarnings)
                window.banner()->showMessage(warning, Banner::Kind::Warning);
            return;
        }
        if (gateway.isRunning()) {
            window.switchTo(connectionFor(gateway.port()));
            return;
        }
        if (!localReady) {
            // It could not be set up at start (the window managed a remote gateway): again now.
            if (const std::optional<LocalProblem> problem = prepareLocal()) {
                window.page<SettingsPage>()->localStartFailed(problem->text);
                return;
            }
        }
        if (masterKey.key.isEmpty()) {
            // Started with a remote gateway: the local master key was never read.
            startLocal();
            return;
        }
        QStringList warnings;
        auto started = startGateway(config, host, current.port, warnings);
        if (!started) {
            window.page<SettingsPage>()->localStartFailed(started.error().toString());
            return;
        }
        status.reset();
        const ConnectionInfo info = connectionFor(*started);
        window.switchTo(info);
        status.start();
        // What was said at start about the remote gateway (and this one not starting) is over.
        window.banner()->dismiss(std::exchange(remoteStartNotice, QString()));
        for (const QString &warning : std::as_const(warnings))
            window.banner()->showMessage(warning, Banner::Kind::Warning);
        window.banner()->showMessage(
            QApplication::translate("Tollgate::Desktop", "The gateway on this computer runs again: listening on %1.")
                .arg(info.openAiBaseUrl()),
            Banner::Kind::Info);
    });

    // Settings → "Restart the gateway now": what the user changed in the window since the
    // gateway started applies; what they did not change keeps its value (a command-line
    // option stays in force). The master key stays the same unless config.yaml now sets one.
    QObject::connect(&window, &MainWindow::restartGatewayRequested, &window, [&] {
        if (!gateway.isRunning() || window.connection().remote)
            return;
        const StartValues now = fromSettings();
        StartValues next = current;
        if (now.configPath != saved.configPath)
            next.configPath = now.configPath;
        if (now.databasePath != saved.databasePath)
            next.databasePath = now.databasePath;
        if (now.host != saved.host)
            next.host = now.host;
        if (now.port != saved.port)
            next.port = now.port;
        next.budgetMode = now.budgetMode;
        const auto refuse = [&](const QString &why) {
            window.banner()->showMessage(
                QApplication::translate("Tollgate::Desktop", "The gateway was not restarted: %1").arg(why),
                Banner::Kind::Error);
        };
        auto nextConfig = Runtime::loadConfig(next.configPath, secrets);
        if (!nextConfig)
            return refuse(nextConfig.error().toString());
        applyBudgetMode(*nextConfig, next.budgetMode);
        auto nextHost = Runtime::listenAddress(next.host);
        if (!nextHost)
            return refuse(nextHost.error().message);
        MasterKey nextKey = masterKey;
        if (!nextConfig->general.masterKey.isEmpty()) {
            nextKey.key = nextConfig->general.masterKey;
            nextKey.source = MasterKey::Source::Config;
        } else if (masterKey.source == MasterKey::Source::Config) {
            return refuse(QApplication::translate("Tollgate::Desktop",
                                                  "the new config.yaml sets no master key; restart Tollgate to "
                                                  "take one from the keychain"));
        }
        nextConfig->general.masterKey = nextKey.key;
        const QString nextDatabase = Runtime::databasePath(next.databasePath, *nextConfig, next.configPath);

        gateway.stop();
        if (nextDatabase != databasePath) {
            store.close();
            if (auto opened = store.open(nextDatabase); !opened) {
                window.banner()->showMessage(QApplication::translate("Tollgate::Desktop", "Cannot open the database "
                                                                                          "%1: %2")
                                                 .arg(nextDatabase, opened.error().message),
                                             Banner::Kind::Error);
                [[maybe_unused]] const auto reopened = store.open(databasePath);
                QStringList ignored;
                if (!startGateway(config, host, options.port, ignored))
                    fatal(QApplication::translate("Tollgate::Desktop", "Gateway error"),
                          QApplication::translate("Tollgate::Desktop", "The gateway could not be started again."));
                return;
            }
        }
        QStringList warnings;
        auto started = startGateway(*nextConfig, *nextHost, next.port, warnings);
        if (!started) {
            store.close();
            fatal(QApplication::translate("Tollgate::Desktop", "Gateway error"), started.error().toString());
            return;
        }
        current = next;
        saved = now;
        config = std::move(*nextConfig);
        host = *nextHost;
        databasePath = nextDatabase;
        masterKey = nextKey;
        ConnectionInfo info = connectionFor(*started);
        api.setBaseUrl(info.baseUrl);
        api.setMasterKey(masterKey.key);
        window.setConnection(info);
        for (const QString &warning : std::as_const(warnings))
            window.banner()->showMessage(warning, Banner::Kind::Warning);
        window.banner()->showMessage(
            QApplication::translate("Tollgate::Desktop", "Gateway restarted: listening on %1.").arg(info.openAiBaseUrl()),
            Banner::Kind::Info);
    });

    // Settings → "Rotate master key…" (confirmed): the running gateway takes the new key at
    // once (no restart: calls in flight go on), the keychain or the fallback file keeps it.
    QObject::connect(&window, &MainWindow::rotateMasterKeyRequested, &window, [&] {
        rotateMasterKey(keeper, api, [&](const QString &key) { return gateway.setMasterKey(key); },
                        [&](Result<MasterKey> rotated) {
                            if (!rotated) {
                                window.setConnection(connectionFor(gateway.port()));
                                window.banner()->showMessage(
                                    QApplication::translate("Tollgate::Desktop", "The master key was not rotated: %1")
                                        .arg(rotated.error().message),
                                    Banner::Kind::Error);
                                return;
                            }
                            masterKey = *rotated;
                            config.general.masterKey = masterKey.key;
                            window.setConnection(connectionFor(gateway.port()));
                            window.banner()->showMessage(
                                QApplication::translate("Tollgate::Desktop",
                                                        "New master key in use, kept in %1. The old key is refused "
                                                        "from now on: give programs that used it the new one.")
                                    .arg(masterKeySourceText(masterKey)),
                                Banner::Kind::Warning);
                        });
    });

    Runtime::quitOnSignals(&app);
    const int code = QApplication::exec();
    gateway.stop();
    store.close();
    return exitCode != 0 ? exitCode : code;
}

} // namespace Tollgate::Desktop
