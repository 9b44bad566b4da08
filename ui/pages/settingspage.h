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
// kept, the database), the gateway's state with Pause/Resume, and the start-up settings
// (host, port, data file, config file, budget mode, tray behaviour) kept in AppSettings —
// those take effect at the next start.
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

    AppSettings *m_settings;
    ConnectionInfo m_connection;
    bool m_paused = false;
    bool m_loading = false;

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
