#include "trayicon.h"

#include "apiclient.h"
#include "banner.h"
#include "format.h"
#include "gatewaystatus.h"
#include "mainwindow.h"

#include <QMenu>
#include <QSystemTrayIcon>
#include <QTimer>

#include <utility>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {
constexpr int NotificationMs = 10000;
}

TrayIcon::TrayIcon(ApiClient *api, MainWindow *window, GatewayStatus *status, QObject *parent)
    : QObject(parent), m_api(api), m_window(window), m_status(status)
{
    connect(m_status, &GatewayStatus::thresholdPassed, this,
            [this](const QString &, const QString &, const QString &text) { notify(text); });
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;

    m_menu = new QMenu();
    m_menu->setToolTipsVisible(true);   // why "Pause gateway" is off for a remote gateway
    m_showAction = m_menu->addAction(tr("Show window"), this, &TrayIcon::toggleWindow);
    m_pauseAction = m_menu->addAction(tr("Pause gateway"), this, [this] { m_status->setPaused(!m_status->isPaused()); });
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit Tollgate"), this, &TrayIcon::quitRequested);
    // Labels follow the window and the gateway just before the menu shows.
    connect(m_menu, &QMenu::aboutToShow, this, &TrayIcon::updateStatus);

    m_tray = new QSystemTrayIcon(window->windowIcon(), this);
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger)
            toggleWindow();
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, m_window, &MainWindow::raiseWindow);
    connect(m_status, &GatewayStatus::statusChanged, this, &TrayIcon::updateStatus);
    updateStatus();
    m_tray->show();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;   // a context menu has no parent widget
}

QString TrayIcon::toolTip() const
{
    return tr("Tollgate — %1 — today %2").arg(m_status->stateText(), Format::usd(m_status->todaySpend()));
}

void TrayIcon::updateStatus()
{
    if (!m_tray)
        return;
    m_tray->setToolTip(toolTip());
    const bool shown = m_window->isVisible() && !m_window->isMinimized();
    m_showAction->setText(shown ? tr("Hide window") : tr("Show window"));
    m_pauseAction->setText(m_status->isPaused() ? tr("Resume gateway") : tr("Pause gateway"));
    // A remote gateway is paused where it runs (Settings says the same).
    const bool remote = m_window->connection().remote;
    m_pauseAction->setEnabled(m_status->isReachable() && !remote);
    m_pauseAction->setToolTip(remote ? tr("A remote gateway is paused and resumed where it runs.") : QString());
}

void TrayIcon::toggleWindow()
{
    if (m_window->isVisible() && !m_window->isMinimized())
        m_window->hide();
    else
        m_window->raiseWindow();
    updateStatus();
}

void TrayIcon::notify(const QString &text)
{
    if (!m_tray) {
        // The banner stacks its messages: one each, none replaces another.
        m_window->banner()->showMessage(text, Banner::Kind::Warning);
        return;
    }
    // A notification replaces the previous one on most desktops: the thresholds of one poll
    // round (80 % and 95 % passed by one call) go out together, one line each.
    m_pendingTexts.append(text);
    if (m_pendingTexts.size() == 1)
        QTimer::singleShot(0, this, [this] {
            const QStringList texts = std::exchange(m_pendingTexts, {});
            m_tray->showMessage(tr("Tollgate budget"), texts.join(u'\n'), QSystemTrayIcon::Warning, NotificationMs);
        });
}

} // namespace Tollgate
