#pragma once

#include <QDialog>

#include <memory>

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

public Q_SLOTS:
    void copyToClipboard();

protected:
    void done(int result) override;

private:
    std::unique_ptr<Ui::KeyCreatedDialog> m_ui;
};

} // namespace Tollgate
