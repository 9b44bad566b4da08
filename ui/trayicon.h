#pragma once

#include <QObject>

class QSystemTrayIcon;

namespace Tollgate {

class ApiClient;
class MainWindow;

// The tray icon: gateway state and today's spend in the tooltip; show/hide, pause, quit.
// Without a system tray (GNOME without an extension) it does nothing and the window is the
// whole app.
class TrayIcon final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayIcon)

public:
    TrayIcon(ApiClient *api, MainWindow *window, QObject *parent = nullptr);
    ~TrayIcon() override;

    [[nodiscard]] bool isAvailable() const { return m_tray != nullptr; }

Q_SIGNALS:
    void quitRequested();

private:
    ApiClient *m_api;
    MainWindow *m_window;
    QSystemTrayIcon *m_tray = nullptr;
};

} // namespace Tollgate
