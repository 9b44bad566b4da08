#pragma once

#include <QObject>
#include <QStringList>

class QAction;
class QMenu;
class QSystemTrayIcon;

namespace Tollgate {

class ApiClient;
class GatewayStatus;
class MainWindow;

// The tray icon: gateway state and today's spend in the tooltip; show/hide, pause, quit;
// budget thresholds as desktop notifications. Without a system tray (GNOME without an
// extension, offscreen) no icon is made and the notifications go to the window's banner, so
// the window is the whole app.
class TrayIcon final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayIcon)

public:
    TrayIcon(ApiClient *api, MainWindow *window, GatewayStatus *status, QObject *parent = nullptr);
    ~TrayIcon() override;

    [[nodiscard]] bool isAvailable() const { return m_tray != nullptr; }
    // "Tollgate — running — today $1.23"
    [[nodiscard]] QString toolTip() const;

Q_SIGNALS:
    void quitRequested();

private:
    void updateStatus();
    void toggleWindow();
    void notify(const QString &text);

    ApiClient *m_api;
    MainWindow *m_window;
    GatewayStatus *m_status;
    QSystemTrayIcon *m_tray = nullptr;
    QMenu *m_menu = nullptr;
    QAction *m_showAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QStringList m_pendingTexts;   // thresholds to notify at the end of this event-loop turn
};

} // namespace Tollgate
