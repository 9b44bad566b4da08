#pragma once

#include "tests/support/gatewayfixture.h"
#include "ui/apiclient.h"
#include "ui/appsettings.h"
#include "ui/mainwindow.h"

#include <QSettings>
#include <QTemporaryDir>

#include <memory>

namespace Tollgate::Test {

// A real gateway on its own thread (GatewayFixture: real HTTP, real SQLite file) and the
// window's ApiClient talking to it over loopback with the master key, as the desktop app
// wires them. Settings live in a temporary INI file.
class UiFixture final
{
public:
    explicit UiFixture(Config config = GatewayFixture::defaultConfig());
    ~UiFixture();
    Q_DISABLE_COPY_MOVE(UiFixture)

    bool start();                          // false on failure (gateway().lastError())

    [[nodiscard]] GatewayFixture &gateway() { return m_gateway; }
    [[nodiscard]] ApiClient &api() { return m_api; }
    [[nodiscard]] AppSettings &settings() { return *m_settings; }
    // The INI file behind settings() (tests check what is, and is not, written to it).
    [[nodiscard]] QString settingsFileName() const { return m_qsettings->fileName(); }
    [[nodiscard]] ConnectionInfo connection() const;

    // The whole window, as the app shows it (not shown; call show() if a test needs it).
    std::unique_ptr<MainWindow> createWindow();

    // Refreshes `page` and waits until every call of that refresh answered.
    static bool refreshAndWait(Tollgate::Page *page, int timeoutMs = 10000);
    // Shows `window`'s page of type T and waits for its first refresh; nullptr when the page
    // is missing or the refresh did not finish.
    template <typename T>
    static T *showPage(MainWindow &window)
    {
        T *page = window.page<T>();
        if (!page)
            return nullptr;
        window.showPage(page);
        return refreshAndWait(page) ? page : nullptr;
    }
    // Waits until the client has no call in flight.
    bool waitIdle(int timeoutMs = 10000);

    // A chat completion through the gateway with `key` on model `model`: the HTTP status.
    int chat(const QByteArray &key, const QString &model = QStringLiteral("gpt-a"),
             const QString &endUser = {});

private:
    QString m_budgetMode;          // as the desktop app tells the window (ConnectionInfo)
    GatewayFixture m_gateway;
    QTemporaryDir m_settingsDir;
    std::unique_ptr<QSettings> m_qsettings;
    std::unique_ptr<AppSettings> m_settings;
    ApiClient m_api;
};

} // namespace Tollgate::Test
