#pragma once

#include "../mainwindow.h"
#include "../page.h"

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace Tollgate {

class AppSettings;
struct ApiReply;
class MasterKeyKeeper;

// Settings: how to connect (base URL, the OPENAI_* snippet, the master key and where it is
// kept, with "Rotate master key…", the database), the gateway's state with Pause/Resume, and
// the start-up settings kept in AppSettings. Host, port, data file, config file and budget
// mode apply when the gateway restarts: each says so, and once one of them changed the page
// offers "Restart the gateway now". The tray settings apply at the next start of Tollgate.
// "Gateway to manage" chooses between the gateway on this computer and a remote one (base URL,
// master key kept in the keychain, "Test connection"); while remote, what belongs to the local
// gateway (listen address, port, files, budget mode, pause, rotation) is disabled and says why.
class SettingsPage final : public Page
{
    Q_OBJECT

public:
    SettingsPage(ApiClient *api, AppSettings *settings, const ConnectionInfo &connection, QWidget *parent = nullptr);

    [[nodiscard]] QString title() const override { return tr("Settings"); }
    [[nodiscard]] QIcon icon() const override;

    // The gateway's state as last read (GET /gateway/status).
    [[nodiscard]] bool isGatewayPaused() const { return m_paused; }
    // Reads the widgets from AppSettings again (after a change elsewhere).
    void loadSettings();
    // The gateway restarted or the master key changed; a pending restart offer is withdrawn.
    void setConnection(const ConnectionInfo &connection);
    // A setting that applies at the gateway's restart was changed since it (re)started.
    [[nodiscard]] bool isRestartPending() const { return m_restartPending; }
    // "This computer" was applied, but its gateway did not start (`why`): the window still
    // manages the remote gateway, and the settings say so again.
    void localStartFailed(const QString &why);
    // Whether the desktop shows tray icons (QSystemTrayIcon::isSystemTrayAvailable() at first;
    // tests set it). Without a tray, closing the window quits and Tollgate starts with its
    // window open: the two tray settings are disabled, shown off (their kept values stay) and
    // say why.
    void setTrayAvailable(bool available);
    // Keeps the remote gateway's master key (see MainWindow::setRemoteKeyKeeper).
    void setRemoteKeyKeeper(MasterKeyKeeper *keeper) { m_remoteKeeper = keeper; }

Q_SIGNALS:
    void restartRequested();
    void rotateMasterKeyRequested();
    // The user applied a gateway choice (AppSettings already say so; a remote key is kept).
    void gatewayChoiceChanged(const Tollgate::ConnectionInfo &connection);
    // "Test connection" answered: `ok`, and the text shown (tests wait for this).
    void connectionTested(bool ok, const QString &text);

protected:
    void doRefresh() override;

private:
    void updateTrayChecks();
    QWidget *createChoiceSection();
    void updateChoiceState();
    void testConnection();
    void applyChoice();
    // Asks the remote gateway at `url` for /gateway/status with `key` on a client of its own
    // (a failure is said on this page, not in the window's banner).
    void probeRemote(const QUrl &url, const QString &key, std::function<void(const ApiReply &)> done);
    void saveRemoteChoice(const QUrl &url, const QString &warning);
    void showChoiceResult(const QString &text, bool error);
    // The remote fields checked: the base URL, or an empty URL after saying what is wrong.
    QUrl checkedRemoteInput(QString *warning);
    QWidget *createConnectionSection();
    QWidget *createGatewaySection();
    QWidget *createStartupSection();
    void saveHost();
    void savePath(QLineEdit *edit, int key);
    void browse(QLineEdit *edit, int key, bool database);
    void setPausedState(bool known, bool paused, int inFlight);
    void updateMasterKeyDisplay();
    void copy(const QString &text, const QString &what);
    void updateConnectionDisplay();
    // After saving a setting that applies at the gateway's restart: offer the restart.
    void restartSettingChanged();
    void updatePortHint();
    // The settings that apply at the gateway's restart, as saved now.
    [[nodiscard]] QStringList restartSettings() const;
    void rotateMasterKey();

    AppSettings *m_settings;
    ConnectionInfo m_connection;
    MasterKeyKeeper *m_remoteKeeper = nullptr;
    ApiClient *m_testClient = nullptr;   // "Test connection": not the window's client
    bool m_applying = false;

    QRadioButton *m_localRadio = nullptr;
    QRadioButton *m_remoteRadio = nullptr;
    QWidget *m_remoteFields = nullptr;
    QLineEdit *m_remoteUrlEdit = nullptr;
    QLineEdit *m_remoteKeyEdit = nullptr;
    QPushButton *m_showRemoteKeyButton = nullptr;
    QPushButton *m_testButton = nullptr;
    QPushButton *m_applyButton = nullptr;
    QLabel *m_choiceResultLabel = nullptr;
    QLabel *m_localOnlyLabel = nullptr;
    QList<QWidget *> m_localOnlyWidgets;   // disabled while a remote gateway is managed
    bool m_paused = false;
    bool m_pauseBusy = false;     // a pause or resume call is under way
    bool m_loading = false;
    bool m_restartPending = false;
    QStringList m_runningSettings;   // restartSettings() when the gateway last (re)started

    QLineEdit *m_baseUrlEdit = nullptr;
    QLabel *m_masterKeySourceLabel = nullptr;
    QLabel *m_databaseLabel = nullptr;
    QLabel *m_configLabel = nullptr;
    QPushButton *m_rotateKeyButton = nullptr;
    QWidget *m_restartBar = nullptr;
    QPushButton *m_restartButton = nullptr;
    QLineEdit *m_masterKeyEdit = nullptr;
    QPushButton *m_showKeyButton = nullptr;
    QPlainTextEdit *m_snippetEdit = nullptr;
    QLabel *m_statusLabel = nullptr;
    QPushButton *m_pauseButton = nullptr;
    QLineEdit *m_hostEdit = nullptr;
    QSpinBox *m_portSpin = nullptr;
    QLabel *m_portHintLabel = nullptr;   // "applies after a restart", or the port in use when it differs
    QLineEdit *m_databaseEdit = nullptr;
    QLineEdit *m_configEdit = nullptr;
    QComboBox *m_budgetModeCombo = nullptr;
    QCheckBox *m_startMinimizedCheck = nullptr;
    QCheckBox *m_closeToTrayCheck = nullptr;
    bool m_trayAvailable = true;
};

} // namespace Tollgate
