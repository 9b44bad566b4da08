#pragma once

#include <QDialog>

#include <memory>

class QPushButton;

namespace Tollgate {

namespace Ui {
class KeyCreatedDialog;
}

// Shows a new (or regenerated) raw key exactly once, with a Copy button. The gateway keeps
// only its hash; the dialog forgets the key when it closes (it deletes itself).
class KeyCreatedDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeyCreatedDialog)

public:
    enum class Reason { Created, Regenerated };

    // `keyName` is what the lists show (alias or "sk-...abcd").
    KeyCreatedDialog(const QString &rawKey, const QString &keyName, Reason reason, QWidget *parent = nullptr);
    ~KeyCreatedDialog() override;

    [[nodiscard]] QString key() const;
    // Shows "Connect a tool…": it hands the raw key on (connectToolRequested) and closes the
    // dialog, so a tool's set-up can be filled with the key while it is still known.
    void setConnectToolOffered(bool offered);
    [[nodiscard]] QPushButton *connectToolButton() const { return m_connectButton; }

public Q_SLOTS:
    void copyToClipboard();
    void connectTool();

Q_SIGNALS:
    void connectToolRequested(const QString &rawKey);

protected:
    void done(int result) override;

private:
    std::unique_ptr<Ui::KeyCreatedDialog> m_ui;
    QPushButton *m_connectButton = nullptr;
};

} // namespace Tollgate
