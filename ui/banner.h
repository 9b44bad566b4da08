#pragma once

#include <QFrame>

class QLabel;
class QTimer;

namespace Tollgate {

// A non-modal message strip at the top of the window (errors from the API, notices).
// It never blocks: the user can keep working, dismiss it, or let a notice fade.
class Banner final : public QFrame
{
    Q_OBJECT

public:
    enum class Kind { Error, Warning, Info };

    explicit Banner(QWidget *parent = nullptr);

    // Errors and warnings stay until dismissed or replaced; infos hide after a few seconds
    // unless `stays` (a welcome the user should read).
    void showMessage(const QString &text, Kind kind = Kind::Error, bool stays = false);
    [[nodiscard]] QString text() const;
    [[nodiscard]] Kind kind() const { return m_kind; }

private:
    QLabel *m_icon;
    QLabel *m_label;
    QTimer *m_hideTimer;
    Kind m_kind = Kind::Info;
};

} // namespace Tollgate
