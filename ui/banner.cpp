#include "banner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QTimer>
#include <QToolButton>

namespace Tollgate {

namespace {
constexpr int InfoShownMs = 6000;
}

Banner::Banner(QWidget *parent)
    : QFrame(parent), m_icon(new QLabel(this)), m_label(new QLabel(this)), m_hideTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("bannerFrame"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setObjectName(QStringLiteral("bannerLabel"));
    auto *close = new QToolButton(this);
    close->setObjectName(QStringLiteral("bannerCloseButton"));
    close->setAutoRaise(true);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setToolTip(tr("Dismiss"));
    connect(close, &QToolButton::clicked, this, &QWidget::hide);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 4, 4);
    layout->addWidget(m_icon);
    layout->addWidget(m_label, 1);
    layout->addWidget(close, 0, Qt::AlignTop);

    m_hideTimer->setSingleShot(true);
    connect(m_hideTimer, &QTimer::timeout, this, &QWidget::hide);
    hide();
}

void Banner::showMessage(const QString &text, Kind kind, bool stays)
{
    m_kind = kind;
    m_label->setText(text);
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
    m_icon->setPixmap(style()->standardIcon(pixmap).pixmap(size, size));
    // Palette roles, not fixed colours: readable in light and dark themes alike.
    QPalette palette = this->palette();
    palette.setColor(QPalette::Window, palette.color(role));
    palette.setColor(QPalette::WindowText, palette.color(role == QPalette::ToolTipBase ? QPalette::ToolTipText
                                                                                      : QPalette::Text));
    setPalette(palette);
    show();
    if (kind == Kind::Info && !stays)
        m_hideTimer->start(InfoShownMs);
    else
        m_hideTimer->stop();
}

QString Banner::text() const
{
    return m_label->text();
}

} // namespace Tollgate
