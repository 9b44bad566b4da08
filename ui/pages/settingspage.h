#pragma once

#include "../mainwindow.h"
#include "../page.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace Tollgate {

class AppSettings;

// Settings: how to connect (base URL, the OPENAI_* snippet, the master key and where it is
// kept, with "Rotate master key…", the database), the gateway's state with Pause/Resume, and
// the start-up settings kept in AppSettings. Host, port, data file, config file and budget
// mode apply when the gateway restarts: each says so, and once one of them changed the page
// offers "Restart the gateway now". The tray settings apply at the next start of Tollgate.
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

Q_SIGNALS:
    void restartRequested();
    void rotateMasterKeyRequested();

protected:
    void doRefresh() override;

private:
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
    void rotateMasterKey();

    AppSettings *m_settings;
    ConnectionInfo m_connection;
    bool m_paused = false;
    bool m_pauseBusy = false;     // a pause or resume call is under way
    bool m_loading = false;
    bool m_restartPending = false;

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
    QLineEdit *m_databaseEdit = nullptr;
    QLineEdit *m_configEdit = nullptr;
    QComboBox *m_budgetModeCombo = nullptr;
    QCheckBox *m_startMinimizedCheck = nullptr;
    QCheckBox *m_closeToTrayCheck = nullptr;
};

} // namespace Tollgate
