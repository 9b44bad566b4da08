#include "runtime.h"

#include "../models/store/store.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSocketNotifier>

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Tollgate {

Result<QString> LayeredSecretStore::readSecret(const QString &name)
{
    auto fromEnvironment = m_environment.readSecret(name);
    if (fromEnvironment)
        return fromEnvironment;
    return m_keychain.readSecret(name);
}

Result<void> LayeredSecretStore::writeSecret(const QString &name, const QString &value)
{
    return m_keychain.writeSecret(name, value);
}

Result<void> LayeredSecretStore::deleteSecret(const QString &name)
{
    return m_keychain.deleteSecret(name);
}

void LayeredSecretStore::readSecretAsync(const QString &name, QObject *context, ReadDone done)
{
    auto fromEnvironment = m_environment.readSecret(name);
    if (fromEnvironment) {
        done(std::move(fromEnvironment));
        return;
    }
    m_keychain.readSecretAsync(name, context, std::move(done));
}

void LayeredSecretStore::writeSecretAsync(const QString &name, const QString &value, QObject *context, WriteDone done)
{
    m_keychain.writeSecretAsync(name, value, context, std::move(done));
}

QString LayeredSecretStore::backendName() const
{
    return m_environment.backendName() + u" + "_s + m_keychain.backendName();
}

namespace Runtime {

namespace {

// SIGINT/SIGTERM → a byte on a pipe → a clean quit of the event loop.
int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

} // namespace

namespace {

QLoggingCategory::CategoryFilter previousLogFilter = nullptr;

void secretSafeLogFilter(QLoggingCategory *category)
{
    if (previousLogFilter)
        previousLogFilter(category);  // the rules (QT_LOGGING_RULES, qtlogging.ini, setFilterRules)
    if (qstrncmp(category->categoryName(), "qt.httpserver", 13) == 0) {
        category->setEnabled(QtDebugMsg, false);
        category->setEnabled(QtInfoMsg, false);
    }
}

QtMessageHandler previousMessageHandler = nullptr;

// A second line of defence for categories the filter does not know (a library's debug output
// quoting a header): bearer tokens and sk- keys are masked in every message.
void redactingMessageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    static const QRegularExpression secrets(
        u"(?i)(bearer\\s+)\\S+|\\bsk-[A-Za-z0-9_\\-]{6,}"_s);
    QString text = message;
    if (text.contains(u"sk-"_s, Qt::CaseInsensitive) || text.contains(u"bearer"_s, Qt::CaseInsensitive))
        text.replace(secrets, u"\\1[redacted]"_s);
    if (previousMessageHandler)
        previousMessageHandler(type, context, text);
}

} // namespace

void installLogFilter()
{
    static bool installed = false;
    if (installed)
        return;
    installed = true;
    previousLogFilter = QLoggingCategory::installFilter(secretSafeLogFilter);
    previousMessageHandler = qInstallMessageHandler(redactingMessageHandler);
    if (!previousMessageHandler) {
        qInstallMessageHandler(nullptr);  // nothing to hand the message on to: keep Qt's own
        return;
    }
}

void quitOnSignals(QObject *context)
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

Result<Config> loadConfig(const QString &path, ISecretStore &secrets)
{
    return path.isEmpty() ? ConfigLoader::loadDefault(secrets) : ConfigLoader::loadFile(path, secrets);
}

Result<QHostAddress> listenAddress(const QString &host)
{
    if (host == u"localhost")
        return QHostAddress(QHostAddress::LocalHost);
    QHostAddress address;
    if (!address.setAddress(host))
        return makeError(u"--host must be an IP address, not '%1'"_s.arg(host));
    return address;
}

QString databasePath(const QString &commandLinePath, const Config &config, const QString &configPath)
{
    QString path = commandLinePath;
    if (path.isEmpty() && !config.general.databaseUrl.isEmpty()) {
        path = config.general.databaseUrl;
        if (path.startsWith(u"sqlite:///"))
            path = path.mid(9);
        if (QFileInfo(path).isRelative() && !configPath.isEmpty())
            path = QFileInfo(configPath).absoluteDir().filePath(path);
    }
    if (path.isEmpty())
        path = Store::defaultPath();
    return path;
}

Result<DatabaseTarget> databaseTarget(const QString &commandLinePath, const Config &config, const QString &configPath,
                                      quint16 gatewayPort, const QString &environment)
{
    if (!commandLinePath.isEmpty())
        return DatabaseTarget::sqlite(databasePath(commandLinePath, config, configPath));
    QString url = config.general.databaseUrl;
    QString source = u"general_settings.database_url"_s;
    if (url.isEmpty() && !environment.isEmpty()) {
        url = environment;
        source = u"DATABASE_URL"_s;
        if (!DatabaseTarget::isPostgresUrl(url))
            return makeError(u"DATABASE_URL must be a postgresql:// URL (for a SQLite file use --db or "
                             "general_settings.database_url)"_s);
    }
    if (!DatabaseTarget::isPostgresUrl(url)) {
        // sqlite:/// stays a path; any other scheme is a database Tollgate does not speak.
        static const QRegularExpression scheme(u"^[A-Za-z][A-Za-z0-9+.-]*://"_s);
        if (!url.startsWith(u"sqlite:///") && scheme.match(url).hasMatch())
            return makeError(u"%1: only postgresql:// URLs or SQLite file paths are supported"_s.arg(source));
        return DatabaseTarget::sqlite(databasePath({}, config, configPath));
    }
    auto target = DatabaseTarget::fromUrl(url);
    if (!target)
        return makeError(u"%1: %2"_s.arg(source, target.error().message));
    QString dir = config.general.journalDir;
    if (!dir.isEmpty() && QFileInfo(dir).isRelative() && !configPath.isEmpty())
        dir = QFileInfo(configPath).absoluteDir().filePath(dir);
    if (dir.isEmpty()) {
        const QByteArray id = QCryptographicHash::hash(target->identity().toUtf8(), QCryptographicHash::Sha256).toHex();
        dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/journal/"_s
              + QString::fromLatin1(id.left(16)) + u'-' + QString::number(gatewayPort);
    }
    target->journalPath = QDir(dir).filePath(u"tollgate"_s);
    return target;
}

quint64 raiseOpenFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur;
}

QString baseUrl(const QHostAddress &host, quint16 port)
{
    QHostAddress reach = host;
    if (host == QHostAddress::AnyIPv4 || host == QHostAddress::Any)
        reach = QHostAddress(QHostAddress::LocalHost);
    else if (host == QHostAddress::AnyIPv6)
        reach = QHostAddress(QHostAddress::LocalHostIPv6);
    const QString text = reach.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + reach.toString() + u']'
                                                                          : reach.toString();
    return u"http://%1:%2"_s.arg(text).arg(port);
}

} // namespace Runtime

} // namespace Tollgate
