#include "banner.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace Tollgate {

namespace {
constexpr int Margin = 12;        // from the parent's edges
constexpr int MaxWidth = 640;     // a readable line; the page stays visible beside it
} // namespace

Banner::Banner(QWidget *parent)
    : QFrame(parent), m_layout(new QVBoxLayout(this)), m_moreLabel(new QLabel(this)), m_dismissAll(new QPushButton(this))
{
    setObjectName(QStringLiteral("bannerFrame"));
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(4);

    // "3 earlier messages   [Dismiss all]" above the strips, when there is more than one.
    auto *top = new QWidget(this);
    top->setObjectName(QStringLiteral("bannerTop"));
    top->setAutoFillBackground(true);
    auto *topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(8, 2, 2, 2);
    m_moreLabel->setObjectName(QStringLiteral("bannerMoreLabel"));
    topLayout->addWidget(m_moreLabel, 1);
    m_dismissAll->setObjectName(QStringLiteral("bannerDismissAllButton"));
    m_dismissAll->setText(tr("Dismiss all"));
    m_dismissAll->setFlat(true);
    connect(m_dismissAll, &QPushButton::clicked, this, &Banner::clear);
    topLayout->addWidget(m_dismissAll);
    m_layout->addWidget(top);

    if (parent)
        parent->installEventFilter(this);
    hide();
}

QWidget *Banner::createStrip(const QString &text, Kind kind, int shownMs, const QString &actionText,
                             std::function<void()> action)
{
    auto *strip = new QFrame(this);
    strip->setObjectName(QStringLiteral("bannerStrip"));
    strip->setFrameShape(QFrame::StyledPanel);
    strip->setFrameShadow(QFrame::Raised);
    strip->setAutoFillBackground(true);
    auto *icon = new QLabel(strip);
    auto *label = new QLabel(text, strip);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setObjectName(QStringLiteral("bannerLabel"));
    auto *close = new QToolButton(strip);
    close->setObjectName(QStringLiteral("bannerCloseButton"));
    close->setAutoRaise(true);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, [this, strip] { remove(strip); });

    auto *layout = new QHBoxLayout(strip);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(icon, 0, Qt::AlignTop);
    layout->addWidget(label, 1);
    if (action) {
        auto *button = new QPushButton(actionText, strip);
        button->setObjectName(QStringLiteral("bannerActionButton"));
        connect(button, &QPushButton::clicked, this, [this, strip, action = std::move(action)] {
            action();
            remove(strip);
        });
        layout->addWidget(button, 0, Qt::AlignVCenter);
    }
    layout->addWidget(close, 0, Qt::AlignTop);

    QStyle::StandardPixmap pixmap = QStyle::SP_MessageBoxInformation;
    QPalette::ColorRole role = QPalette::AlternateBase;
    if (kind == Kind::Error) {
        pixmap = QStyle::SP_MessageBoxCritical;
        role = QPalette::ToolTipBase;
    } else if (kind == Kind::Warning) {
        pixmap = QStyle::SP_MessageBoxWarning;
        role = QPalette::ToolTipBase;
    }
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize);
    icon->setPixmap(style()->standardIcon(pixmap).pixmap(size, size));
    // Palette roles, not fixed colours: readable in light and dark themes alike. The info
    // colour is opaque too: the strip floats over the page.
    QPalette palette = strip->palette();
    palette.setColor(QPalette::Window, palette.color(role == QPalette::AlternateBase ? QPalette::Base : role));
    palette.setColor(QPalette::WindowText, palette.color(role == QPalette::ToolTipBase ? QPalette::ToolTipText
                                                                                      : QPalette::Text));
    strip->setPalette(palette);
    if (shownMs > 0) {
        // A timer of the strip's own (found by tests), gone with the strip.
        auto *fade = new QTimer(strip);
        fade->setObjectName(QStringLiteral("bannerFadeTimer"));
        fade->setSingleShot(true);
        fade->setInterval(shownMs);
        connect(fade, &QTimer::timeout, this, [this, strip] { remove(strip); });
        fade->start();
    }
    return strip;
}

void Banner::showMessage(const QString &text, Kind kind, bool longRead)
{
    const int shownMs = kind != Kind::Info ? 0 : longRead ? LongInfoShownMs : InfoShownMs;
    add(text, kind, createStrip(text, kind, shownMs));
}

void Banner::showMessage(const QString &text, Kind kind, const QString &actionText, std::function<void()> action)
{
    add(text, kind, createStrip(text, kind, kind == Kind::Info ? LongInfoShownMs : 0, actionText, std::move(action)));
}

void Banner::add(const QString &text, Kind kind, QWidget *strip)
{
    // Shown already (the same failure on every refresh): not twice — it moves to the bottom
    // and its time starts again.
    const auto same = std::find_if(m_messages.cbegin(), m_messages.cend(), [&](const Message &message) {
        return message.text == text && message.kind == kind;
    });
    if (same != m_messages.cend()) {
        delete same->strip;
        m_messages.erase(same);
    }
    m_layout->addWidget(strip);
    m_messages.append({text, kind, strip});
    relayout();
}

void Banner::remove(QWidget *strip)
{
    const auto it = std::find_if(m_messages.cbegin(), m_messages.cend(),
                                 [strip](const Message &message) { return message.strip == strip; });
    if (it == m_messages.cend())
        return;
    m_messages.erase(it);
    strip->hide();
    strip->deleteLater();   // may be the sender (its close button, its timer)
    relayout();
}

void Banner::clear()
{
    for (const Message &message : std::as_const(m_messages)) {
        message.strip->hide();
        message.strip->deleteLater();
    }
    m_messages.clear();
    relayout();
}

void Banner::dismiss(const QString &text)
{
    const auto it = std::find_if(m_messages.cbegin(), m_messages.cend(),
                                 [&text](const Message &message) { return message.text == text; });
    if (it != m_messages.cend())
        remove(it->strip);
}

QString Banner::text() const
{
    return m_messages.isEmpty() ? QString() : m_messages.constLast().text;
}

Banner::Kind Banner::kind() const
{
    return m_messages.isEmpty() ? Kind::Info : m_messages.constLast().kind;
}

QStringList Banner::messages() const
{
    QStringList texts;
    for (const Message &message : m_messages)
        texts.append(message.text);
    return texts;
}

bool Banner::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == parentWidget() && event->type() == QEvent::Resize)
        relayout();
    return QFrame::eventFilter(watched, event);
}

void Banner::relayout()
{
    if (m_messages.isEmpty()) {
        hide();
        return;
    }
    const qsizetype hidden = std::max<qsizetype>(0, m_messages.size() - MaxShown);
    for (qsizetype i = 0; i < m_messages.size(); ++i)
        m_messages.at(i).strip->setVisible(i >= hidden);
    m_moreLabel->setText(hidden > 0 ? tr("%n earlier message(s)", nullptr, int(hidden)) : QString());
    m_layout->itemAt(0)->widget()->setVisible(m_messages.size() > 1);

    // Floats over the parent's bottom right corner, above the page, outside every layout.
    QWidget *parent = parentWidget();
    if (parent) {
        const int width = std::max(0, std::min(parent->width() - 2 * Margin, MaxWidth));
        m_layout->activate();
        const int height = m_layout->hasHeightForWidth() ? m_layout->totalHeightForWidth(width)
                                                         : m_layout->totalSizeHint().height();
        setGeometry(parent->width() - Margin - width, std::max(0, parent->height() - Margin - height), width,
                    std::min(height, parent->height()));
    }
    show();
    raise();
}

} // namespace Tollgate
