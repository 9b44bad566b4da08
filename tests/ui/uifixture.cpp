#include "uifixture.h"

#include "ui/page.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

namespace Tollgate::Test {

UiFixture::UiFixture(Config config)
    : m_budgetMode(config.general.budgetEnforcement == BudgetEnforcement::Strict ? u"strict"_s : u"reserve"_s)
    , m_gateway(std::move(config))
{
    m_qsettings = std::make_unique<QSettings>(m_settingsDir.filePath(u"tollgate.ini"_s), QSettings::IniFormat);
    m_settings = std::make_unique<AppSettings>(m_qsettings.get());
}

UiFixture::~UiFixture()
{
    m_gateway.stop();
}

bool UiFixture::start()
{
    if (!m_gateway.start())
        return false;
    m_api.setBaseUrl(QUrl(u"http://127.0.0.1:%1"_s.arg(m_gateway.port())));
    m_api.setMasterKey(QString::fromLatin1(GatewayFixture::MasterKey));
    return true;
}

ConnectionInfo UiFixture::connection() const
{
    ConnectionInfo info;
    info.baseUrl = m_api.baseUrl();
    info.masterKey = QString::fromLatin1(GatewayFixture::MasterKey);
    info.masterKeySource = u"test"_s;
    info.databasePath = m_gateway.databasePath();
    info.budgetMode = m_budgetMode;
    return info;
}

std::unique_ptr<MainWindow> UiFixture::createWindow()
{
    return std::make_unique<MainWindow>(&m_api, m_settings.get(), connection());
}

bool UiFixture::refreshAndWait(Tollgate::Page *page, int timeoutMs)
{
    // A refresh already under way may have started before the change the test made.
    if (page->isRefreshing() && !QTest::qWaitFor([page] { return !page->isRefreshing(); }, timeoutMs))
        return false;
    QSignalSpy refreshed(page, &Tollgate::Page::refreshed);
    page->refresh();
    return !refreshed.isEmpty() || refreshed.wait(timeoutMs);
}

bool UiFixture::waitIdle(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_api.inFlight() == 0; }, timeoutMs);
}

int UiFixture::chat(const QByteArray &key, const QString &model, const QString &endUser)
{
    QJsonObject body{{u"model"_s, model},
                     {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hello"_s}}}}};
    if (!endUser.isEmpty())
        body.insert(u"user"_s, endUser);
    return m_gateway.post("/v1/chat/completions", body, key).status;
}

} // namespace Tollgate::Test
