#include "trayicon.h"

#include "apiclient.h"
#include "mainwindow.h"

#include <QSystemTrayIcon>

namespace Tollgate {

TrayIcon::TrayIcon(ApiClient *api, MainWindow *window, QObject *parent)
    : QObject(parent), m_api(api), m_window(window)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(window->windowIcon(), this);
    m_tray->setToolTip(tr("Tollgate"));
    m_tray->show();
}

TrayIcon::~TrayIcon() = default;

} // namespace Tollgate
