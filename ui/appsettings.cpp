#include "appsettings.h"

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

struct Entry
{
    AppSettings::Key key;
    QString name;
    QVariant defaultValue;
};

const QList<Entry> &table()
{
    static const QList<Entry> entries{
        {AppSettings::Key::Host, u"gateway/host"_s, u"127.0.0.1"_s},
        {AppSettings::Key::Port, u"gateway/port"_s, 4000},
        {AppSettings::Key::DatabasePath, u"gateway/database"_s, QString()},
        {AppSettings::Key::ConfigPath, u"gateway/config"_s, QString()},
        {AppSettings::Key::BudgetMode, u"gateway/budgetMode"_s, QString()},
        {AppSettings::Key::StartMinimized, u"window/startMinimized"_s, false},
        {AppSettings::Key::CloseToTray, u"window/closeToTray"_s, true},
        {AppSettings::Key::WelcomeShown, u"window/welcomeShown"_s, false},
        {AppSettings::Key::GatewayMode, u"connection/gateway"_s, u"local"_s},
        {AppSettings::Key::RemoteBaseUrl, u"connection/remoteBaseUrl"_s, QString()},
        {AppSettings::Key::PreviousMasterKeyTokens, u"gateway/previousMasterKeyTokens"_s, QStringList()},
    };
    return entries;
}

const Entry &entry(AppSettings::Key key)
{
    for (const Entry &candidate : table()) {
        if (candidate.key == key)
            return candidate;
    }
    Q_UNREACHABLE();
}

} // namespace

AppSettings::AppSettings(QSettings *settings)
    : m_settings(settings ? settings : new QSettings()), m_owned(settings == nullptr)
{
}

AppSettings::~AppSettings()
{
    if (m_owned)
        delete m_settings;
}

QVariant AppSettings::value(Key key) const
{
    const Entry &e = entry(key);
    return m_settings->value(e.name, e.defaultValue);
}

void AppSettings::setValue(Key key, const QVariant &value)
{
    m_settings->setValue(entry(key).name, value);
}

void AppSettings::sync()
{
    m_settings->sync();
}

QString AppSettings::name(Key key)
{
    return entry(key).name;
}

QVariant AppSettings::defaultValue(Key key)
{
    return entry(key).defaultValue;
}

} // namespace Tollgate
