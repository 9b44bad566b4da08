#include "desktop.h"

#include "runtime.h"

#include "../models/store/store.h"
#include "../proxy/gateway.h"
#include "../ui/apiclient.h"
#include "../ui/appsettings.h"
#include "../ui/gatewaystatus.h"
#include "../ui/mainwindow.h"
#include "../ui/masterkey.h"
#include "../ui/singleinstance.h"
#include "../ui/trayicon.h"

#include <QApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTranslator>

#include <cstdio>

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

} // namespace

bool displayAvailable()
{
    return qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY")
        || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

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
    const QString configPath = commandLine.configPath.isEmpty() ? settings.value(AppSettings::Key::ConfigPath).toString()
                                                                : commandLine.configPath;
    const QString hostText = commandLine.hostGiven ? commandLine.host : settings.value(AppSettings::Key::Host).toString();
    const quint16 port = commandLine.portGiven ? commandLine.port
                                               : quint16(settings.value(AppSettings::Key::Port).toUInt());

    LayeredSecretStore secrets;
    auto config = Runtime::loadConfig(configPath, secrets);
    if (!config)
        return fail(QApplication::translate("Tollgate::Desktop", "Configuration error"), config.error().toString());
    const QString budgetMode = settings.value(AppSettings::Key::BudgetMode).toString();
    if (budgetMode == u"strict")
        config->general.budgetEnforcement = BudgetEnforcement::Strict;
    else if (budgetMode == u"reserve")
        config->general.budgetEnforcement = BudgetEnforcement::Reserve;

    const auto host = Runtime::listenAddress(hostText);
    if (!host)
        return fail(QApplication::translate("Tollgate::Desktop", "Settings error"), host.error().message);

    const QString fallbackPath
        = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/master_key"_s;
    auto masterKey = MasterKey::provision(config->general.masterKey, secrets, fallbackPath);
    if (!masterKey)
        return fail(QApplication::translate("Tollgate::Desktop", "Master key"), masterKey.error().message);
    // The window always has a master key, so the gateway never runs open to every local
    // program while the desktop app manages it.
    config->general.masterKey = masterKey->key;

    // The command line wins over the data file chosen in Settings, which wins over config.yaml.
    const QString databasePath = Runtime::databasePath(
        commandLine.databasePath.isEmpty() ? settings.value(AppSettings::Key::DatabasePath).toString()
                                           : commandLine.databasePath,
        *config, configPath);
    Runtime::raiseOpenFileLimit();
    Store store;
    if (auto opened = store.open(databasePath); !opened)
        return fail(QApplication::translate("Tollgate::Desktop", "Database error"),
                    QApplication::translate("Tollgate::Desktop", "Cannot open the database %1: %2")
                        .arg(databasePath, opened.error().message));

    Gateway::Options options;
    options.host = *host;
    options.port = port;
    options.secrets = &secrets;
    GatewayHost gateway;
    QString portWarning;
    auto started = gateway.start(*config, &store, options);
    if (!started && port != 0) {
        // Most often another program (or a headless Tollgate) holds the port: the window
        // still starts, on a free port, and says so.
        portWarning = QApplication::translate("Tollgate::Desktop",
                                              "Port %1 is not available (%2); the gateway listens on a free port "
                                              "instead. Change the port in Settings.")
                          .arg(port)
                          .arg(started.error().message);
        options.port = 0;
        started = gateway.start(*config, &store, options);
    }
    if (!started) {
        store.close();
        return fail(QApplication::translate("Tollgate::Desktop", "Gateway error"), started.error().toString());
    }

    ConnectionInfo connection;
    connection.baseUrl = QUrl(Runtime::baseUrl(*host, *started));
    connection.masterKey = masterKey->key;
    connection.masterKeySource = masterKeySourceText(*masterKey);
    if (masterKey->inFallbackFile()) {
        // The technical reason is for the log; the window says what it means in plain words.
        std::fprintf(stderr, "tollgate: no keychain: %s\n", qPrintable(masterKey->keychainError));
        connection.startWarnings.append(masterKey->fallbackNotice());
    }
    if (!portWarning.isEmpty())
        connection.startWarnings.append(portWarning);
    connection.databasePath = databasePath;
    connection.configPath = configPath;
    connection.budgetMode = config->general.budgetEnforcement == BudgetEnforcement::Strict ? u"strict"_s : u"reserve"_s;
    connection.firstStart = masterKey->created();

    ApiClient api;
    api.setBaseUrl(connection.baseUrl);
    api.setMasterKey(masterKey->key);

    MainWindow window(&api, &settings, connection);
    GatewayStatus status(&api);
    TrayIcon tray(&api, &window, &status);
    status.start();
    QObject::connect(&instance, &SingleInstance::raiseRequested, &window, &MainWindow::raiseWindow);
    QObject::connect(&window, &MainWindow::quitRequested, &app, &QApplication::quit);
    QObject::connect(&tray, &TrayIcon::quitRequested, &app, &QApplication::quit);
    const bool trayShown = tray.isAvailable();
    window.setHideOnClose(trayShown && settings.value(AppSettings::Key::CloseToTray).toBool());
    QApplication::setQuitOnLastWindowClosed(!trayShown);
    if (!(trayShown && settings.value(AppSettings::Key::StartMinimized).toBool()))
        window.show();

    Runtime::quitOnSignals(&app);
    const int code = QApplication::exec();
    gateway.stop();
    store.close();
    return code;
}

} // namespace Tollgate::Desktop
