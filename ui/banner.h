#pragma once

#include <QFrame>
#include <QList>
#include <QStringList>

#include <functional>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace Tollgate {

// Non-modal messages (errors from the API, budget thresholds, notices) as a stack of
// strips that floats over the bottom of the page: it is never part of the page's layout,
// so a message appearing or fading never moves what is under the pointer. Messages stack
// (newest at the bottom) so none replaces another; a message already shown is not repeated
// but moves to the bottom. It never blocks: the user can keep working, dismiss one or all,
// or let a notice fade.
class Banner final : public QFrame
{
    Q_OBJECT

public:
    enum class Kind { Error, Warning, Info };

    // At most this many strips are shown; older ones are summed up in a "N more" line
    // (Dismiss all clears them).
    static constexpr int MaxShown = 4;

    // `parent` is the widget the stack floats over (it follows its size).
    explicit Banner(QWidget *parent = nullptr);

    // How long an info stays before it goes by itself (errors and warnings stay until dismissed):
    // a notice (a success) is read at a glance and must not keep covering the page; a longer
    // read (the first start's welcome) or one with a button gets longer.
    static constexpr int InfoShownMs = 8000;
    static constexpr int LongInfoShownMs = 30000;

    // Errors and warnings stay until dismissed; infos hide after InfoShownMs, or after
    // LongInfoShownMs when `longRead` (a welcome the user should read).
    void showMessage(const QString &text, Kind kind = Kind::Error, bool longRead = false);
    // A message with a button (`actionText`, e.g. "Open folder") that runs `action` and
    // dismisses the message; an info goes by itself after LongInfoShownMs, other kinds stay
    // until then or until dismissed.
    void showMessage(const QString &text, Kind kind, const QString &actionText, std::function<void()> action);
    // The newest message (what the user saw last); empty / Info when there is none.
    [[nodiscard]] QString text() const;
    [[nodiscard]] Kind kind() const;
    // Every message still up, oldest first.
    [[nodiscard]] QStringList messages() const;
    // Removes every message (the "Dismiss all" button).
    void clear();
    // Removes the message with this text, if it is still up (it no longer applies).
    void dismiss(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Message
    {
        QString text;
        Kind kind;
        QWidget *strip;
    };
    QWidget *createStrip(const QString &text, Kind kind, int shownMs, const QString &actionText = {},
                         std::function<void()> action = {});
    void add(const QString &text, Kind kind, QWidget *strip);
    void remove(QWidget *strip);
    void relayout();

    QList<Message> m_messages;   // oldest first
    QVBoxLayout *m_layout;
    QLabel *m_moreLabel;
    QPushButton *m_dismissAll;
};

} // namespace Tollgate
